import { createHash } from 'node:crypto';
import type { Manifest } from '../render/manifest.ts';
import { cloneWithoutNulls, isRecord } from './json.ts';

/** What stands in for a Secret value wherever a diff shows one. */
export const REDACTED = '<redacted>';

// Metadata the API server writes; a manifest exported from a cluster (or `helm template`'s
// `creationTimestamp: null`) may carry it, and it never means anything to apply.
const SERVER_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

/** Whether the object is a core `v1` Secret, whose `data` and `stringData` are never shown. */
export function isSecret(obj: { readonly apiVersion?: unknown; readonly kind?: unknown }): boolean {
  return obj.apiVersion === 'v1' && obj.kind === 'Secret';
}

// Secret values are compared by the SHA-256 of their bytes, so that the normalised objects (which
// end up in diffs, logs, errors) never hold the values themselves.
function digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function hashSecretData(out: Record<string, unknown>, source: 'desired' | 'live'): void {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(isRecord(out.data) ? out.data : {})) data[key] = digest(Buffer.from(String(value), 'base64'));
  // The API server folds stringData into data (stringData winning) and never returns it.
  if (source === 'desired') {
    for (const [key, value] of Object.entries(isRecord(out.stringData) ? out.stringData : {})) data[key] = digest(Buffer.from(String(value), 'utf8'));
  }
  delete out.stringData;
  if (Object.keys(data).length > 0) out.data = data;
  else delete out.data;
}

/**
 * The part of an object that server-side apply compares: a deep copy without `status`, without the
 * metadata the server writes (uid, resourceVersion, managedFields, …), without null fields, and,
 * for Secrets, with `stringData` folded into `data` and every value replaced by its SHA-256.
 */
export function normalizeObject(obj: Manifest, source: 'desired' | 'live'): Record<string, unknown> {
  const out = cloneWithoutNulls(obj) as Record<string, unknown>;
  delete out.status;
  if (isRecord(out.metadata)) {
    const metadata = out.metadata as Record<string, unknown>;
    for (const field of SERVER_METADATA) delete metadata[field];
  }
  if (isSecret(obj)) hashSecretData(out, source);
  return out;
}
