import type { BinaryPaths } from '@beamline/binaries';
import type { ClusterProvider, NodeGroupProvider } from '../cluster-provider.ts';
import { deleteKwokCluster, ensureKwokCluster, kwokClusterHealth } from './kwok-cluster.ts';
import { syncNodeGroup } from './node-sync.ts';

/** What the kwok provider needs from the manager. */
export interface KwokProviderOptions {
  /** `$BEAMLINE_HOME`: where kwok clusters keep their processes' folders. */
  readonly home: string;
  readonly binaries: BinaryPaths;
  /** The Kubernetes version the binaries are: the only one this provider runs. */
  readonly kubernetesVersion: string;
}

/** The nodes of kwok clusters: Node objects kwok plays, made to match each group. */
export const kwokNodeGroups: NodeGroupProvider = {
  sync: (workload, shape) => syncNodeGroup(workload, shape),
  // Scaling to zero drains and deletes; the flavor does not matter for nodes about to go.
  remove: async (workload, { group, cluster }) => {
    await syncNodeGroup(workload, { group, cluster, flavor: { name: 'removed', cpu: '1', memory: '1Gi' }, replicas: 0 });
  },
};

/**
 * The kwok provider: a real control plane per cluster, run detached under
 * `<home>/clusters/<namespace>/<name>/`, whose nodes kwok simulates. A control plane that died is
 * reported by `observe` and restarted by `ensure` (same ports, PKI and data).
 */
export function kwokProvider(options: KwokProviderOptions): ClusterProvider {
  return {
    name: 'kwok',
    async observe({ namespace, name }) {
      const health = await kwokClusterHealth(options.home, namespace, name);
      if (!health.provisioned) return undefined;
      if (health.ready && health.dead.length === 0) return { ready: true, message: 'the control plane answers' };
      return { ready: false, message: health.dead.length > 0 ? `${health.dead.join(', ')} not running` : 'the endpoint does not answer' };
    },
    async ensure({ namespace, name, template, trust }) {
      const replicas = template.spec.controlPlane.replicas;
      const state = await ensureKwokCluster({
        home: options.home,
        namespace,
        name,
        controlPlaneReplicas: replicas === 3 ? 3 : 1,
        kubernetesVersion: template.spec.kubernetesVersion,
        availableVersion: options.kubernetesVersion,
        binaries: options.binaries,
        trust: trust ?? [],
      });
      return {
        controlPlane: { ready: state.ready, reason: state.reason, message: state.message },
        endpoint: state.endpoint,
        kubernetesVersion: options.kubernetesVersion,
        controlPlaneReplicas: replicas,
        kubeconfig: { publish: state.kubeconfig },
      };
    },
    delete: ({ namespace, name }) => deleteKwokCluster(options.home, namespace, name),
    nodeGroups: kwokNodeGroups,
  };
}
