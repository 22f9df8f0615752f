import { isDeepStrictEqual } from 'node:util';
import { objectKey } from '@beamline/gitops';
import type { Result } from '@beamline/reconcile';
import { compare, type PreparedObject } from '../compare.ts';
import type { Destination } from '../destinations.ts';
import { inventoryOf } from '../inventory.ts';
import { nextPass, observe, type ApplicationScope } from '../scope.ts';

/** The longest a pass waits after a sync for the watch caches to show what it wrote. */
const WATCH_CATCH_UP_MS = 2_000;

/**
 * Settle phase: after a sync, compare again once the watch caches show what the sync wrote
 * (usually milliseconds; bounded): comparing against the state before the sync would report
 * drift that is not there and cost another status write once the events arrive. An object still
 * not seen is Progressing, not Missing. Then the observation for status, and when to look again.
 */
export async function settlePhase(scope: ApplicationScope): Promise<Result | undefined> {
  const { app, status, destination, desired, loaded, decision } = scope;
  let comparison = scope.comparison;
  if (destination === undefined || desired === undefined || loaded === undefined || decision === undefined || comparison === undefined) throw new Error('failed to settle: nothing compared (phase order)');
  if (scope.synced !== undefined) {
    const regular = desired.filter((prepared) => prepared.hook !== true);
    await awaitWatches(scope, destination, regular, scope.synced.applied, scope.synced.versionsBefore);
    const justApplied = new Set((status.operationState?.results ?? []).filter((entry) => entry.status === 'Synced').map((entry) => `${entry.kind}/${entry.namespace ?? ''}/${entry.name}`));
    comparison = await compare(desired, inventoryOf(status.resources), { reader: destination, ignoreDifferences: app.spec.ignoreDifferences, justApplied });
    scope.comparison = comparison;
  }

  status.resources = comparison.resources;
  observe(scope, {
    kind: 'Compared',
    revision: loaded.revision,
    sync: comparison.sync,
    health: comparison.health,
    outOfSyncCount: comparison.outOfSync.length + comparison.extra.length,
    ...(status.operationState === undefined ? {} : { operation: status.operationState }),
  });
  // reconciledAt moves with a sync, with any other change of status, and otherwise at most once
  // per refresh interval: a thousand apps refreshed by a push that changed nothing for them cost
  // no write each (Argo CD writes every refresh, and that write is its bottleneck).
  const previousAt = Date.parse(status.reconciledAt ?? '');
  const stale = Number.isNaN(previousAt) || scope.now - previousAt >= (app.spec.refreshIntervalSeconds ?? 180) * 1000;
  const { reconciledAt: _kept, ...rest } = status;
  const { reconciledAt: _stored, ...storedRest } = app.status ?? {};
  const changed = !isDeepStrictEqual(stripUndefined(rest), stripUndefined(storedRest));
  if (decision.sync || (scope.refreshed && (stale || changed)) || status.reconciledAt === undefined) status.reconciledAt = new Date(scope.now).toISOString();
  return nextPass(scope, decision.sync ? undefined : decision.retryAt);
}

/**
 * Waits (at most {@link WATCH_CATCH_UP_MS}) until the watch cache has caught up with each applied
 * object: it shows the version the apply returned, or any version other than the one it showed
 * before the sync (a controller may have written again since; resourceVersions are not ordered).
 */
async function awaitWatches(
  scope: ApplicationScope,
  destination: Destination,
  desired: readonly PreparedObject[],
  applied: ReadonlyMap<string, string>,
  before: ReadonlyMap<string, string | undefined>,
): Promise<void> {
  const deadline = performance.now() + WATCH_CATCH_UP_MS;
  const pending = desired.filter((prepared) => prepared.resource !== undefined && applied.has(objectKey(prepared.object)));
  while (pending.length > 0 && performance.now() < deadline && !scope.context.signal.aborted) {
    const behind = pending.filter(({ object, resource }) => {
      const key = objectKey(object);
      const version = resource === undefined ? undefined : destination.live(resource, object.metadata.name, object.metadata.namespace)?.metadata?.resourceVersion;
      return version === undefined || (version !== applied.get(key) && version === before.get(key));
    });
    if (behind.length === 0) return;
    pending.splice(0, pending.length, ...behind);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A copy without undefined fields (they are absent once written). */
function stripUndefined(record: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
