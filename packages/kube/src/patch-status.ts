import { isDeepStrictEqual } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { isNotFound } from './errors.ts';
import { clientFor, type KubeObject, type ResourceType } from './kube-client.ts';

/** Options of {@link patchStatus} and the finalizer helpers. */
export interface ObjectWriteOptions {
  /** Where the kind is served; looked up through discovery (once per kubeconfig) when left out. */
  readonly resource?: ResourceType;
  readonly signal?: AbortSignal;
}

/** An object that may have a status. */
export type WithStatus = KubeObject & { readonly status?: unknown };

/**
 * Writes `status` as the object's whole status through the `status` subresource, with a JSON
 * merge patch computed against the stored status ({@link mergePatchOf}): fields the stored status
 * has but `status` lacks are removed at every depth (status is computed, not accumulated). Does
 * nothing when the object's status already equals `status`.
 *
 * No optimistic lock: status is computed from what the one leading controller observed, so the
 * latest computation is the one to keep. Returns the updated object, or `undefined` when the
 * object is gone (nothing left to report on).
 */
export async function patchStatus<T extends WithStatus>(
  kubeConfig: KubeConfig,
  object: T,
  status: Readonly<Record<string, unknown>>,
  options: ObjectWriteOptions = {},
): Promise<T | undefined> {
  const previous = (object.status ?? {}) as Readonly<Record<string, unknown>>;
  if (isDeepStrictEqual(stripUndefined(previous), stripUndefined(status))) return object;
  const patch = mergePatchOf(previous, status);
  const { name, namespace } = identify(object, 'patch status of');
  const client = clientFor(kubeConfig);
  try {
    const resource = await resourceOf(kubeConfig, object, options);
    return await client.patch<T>(resource, name, namespace, { status: patch }, 'merge', { subresource: 'status', signal: options.signal });
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new Error(`failed to patch status of ${describeObject(object)}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The resource of an object: `options.resource`, else found through discovery. A kind the
 * apiserver does not serve is an error whose message asks for its CRD (never a 404, which callers
 * take for "the object is gone").
 */
export async function resourceOf(kubeConfig: KubeConfig, object: KubeObject, options: ObjectWriteOptions = {}): Promise<ResourceType> {
  if (options.resource !== undefined) return options.resource;
  try {
    return await clientFor(kubeConfig).resourceFor(object.apiVersion ?? '', object.kind ?? '');
  } catch (error) {
    // resourceFor's message says what is missing and what to do (install its CRD) already.
    throw new Error(`failed to find where ${object.kind ?? 'the kind'} is served: ${(error as Error).message}`, { cause: error });
  }
}

/** The name and namespace of an object, or an error naming what was being attempted. */
export function identify(object: KubeObject, verb: string): { readonly name: string; readonly namespace: string | undefined } {
  const name = object.metadata?.name;
  if (name === undefined) throw new Error(`failed to ${verb} ${object.kind ?? 'object'}: metadata.name is not set`);
  if (object.apiVersion === undefined || object.kind === undefined) {
    throw new Error(`failed to ${verb} ${name}: apiVersion and kind are not set; set them or pass options.resource`);
  }
  return { name, namespace: object.metadata?.namespace };
}

/** `Kind namespace/name`, for messages. */
export function describeObject(object: KubeObject): string {
  const namespace = object.metadata?.namespace;
  const name = object.metadata?.name ?? '(unnamed)';
  return `${object.kind ?? 'object'} ${namespace === undefined ? name : `${namespace}/${name}`}`;
}

function stripUndefined(record: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

function isPlainRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The RFC 7386 JSON merge patch that turns `previous` into `next`: nested objects are patched
 * field by field, with `null` for every field `next` drops (a merge patch merges objects, so a
 * field left out would survive); arrays and scalars are replaced whole.
 */
export function mergePatchOf(previous: Readonly<Record<string, unknown>>, next: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(previous)) {
    if (previous[key] !== undefined && next[key] === undefined) patch[key] = null;
  }
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) continue;
    const before = previous[key];
    if (isPlainRecord(before) && isPlainRecord(value)) {
      const nested = mergePatchOf(before, value);
      if (Object.keys(nested).length > 0) patch[key] = nested;
    } else if (!isDeepStrictEqual(before, value)) {
      patch[key] = value;
    }
  }
  return patch;
}
