import type { Manifest } from '../render/manifest.ts';
import { isRecord, type JsonRecord } from './json.ts';

/** A node of a `FieldsV1` tree (`{"f:spec": {"f:replicas": {}}}`). */
export type FieldsNode = JsonRecord;

/** Who owns which fields of a live object: our field manager's applies, and everyone else. */
export interface Ownership {
  readonly ours: FieldsNode | undefined;
  readonly others: FieldsNode | undefined;
}

function merge(a: FieldsNode | undefined, b: FieldsNode): FieldsNode {
  if (a === undefined) return b;
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const existing = out[key];
    out[key] = isRecord(existing) && isRecord(value) ? merge(existing, value) : value;
  }
  return out;
}

/**
 * Splits `metadata.managedFields` of a live object into the fields `manager` owns through
 * server-side apply (operation `Apply`, main resource) and the fields any other manager, or the same
 * manager through other operations, owns.
 */
export function ownership(live: Manifest, manager: string): Ownership {
  let ours: FieldsNode | undefined;
  let others: FieldsNode | undefined;
  const entries = Array.isArray(live.metadata.managedFields) ? (live.metadata.managedFields as unknown[]) : [];
  for (const entry of entries) {
    if (!isRecord(entry) || !isRecord(entry.fieldsV1)) continue;
    const mine = entry.manager === manager && entry.operation === 'Apply' && (entry.subresource === undefined || entry.subresource === '');
    if (mine) ours = merge(ours, entry.fieldsV1);
    else others = merge(others, entry.fieldsV1);
  }
  return { ours, others };
}

/** The subtree of a field (`f:<name>`). */
export function fieldChild(node: FieldsNode | undefined, field: string): FieldsNode | undefined {
  const child = node?.[`f:${field}`];
  return isRecord(child) ? child : undefined;
}

// Key values in FieldsV1 are JSON scalars; a number and its decimal string name the same element.
function sameScalar(a: unknown, b: unknown): boolean {
  const scalar = (value: unknown): value is string | number | boolean => typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  return a === b || (scalar(a) && scalar(b) && String(a) === String(b));
}

/**
 * The subtree of a list element: `k:{"name":"web"}` for an element of a keyed list whose key fields
 * match `element`, `v:"x"` for an element of a set.
 */
export function elementChild(node: FieldsNode | undefined, element: unknown): FieldsNode | undefined {
  if (node === undefined) return undefined;
  for (const [segment, child] of Object.entries(node)) {
    if (!isRecord(child)) continue;
    if (segment.startsWith('k:') && isRecord(element)) {
      const key = parseSegment(segment);
      if (isRecord(key) && Object.entries(key).every(([field, value]) => sameScalar(element[field], value))) return child;
    } else if (segment.startsWith('v:')) {
      if (JSON.stringify(parseSegment(segment)) === JSON.stringify(element)) return child;
    }
  }
  return undefined;
}

function parseSegment(segment: string): unknown {
  try {
    return JSON.parse(segment.slice(2)) as unknown;
  } catch {
    return undefined;
  }
}
