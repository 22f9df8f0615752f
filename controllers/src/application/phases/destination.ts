import { ConditionReason } from '@beamline/api';
import { syncObjects } from '@beamline/gitops';
import type { Impersonation } from '@beamline/kube';
import type { Result } from '@beamline/reconcile';
import { RESOURCES } from '../../resources.ts';
import { inventoryOf } from '../inventory.ts';
import { finishRequest, observe, type ApplicationScope } from '../scope.ts';
import { deliveryPermissionOf } from '../tenancy-facts.ts';
import { isForbidden, type DeliveryScope } from '../tenancy.ts';
import { clusterFromCache, clusterOfName, destinationName, trackingFor, withCluster } from '../tracking.ts';

/** The wait while the destination cluster is missing or not ready (its changes wake the app sooner). */
export const DESTINATION_WAIT_MS = 15_000;

/**
 * The wait after a refused destination: a safety net only. Changes of the app, its namespace's
 * labels, its Project and the Clusters re-queue it through the controller's watches.
 */
export const NOT_PERMITTED_RECHECK_MS = 5 * 60_000;

/**
 * Destination phase: whether the app's project may deliver there (tenancy; refused ends the pass
 * with `DestinationNotPermitted`, nothing applied), then the cluster to deliver to, Ready with its
 * kubeconfig, as the project's identity; not there ends the pass (`DestinationNotReady`, a look
 * again in {@link DESTINATION_WAIT_MS}). The inventory belongs to the cluster it was applied to:
 * a changed destination leaves it there first.
 */
export async function destinationPhase(scope: ApplicationScope): Promise<Result | undefined> {
  const findCluster = clusterFromCache(scope.context, scope.app.metadata.namespace);
  const permission = await deliveryPermissionOf(scope.app, scope.context.cache, findCluster);
  if (!permission.allowed) return refuseDelivery(scope, permission.message, scope.status.sync?.revision);
  scope.delivery = permission.scope;
  const lookup = await scope.deps.destinations.lookup(scope.app, findCluster, identityOf(permission.scope));
  if (!lookup.ready) {
    observe(scope, { kind: 'DestinationNotReady', message: lookup.message, ...(scope.status.sync?.revision === undefined ? {} : { previousRevision: scope.status.sync.revision }) });
    if (scope.request !== undefined) finishRequest(scope, scope.request, `sync not started: ${lookup.message}`);
    return { requeueAfterMs: DESTINATION_WAIT_MS };
  }
  scope.destination = lookup.destination;
  await leaveOldDestination(scope);
  return undefined;
}

/** The identity a scope's writes impersonate: the project's, or none for the platform admins' apps. */
export function identityOf(scope: DeliveryScope): Impersonation | undefined {
  return scope.kind === 'admin' ? undefined : scope.identity;
}

/**
 * Ends the pass on a tenancy refusal: Ready=False `DestinationNotPermitted` with the rule's
 * message, a Warning event, a pending sync request ended, nothing applied or pruned.
 */
export function refuseDelivery(scope: ApplicationScope, message: string, revision: string | undefined): Result {
  observe(scope, { kind: 'DestinationNotPermitted', message, ...(revision === undefined ? {} : { previousRevision: revision }) });
  scope.deps.events.record(scope.app, 'Warning', ConditionReason.DestinationNotPermitted, message);
  if (scope.request !== undefined) finishRequest(scope, scope.request, `sync refused: ${message}`);
  return { requeueAfterMs: NOT_PERMITTED_RECHECK_MS };
}

/**
 * When `destination.cluster` changed since the inventory was applied, its objects are on the
 * old cluster. They are pruned there when prune is on (automated prune, or a sync request with
 * prune), each only if it still carries this app's tracking id; otherwise they are left there,
 * with a Warning event `Orphaned` saying so. Either way the inventory starts afresh on the new
 * destination: the old entries must never be looked for (or pruned) there. Argo CD forgets them
 * silently (argoproj/argo-cd#9172). A failed prune throws: it is tried again with backoff.
 */
async function leaveOldDestination(scope: ApplicationScope): Promise<void> {
  const { app, status } = scope;
  const current = destinationName(app);
  const previous = status.inventoryDestination;
  status.inventoryDestination = current;
  if (previous === undefined || previous === current) return;
  const stored = inventoryOf(status.resources);
  const prune = scope.request?.prune ?? app.spec.syncPolicy?.automated?.prune ?? false;
  const change = `destination changed from ${previous} to ${current}`;
  if (stored.length > 0 && prune) {
    // The old objects were written as the identity the app has now; RBAC there decides what it may delete.
    const lookup = await scope.deps.destinations.lookup(withCluster(app, previous), clusterFromCache(scope.context, scope.app.metadata.namespace), scope.delivery === undefined ? undefined : identityOf(scope.delivery));
    const old = clusterOfName(app, previous);
    const gone = !lookup.ready && previous !== 'in-cluster' && scope.context.cache.get(RESOURCES.cluster, old.name, old.namespace) === undefined;
    if (lookup.ready) {
      const result = await syncObjects({
        client: lookup.destination.client,
        objects: [],
        inventory: stored,
        prune: true,
        tracking: trackingFor(scope.appKey, lookup.destination, []),
        destinationName: previous,
        signal: scope.context.signal,
      });
      // As in finalize: what the project's identity may not delete there is left, said so, not retried forever.
      const forbidden = lookup.destination.identity === undefined ? [] : result.failed.filter((entry) => isForbidden(entry.message));
      const failed = result.failed.filter((entry) => !forbidden.includes(entry));
      if (failed.length > 0) {
        status.inventoryDestination = previous;
        throw new Error(`failed to prune ${failed.length} objects from the previous destination ${previous}: ${failed[0]?.message ?? ''}`);
      }
      const left = result.skipped.length === 0 ? '' : `; left ${result.skipped.length} that are not this application's any more`;
      scope.deps.events.record(app, 'Normal', 'PrunedPreviousDestination', `${change}: deleted ${result.pruned.length} objects from ${previous}${left}`);
      if (forbidden.length > 0) {
        scope.deps.events.record(app, 'Warning', 'Orphaned', `${change}: ${forbidden.length} objects left on ${previous}, which the project's identity may not delete (${forbidden[0]?.message ?? ''})`);
      }
    } else if (gone) {
      scope.deps.events.record(app, 'Normal', 'PrunedPreviousDestination', `${change}: Cluster ${previous} is gone, and its objects with it`);
    } else {
      scope.deps.events.record(app, 'Warning', 'Orphaned', `${change}: ${stored.length} objects left on ${previous}, which cannot be reached (${lookup.message})`);
    }
  } else if (stored.length > 0) {
    scope.deps.events.record(app, 'Warning', 'Orphaned', `${change}: ${stored.length} objects left on ${previous} (prune is off); delete them there, or turn prune on before changing the destination`);
  }
  status.resources = [];
}
