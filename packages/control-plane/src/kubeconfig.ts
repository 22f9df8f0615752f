import { KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

/** Everything a kubeconfig with one cluster, one user and one context needs. */
export interface KubeconfigParts {
  /** Name of the cluster, user and context. */
  readonly name: string;
  readonly server: string;
  readonly caPem: string;
  readonly user: string;
  readonly certPem: string;
  readonly keyPem: string;
}

const b64 = (pem: string): string => Buffer.from(pem).toString('base64');

/** A kubeconfig file (YAML) with embedded certificates, readable by kubectl and every client. */
export function kubeconfigYaml(parts: KubeconfigParts): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: parts.name, cluster: { server: parts.server, 'certificate-authority-data': b64(parts.caPem) } }],
    users: [{ name: parts.user, user: { 'client-certificate-data': b64(parts.certPem), 'client-key-data': b64(parts.keyPem) } }],
    contexts: [{ name: parts.name, context: { cluster: parts.name, user: parts.user } }],
    'current-context': parts.name,
  });
}

/** The same kubeconfig as a loaded `KubeConfig` for `@kubernetes/client-node`. */
export function kubeConfigOf(parts: KubeconfigParts): KubeConfig {
  const config = new KubeConfig();
  config.loadFromString(kubeconfigYaml(parts));
  return config;
}
