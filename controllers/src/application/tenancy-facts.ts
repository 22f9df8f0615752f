import { API_VERSION, PROJECT, type Application, type Project } from '@beamline/api';
import type { KubeObject, ResourceType } from '@beamline/kube';
import type { CacheReader } from '@beamline/reconcile';
import { RESOURCES } from '../resources.ts';
import type { ClusterFinder } from './destinations.ts';
import { deliveryPermission, isOtherClusterNamespace, projectOf, type DeliveryPermission } from './tenancy.ts';

/** Namespaces of the management cluster: their project label decides an app's project. */
export const NAMESPACES: ResourceType = { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };
/** Projects: their shared namespaces decide where on shared clusters an app may deliver. */
export const PROJECTS: ResourceType = { apiVersion: API_VERSION, kind: PROJECT.kind, plural: PROJECT.plural, namespaced: false };

/**
 * The tenancy decision for an app, from the manager's caches (the controller watches Namespaces,
 * Projects and Clusters, so a change of any of them re-queues the apps it concerns); the Cluster
 * of another namespace through `findCluster` (see `clusterFromCache`).
 */
export async function deliveryPermissionOf(app: Application, cache: CacheReader, findCluster: ClusterFinder): Promise<DeliveryPermission> {
  const appNamespace = app.metadata.namespace ?? 'default';
  const appNamespaceLabels = cache.get<KubeObject>(NAMESPACES, appNamespace)?.metadata?.labels;
  const { destination } = app.spec;
  const { repoURL } = app.spec.source;
  if (!isOtherClusterNamespace(appNamespace, destination)) return deliveryPermission({ appNamespace, repoURL, destination, appNamespaceLabels });
  const project = projectOf(appNamespaceLabels);
  return deliveryPermission({
    appNamespace,
    repoURL,
    destination,
    appNamespaceLabels,
    clusterNamespaceLabels: cache.get<KubeObject>(NAMESPACES, destination.clusterNamespace)?.metadata?.labels ?? {},
    clusterLabels: (await findCluster(destination.clusterNamespace, destination.cluster))?.metadata.labels,
    projectSpec: project === undefined ? undefined : cache.get<Project>(PROJECTS, project)?.spec,
  });
}

/** The apps a changed Namespace concerns: those in it, and those delivering to a Cluster of it. */
export function appsOfNamespace(cache: CacheReader, namespace: string): Application[] {
  return cache.list<Application>(RESOURCES.application).filter((app) => app.metadata.namespace === namespace || app.spec.destination.clusterNamespace === namespace);
}

/** The apps a changed Project concerns: those in the namespaces labelled with it. */
export function appsOfProject(cache: CacheReader, project: string): Application[] {
  const namespaces = new Set(
    cache
      .list<KubeObject>(NAMESPACES)
      .filter((namespace) => projectOf(namespace.metadata?.labels) === project)
      .map((namespace) => namespace.metadata?.name),
  );
  return cache.list<Application>(RESOURCES.application).filter((app) => namespaces.has(app.metadata.namespace));
}
