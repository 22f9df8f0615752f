import type { KubeConfig } from '@kubernetes/client-node';
import { ApplicationController, claimGitopsWorkDir, registerWebhookRoute, webhookSecretsReader, WEBHOOK_SECRET_NAME } from '@beamline/controllers';
import type { Capability } from './capability.ts';

/** Options of {@link deliveryCapability}. */
export interface DeliveryCapabilityOptions {
  /** The management cluster. */
  readonly kubeConfig: KubeConfig;
  /** `$BEAMLINE_HOME`: the git mirrors live in a folder of this process under `gitops/`. */
  readonly home: string;
  /** The pinned helm and kubectl (kustomize). */
  readonly binaries: { readonly helm: string; readonly kubectl: string };
  /** The Kubernetes version charts are rendered for. */
  readonly kubernetesVersion: string;
  /** Namespace of the webhook Secret (`beamline-webhook`): the manager's own, beside its Lease. */
  readonly webhookSecretNamespace: string;
}

/**
 * GitOps delivery: the Application controller, and `POST /api/webhook` (GitHub and GitLab pushes,
 * verified against the Secret `<webhookSecretNamespace>/beamline-webhook`) on the manager's HTTP
 * surface. Claims the process's git-mirror folder now (stable across restarts, see
 * `claimGitopsWorkDir`) and releases it on stop, after the destinations' watches.
 */
export async function deliveryCapability(options: DeliveryCapabilityOptions): Promise<Capability> {
  const workDir = await claimGitopsWorkDir(options.home);
  const gitops = new ApplicationController({ kubeConfig: options.kubeConfig, workDir: workDir.dir, binaries: options.binaries, kubernetesVersion: options.kubernetesVersion });
  return {
    name: 'delivery',
    controllers: [gitops.controller],
    // The controller's metrics are merged by attach, with its cache: it does not hand them out.
    attach: ({ manager }) => gitops.attach(manager),
    routes: (app, { manager, logger }) =>
      registerWebhookRoute(app, {
        secrets: webhookSecretsReader(manager.client, options.webhookSecretNamespace),
        secretName: `${options.webhookSecretNamespace}/${WEBHOOK_SECRET_NAME}`,
        onPush: (push) => gitops.refreshForPush(push),
        logger: logger.child({ capability: 'delivery' }),
      }),
    stop: async () => {
      try {
        await gitops.stop();
      } finally {
        await workDir.release();
      }
    },
  };
}
