import { CoreV1Api, VersionApi, type KubeConfig } from '@kubernetes/client-node';

/** What Beamline reports about an imported cluster. */
export interface ImportedClusterInfo {
  /** The API server URL from the kubeconfig. */
  readonly endpoint: string;
  /** `gitVersion` without the leading `v`, e.g. `1.36.3`. */
  readonly kubernetesVersion: string;
  readonly nodes: { readonly total: number; readonly ready: number };
}

/**
 * Asks an existing cluster for its version and nodes. Throws when it cannot be reached; the caller
 * turns that into a condition and retries. `config` comes from `workloadKubeConfig()`, never from
 * `KubeConfig.loadFromString`: the kubeconfig is a tenant's.
 */
export async function probeImportedCluster(config: KubeConfig): Promise<ImportedClusterInfo> {
  const endpoint = config.getCurrentCluster()?.server ?? '';
  const version = await config.makeApiClient(VersionApi).getCode();
  const nodes = (await config.makeApiClient(CoreV1Api).listNode()).items;
  const ready = nodes.filter((node) => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true).length;
  return { endpoint, kubernetesVersion: version.gitVersion.replace(/^v/, ''), nodes: { total: nodes.length, ready } };
}
