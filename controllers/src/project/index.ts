/** Tenancy: the Project controller, the workload-cluster access controller and the platform admins' binding. */
import { projectOfNamespaceName, type Cluster, type Project } from '@beamline/api';
import type { KubeObject } from '@beamline/kube';
import type { CacheReader, Controller, ReconcileRequest } from '@beamline/reconcile';
import { clusterAccessReconciler } from '../cluster-access/reconciler.ts';
import { WorkloadClients } from '../cluster-access/workload-client.ts';
import { RESOURCES } from '../resources.ts';
import { TENANCY_RESOURCES } from './kinds.ts';
import { platformAdminsReconciler } from './platform-admins.ts';
import { projectReconciler } from './reconciler.ts';
import { sharedClusterKey } from './shared-namespaces.ts';

export { clusterAccessReconciler, desiredWorkloadBindings, writeWorkloadBindings } from '../cluster-access/reconciler.ts';
export { WorkloadClients } from '../cluster-access/workload-client.ts';
export * from './desired.ts';
export { MANAGED_BY, MANAGED_BY_LABEL, TENANCY_RESOURCES } from './kinds.ts';
export { platformAdminsReconciler } from './platform-admins.ts';
export { projectOwnerReference, projectReconciler } from './reconciler.ts';
export { SHARED_NAMESPACE_ROLES } from './shared-namespaces.ts';

/** The tenancy controllers and the hook that gives their watch maps the manager's cache. */
export interface TenancyControllers {
  readonly controllers: readonly Controller[];
  /** Hands the manager's cache to the maps (PlatformConfig → every project, Project → its clusters) before the manager starts. */
  attach(cache: CacheReader): void;
}

/**
 * The Project controller (wakes on its namespaces, on Clusters and NodeGroups of its namespace for
 * usage, on shared Clusters it names, on the PlatformConfig), the workload-cluster access
 * controller (wakes on Clusters, on the Project of a Cluster's namespace, on the PlatformConfig)
 * and the platform admins' binding of the management cluster.
 */
export function tenancyControllers(): TenancyControllers {
  let cache: CacheReader | undefined;
  const clients = new WorkloadClients();
  const allProjects = (): ReconcileRequest[] => (cache?.list<Project>(TENANCY_RESOURCES.project) ?? []).map((project) => ({ name: project.metadata?.name ?? '' }));
  /** A Cluster or NodeGroup → the project of its namespace (for usage). */
  const projectOfNamespace = (object: KubeObject): ReconcileRequest[] => {
    const own = projectOfNamespaceName(object.metadata?.namespace ?? '');
    return own === undefined ? [] : [{ name: own }];
  };
  /** A Cluster → the project of its namespace, and the projects with namespaces on it (it may just have become Running). */
  const projectsOfCluster = (object: KubeObject): ReconcileRequest[] => {
    const key = `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;
    const sharing = (cache?.list<Project>(TENANCY_RESOURCES.project) ?? []).filter((project) => (project.spec.sharedNamespaces ?? []).some((entry) => sharedClusterKey(entry) === key));
    return [...projectOfNamespace(object), ...sharing.map((project) => ({ name: project.metadata?.name ?? '' }))];
  };
  const clustersOfProject = (object: KubeObject): ReconcileRequest[] => {
    const namespace = `project-${object.metadata?.name ?? ''}`;
    return (cache?.list<Cluster>(RESOURCES.cluster, namespace) ?? []).map((cluster) => ({ namespace, name: cluster.metadata?.name ?? '' }));
  };
  const allClusters = (): ReconcileRequest[] =>
    (cache?.list<Cluster>(RESOURCES.cluster) ?? []).map((cluster) => ({ namespace: cluster.metadata?.namespace ?? 'default', name: cluster.metadata?.name ?? '' }));
  return {
    attach: (reader) => {
      cache = reader;
    },
    controllers: [
      {
        reconciler: projectReconciler(clients),
        for: TENANCY_RESOURCES.project,
        owns: [TENANCY_RESOURCES.namespace],
        watches: [
          { ...RESOURCES.cluster, map: projectsOfCluster },
          { ...RESOURCES.nodeGroup, map: projectOfNamespace },
          { ...RESOURCES.clusterTemplate, map: () => [] },
          { ...RESOURCES.platformConfig, map: allProjects },
        ],
        concurrency: 2,
      },
      {
        reconciler: clusterAccessReconciler(clients),
        for: RESOURCES.cluster,
        watches: [
          { ...TENANCY_RESOURCES.project, map: clustersOfProject },
          { ...RESOURCES.platformConfig, map: allClusters },
        ],
        concurrency: 2,
      },
      { reconciler: platformAdminsReconciler(), for: RESOURCES.platformConfig },
    ],
  };
}
