import type { Cluster } from '@beamline/api';
import { KubeClient } from '@beamline/kube';
import { workloadKubeConfig } from '@beamline/providers';
import { readSecretKey } from '../cluster/kubeconfig-secret.ts';

/**
 * Clients of workload clusters, one per Cluster, rebuilt when its kubeconfig Secret changes. The
 * kubeconfig (admin credentials) is read from the Cluster's `status.kubeconfigSecretRef` through
 * `workloadKubeConfig`, which refuses exec plugins and files: an imported Cluster's Secret is
 * tenant input. It is never logged.
 */
export class WorkloadClients {
  readonly #clients = new Map<string, { readonly text: string; readonly client: KubeClient }>();

  /** The admin client of a Running Cluster, or undefined when it is not Running or has no kubeconfig yet. */
  async clientOf(management: KubeClient, cluster: Cluster): Promise<KubeClient | undefined> {
    const namespace = cluster.metadata?.namespace ?? 'default';
    const key = `${namespace}/${cluster.metadata?.name ?? ''}`;
    const ref = cluster.status?.kubeconfigSecretRef;
    if (cluster.status?.phase !== 'Running' || ref === undefined) return undefined;
    const text = await readSecretKey(management, namespace, ref.name, ref.key);
    if (text === undefined) return undefined;
    const known = this.#clients.get(key);
    if (known?.text === text) return known.client;
    const client = new KubeClient(workloadKubeConfig(text));
    this.#clients.set(key, { text, client });
    return client;
  }

  /** Forgets a Cluster's client (it was deleted). */
  forget(namespace: string, name: string): void {
    this.#clients.delete(`${namespace}/${name}`);
  }
}
