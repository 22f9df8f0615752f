/**
 * Writes to the management API through the portal's proxy (`/api/kube/*`, as the user): create,
 * merge-patch, delete, each optionally a server-side dry run. A refusal keeps what the apiserver
 * said per field (`details.causes`), so forms can put each message next to its field: the CRDs'
 * schema and CEL rules and the admission webhooks (quota, templates) are the validation, asked as
 * the user types (dry run) and again on submit.
 */
import { ApiError } from './api.ts';
import type { KubeStatus } from './types.ts';

/** The Beamline API's base path through the proxy. */
export const BEAMLINE_API = '/api/kube/apis/beamline.dev/v1alpha1';

/** `/api/kube/apis/beamline.dev/v1alpha1/namespaces/<ns>/<plural>[/<name>]`, each part encoded. */
export function beamlinePath(plural: string, namespace?: string, name?: string): string {
  const scope = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${BEAMLINE_API}${scope}/${plural}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}

/** A field the apiserver refused: its path (`spec.nodeGroups[0].replicas`) and why. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** A write the apiserver (or the proxy) refused: the message, and the fields it named. */
export class KubeWriteError extends ApiError {
  readonly fields: readonly FieldProblem[];
  readonly reason: string | undefined;
  constructor(status: number, message: string, fields: readonly FieldProblem[], reason: string | undefined) {
    super(status, message);
    this.name = 'KubeWriteError';
    this.fields = fields;
    this.reason = reason;
  }
}

/** The field paths of a Status's causes, without the `spec.` prefix some messages repeat. */
function fieldsOf(status: KubeStatus): FieldProblem[] {
  return (status.details?.causes ?? [])
    .filter((cause) => typeof cause.field === 'string' && cause.field !== '')
    .map((cause) => ({ field: cause.field ?? '', message: cause.message ?? cause.reason ?? 'invalid' }));
}

async function writeErrorOf(response: Response): Promise<KubeWriteError> {
  let status: KubeStatus & { message?: string } = {};
  try {
    status = (await response.json()) as KubeStatus;
  } catch {
    // Not JSON: the status line says enough.
  }
  const message = typeof status.message === 'string' && status.message !== '' ? status.message : `${response.status} ${response.statusText}`.trim();
  return new KubeWriteError(response.status, message, fieldsOf(status), status.reason);
}

/** Options of a write. */
export interface WriteOptions {
  /** Ask the apiserver to validate and admit without storing (`?dryRun=All`). */
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
}

async function write<T>(method: 'POST' | 'PATCH' | 'DELETE', path: string, csrfToken: string, body: unknown, contentType: string, options: WriteOptions): Promise<T> {
  const url = options.dryRun === true ? `${path}${path.includes('?') ? '&' : '?'}dryRun=All` : path;
  const response = await fetch(url, {
    method,
    credentials: 'same-origin',
    headers: { 'x-csrf-token': csrfToken, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (!response.ok) throw await writeErrorOf(response);
  return (await response.json()) as T;
}

/** Creates `body` in the collection at `path`; returns the stored (or dry-run) object. */
export function createObject<T>(path: string, body: unknown, csrfToken: string, options: WriteOptions = {}): Promise<T> {
  return write<T>('POST', path, csrfToken, body, 'application/json', options);
}

/** Merge-patches the object at `path` (RFC 7386: `null` removes a field). */
export function mergePatch<T>(path: string, patch: unknown, csrfToken: string, options: WriteOptions = {}): Promise<T> {
  return write<T>('PATCH', path, csrfToken, patch, 'application/merge-patch+json', options);
}

/** Deletes the object at `path`. */
export function deleteObject(path: string, csrfToken: string, options: WriteOptions = {}): Promise<unknown> {
  return write<unknown>('DELETE', path, csrfToken, undefined, 'application/json', options);
}

/**
 * The problems of `error` that belong to `field` or below it (`spec.nodeGroups[1]` takes
 * `spec.nodeGroups[1].replicas`): what a form shows next to that field.
 */
export function problemsAt(error: unknown, field: string): string[] {
  if (!(error instanceof KubeWriteError)) return [];
  return error.fields.filter((problem) => problem.field === field || problem.field.startsWith(`${field}.`) || problem.field.startsWith(`${field}[`)).map((problem) => problem.message);
}
