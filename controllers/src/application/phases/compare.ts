import type { InventoryEntry } from '@beamline/gitops';
import type { ResourceType } from '@beamline/kube';
import type { Result } from '@beamline/reconcile';
import { compare, prepareDesired, type PreparedObject } from '../compare.ts';
import type { Destination } from '../destinations.ts';
import { inventoryOf, mergeEntries } from '../inventory.ts';
import { finishRequest, observe, type ApplicationScope } from '../scope.ts';
import { objectsOutsideScope } from '../tenancy.ts';
import { refuseDelivery } from './destination.ts';

/**
 * Prepare/compare phase: the desired objects for the destination (prepared once per render,
 * destination and namespace: a pass woken by a watch event only compares), the inventory, and
 * how they compare with the destination's watch caches. A destination that does not answer ends
 * the pass with `DestinationNotReady` and an error (a retry with backoff). On a shared cluster,
 * objects the project may not deliver there (cluster-scoped, or outside its namespaces) end the
 * pass with `DestinationNotPermitted` before any watch or apply.
 */
export async function comparePhase(scope: ApplicationScope): Promise<Result | undefined> {
  const { app, state } = scope;
  const destination = scope.destination;
  const loaded = scope.loaded;
  if (destination === undefined || loaded === undefined) throw new Error('failed to compare: no destination or source (phase order)');
  const started = performance.now();
  const stored = inventoryOf(scope.status.resources);
  try {
    const preparedKey = `${loaded.renderKey}\0${destination.key}\0${app.spec.destination.namespace}\0${scope.appKey}`;
    let desired: PreparedObject[];
    if (state.prepared?.key === preparedKey && scope.rollback === undefined) {
      desired = state.prepared.objects;
    } else {
      desired = await prepareDesired(loaded.objects, { namespace: app.spec.destination.namespace, appKey: scope.appKey, reader: destination, clusterName: app.spec.destination.cluster });
      // Only when every kind was found: a kind whose CRD arrives with this sync is looked up again.
      if (scope.rollback === undefined && desired.every((prepared) => prepared.resource !== undefined)) state.prepared = { key: preparedKey, objects: desired };
    }
    if (scope.delivery !== undefined) {
      // Hooks too: a PreSync Job is applied like any object. A kind discovery does not know has the
      // scope prepareDesired gave it (namespaced, with the destination namespace, unless its CRD says Cluster).
      const refusal = objectsOutsideScope(
        scope.delivery,
        desired.map(({ object, resource }) => ({
          kind: object.kind,
          name: object.metadata.name,
          ...(object.metadata.namespace === undefined ? {} : { namespace: object.metadata.namespace }),
          namespaced: resource?.namespaced ?? object.metadata.namespace !== undefined,
        })),
      );
      if (refusal !== undefined) return refuseDelivery(scope, refusal, loaded.revision);
    }
    await watchKinds(scope, destination, desired, stored);
    // The inventory is what status lists plus what carries the app's tracking id in the watched
    // kinds: objects a sync wrote before a crash kept it from recording them are found again.
    const inventory = mergeEntries(stored, destination.trackedBy(scope.appKey));
    scope.desired = desired;
    scope.inventory = inventory;
    scope.comparison = await compare(desired, inventory, { reader: destination, ignoreDifferences: app.spec.ignoreDifferences });
  } catch (error) {
    // The destination does not answer (or a watch cannot start): report, retry with backoff.
    const message = `failed to compare with destination ${app.spec.destination.cluster}: ${(error as Error).message}`;
    observe(scope, { kind: 'CompareFailed', message, revision: loaded.revision });
    if (scope.request !== undefined) finishRequest(scope, scope.request, message);
    throw new Error(message, { cause: error });
  }
  scope.deps.metrics.stageDuration.observe({ stage: 'compare' }, (performance.now() - started) / 1000);
  return undefined;
}

/** Starts the destination's watches of every kind the app applies or has in its inventory. */
async function watchKinds(scope: ApplicationScope, destination: Destination, desired: readonly PreparedObject[], inventory: readonly InventoryEntry[]): Promise<void> {
  const kinds = new Map<string, ResourceType>();
  for (const { resource } of desired) if (resource !== undefined && !destination.watching(resource)) kinds.set(`${resource.plural}.${resource.apiVersion}`, resource);
  for (const entry of inventory) {
    try {
      const resource = await destination.resourceFor(entry.group === '' ? entry.version : `${entry.group}/${entry.version}`, entry.kind);
      if (!destination.watching(resource)) kinds.set(`${resource.plural}.${resource.apiVersion}`, resource);
    } catch {
      // A kind no longer served (its CRD is gone): nothing of it is left to see or prune.
    }
  }
  await Promise.all([...kinds.values()].map((resource) => destination.watch(resource, scope.context.signal)));
}
