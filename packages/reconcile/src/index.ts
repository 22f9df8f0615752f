export { findCondition, isConditionTrue, kubeTime, setCondition, type Condition, type ConditionInput, type ConditionStatus } from './conditions.ts';
export {
  outcomeOf,
  ownerRequests,
  parseKey,
  requestKey,
  requestOf,
  type CacheReader,
  type Controller,
  type NextStep,
  type Outcome,
  type ReconcileContext,
  type Reconciler,
  type ReconcileRequest,
  type Result,
  type WatchedKind,
} from './controller.ts';
export { ExternalTrigger, type TriggerSink } from './external-trigger.ts';
export { isApiError, isConflict, isNotFound, KubeApiError, RequeueError, TerminalError } from './errors.ts';
export { addFinalizer, hasFinalizer, isDeleting, removeFinalizer } from './finalizers.ts';
export { Informer, type InformerEvent, type InformerHandler, type InformerOptions } from './informer.ts';
export {
  clientFor,
  FIELD_MANAGER,
  groupOf,
  KubeClient,
  resourcePath,
  type KubeList,
  type KubeObject,
  type ObjectMeta,
  type OwnerReference,
  type PatchOptions,
  type PatchType,
  type RequestOptions,
  type ResourceType,
} from './kube-client.ts';
export { LEASE_RESOURCE, LeaderElector, microTime, type LeaderCallbacks, type LeaderElectionOptions, type Lease, type LeaseSpec } from './leader-election.ts';
export { Manager, type ManagerOptions, type Readiness } from './manager.ts';
export { createManagerMetrics, RECONCILE_RESULTS, type ManagerMetrics, type ReconcileResultLabel } from './metrics.ts';
export { describeObject, identify, mergePatchOf, patchStatus, resourceOf, type ObjectWriteOptions, type WithStatus } from './patch-status.ts';
export { systemClock, WorkQueue, type Clock, type WorkQueueOptions } from './work-queue.ts';
