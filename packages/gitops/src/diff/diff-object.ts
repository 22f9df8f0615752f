import type { Manifest } from '../render/manifest.ts';
import { deleteAtPointer, formatJsonPointer, parseJsonPointer } from './json-pointer.ts';
import { isRecord, type JsonRecord } from './json.ts';
import { keyString, listElementKey, SET_LISTS } from './list-keys.ts';
import { elementChild, fieldChild, ownership, type FieldsNode } from './managed-fields.ts';
import { isSecret, normalizeObject, REDACTED } from './normalize.ts';
import { parseQuantity, quantitiesEqual } from './quantity.ts';

/** Options of {@link diffObject} and {@link unifiedDiff}. */
export interface DiffOptions {
  /**
   * RFC 6901 JSON pointers (`/spec/replicas`, `/metadata/annotations/a~1b`) of fields to leave out
   * of the comparison. Each is removed from the desired and from the live object (array indexes
   * count in each object separately), as Argo CD's `ignoreDifferences.jsonPointers` does.
   */
  readonly ignoreDifferences?: readonly string[];
  /**
   * The server-side apply field manager that applies desired objects (default `beamline`). Fields
   * this manager applied earlier, that the desired object no longer sets and nobody else owns, are
   * differences: the next apply removes them.
   */
  readonly fieldManager?: string;
}

/** One difference: where (a JSON pointer), what the desired object sets, what is live. */
export interface DiffChange {
  /**
   * A JSON pointer into the desired object (array indexes are the desired object's); into the live
   * object for fields that only live has. `''` is the whole object (live is missing).
   */
  readonly path: string;
  /** The desired value; `undefined` when the desired object no longer sets it. Secret values are `<redacted>`. */
  readonly desired: unknown;
  /** The live value; `undefined` when live does not have it. Secret values are `<redacted>`. */
  readonly live: unknown;
}

/** The result of {@link diffObject}. */
export interface DiffResult {
  /** No changes: applying the desired object would change nothing the desired object cares about. */
  readonly inSync: boolean;
  readonly changes: readonly DiffChange[];
}

/** The manager Beamline applies with (docs: architecture, GitOps engine). */
export const DEFAULT_FIELD_MANAGER = 'beamline';

// Maps whose values are resource quantities (resources.requests/limits, ResourceQuota hard,
// LimitRange min/max/default…, PV capacity, RuntimeClass overhead), plus emptyDir `sizeLimit`.
const QUANTITY_MAPS = new Set(['requests', 'limits', 'hard', 'used', 'capacity', 'allocatable', 'overhead', 'default', 'defaultRequest', 'max', 'min', 'maxLimitRequestRatio']);
const QUANTITY_FIELDS = new Set(['sizeLimit']);

// Go `map` fields are left out of the API server's JSON when empty, so `annotations: {}` in a
// manifest matches a live object without annotations. Struct fields stay (`emptyDir: {}` is
// returned as `emptyDir: {}`), so there `{}` against nothing is a difference.
const MAP_FIELDS = new Set([
  'labels', 'annotations', 'nodeSelector', 'data', 'binaryData', 'stringData', 'matchLabels', 'selector', 'parameters',
  ...QUANTITY_MAPS,
]);

// Where the comparison is: pointer tokens on both sides, the field names around, who owns it.
interface Context {
  readonly path: readonly (string | number)[];
  readonly livePath: readonly (string | number)[];
  /** The field holding this value; `undefined` for list elements. */
  readonly field: string | undefined;
  /** The field holding the parent (for a list element: the list's field). */
  readonly parentField: string | undefined;
  readonly ours: FieldsNode | undefined;
  readonly others: FieldsNode | undefined;
  readonly changes: RawChange[];
}

interface RawChange {
  readonly path: readonly (string | number)[];
  readonly desired: unknown;
  readonly live: unknown;
}

function fieldContext(ctx: Context, field: string, changes: RawChange[] = ctx.changes): Context {
  return {
    path: [...ctx.path, field],
    livePath: [...ctx.livePath, field],
    field,
    parentField: ctx.field,
    ours: fieldChild(ctx.ours, field),
    others: fieldChild(ctx.others, field),
    changes,
  };
}

function elementContext(ctx: Context, index: number, liveIndex: number, liveElement: unknown, changes: RawChange[] = ctx.changes): Context {
  return {
    path: [...ctx.path, index],
    livePath: [...ctx.livePath, liveIndex],
    field: undefined,
    parentField: ctx.field,
    ours: elementChild(ctx.ours, liveElement),
    others: elementChild(ctx.others, liveElement),
    changes,
  };
}

function isQuantityContext(ctx: Context): boolean {
  return (ctx.parentField !== undefined && QUANTITY_MAPS.has(ctx.parentField)) || (ctx.field !== undefined && QUANTITY_FIELDS.has(ctx.field));
}

function scalarsEqual(desired: unknown, live: unknown, ctx: Context): boolean {
  if (desired === live) return true;
  const numeric = (value: unknown): value is string | number => typeof value === 'string' || typeof value === 'number';
  if (!numeric(desired) || !numeric(live)) return false;
  if (isQuantityContext(ctx)) {
    const a = parseQuantity(desired);
    const b = parseQuantity(live);
    if (a !== undefined && b !== undefined) return quantitiesEqual(a, b);
  }
  // A number written as a string (`"8080"`) and the number the server returns: same value. Only
  // the exact decimal form counts, so "08080" or "8080.0" still differ.
  if (typeof desired === 'number' && typeof live === 'string') return String(desired) === live;
  if (typeof desired === 'string' && typeof live === 'number') return desired === String(live);
  return false;
}

function isEmpty(value: unknown): boolean {
  return (Array.isArray(value) && value.length === 0) || (isRecord(value) && Object.keys(value).length === 0);
}

// Compares a desired value with the live one and returns the live value as far as the desired one
// reaches (the "projection" a unified diff shows). Where the two are equal, the projection is the
// desired value itself, so that equal-but-differently-written values show no diff line.
function compareValue(desired: unknown, live: unknown, ctx: Context): unknown {
  if (isRecord(desired)) return compareRecord(desired, live, ctx);
  if (Array.isArray(desired)) return compareList(desired, live, ctx);
  if (scalarsEqual(desired, live, ctx)) return desired;
  ctx.changes.push({ path: ctx.path, desired, live });
  return live;
}

function compareRecord(desired: JsonRecord, live: unknown, ctx: Context): unknown {
  if (!isRecord(live)) {
    if (live === undefined && isEmpty(desired) && ctx.field !== undefined && MAP_FIELDS.has(ctx.field)) return desired;
    ctx.changes.push({ path: ctx.path, desired, live });
    return live;
  }
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(desired)) {
    const projected = compareValue(value, live[field], fieldContext(ctx, field));
    if (projected !== undefined) out[field] = projected;
  }
  for (const [field, value] of Object.entries(live)) {
    if (Object.hasOwn(desired, field)) continue;
    const removed = collectRemoved(value, fieldContext(ctx, field));
    if (removed !== undefined) out[field] = removed;
  }
  return out;
}

function compareList(desired: readonly unknown[], live: unknown, ctx: Context): unknown {
  if (!Array.isArray(live)) {
    // Go slices are left out of the JSON when empty: `args: []` matches no args.
    if (live === undefined && desired.length === 0) return desired;
    ctx.changes.push({ path: ctx.path, desired, live });
    return live;
  }
  if (ctx.field !== undefined && SET_LISTS.has(ctx.field)) return compareSet(desired, live, ctx);
  return compareKeyedList(desired, live, ctx) ?? compareAtomicList(desired, live, ctx);
}

// A set (finalizers): every desired element must be live; others may add their own.
function compareSet(desired: readonly unknown[], live: readonly unknown[], ctx: Context): unknown {
  const missing = desired.some((element) => !live.some((other) => scalarsEqual(element, other, ctx)));
  if (missing) {
    ctx.changes.push({ path: ctx.path, desired, live });
    return live;
  }
  const out: unknown[] = [...desired];
  for (const element of live) {
    if (desired.some((other) => scalarsEqual(other, element, ctx))) continue;
    const removed = collectRemoved(element, elementContext(ctx, out.length, live.indexOf(element), element));
    if (removed !== undefined) out.push(removed);
  }
  return out;
}

// A list of objects with a merge key (containers by name, ports by number and protocol, …): each
// desired element is compared with the live element of the same key, wherever it is; live elements
// of other keys belong to someone else (an injected sidecar, a defaulted env). `undefined` when the
// desired list cannot be keyed (an element without the key, or a key twice): then it is atomic.
function compareKeyedList(desired: readonly unknown[], live: readonly unknown[], ctx: Context): unknown[] | undefined {
  const desiredKeys: string[] = [];
  for (const element of desired) {
    const key = listElementKey(ctx.field, element);
    if (key === undefined) return undefined;
    desiredKeys.push(keyString(key));
  }
  if (new Set(desiredKeys).size !== desiredKeys.length) return undefined;
  const liveByKey = new Map<string, number>();
  for (const [index, element] of live.entries()) {
    const key = listElementKey(ctx.field, element);
    if (key !== undefined && !liveByKey.has(keyString(key))) liveByKey.set(keyString(key), index);
  }
  const out: unknown[] = [];
  const matched = new Set<number>();
  for (const [index, element] of desired.entries()) {
    const liveIndex = liveByKey.get(desiredKeys[index] ?? '');
    if (liveIndex === undefined) {
      ctx.changes.push({ path: [...ctx.path, index], desired: element, live: undefined });
      continue;
    }
    matched.add(liveIndex);
    const projected = compareValue(element, live[liveIndex], elementContext(ctx, index, liveIndex, live[liveIndex]));
    if (projected !== undefined) out.push(projected);
  }
  for (const [liveIndex, element] of live.entries()) {
    if (matched.has(liveIndex)) continue;
    const removed = collectRemoved(element, elementContext(ctx, out.length, liveIndex, element));
    if (removed !== undefined) out.push(removed);
  }
  return out;
}

// Any other list is atomic: apply replaces it whole, so the lengths must match and the elements,
// pairwise, compare as any value does (an element object may have fields the server defaulted).
function compareAtomicList(desired: readonly unknown[], live: readonly unknown[], ctx: Context): unknown {
  const sameLength = desired.length === live.length;
  const sink = sameLength ? ctx.changes : [];
  const out: unknown[] = [];
  for (const [index, element] of desired.entries()) {
    if (index >= live.length) break;
    out.push(compareValue(element, live[index], { ...elementContext(ctx, index, index, live[index], sink), ours: undefined, others: undefined }));
  }
  out.push(...live.slice(desired.length));
  if (!sameLength) ctx.changes.push({ path: ctx.path, desired, live });
  return out;
}

// A live value the desired object does not set. It is a difference only if our field manager
// applied it before and nobody else owns it: then the next apply removes it. Anything else (defaults,
// other controllers' fields) is not ours to compare. Returns the part that would be removed.
function collectRemoved(live: unknown, ctx: Context): unknown {
  if (ctx.ours === undefined) return undefined;
  if (ctx.others === undefined) {
    ctx.changes.push({ path: ctx.livePath, desired: undefined, live });
    return live;
  }
  if (isRecord(live)) {
    const out: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(live)) {
      const removed = collectRemoved(value, fieldContext(ctx, field));
      if (removed !== undefined) out[field] = removed;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (Array.isArray(live)) {
    const out = live.map((element, index) => collectRemoved(element, elementContext(ctx, index, index, element))).filter((value) => value !== undefined);
    return out.length > 0 ? out : undefined;
  }
  return undefined;
}

/** The normalised objects a comparison ran on, and what it found (for {@link unifiedDiff}). */
export interface Comparison {
  /** The desired object as compared: normalised, ignored fields removed, Secret values hashed. */
  readonly desired: Record<string, unknown>;
  /** The live object as far as the desired one reaches; `undefined` when live is missing. */
  readonly live: Record<string, unknown> | undefined;
  readonly result: DiffResult;
  /** Whether `data` holds Secret values (hashed here, to be shown redacted). */
  readonly secret: boolean;
}

function withoutIgnored(obj: Record<string, unknown>, pointers: readonly (readonly string[])[]): Record<string, unknown> {
  for (const tokens of pointers) deleteAtPointer(obj, tokens);
  return obj;
}

function redactSecretValues(value: unknown): unknown {
  if (!isRecord(value)) return value === undefined ? undefined : REDACTED;
  return Object.fromEntries(Object.keys(value).map((key) => [key, REDACTED]));
}

// Secret values never leave: a change at or under `data` shows `<redacted>` in place of values.
function redactChange(change: RawChange, secret: boolean): DiffChange {
  const path = formatJsonPointer(change.path);
  if (!secret) return { path, desired: change.desired, live: change.live };
  const [first] = change.path;
  if (change.path.length === 0) {
    const redactObject = (value: unknown): unknown => (isRecord(value) && isRecord(value.data) ? { ...value, data: redactSecretValues(value.data) } : value);
    return { path, desired: redactObject(change.desired), live: redactObject(change.live) };
  }
  if (first !== 'data') return { path, desired: change.desired, live: change.live };
  if (change.path.length === 1) return { path, desired: redactSecretValues(change.desired), live: redactSecretValues(change.live) };
  return { path, desired: change.desired === undefined ? undefined : REDACTED, live: change.live === undefined ? undefined : REDACTED };
}

/**
 * Compares as {@link diffObject} does and also returns the normalised desired object and the
 * projection of live that it was compared with (the input of {@link unifiedDiff}).
 */
export function compareObjects(desired: Manifest, live: Manifest | undefined, options: DiffOptions = {}): Comparison {
  const pointers = (options.ignoreDifferences ?? []).map((pointer) => {
    const tokens = parseJsonPointer(pointer);
    if (tokens.length === 0) throw new Error('invalid ignoreDifferences pointer "": it would ignore the whole object');
    return tokens;
  });
  const secret = isSecret(desired);
  const normalizedDesired = withoutIgnored(normalizeObject(desired, 'desired'), pointers);
  if (live === undefined) {
    const change = redactChange({ path: [], desired: normalizedDesired, live: undefined }, secret);
    return { desired: normalizedDesired, live: undefined, result: { inSync: false, changes: [change] }, secret };
  }
  const normalizedLive = withoutIgnored(normalizeObject(live, 'live'), pointers);
  const { ours, others } = ownership(live, options.fieldManager ?? DEFAULT_FIELD_MANAGER);
  const changes: RawChange[] = [];
  const root: Context = { path: [], livePath: [], field: undefined, parentField: undefined, ours, others, changes };
  // apiVersion and kind say which object this is, not what it should look like: the caller matched
  // live to desired by them already (and may have read live at another version).
  const { apiVersion, kind, ...desiredRest } = normalizedDesired;
  const { apiVersion: _liveVersion, kind: _liveKind, ...liveRest } = normalizedLive;
  const projected = compareRecord(desiredRest, liveRest, root) as Record<string, unknown>;
  const projectedLive = { apiVersion, kind, ...projected };
  return {
    desired: normalizedDesired,
    live: projectedLive,
    result: { inSync: changes.length === 0, changes: changes.map((change) => redactChange(change, secret)) },
    secret,
  };
}

/**
 * Compares a desired object (rendered from git) with the live one (as the API server returns it)
 * the way server-side apply sees them: only what the desired object sets counts. Live-only fields
 * (defaults, `status`, server metadata, labels and annotations others added, containers a webhook
 * injected) are not differences, unless our field manager applied them before (then the next apply
 * removes them). Lists of containers, volumes, env, ports, volumeMounts, … are matched by their
 * merge key; other lists compare whole. Quantities compare by amount (`1` = `"1000m"`, `1Gi` =
 * `1073741824`), a number equals its decimal string, and Secret values are compared by SHA-256 and
 * shown as `<redacted>`. `live` undefined (not in the cluster) is one change at path `''`.
 * Throws on an invalid `ignoreDifferences` pointer.
 */
export function diffObject(desired: Manifest, live: Manifest | undefined, options: DiffOptions = {}): DiffResult {
  return compareObjects(desired, live, options).result;
}
