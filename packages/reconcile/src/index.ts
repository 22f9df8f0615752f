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
export { RequeueError, TerminalError } from './errors.ts';
export { Informer, type InformerEvent, type InformerHandler, type InformerOptions } from './informer.ts';
export { LEASE_RESOURCE, LeaderElector, microTime, type LeaderCallbacks, type LeaderElectionOptions, type Lease, type LeaseSpec } from './leader-election.ts';
export { Manager, type ManagerOptions, type Readiness } from './manager.ts';
export { createManagerMetrics, RECONCILE_RESULTS, type ManagerMetrics, type ReconcileResultLabel } from './metrics.ts';
export { systemClock, WorkQueue, type Clock, type WorkQueueOptions } from './work-queue.ts';
