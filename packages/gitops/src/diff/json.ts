/** A JSON object (not an array, not null). */
export type JsonRecord = Readonly<Record<string, unknown>>;

/** Whether `value` is a JSON object. */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A deep copy of JSON data with `null` values of object fields dropped (in a manifest, `field: null`
 * or a bare `field:` sets nothing; YAML templating leaves many of them). `undefined` stays out too.
 */
export function cloneWithoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneWithoutNulls);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      if (field === null || field === undefined) continue;
      out[key] = cloneWithoutNulls(field);
    }
    return out;
  }
  return value;
}
