import { CoreV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';

/** What Beamline reports about an imported cluster. */
export interface ImportedClusterInfo {
  /** The API server URL from the kubeconfig. */
  readonly endpoint: string;
  /** `gitVersion` without the leading `v`, e.g. `1.36.3`. */
  readonly kubernetesVersion: string;
  readonly nodes: { readonly total: number; readonly ready: number };
}

/** Thrown when the kubeconfig cannot be read: the message says which part is wrong, never its content. */
export class InvalidKubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidKubeconfigError';
  }
}

/** Loads a kubeconfig from its YAML text, refusing one without a current cluster. */
export function loadKubeconfig(text: string): KubeConfig {
  const config = new KubeConfig();
  try {
    config.loadFromString(text);
  } catch (error) {
    throw new InvalidKubeconfigError(`the kubeconfig does not parse: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new InvalidKubeconfigError('the kubeconfig has no current context with a cluster');
  return config;
}

/**
 * Asks an existing cluster for its version and nodes. Throws when it cannot be reached; the caller
 * turns that into a condition and retries.
 */
export async function probeImportedCluster(config: KubeConfig): Promise<ImportedClusterInfo> {
  const endpoint = config.getCurrentCluster()?.server ?? '';
  const version = await config.makeApiClient(VersionApi).getCode();
  const nodes = (await config.makeApiClient(CoreV1Api).listNode()).items;
  const ready = nodes.filter((node) => node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true).length;
  return { endpoint, kubernetesVersion: version.gitVersion.replace(/^v/, ''), nodes: { total: nodes.length, ready } };
}
