import type { Result } from '@beamline/reconcile';
import { decideSync } from '../decide-sync.ts';
import type { ApplicationScope } from '../scope.ts';

/** Decide phase: whether to sync now ({@link decideSync}); an interrupted operation is recorded as ended. */
export function decidePhase(scope: ApplicationScope): Promise<Result | undefined> {
  const { loaded, comparison } = scope;
  if (loaded === undefined || comparison === undefined) return Promise.reject(new Error('failed to decide: nothing compared (phase order)'));
  const decision = decideSync({
    app: scope.app,
    request: scope.request,
    rollback: scope.rollback !== undefined,
    revision: loaded.revision,
    comparison: { sync: comparison.sync, outOfSyncCount: comparison.outOfSync.length },
    now: scope.now,
    lastSyncAt: scope.state.lastSyncAt,
    destinationFailures: scope.state.destinationFailures,
  });
  if (!decision.sync && decision.interrupted !== undefined) scope.status.operationState = decision.interrupted;
  scope.decision = decision;
  scope.logger.debug(
    {
      revision: loaded.revision,
      sync: comparison.sync,
      outOfSync: comparison.outOfSync.length,
      extra: comparison.extra.length,
      decision,
      passMs: Math.round(performance.now() - scope.startedAt),
    },
    'compared',
  );
  return Promise.resolve(undefined);
}
