/**
 * The `admission.k8s.io/v1` AdmissionReview the apiserver posts to a webhook, and the answers.
 * The body is read as hostile input: only the fields the webhooks use are read, each checked for
 * its type, and a body that is not a review is refused with a message saying what is missing.
 */
import { InputError } from '@beamline/errors';

/** The apiVersion of the reviews the webhooks are registered for (`admissionReviewVersions: [v1]`). */
export const ADMISSION_REVIEW_API_VERSION = 'admission.k8s.io/v1';

/** The request of a review: the fields the webhooks read. */
export interface AdmissionRequest {
  /** Echoed in the response, as the apiserver requires. */
  readonly uid: string;
  readonly kind: { readonly group: string; readonly version: string; readonly kind: string };
  readonly resource: { readonly group: string; readonly version: string; readonly resource: string };
  readonly subResource?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  /** Who asks, as the apiserver authenticated them: what a SubjectAccessReview on their behalf needs. */
  readonly userInfo: {
    readonly username?: string;
    readonly uid?: string;
    readonly groups?: readonly string[];
    readonly extra?: Readonly<Record<string, readonly string[]>>;
  };
  /** The object as it would be stored (CREATE, UPDATE). */
  readonly object?: Record<string, unknown>;
  /** The object as it is stored (UPDATE, DELETE). */
  readonly oldObject?: Record<string, unknown>;
  readonly dryRun?: boolean;
}

/** The response of a review. */
export interface AdmissionResponse {
  readonly uid: string;
  readonly allowed: boolean;
  /** Why not: shown to the user as the refusal (`kubectl` prints `message`). */
  readonly status?: { readonly code: number; readonly reason: string; readonly message: string };
  readonly patchType?: 'JSONPatch';
  /** Base64 of a JSON patch (RFC 6902). */
  readonly patch?: string;
}

/** The whole answer the apiserver expects: the same apiVersion and kind, with `response`. */
export interface AdmissionReviewAnswer {
  readonly apiVersion: typeof ADMISSION_REVIEW_API_VERSION;
  readonly kind: 'AdmissionReview';
  readonly response: AdmissionResponse;
}

const OPERATIONS = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(record: Record<string, unknown>, field: string, where: string): string {
  const value = record[field];
  if (typeof value !== 'string') throw new InputError(`not an AdmissionReview: ${where}.${field} must be a string`);
  return value;
}

function optionalString(record: Record<string, unknown>, field: string, where: string): string | undefined {
  const value = record[field];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new InputError(`not an AdmissionReview: ${where}.${field} must be a string`);
  return value;
}

function optionalObject(record: Record<string, unknown>, field: string, where: string): Record<string, unknown> | undefined {
  const value = record[field];
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw new InputError(`not an AdmissionReview: ${where}.${field} must be an object`);
  return value;
}

function group(record: Record<string, unknown>, field: string, names: readonly string[]): Record<string, string> {
  const value = record[field];
  if (!isRecord(value)) throw new InputError(`not an AdmissionReview: request.${field} must be an object`);
  const result: Record<string, string> = {};
  for (const name of names) result[name] = name === 'group' ? (optionalString(value, name, `request.${field}`) ?? '') : stringField(value, name, `request.${field}`);
  return result;
}

/**
 * The request of an `admission.k8s.io/v1` AdmissionReview body; throws `InputError` (400) when the
 * body is not one, naming the first field that is wrong.
 */
export function parseAdmissionReview(body: unknown): AdmissionRequest {
  if (!isRecord(body)) throw new InputError('not an AdmissionReview: the body must be a JSON object');
  if (body.apiVersion !== ADMISSION_REVIEW_API_VERSION || body.kind !== 'AdmissionReview') {
    throw new InputError(`not an AdmissionReview: apiVersion must be ${ADMISSION_REVIEW_API_VERSION} and kind AdmissionReview`);
  }
  const request = optionalObject(body, 'request', 'review');
  if (request === undefined) throw new InputError('not an AdmissionReview: request is missing');
  const uid = stringField(request, 'uid', 'request');
  if (uid === '' || uid.length > 128) throw new InputError('not an AdmissionReview: request.uid must be 1 to 128 characters');
  const operation = stringField(request, 'operation', 'request');
  if (!OPERATIONS.has(operation)) throw new InputError('not an AdmissionReview: request.operation must be CREATE, UPDATE, DELETE or CONNECT');
  const userInfo = optionalObject(request, 'userInfo', 'request') ?? {};
  const groups = userInfo.groups;
  if (groups !== undefined && !(Array.isArray(groups) && groups.every((entry) => typeof entry === 'string'))) {
    throw new InputError('not an AdmissionReview: request.userInfo.groups must be a list of strings');
  }
  const username = optionalString(userInfo, 'username', 'request.userInfo');
  const userUid = optionalString(userInfo, 'uid', 'request.userInfo');
  const extra = optionalObject(userInfo, 'extra', 'request.userInfo');
  if (extra !== undefined && !Object.values(extra).every((values) => Array.isArray(values) && values.every((entry) => typeof entry === 'string'))) {
    throw new InputError('not an AdmissionReview: request.userInfo.extra must map names to lists of strings');
  }
  const subResource = optionalString(request, 'subResource', 'request');
  const name = optionalString(request, 'name', 'request');
  const namespace = optionalString(request, 'namespace', 'request');
  const object = optionalObject(request, 'object', 'request');
  const oldObject = optionalObject(request, 'oldObject', 'request');
  return {
    uid,
    kind: group(request, 'kind', ['group', 'version', 'kind']) as unknown as AdmissionRequest['kind'],
    resource: group(request, 'resource', ['group', 'version', 'resource']) as unknown as AdmissionRequest['resource'],
    operation: operation as AdmissionRequest['operation'],
    userInfo: {
      ...(username === undefined ? {} : { username }),
      ...(userUid === undefined ? {} : { uid: userUid }),
      ...(groups === undefined ? {} : { groups }),
      ...(extra === undefined ? {} : { extra: extra as Record<string, string[]> }),
    },
    ...(subResource === undefined ? {} : { subResource }),
    ...(name === undefined ? {} : { name }),
    ...(namespace === undefined ? {} : { namespace }),
    ...(object === undefined ? {} : { object }),
    ...(oldObject === undefined ? {} : { oldObject }),
    ...(request.dryRun === true ? { dryRun: true } : {}),
  };
}

/** The answer to a review. */
export function reviewAnswer(response: AdmissionResponse): AdmissionReviewAnswer {
  return { apiVersion: ADMISSION_REVIEW_API_VERSION, kind: 'AdmissionReview', response };
}

/** Allows the request. */
export function allow(uid: string): AdmissionResponse {
  return { uid, allowed: true };
}

/** Refuses the request with a 403 Forbidden Status whose message the user sees. */
export function deny(uid: string, message: string): AdmissionResponse {
  return { uid, allowed: false, status: { code: 403, reason: 'Forbidden', message } };
}
