import type { KubeClient, KubeObject, ResourceType } from '@beamline/kube';
import type { WebhookSecrets } from './verify.ts';

/** The name of the Secret holding the webhook secrets, in the manager's namespace. */
export const WEBHOOK_SECRET_NAME = 'beamline-webhook';

/** The keys of that Secret: one per provider. */
export const WEBHOOK_SECRET_KEYS = ['github', 'gitlab'] as const;

const SECRETS: ResourceType = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true };

interface SecretObject extends KubeObject {
  readonly data?: Readonly<Record<string, string>>;
}

function decode(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // `echo secret | base64` leaves a newline no webhook form sends: trim it rather than fail every delivery.
  const text = Buffer.from(value, 'base64').toString('utf8').trim();
  return text === '' ? undefined : text;
}

/**
 * A reader of the webhook secrets from the Secret `namespace/name` (keys `github` and `gitlab`),
 * for {@link WebhookRouteOptions.secrets}. Each answer is kept `ttlMs`, so a burst of deliveries
 * costs one read and a created or rotated Secret takes effect within `ttlMs`. A missing Secret
 * reads as no secrets (every delivery is refused); a failed read is not kept, the next delivery
 * retries.
 */
export function webhookSecretsReader(client: KubeClient, namespace: string, name: string = WEBHOOK_SECRET_NAME, ttlMs = 5000): () => Promise<WebhookSecrets> {
  let kept: { readonly at: number; readonly secrets: Promise<WebhookSecrets> } | undefined;
  return () => {
    const now = performance.now();
    if (kept !== undefined && now - kept.at < ttlMs) return kept.secrets;
    const secrets = client.get<SecretObject>(SECRETS, name, namespace).then((secret): WebhookSecrets => {
      const data = secret?.data ?? {};
      const github = decode(data.github);
      const gitlab = decode(data.gitlab);
      return { ...(github === undefined ? {} : { github }), ...(gitlab === undefined ? {} : { gitlab }) };
    });
    const entry = { at: now, secrets };
    kept = entry;
    secrets.catch(() => {
      if (kept === entry) kept = undefined;
    });
    return secrets;
  };
}
