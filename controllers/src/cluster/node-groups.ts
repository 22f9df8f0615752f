import type { Cluster, ClusterTemplate, NodeGroup } from '@beamline/api';
import { isDeleting } from '@beamline/kube';
import type { ReconcileContext } from '@beamline/reconcile';
import { CLUSTER_LABEL, NODE_GROUPS_CREATED_ANNOTATION, RESOURCES } from '../resources.ts';
import { nodeGroupObjectName, ownerReferenceTo } from '../naming.ts';

/** The NodeGroups of a cluster that are not being deleted, from the cache. */
export function nodeGroupsOf(context: ReconcileContext<Cluster>, cluster: Cluster): NodeGroup[] {
  return context.cache
    .list<NodeGroup>(RESOURCES.nodeGroup, cluster.metadata?.namespace)
    .filter((group) => group.spec.clusterName === cluster.metadata?.name && !isDeleting(group));
}

/** The cluster's node groups: the template's, each replaced by the Cluster's `spec.nodeGroups` entry of the same name, then the Cluster's other entries. */
export function desiredNodeGroups(cluster: Cluster, template: ClusterTemplate): NonNullable<ClusterTemplate['spec']['nodeGroups']> {
  const own = cluster.spec.nodeGroups ?? [];
  const fromTemplate = template.spec.nodeGroups ?? [];
  return [...fromTemplate.map((group) => own.find((o) => o.name === group.name) ?? group), ...own.filter((o) => !fromTemplate.some((group) => group.name === o.name))];
}

/** Creates the node groups (template and Cluster overrides) that do not exist yet, once per cluster. */
export async function materialiseNodeGroups(context: ReconcileContext<Cluster>, cluster: Cluster, template: ClusterTemplate): Promise<Cluster> {
  if (cluster.metadata?.annotations?.[NODE_GROUPS_CREATED_ANNOTATION] === 'true') return cluster;
  const name = cluster.metadata?.name ?? '';
  const namespace = cluster.metadata?.namespace;
  for (const group of desiredNodeGroups(cluster, template)) {
    const objectName = nodeGroupObjectName(name, group.name);
    // Live read: a NodeGroup the CLI created a moment ago may not be in the cache yet.
    if ((await context.client.get(RESOURCES.nodeGroup, objectName, namespace)) !== undefined) continue;
    const { name: _short, ...spec } = group;
    // The template's labels go on every node of every group; a group's own labels win.
    const labels = { ...(template.spec.labels ?? {}), ...(group.labels ?? {}) };
    await context.client.create(RESOURCES.nodeGroup, {
      apiVersion: RESOURCES.nodeGroup.apiVersion,
      kind: RESOURCES.nodeGroup.kind,
      metadata: { name: objectName, namespace, labels: { [CLUSTER_LABEL]: name }, ownerReferences: [ownerReferenceTo(cluster)] },
      spec: { ...spec, ...(Object.keys(labels).length === 0 ? {} : { labels }), clusterName: name },
    });
  }
  return (
    (await context.client.patch<Cluster>(RESOURCES.cluster, name, namespace, { metadata: { annotations: { [NODE_GROUPS_CREATED_ANNOTATION]: 'true' } } }, 'merge')) ??
    cluster
  );
}
