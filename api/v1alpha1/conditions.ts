/**
 * Condition types and reasons: the ones every kind shares here, each kind's own in its kind file,
 * and their union (`ConditionType`, `ConditionReason`), which controllers and clients use.
 */
import { ApplicationConditionReason } from './application.ts';
import { ClusterConditionReason, ClusterConditionType } from './cluster.ts';
import { ClusterTemplateConditionReason } from './clustertemplate.ts';
import { NodeGroupConditionReason } from './nodegroup.ts';

/** The condition types every kind has (kstatus). */
export const CommonConditionType = {
  /** The object is what its spec asks for and works. */
  Ready: 'Ready',
  /** The controller is working towards the spec (kstatus: present and True only while it does). */
  Reconciling: 'Reconciling',
  /** The controller cannot make progress without a change from someone (kstatus: True only then). */
  Stalled: 'Stalled',
} as const;

/** The condition reasons every controller may set. */
export const CommonConditionReason = {
  /** Ready=True: everything the spec asks for is up (also the reason of Reconciling/Stalled=False then). */
  Available: 'Available',
  /** Stalled=False while the controller is still working towards the spec. */
  Progressing: 'Progressing',
  /** Every condition while the object is being deleted (finalizer work in progress). */
  Deleting: 'Deleting',
} as const;

/** Condition types. Every kind has Ready, Reconciling and Stalled; Clusters also ControlPlaneReady and NodesReady. */
export const ConditionType = { ...CommonConditionType, ...ClusterConditionType } as const;

/** The condition reasons the controllers set (CamelCase, stable: clients may match on them). */
export const ConditionReason = {
  ...CommonConditionReason,
  ...ClusterConditionReason,
  ...NodeGroupConditionReason,
  ...ApplicationConditionReason,
  ...ClusterTemplateConditionReason,
} as const;

/** A condition type of this API. */
export type ConditionTypeName = (typeof ConditionType)[keyof typeof ConditionType];
/** A condition reason of this API. */
export type ConditionReasonName = (typeof ConditionReason)[keyof typeof ConditionReason];
