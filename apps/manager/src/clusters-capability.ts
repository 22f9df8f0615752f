import { clusterControllers } from '@beamline/controllers';
import type { Capability } from './capability.ts';

/** Options of {@link clustersCapability}: those of the Cluster reconciler (home, binaries, Kubernetes version, providers). */
export type ClustersCapabilityOptions = Parameters<typeof clusterControllers>[0];

/**
 * Clusters as a service: the ClusterTemplate, Cluster and NodeGroup controllers. Nothing to stop:
 * the workload clusters' processes outlive the manager on purpose (a restarted manager adopts them).
 */
export function clustersCapability(options: ClustersCapabilityOptions): Capability {
  return { name: 'clusters', controllers: clusterControllers(options) };
}
