/** A condition as Kubernetes' metav1.Condition. */
export interface ConditionValue {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

/** A condition with its bookkeeping fields, as stored in status. */
export interface StoredCondition extends ConditionValue {
  readonly lastTransitionTime: string;
  readonly observedGeneration?: number;
}

/**
 * Merges freshly computed conditions into the stored ones: `lastTransitionTime` moves only when the
 * status changes, and conditions this controller no longer computes are kept as they are (they may
 * belong to someone else).
 */
export function mergeConditions(
  stored: readonly StoredCondition[] | undefined,
  computed: readonly ConditionValue[],
  observedGeneration: number | undefined,
  now: Date,
): StoredCondition[] {
  const previous = new Map((stored ?? []).map((condition) => [condition.type, condition]));
  const merged: StoredCondition[] = computed.map((condition) => {
    const before = previous.get(condition.type);
    const lastTransitionTime = before !== undefined && before.status === condition.status ? before.lastTransitionTime : now.toISOString();
    return { ...condition, lastTransitionTime, ...(observedGeneration === undefined ? {} : { observedGeneration }) };
  });
  const computedTypes = new Set(computed.map((condition) => condition.type));
  for (const condition of stored ?? []) if (!computedTypes.has(condition.type)) merged.push(condition);
  return merged;
}
