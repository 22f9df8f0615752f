/** The status of a condition. */
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A status condition, shaped like `metav1.Condition`. */
export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  /** CamelCase, always set: why the condition has this status. */
  readonly reason: string;
  /** For people; may be empty. */
  readonly message: string;
  /** The `metadata.generation` the condition was computed from. */
  readonly observedGeneration?: number;
  /** When the status last changed (RFC 3339, seconds). */
  readonly lastTransitionTime: string;
}

/** A condition to set: everything but the transition time, which {@link setCondition} manages. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/** The Kubernetes `metav1.Time` form of a date: RFC 3339 in UTC, whole seconds. */
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Returns `conditions` with `condition` set (the input is not changed): replaced in place when a
 * condition of its type exists, appended otherwise. `lastTransitionTime` is kept while the status
 * stays the same (a new reason or message is not a transition) and set to `now` when it changes.
 */
export function setCondition(conditions: readonly Condition[] | undefined, condition: ConditionInput, now: Date = new Date()): Condition[] {
  const list = conditions ?? [];
  const index = list.findIndex((entry) => entry.type === condition.type);
  const previous = index === -1 ? undefined : list[index];
  const lastTransitionTime = previous !== undefined && previous.status === condition.status ? previous.lastTransitionTime : kubeTime(now);
  const next: Condition = { ...condition, lastTransitionTime };
  return index === -1 ? [...list, next] : list.map((entry, i) => (i === index ? next : entry));
}

/** The condition of `type`, if set. */
export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((entry) => entry.type === type);
}

/** Whether the condition of `type` is set with status `True`. */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}
