export type {
  ClusterKubeconfig,
  ClusterProvider,
  ClusterRequest,
  ClusterState,
  ControlPlaneObservation,
  NodeGroupProvider,
  NodeGroupState,
  ReportedNodeGroup,
} from './cluster-provider.ts';
export { ClusterStalledError } from './cluster-stalled-error.ts';
export { DEFAULT_PROVIDER, defaultProviders } from './default-providers.ts';
export { importedProvider } from './imported/imported-provider.ts';
export { kwokNodeGroups, kwokProvider, type KwokProviderOptions } from './kwok/kwok-provider.ts';
export { PROVIDER_NOT_FOUND, ProviderRegistry } from './provider-registry.ts';
export { mapLimit } from './concurrency.ts';
export { jwtIssuersOf } from './trust.ts';
export { probeImportedCluster, type ImportedClusterInfo } from './imported/probe.ts';
export { InvalidKubeconfigError } from './kubeconfig/invalid-kubeconfig-error.ts';
export { MAX_WORKLOAD_KUBECONFIG_BYTES, workloadKubeConfig } from './kubeconfig/workload-kube-config.ts';
export {
  CLUSTER_LABEL,
  desiredNode,
  GPU_PRODUCT_LABEL,
  GPU_RESOURCE,
  INSTANCE_TYPE_LABEL,
  NODE_GROUP_LABEL,
  nodeCapacity,
  nodeIndex,
  nodeLabels,
  nodeName,
  planNodes,
  ZONE_LABEL,
  type NodeFlavor,
  type NodeGroupShape,
  type NodePlan,
} from './kwok/node-plan.ts';
export { drainNode, syncNodeGroup, type NodeSyncOptions, type NodeSyncResult } from './kwok/node-sync.ts';
export {
  deleteKwokCluster,
  ensureKwokCluster,
  kwokClusterDir,
  kwokClusterHealth,
  UnsupportedClusterError,
  type KwokClusterHealth,
  type KwokClusterRequest,
  type KwokClusterState,
} from './kwok/kwok-cluster.ts';
