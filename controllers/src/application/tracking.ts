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

/**
 * The destination cluster as status records it (`inventoryDestination`): `destination.cluster`,
 * or `<clusterNamespace>/<cluster>` for a Cluster of another namespace (a shared cluster), so
 * that moving to a same-named Cluster of another namespace is a change of destination too.
 */
export function destinationName(app: Application): string {
  const { cluster, clusterNamespace } = app.spec.destination;
  return clusterNamespace === undefined || clusterNamespace === app.metadata.namespace ? cluster : `${clusterNamespace}/${cluster}`;
}

/** The app as if its destination were `name`, a {@link destinationName} (to look up the destination its inventory is in). */
export function withCluster(app: Application, name: string): Application {
  if (name === destinationName(app)) return app;
  const { clusterNamespace: _dropped, ...destination } = app.spec.destination;
  const slash = name.indexOf('/');
  const moved = slash === -1 ? { ...destination, cluster: name } : { ...destination, clusterNamespace: name.slice(0, slash), cluster: name.slice(slash + 1) };
  return { ...app, spec: { ...app.spec, destination: moved } };
}

/** The namespace and name of the Cluster a {@link destinationName} stands for (`in-cluster` has none). */
export function clusterOfName(app: Application, name: string): { readonly namespace: string; readonly name: string } {
  const slash = name.indexOf('/');
  return slash === -1 ? { namespace: app.metadata.namespace ?? 'default', name } : { namespace: name.slice(0, slash), name: name.slice(slash + 1) };
}

/**
 * Finds Clusters in the manager's cache; a Cluster of a namespace other than `appNamespace` (a
 * shared cluster) that the cache does not hold is read live, because a manager may watch one
 * namespace only (`Manager({ namespace })`), and a shared cluster sits in another.
 */
export function clusterFromCache(context: ReconcileContext<Application>, appNamespace: string | undefined): (namespace: string, name: string) => Cluster | undefined | Promise<Cluster | undefined> {
  return (namespace, name) => {
    const cached = context.cache.get<Cluster>(RESOURCES.cluster, name, namespace);
    if (cached !== undefined || namespace === appNamespace) return cached;
    return context.client.get<Cluster>(RESOURCES.cluster, name, namespace, { signal: context.signal });
  };
}
