// Readers for the untyped JSON of live objects: a rule never trusts a field to have its documented
// type, since status is written by controllers of any version (or not yet written at all).

/** A JSON object (not an array, not null). */
export type JsonRecord = Readonly<Record<string, unknown>>;

/** Whether `value` is a JSON object. */
export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `value` if it is a JSON object, else an empty one. */
export function record(value: unknown): JsonRecord {
  return isRecord(value) ? value : {};
}

/** `value` if it is an array, else an empty one. */
export function array(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** `value` if it is a string, else `undefined`. */
export function string(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** `value` if it is a finite number, else `undefined`. */
export function number(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A status condition, as far as health rules read one. */
export interface ConditionView {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

/** The conditions in `status.conditions` (or any array of them), skipping malformed entries. */
export function conditions(value: unknown): ConditionView[] {
  return array(value)
    .filter(isRecord)
    .map((entry) => ({
      type: string(entry.type) ?? '',
      status: string(entry.status) ?? '',
      reason: string(entry.reason) ?? '',
      message: string(entry.message) ?? '',
    }))
    .filter((entry) => entry.type !== '');
}

/** The condition of `type`, if present. */
export function findCondition(list: readonly ConditionView[], type: string): ConditionView | undefined {
  return list.find((entry) => entry.type === type);
}

/** `reason: message`, or whichever of the two is set. */
export function reasonAndMessage(condition: { readonly reason: string; readonly message: string }): string {
  return [condition.reason, condition.message].filter((part) => part !== '').join(': ');
}
