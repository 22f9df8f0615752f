import { API_VERSION, CLUSTER, nodeGroupShortName, type Cluster, type NodeGroup } from '@beamline/api';
import type { OwnerReference } from '@beamline/kube';

export { kubeconfigSecretName, nodeGroupObjectName } from '@beamline/api';

/** A NodeGroup's short name within its cluster: `<cluster>-<group>` → `<group>`. */
export function groupNameOf(group: NodeGroup): string {
  const name = group.metadata?.name ?? '';
  return nodeGroupShortName(name, group.spec.clusterName) ?? name;
}

/** An ownerReference to a Cluster (controller: true, so garbage collection follows it). */
export function ownerReferenceTo(cluster: Cluster): OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: CLUSTER.kind,
    name: cluster.metadata?.name ?? '',
    uid: cluster.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}
