import { setCondition, type Condition } from '@beamline/kube';

/** The owned conditions of one reconcile pass, each stamped with the generation it observed. */
export interface ConditionSet {
  set(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string): void;
  /** The merged conditions, ready for status. */
  readonly conditions: () => Condition[];
}

/**
 * Starts from the stored conditions and sets the ones this controller owns: `lastTransitionTime`
 * moves only when a status changes (setCondition), and every condition carries `observedGeneration`.
 */
export function conditionSet(stored: readonly Condition[] | undefined, generation: number | undefined, now = new Date()): ConditionSet {
  let conditions = [...(stored ?? [])];
  return {
    set: (type, status, reason, message) => {
      conditions = setCondition(conditions, { type, status, reason, message, ...(generation === undefined ? {} : { observedGeneration: generation }) }, now);
    },
    conditions: () => conditions,
  };
}
