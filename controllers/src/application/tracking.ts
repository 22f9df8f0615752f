import { TRACKING_ANNOTATION, trackedApplication, trackingId, type Application, type Cluster } from '@beamline/api';
import { objectKey, type TrackingOptions } from '@beamline/gitops';
import type { ResourceType } from '@beamline/kube';
import type { ReconcileContext } from '@beamline/reconcile';
import { RESOURCES } from '../resources.ts';
import type { PreparedObject } from './compare.ts';
import type { Destination } from './destinations.ts';

/**
 * The tracking options of a sync: the app's tracking ids, and the live objects of the
 * destination's watch caches for the conflict check before an apply.
 */
export function trackingFor(appKey: string, destination: Destination, desired: readonly PreparedObject[]): TrackingOptions {
  const [appNamespace = '', appName = ''] = appKey.split('/');
  const resources = new Map<string, ResourceType>();
  for (const { object, resource } of desired) if (resource !== undefined && object.metadata.name !== undefined) resources.set(objectKey(object), resource);
  return {
    annotation: TRACKING_ANNOTATION,
    app: appKey,
    idOf: (entry) => trackingId(appNamespace, appName, entry),
    ownerOf: (id, entry) => trackedApplication(id, entry),
    live: (obj) => {
      const resource = resources.get(objectKey(obj));
      return resource === undefined ? undefined : destination.live(resource, obj.metadata.name, obj.metadata.namespace);
    },
  };
}

/** The app as if its destination were `cluster` (to look up the destination its inventory is in). */
export function withCluster(app: Application, cluster: string): Application {
  return cluster === app.spec.destination.cluster ? app : { ...app, spec: { ...app.spec, destination: { ...app.spec.destination, cluster } } };
}

/** Finds Clusters in the manager's cache. */
export function clusterFromCache(context: ReconcileContext<Application>): (namespace: string, name: string) => Cluster | undefined {
  return (namespace, name) => context.cache.get<Cluster>(RESOURCES.cluster, name, namespace);
}
