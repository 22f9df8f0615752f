import type { Cluster } from '@beamline/api';
import type { KubeClient } from '@beamline/kube';
import type { ReconcileContext } from '@beamline/reconcile';
import { CLUSTER_LABEL, KUBECONFIG_KEY, RESOURCES } from '../resources.ts';
import { kubeconfigSecretName, ownerReferenceTo } from '../naming.ts';

type SecretObject = { data?: Record<string, string> } & { metadata?: object; apiVersion?: string; kind?: string };

/** Writes (or refreshes) the `<cluster>-kubeconfig` Secret, owned by the cluster. It holds a private key: never logged. */
export async function writeKubeconfigSecret(context: ReconcileContext<Cluster>, cluster: Cluster, kubeconfig: string): Promise<{ name: string; key: string }> {
  const name = kubeconfigSecretName(cluster.metadata?.name ?? '');
  const namespace = cluster.metadata?.namespace;
  const value = Buffer.from(kubeconfig).toString('base64');
  const existing = await context.client.get<SecretObject>(RESOURCES.secret, name, namespace);
  if (existing?.data?.[KUBECONFIG_KEY] !== value) {
    await context.client.apply(RESOURCES.secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace, labels: { [CLUSTER_LABEL]: cluster.metadata?.name ?? '' }, ownerReferences: [ownerReferenceTo(cluster)] },
      type: 'cluster.x-k8s.io/secret',
      data: { [KUBECONFIG_KEY]: value },
    });
  }
  return { name, key: KUBECONFIG_KEY };
}

/** One key of a Secret in `namespace`, decoded; undefined when the Secret or the key is missing. */
export async function readSecretKey(client: KubeClient, namespace: string | undefined, name: string, key: string): Promise<string | undefined> {
  const secret = await client.get<SecretObject>(RESOURCES.secret, name, namespace);
  const data = secret?.data?.[key];
  return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
}
