import { KUBECONFIG_SECRET_KEY } from '@beamline/api';
import type { ClusterProvider } from '../cluster-provider.ts';
import { ClusterStalledError } from '../cluster-stalled-error.ts';
import { InvalidKubeconfigError } from '../kubeconfig/invalid-kubeconfig-error.ts';
import { workloadKubeConfig } from '../kubeconfig/workload-kube-config.ts';
import { probeImportedCluster } from './probe.ts';

/** Secrets are not watched: a missing or unusable one is looked at again after this long. */
const SECRET_RECHECK_MS = 10_000;

/**
 * The imported provider: an existing cluster, reached through the kubeconfig Secret its Cluster
 * names (`spec.imported.kubeconfigSecretRef`). Beamline runs nothing for it: `ensure` asks the
 * cluster for its version and nodes, `delete` forgets it, and its nodes are managed by whoever runs it.
 */
export function importedProvider(): ClusterProvider {
  return {
    name: 'imported',
    // Someone else's API server: looked at every 6 health checks, not every one.
    healthCheckPeriods: 6,
    // Nothing to repair: ensure reports the cluster as it finds it.
    observe: () => Promise.resolve(undefined),
    async ensure({ namespace, cluster, readSecret }) {
      const ref = cluster.spec.imported?.kubeconfigSecretRef;
      const key = ref?.key ?? KUBECONFIG_SECRET_KEY;
      const text = ref === undefined ? undefined : await readSecret(ref.name, key);
      if (ref === undefined || text === undefined) {
        throw new ClusterStalledError('KubeconfigSecretNotFound', `Secret "${ref?.name ?? ''}" with key "${key}" not found in namespace "${namespace}"`, {
          recheckAfterMs: SECRET_RECHECK_MS,
        });
      }
      let info;
      try {
        // A tenant's kubeconfig: read so that it can never run a command as the manager.
        info = await probeImportedCluster(workloadKubeConfig(text));
      } catch (error) {
        if (error instanceof InvalidKubeconfigError) {
          throw new ClusterStalledError('InvalidKubeconfig', error.message, { cause: error, recheckAfterMs: SECRET_RECHECK_MS });
        }
        // The first line is the condition's message: the rest of a client error is a stack of noise.
        throw new Error(`unreachable: ${(error as Error).message.split('\n')[0] ?? ''}`, { cause: error });
      }
      return {
        controlPlane: { ready: true, reason: 'ControlPlaneAvailable', message: `answering at ${info.endpoint}` },
        endpoint: info.endpoint,
        kubernetesVersion: info.kubernetesVersion,
        kubeconfig: { secretRef: { name: ref.name, key } },
        nodeGroups: [{ name: 'imported', replicas: info.nodes.total, readyReplicas: info.nodes.ready }],
      };
    },
    delete: () => Promise.resolve(),
  };
}
