import { CHANGED_BY_ANNOTATION, ConditionReason, ConditionType, type OperationState, type ResourceResult } from '@beamline/api';
import { objectKey, syncObjects, type ResultEntry } from '@beamline/gitops';
import type { ResourceType } from '@beamline/kube';
import type { Result } from '@beamline/reconcile';
import { entryStatus } from '../compare.ts';
import type { Destination } from '../destinations.ts';
import { isDestinationError } from '../destination-errors.ts';
import { mergeInventory } from '../inventory.ts';
import { writeStatus, type ApplicationScope } from '../scope.ts';
import { shortRevision } from '../status.ts';
import { redactSource } from '../source-credentials.ts';
import { changedByOf } from '../tenancy.ts';
import { trackingFor } from '../tracking.ts';

const NAMESPACES: ResourceType = { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };

/** A sync still applying after this long is shown as `Running` in status. */
const RUNNING_AFTER_MS = 500;

/** History entries kept in status. */
export const HISTORY_LIMIT = 10;

/**
 * Sync phase (when decided): applies and prunes (hooks and waves run by the engine's
 * `syncObjects`), records the operation, the inventory, history and events. The operation is
 * written as `Running` only when the sync takes a while, for crash safety; that is the one
 * status write of a pass besides the final one. A pass cancelled during the sync ends here.
 */
export async function syncPhase(scope: ApplicationScope): Promise<Result | undefined> {
  const { app, status, deps, destination, desired, inventory, loaded, decision } = scope;
  if (decision?.sync !== true) return undefined;
  if (destination === undefined || desired === undefined || inventory === undefined || loaded === undefined) throw new Error('failed to sync: nothing compared (phase order)');
  const { initiatedBy, prune } = decision;
  // Who changed the app last (stamped at admission): history and the sync events say who.
  const changedBy = changedByOf(app.metadata.annotations, CHANGED_BY_ANNOTATION);
  const by = changedBy === undefined ? '' : ` (last changed by ${changedBy})`;
  const request = scope.request;
  const rollback = scope.rollback;
  const retryCount = decision.retryCount ?? 0;
  const regular = desired.filter((prepared) => prepared.hook !== true);
  const versionsBefore = new Map(
    regular.map(({ object, resource }) => [objectKey(object), resource === undefined ? undefined : destination.live(resource, object.metadata.name, object.metadata.namespace)?.metadata?.resourceVersion]),
  );
  const startedAt = new Date(scope.now).toISOString();
  const operation: OperationState = {
    phase: 'Running',
    message: `syncing ${desired.length} objects to ${app.spec.destination.cluster}/${app.spec.destination.namespace}`,
    startedAt,
    revision: loaded.revision,
    initiatedBy,
    ...(request === undefined ? {} : { syncRequest: request.id }),
    ...(rollback === undefined ? {} : { rollbackTo: rollback.id }),
    ...(retryCount > 0 ? { retryCount } : {}),
  };
  // The inventory grows before anything is written: a manager killed mid-sync leaves no object
  // that prune would not know about. It shrinks only after prune.
  status.operationState = operation;
  status.resources = mergeInventory(status.resources ?? [], regular.map((prepared) => prepared.object));
  scope.conditions.set(ConditionType.Reconciling, 'True', ConditionReason.Progressing, operation.message ?? 'syncing');
  // `Running` (with the inventory about to grow) is written only for a sync that takes a while:
  // most finish in well under a second, and a thousand first syncs would otherwise cost a
  // thousand writes. Crash safety does not depend on it: objects carry the tracking id, and the
  // next pass finds them in the destination's watch caches (trackedBy).
  let runningWrite: Promise<void> | undefined;
  const runningTimer = setTimeout(() => {
    runningWrite = writeStatus(scope).catch((error: unknown) => scope.logger.debug({ err: (error as Error).message }, 'failed to write the Running operation'));
  }, RUNNING_AFTER_MS);

  const finish = (phase: 'Succeeded' | 'Failed' | 'Error', message: string, results: ResourceResult[]): void => {
    status.operationState = { ...operation, phase, message, finishedAt: new Date().toISOString(), ...(results.length === 0 ? {} : { results }) };
    if (request !== undefined) status.lastHandledSyncRequest = request.id;
  };

  const started = performance.now();
  let result;
  try {
    result = await syncObjects({
      client: destination.client,
      objects: desired.map((prepared) => prepared.object),
      inventory,
      prune,
      tracking: trackingFor(scope.appKey, destination, desired),
      destinationName: app.spec.destination.cluster,
      health: destination.health,
      ...((await namespaceToCreate(scope, destination)) === undefined ? {} : { createNamespace: app.spec.destination.namespace }),
      signal: scope.context.signal,
    });
  } catch (error) {
    clearTimeout(runningTimer);
    await runningWrite;
    // Cancelled (the manager stops): the next pass (of this manager or another) runs it again.
    if (scope.context.signal.aborted) return {};
    const message = `sync refused: ${(error as Error).message}`;
    finish('Error', message, []);
    deps.metrics.syncTotal.inc({ result: 'Error', initiated_by: initiatedBy });
    deps.events.record(app, 'Warning', ConditionReason.SyncFailed, `${message}${by}`);
    scope.synced = { applied: new Map(), versionsBefore };
    return undefined;
  }
  clearTimeout(runningTimer);
  await runningWrite;
  const seconds = (performance.now() - started) / 1000;
  deps.metrics.stageDuration.observe({ stage: result.pruned.length > 0 ? 'prune' : 'apply' }, seconds);
  scope.state.lastSyncAt = Date.now();
  const results = [...result.applied, ...result.pruned, ...result.failed, ...result.skipped].map(resultOf);
  const failed = result.failed.length > 0;
  scope.state.destinationFailures = failed && result.failed.every((entry) => isDestinationError(entry.message ?? '')) ? scope.state.destinationFailures + 1 : 0;
  const message = failed
    ? `${result.failed.length} of ${result.applied.length + result.pruned.length + result.failed.length + result.skipped.length} objects failed (${result.skipped.length} skipped): ${result.failed[0]?.message ?? ''}`
    : `applied ${result.applied.length}, pruned ${result.pruned.length}`;
  status.resources = result.inventory.map((entry) => ({ ...entryStatus(entry), status: 'Unknown' as const }));
  finish(failed ? 'Failed' : 'Succeeded', message, results);
  deps.metrics.syncTotal.inc({ result: failed ? 'Failed' : 'Succeeded', initiated_by: initiatedBy });
  if (failed) {
    deps.events.record(app, 'Warning', ConditionReason.SyncFailed, `${initiatedBy} sync of ${shortRevision(loaded.revision)}${by}: ${message}`);
  } else {
    const history = [...(app.status?.history ?? [])];
    const id = (history.at(-1)?.id ?? 0) + 1;
    history.push({
      id,
      revision: loaded.revision,
      deployedAt: new Date().toISOString(),
      source: redactSource(rollback?.source ?? app.spec.source),
      destination: { cluster: app.spec.destination.cluster, namespace: app.spec.destination.namespace },
      ...(changedBy === undefined ? {} : { changedBy }),
    });
    status.history = history.slice(-HISTORY_LIMIT);
    deps.events.record(app, 'Normal', 'Synced', `${initiatedBy} sync of ${shortRevision(loaded.revision)}${by}: ${message}`);
  }
  const applied = new Map<string, string>();
  for (const entry of result.applied) if (entry.resourceVersion !== undefined) applied.set(entry.key, entry.resourceVersion);
  scope.synced = { applied, versionsBefore };
  return undefined;
}

/**
 * The destination namespace when `createNamespace` is on and the namespace is not there (as the
 * destination's namespace watch sees it): applying an existing Namespace on every sync of every
 * app would be a write each for nothing.
 */
async function namespaceToCreate(scope: ApplicationScope, destination: Destination): Promise<string | undefined> {
  if (scope.app.spec.syncPolicy?.syncOptions?.createNamespace !== true) return undefined;
  // A project's namespaces on a shared cluster are made by the project controller; a Namespace is
  // cluster-scoped, which the project's identity may not create there.
  if (scope.delivery?.kind === 'shared') return undefined;
  const name = scope.app.spec.destination.namespace;
  try {
    await destination.watch(NAMESPACES, scope.context.signal);
  } catch {
    return name;
  }
  const live = destination.live(NAMESPACES, name);
  return live === undefined || live.metadata?.deletionTimestamp !== undefined ? name : undefined;
}

function resultOf(entry: ResultEntry): ResourceResult {
  return {
    kind: entry.kind,
    name: entry.name,
    ...(entry.namespace === undefined ? {} : { namespace: entry.namespace }),
    status: entry.status,
    ...(entry.message === undefined ? {} : { message: entry.message.slice(0, 4096) }),
  };
}
