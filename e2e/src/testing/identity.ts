import type { KubeConfig } from '@kubernetes/client-node';
import { API_VERSION, PLATFORM_CONFIG_NAME } from '@beamline/api';
import { clientFor } from '@beamline/kube';
import type { SharedIdentity } from '@beamline/testenv';

/**
 * Points the shared plane's PlatformConfig at the run's identity provider (server-side applied as
 * `fieldManager`, so only `spec.identity` is touched): what `beamline up` does in the sandbox.
 */
export async function useRunIdentity(kubeConfig: KubeConfig, identity: SharedIdentity, fieldManager: string): Promise<void> {
  await clientFor(kubeConfig).patch(
    { apiVersion: API_VERSION, kind: 'PlatformConfig', plural: 'platformconfigs', namespaced: false },
    PLATFORM_CONFIG_NAME,
    undefined,
    {
      apiVersion: API_VERSION,
      kind: 'PlatformConfig',
      metadata: { name: PLATFORM_CONFIG_NAME },
      spec: { identity: { issuer: identity.issuer, clientID: identity.clientID, certificateAuthority: identity.caPem } },
    },
    'apply',
    { fieldManager, force: true },
  );
}

/**
 * Deletes the admission webhook configurations a manager process registered on the shared plane:
 * they name every project namespace and fail closed, so they must not outlive the test's manager.
 */
export async function removeAdmissionWebhooks(kubeConfig: KubeConfig): Promise<void> {
  const client = clientFor(kubeConfig);
  for (const [plural, name] of [['validatingwebhookconfigurations', 'beamline-quota'], ['mutatingwebhookconfigurations', 'beamline-changed-by']] as const) {
    await client.delete({ apiVersion: 'admissionregistration.k8s.io/v1', kind: 'WebhookConfiguration', plural, namespaced: false }, name).catch(() => undefined);
  }
}
