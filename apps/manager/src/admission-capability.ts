import type { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { startAdmission, type Admission, type AdmissionOptions, type SyncedCache } from '@beamline/controllers';
import type { Capability } from './capability.ts';

/** Options of {@link admissionCapability}. */
export interface AdmissionCapabilityOptions {
  /** The management cluster. */
  readonly kubeConfig: KubeConfig;
  /** The manager's namespace: the TLS Secret `beamline-admission-tls` is kept there. */
  readonly namespace: string;
  /** Port of the HTTPS webhook server on 127.0.0.1; 0 picks a free one (the configurations name the one bound). */
  readonly port: number;
  /** Which namespaces' requests are sent. Default: every namespace labelled with a project (tests narrow it). */
  readonly namespaceSelector?: AdmissionOptions['namespaceSelector'];
  /** The webhook configurations' names (tests make them unique). Default `beamline-quota` and `beamline-changed-by`. */
  readonly names?: AdmissionOptions['names'];
  /** The TLS Secret's name. Default `beamline-admission-tls`. */
  readonly secretName?: string;
  /** Default: JSON lines on stdout, like the manager's own default logger. */
  readonly logger?: Logger;
}

/** The admission capability, with what tests read of it. */
export interface AdmissionCapability extends Capability {
  /** The running server: its URL and the CA the configurations trust. */
  readonly admission: Admission;
}

/**
 * Quota at admission and the changed-by stamp: starts the HTTPS webhook server now (its own
 * listener, since the apiserver calls webhooks over TLS only) and registers the
 * ValidatingWebhookConfiguration `beamline-quota` and MutatingWebhookConfiguration
 * `beamline-changed-by` with its URL and CA. Started here rather than with the Manager because
 * admission does not depend on leading: every replica answers the apiserver. Templates and
 * flavors are read from the Manager's cache once it is attached and synced. On stop the server
 * closes; the configurations stay (failurePolicy Fail: no quota is granted while no manager
 * answers, and the next manager to start re-registers its URL).
 */
export async function admissionCapability(options: AdmissionCapabilityOptions): Promise<AdmissionCapability> {
  let cache: SyncedCache | undefined;
  const logger = options.logger ?? pino({ level: process.env.BEAMLINE_LOG_LEVEL ?? 'info' }).child({ capability: 'admission' });
  const admission = await startAdmission({
    kubeConfig: options.kubeConfig,
    namespace: options.namespace,
    port: options.port,
    cache: () => cache,
    logger,
    ...(options.namespaceSelector === undefined ? {} : { namespaceSelector: options.namespaceSelector }),
    ...(options.names === undefined ? {} : { names: options.names }),
    ...(options.secretName === undefined ? {} : { secretName: options.secretName }),
  });
  return {
    name: 'admission',
    controllers: [],
    admission,
    attach: ({ manager }) => {
      cache = { cache: manager.cache, synced: () => manager.readiness().ready };
    },
    stop: () => admission.close(),
  };
}
