import { defaultProviders } from '@beamline/providers';
import type { KubeObject } from '@beamline/kube';
import type { Controller, ReconcileRequest } from '@beamline/reconcile';
import { clusterReconciler, type ClusterReconcilerOptions } from './cluster/reconciler.ts';
import { clusterTemplateReconciler } from './clustertemplate/reconciler.ts';
import { nodeGroupReconciler } from './nodegroup/reconciler.ts';
import { RESOURCES } from './resources.ts';

export { clusterReconciler, type ClusterReconcilerOptions } from './cluster/reconciler.ts';
export { computeClusterStatus, CONTROL_PLANE_DOWN, type ClusterObservation, type ClusterPhase, type ComputedClusterStatus } from './cluster/status.ts';
export { clusterTemplateReconciler } from './clustertemplate/reconciler.ts';
export { groupNameOf, kubeconfigSecretName, nodeGroupObjectName } from './naming.ts';
export { nodeGroupReconciler } from './nodegroup/reconciler.ts';
export * from './resources.ts';
export * from './application/index.ts';
export * from './admission/index.ts';
export { checkQuota, computeProjectUsage, type ProjectUsageInput, type QuotaName, type QuotaViolation } from './quota/usage.ts';
export * from './project/index.ts';

const spec = (object: KubeObject): Record<string, unknown> => ((object as { spec?: Record<string, unknown> }).spec ?? {});

/** A NodeGroup or Cluster → the Cluster it concerns. */
function clusterOf(object: KubeObject): readonly ReconcileRequest[] {
  const name = spec(object).clusterName;
  return typeof name === 'string' ? [{ namespace: object.metadata?.namespace ?? 'default', name }] : [];
}

/** A Cluster → the template it uses (to count its users). */
function templateOf(object: KubeObject): readonly ReconcileRequest[] {
  const ref = spec(object).templateRef as { name?: string } | undefined;
  return ref?.name === undefined ? [] : [{ name: ref.name }];
}

/** A Cluster → its node groups (as its status lists them), so they act when its control plane is ready. */
function nodeGroupsOf(object: KubeObject): readonly ReconcileRequest[] {
  const cluster = object.metadata?.name ?? '';
  const groups = ((object as { status?: { nodeGroups?: { name: string }[] } }).status?.nodeGroups ?? []).map((group) => group.name);
  return groups.map((group) => ({ namespace: object.metadata?.namespace ?? 'default', name: `${cluster}-${group}` }));
}

/**
 * Every Beamline controller of the clusters capability. NodeGroups wake their Cluster (its
 * status sums them); Clusters wake the template they use. Waiting on another object's state that
 * no watch maps back (a control plane becoming ready for a NodeGroup) is done by requeueing.
 */
export function clusterControllers(options: ClusterReconcilerOptions): Controller[] {
  // One registry for both: the Cluster reconciler runs control planes, the NodeGroup one nodes.
  const providers = options.providers ?? defaultProviders(options);
  return [
    {
      reconciler: clusterTemplateReconciler(),
      for: RESOURCES.clusterTemplate,
      watches: [{ ...RESOURCES.cluster, map: templateOf }],
    },
    {
      reconciler: clusterReconciler({ ...options, providers }),
      for: RESOURCES.cluster,
      watches: [
        { ...RESOURCES.nodeGroup, map: clusterOf },
        // Read from the cache (the identity the clusters trust); a change reaches them at the next health check.
        { ...RESOURCES.platformConfig, map: () => [] },
      ],
      // Provisioning a control plane takes seconds: several clusters at once.
      concurrency: 4,
    },
    {
      reconciler: nodeGroupReconciler(providers),
      for: RESOURCES.nodeGroup,
      watches: [
        { ...RESOURCES.cluster, map: nodeGroupsOf },
        // Read from the cache (flavors); a change is picked up by the resync.
        { ...RESOURCES.platformConfig, map: () => [] },
      ],
      concurrency: 4,
      // Flavors and the cluster's readiness are read, not watched: a slow resync catches changes.
      resyncMs: 10_000,
    },
  ];
}
