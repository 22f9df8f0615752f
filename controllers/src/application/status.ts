import { ConditionReason, ConditionType, type HealthStatusCode, type OperationState, type SyncStatusCode } from '@beamline/api';

/** A condition as computed, before its bookkeeping fields (generation, transition time) are added. */
export interface ApplicationConditionValue {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

/**
 * What one pass of the Application reconciler observed: the input of {@link computeApplicationStatus}.
 * One of: the destination could not be used, the app's project may not deliver there, the source could not be loaded, the destination did
 * not answer the comparison, the objects were compared, or a sync request was refused before
 * anything was looked at (which changes no condition).
 */
export type ApplicationObservation =
  | { readonly kind: 'DestinationNotReady'; readonly message: string; readonly previousRevision?: string }
  | { readonly kind: 'DestinationNotPermitted'; readonly message: string; readonly previousRevision?: string }
  | { readonly kind: 'SourceFailed'; readonly reason: typeof ConditionReason.FetchFailed | typeof ConditionReason.RenderFailed; readonly message: string; readonly previousRevision?: string }
  | { readonly kind: 'CompareFailed'; readonly message: string; readonly revision: string }
  | {
      readonly kind: 'Compared';
      readonly revision: string;
      readonly sync: SyncStatusCode;
      readonly health: { readonly status: HealthStatusCode; readonly message: string };
      /** Desired objects out of sync plus inventory entries to prune. */
      readonly outOfSyncCount: number;
      /** The operation in status at the end of the pass (just finished, or an older one). */
      readonly operation?: Pick<OperationState, 'phase' | 'message' | 'revision'>;
    }
  | { readonly kind: 'RequestRefused' };

/** The computed part of an Application's status: conditions, and the sync and health fields when they change. */
export interface ComputedApplicationStatus {
  /** Ready, Reconciling and Stalled; empty when the observation changes none. */
  readonly conditions: readonly ApplicationConditionValue[];
  /** `status.sync`; undefined = kept as stored. */
  readonly sync?: { readonly status: SyncStatusCode; readonly revision?: string };
  /** `status.health`; undefined = kept as stored. */
  readonly health?: { readonly status: HealthStatusCode; readonly message?: string };
}

/**
 * Turns an observation into conditions and the sync/health fields. Pure and total: every
 * observation but a refused request sets Ready, Reconciling and Stalled, each with a reason.
 * None is Stalled today: every failure an app sees may go away by itself (a server comes back,
 * a cluster resumes), and the app looks again with backoff.
 */
export function computeApplicationStatus(observed: ApplicationObservation): ComputedApplicationStatus {
  switch (observed.kind) {
    case 'RequestRefused':
      return { conditions: [] };
    case 'DestinationNotReady':
      return { conditions: notReady(ConditionReason.DestinationNotReady, observed.message), sync: unknownSync(observed.previousRevision) };
    case 'DestinationNotPermitted':
      // Not Stalled either: a Project, a namespace label or the destination may change, and the app looks again then.
      return { conditions: notReady(ConditionReason.DestinationNotPermitted, observed.message), sync: unknownSync(observed.previousRevision) };
    case 'SourceFailed':
      return { conditions: notReady(observed.reason, observed.message), sync: unknownSync(observed.previousRevision) };
    case 'CompareFailed':
      return { conditions: notReady(ConditionReason.DestinationNotReady, observed.message), sync: { status: 'Unknown', revision: observed.revision } };
    case 'Compared': {
      const sync = { status: observed.sync, revision: observed.revision };
      const health = observed.health.message === '' ? { status: observed.health.status } : { status: observed.health.status, message: observed.health.message };
      return { conditions: comparedConditions(observed), sync, health };
    }
  }
}

function comparedConditions(observed: Extract<ApplicationObservation, { kind: 'Compared' }>): ApplicationConditionValue[] {
  const failed = observed.operation?.phase === 'Failed' || observed.operation?.phase === 'Error';
  const operationForTarget = observed.operation?.revision === observed.revision;
  if (observed.sync === 'OutOfSync') {
    const syncFailed = failed && operationForTarget;
    const reason = syncFailed ? ConditionReason.SyncFailed : ConditionReason.OutOfSync;
    const message = syncFailed ? (observed.operation?.message ?? 'sync failed') : `${observed.outOfSyncCount} objects out of sync`;
    return triple(['False', reason], ['False', reason], ['False', reason], message);
  }
  if (observed.health.status !== 'Healthy') {
    const message = observed.health.message || observed.health.status;
    return triple(['False', ConditionReason.NotHealthy], [observed.health.status === 'Progressing' ? 'True' : 'False', ConditionReason.Progressing], ['False', ConditionReason.NotHealthy], message);
  }
  const message = `synced to ${shortRevision(observed.revision)}; ${observed.health.message}`;
  return triple(['True', ConditionReason.Available], ['False', ConditionReason.Available], ['False', ConditionReason.Available], message);
}

/** Ready, Reconciling and Stalled all False for the same reason (nothing in progress, nothing stalled). */
function notReady(reason: string, message: string): ApplicationConditionValue[] {
  return triple(['False', reason], ['False', reason], ['False', reason], message);
}

type StatusReason = readonly ['True' | 'False', string];

function triple(ready: StatusReason, reconciling: StatusReason, stalled: StatusReason, message: string): ApplicationConditionValue[] {
  return [
    { type: ConditionType.Ready, status: ready[0], reason: ready[1], message },
    { type: ConditionType.Reconciling, status: reconciling[0], reason: reconciling[1], message },
    { type: ConditionType.Stalled, status: stalled[0], reason: stalled[1], message },
  ];
}

function unknownSync(revision: string | undefined): { status: SyncStatusCode; revision?: string } {
  return { status: 'Unknown', ...(revision === undefined ? {} : { revision }) };
}

/** The first 7 characters of a commit id; any other revision (a chart version) as it is. */
export function shortRevision(revision: string): string {
  return /^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 7) : revision;
}
