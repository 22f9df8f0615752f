import { isDeepStrictEqual } from 'node:util';
import type { Application, OperationState, SyncRequest, SyncStatusCode } from '@beamline/api';
import { isDestinationFailure } from './destination-errors.ts';
import { redactSource } from './source-credentials.ts';

/** After a sync, drift is healed only once this long has passed: the watch caches catch up with the sync's own writes first. */
export const SELF_HEAL_GRACE_MS = 1_000;

/** What {@link decideSync} looks at: the app as stored, what this pass loaded and compared, and the controller's memory. */
export interface SyncDecisionInput {
  /** The app as stored: its sync policy, source, destination, last operation and history. */
  readonly app: Pick<Application, 'spec' | 'status'>;
  /** The unhandled sync request, if any. */
  readonly request: SyncRequest | undefined;
  /** The request is a rollback to a history entry that exists (and automated sync is off). */
  readonly rollback: boolean;
  /** The revision this pass loaded. */
  readonly revision: string;
  /** The comparison: the app's sync status and how many desired objects differ (extra inventory entries not counted). */
  readonly comparison: { readonly sync: SyncStatusCode; readonly outOfSyncCount: number };
  /** Now, in ms. */
  readonly now: number;
  /** When this controller last synced the app (ms; 0 = not since it started). */
  readonly lastSyncAt: number;
  /** Automated syncs in a row that failed because of the destination (memory only). */
  readonly destinationFailures: number;
}

/** Who started a sync. */
export type SyncInitiator = 'manual' | 'automated' | 'rollback';

/** Sync now (started by whom, with prune or not, the retry it is), or not (and maybe when to look again). */
export type SyncDecision =
  | { readonly sync: true; readonly initiatedBy: SyncInitiator; readonly prune: boolean; readonly retryCount?: number; readonly retryAt?: undefined }
  | {
      readonly sync: false;
      /** When a retry or a self-heal becomes due. */
      readonly retryAt?: number;
      /** A `Running` operation cut short while automated sync was turned off: to be recorded as ended. */
      readonly interrupted?: OperationState;
    };

/**
 * Whether to sync now: Argo CD's rules (docs/design/gitops-controller.md, "When to sync"). Pure:
 * a rollback or sync request always syncs; an interrupted `Running` operation is run again (or
 * ended when auto-sync is off); automated sync applies a target (revision, source, destination)
 * once, retries a failed one by the retry policy (a destination's failures back off without using
 * up the limit), syncs once more to clear a stale failed operation, and heals drift only with
 * selfHeal and after {@link SELF_HEAL_GRACE_MS}.
 */
export function decideSync(input: SyncDecisionInput): SyncDecision {
  const { app, request, now } = input;
  if (input.rollback) return { sync: true, initiatedBy: 'rollback', prune: request?.prune ?? false, retryCount: 0 };
  const automated = app.spec.syncPolicy?.automated;
  if (request !== undefined) return { sync: true, initiatedBy: 'manual', prune: request.prune ?? automated?.prune ?? false };
  const last = app.status?.operationState;
  // A pass ends every operation it starts: one still Running here was cut short (the manager was
  // killed or stopped during the sync). Run it again even when everything is applied by now, or
  // it stays Running for good, missing from the history, and `app wait` never ends.
  if (automated !== undefined && last?.phase === 'Running') return { sync: true, initiatedBy: 'automated', prune: automated.prune ?? false };
  if (automated === undefined) {
    // Cut short, and auto-sync was turned off meanwhile: end it as interrupted rather than leave it Running.
    if (last?.phase === 'Running') {
      return { sync: false, interrupted: { ...last, phase: 'Error', message: 'interrupted: the manager stopped during the sync, and automated sync is off now', finishedAt: new Date(now).toISOString() } };
    }
    return { sync: false };
  }
  const prune = automated.prune ?? false;
  const lastSynced = app.status?.history?.at(-1);
  // A changed destination is a new target too (entries written before destinations were recorded count as the same).
  const sameDestination = lastSynced?.destination === undefined || isDeepStrictEqual(lastSynced.destination, { cluster: app.spec.destination.cluster, namespace: app.spec.destination.namespace });
  const sameTarget = lastSynced !== undefined && lastSynced.revision === input.revision && isDeepStrictEqual(lastSynced.source, redactSource(app.spec.source)) && sameDestination;
  const retrying = last !== undefined && last.initiatedBy !== 'manual' && last.initiatedBy !== 'rollback' && (last.phase === 'Failed' || last.phase === 'Error') && last.revision === input.revision && !sameTarget;
  // Everything is in place, yet the last automated sync of this target failed (the destination
  // was resuming, say, and came back): one more sync records it as succeeded, so a stale Failed
  // operation does not stay in status for good. Otherwise a synced app needs nothing.
  if (input.comparison.sync === 'Synced' && !retrying) return { sync: false };
  // Only pruning left, and prune is off: nothing an automated sync would change.
  if (input.comparison.sync !== 'Synced' && input.comparison.outOfSyncCount === 0 && !prune) return { sync: false };

  // The last automated sync of this very target failed: retry by the retry policy, then give up
  // until something changes. A failure the destination caused (connection refused, not Ready:
  // a cluster resuming after `beamline up`) backs off but does not use up the limit, so the app
  // syncs by itself once the cluster answers.
  if (last !== undefined && retrying) {
    const retry = app.spec.syncPolicy?.retry;
    const limit = retry?.limit ?? 5;
    const count = last.retryCount ?? 0;
    const destinationCaused = isDestinationFailure(last);
    if (!destinationCaused && count >= limit) return { sync: false };
    const attempts = destinationCaused ? Math.max(0, input.destinationFailures - 1) : count;
    const backoff = retry?.backoff ?? {};
    const delayS = Math.min((backoff.durationSeconds ?? 5) * (backoff.factor ?? 2) ** attempts, backoff.maxDurationSeconds ?? 180);
    const dueAt = Date.parse(last.finishedAt ?? last.startedAt) + delayS * 1000;
    if (now < dueAt) return { sync: false, retryAt: dueAt };
    return { sync: true, initiatedBy: 'automated', prune, retryCount: destinationCaused ? count : count + 1 };
  }
  if (!sameTarget) return { sync: true, initiatedBy: 'automated', prune };
  // The target is applied already: what differs is drift, healed only with selfHeal, and not
  // while the watch caches may still be catching up with the last sync.
  if (automated.selfHeal !== true) return { sync: false };
  const healAt = input.lastSyncAt + SELF_HEAL_GRACE_MS;
  if (now < healAt) return { sync: false, retryAt: healAt };
  return { sync: true, initiatedBy: 'automated', prune };
}
