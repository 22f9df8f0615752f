import { APPLICATION_FINALIZER, type Application } from '@beamline/api';
import { syncObjects } from '@beamline/gitops';
import { hasFinalizer, removeFinalizer } from '@beamline/kube';
import type { ReconcileContext, Result } from '@beamline/reconcile';
import { RESOURCES } from '../resources.ts';
import { inventoryOf, mergeEntries } from './inventory.ts';
import { DESTINATION_WAIT_MS } from './phases/destination.ts';
import type { ApplicationReconcilerDeps } from './scope.ts';
import { NAMESPACES } from './tenancy-facts.ts';
import { deliveryIdentity, isForbidden, projectOf } from './tenancy.ts';
import { clusterFromCache, clusterOfName, destinationName, trackingFor, withCluster } from './tracking.ts';

/** Deletes (or orphans) an app's objects, then lets the Application go. */
export async function finalize(app: Application, context: ReconcileContext<Application>, deps: ApplicationReconcilerDeps): Promise<Result> {
  if (!hasFinalizer(app, APPLICATION_FINALIZER)) return {};
  const inventory = inventoryOf(app.status?.resources);
  // The objects are where they were applied, which is not the spec's cluster when it changed since.
  const cluster = app.status?.inventoryDestination ?? destinationName(app);
  if (app.spec.deletionPolicy !== 'Orphan' && inventory.length > 0) {
    // Deleted as the project's identity, as they were applied: a tenant's app deletes nothing its project could not.
    const project = projectOf(context.cache.get(NAMESPACES, app.metadata.namespace ?? 'default')?.metadata?.labels);
    const lookup = await deps.destinations.lookup(withCluster(app, cluster), clusterFromCache(context, app.metadata.namespace), project === undefined ? undefined : deliveryIdentity(project));
    if (!lookup.ready) {
      const where = clusterOfName(app, cluster);
      const clusterGone = context.cache.get(RESOURCES.cluster, where.name, where.namespace) === undefined && cluster !== 'in-cluster';
      if (!clusterGone) {
        context.logger.info({ reason: lookup.message }, 'waiting for the destination to delete the objects');
        return { requeueAfterMs: DESTINATION_WAIT_MS };
      }
      // The destination cluster is gone: so are the objects.
    } else {
      const appKey = `${app.metadata.namespace ?? 'default'}/${app.metadata.name ?? ''}`;
      const tracked = lookup.destination.trackedBy(appKey);
      // Each object is deleted only if it carries this app's tracking id when it is deleted: an
      // object another app delivers (or a person took over) stays.
      const result = await syncObjects({
        client: lookup.destination.client,
        objects: [],
        inventory: mergeEntries(inventory, tracked),
        prune: true,
        tracking: trackingFor(appKey, lookup.destination, []),
        destinationName: cluster,
        signal: context.signal,
      });
      // An entry the project's identity may not delete is one it could not have written either (an
      // apply outside its namespaces, refused, still enters the inventory first): waiting for it
      // would keep the Application forever. It is left, and said so.
      const forbidden = lookup.destination.identity === undefined ? [] : result.failed.filter((entry) => isForbidden(entry.message));
      const failed = result.failed.filter((entry) => !forbidden.includes(entry));
      if (failed.length > 0) {
        const first = failed[0];
        throw new Error(`failed to delete ${failed.length} objects of the application: ${first?.message ?? ''}`);
      }
      const left = result.skipped.length === 0 ? '' : `; left ${result.skipped.length} that are not this application's`;
      deps.events.record(app, 'Normal', 'Deleted', `deleted ${result.pruned.length} objects${left}`);
      if (forbidden.length > 0) {
        const first = forbidden[0];
        deps.events.record(
          app,
          'Warning',
          'DeleteForbidden',
          `left ${forbidden.length} objects the project's identity may not delete (first: ${first?.kind ?? ''} ${first?.namespace ?? ''}/${first?.name ?? ''}: ${first?.message ?? ''})`,
        );
      }
    }
  }
  await removeFinalizer(context.kubeConfig, app, APPLICATION_FINALIZER, { resource: RESOURCES.application, signal: context.signal });
  return {};
}
