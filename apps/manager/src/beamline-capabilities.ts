import type { KubeConfig } from '@kubernetes/client-node';
import { admissionCapability } from './admission-capability.ts';
import type { Capability } from './capability.ts';
import { clustersCapability } from './clusters-capability.ts';
import { deliveryCapability } from './delivery-capability.ts';
import { portalCapability } from './portal-capability.ts';
import { tenancyCapability } from './tenancy-capability.ts';

/** Options of {@link beamlineCapabilities}. */
export interface BeamlineCapabilitiesOptions {
  readonly kubeConfig: KubeConfig;
  /** `$BEAMLINE_HOME`: kwok clusters' processes and the git mirrors. */
  readonly home: string;
  /** The pinned binaries. */
  readonly binaries: Parameters<typeof clustersCapability>[0]['binaries'];
  /** The Kubernetes version of the binaries. */
  readonly kubernetesVersion: string;
  /** The manager's namespace (its Lease, the webhook Secret and the admission TLS Secret). */
  readonly namespace: string;
  /** Port of the admission webhooks' HTTPS server on 127.0.0.1. Default 0: a free port. */
  readonly admissionPort?: number;
  /** The manager's URL as browsers reach it (the portal's OIDC redirect URI is `<portalUrl>/auth/callback`). Default: the request's loopback origin. */
  readonly portalUrl?: string;
}

/**
 * The composition root's list: every capability the `beamline manager` process runs, in order
 * (stopped in reverse). A new capability (tenants, the catalog, the portal API) is one more line.
 */
export async function beamlineCapabilities(options: BeamlineCapabilitiesOptions): Promise<Capability[]> {
  const { home, binaries, kubernetesVersion } = options;
  return [
    clustersCapability({ home, binaries, kubernetesVersion }),
    tenancyCapability(),
    await deliveryCapability({ kubeConfig: options.kubeConfig, home, binaries, kubernetesVersion, webhookSecretNamespace: options.namespace }),
    await admissionCapability({ kubeConfig: options.kubeConfig, namespace: options.namespace, port: options.admissionPort ?? 0 }),
    portalCapability({ sessionKeyNamespace: options.namespace, preview: { home, binaries }, ...(options.portalUrl === undefined ? {} : { publicUrl: options.portalUrl }) }),
  ];
}
