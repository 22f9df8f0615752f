// The GitOps push webhook of the manager: GitHub (and Gitea) and GitLab deliveries, verified,
// parsed and matched against Application sources. See docs/design/gitops-webhook.md.
export {
  detectWebhook,
  headerValue,
  parseWebhook,
  providerName,
  PROVIDER_HEADERS,
  type ParsedWebhook,
  type PushEvent,
  type WebhookDelivery,
  type WebhookHeaders,
  type WebhookProvider,
} from './parse-push.ts';
export {
  GITHUB_SIGNATURE_HEADER,
  GITLAB_TOKEN_HEADER,
  verifyGitHubSignature,
  verifyGitLabToken,
  verifyWebhook,
  type VerifyFailure,
  type VerifyResult,
  type WebhookSecrets,
} from './verify.ts';
export { normalizeRepoUrl, pushMatchesSource, revisionMatchesPush, sameRepoUrl, type WebhookSourceRef } from './match.ts';
export { DEFAULT_WEBHOOK_MAX_BODY_BYTES, registerWebhookRoute, WEBHOOK_PATH, type PushOutcome, type WebhookRouteOptions } from './routes.ts';
export { DeliveryLog, deliveryId, type DeliveryLogOptions } from './delivery-log.ts';
export { WEBHOOK_SECRET_KEYS, WEBHOOK_SECRET_NAME, webhookSecretsReader } from './webhook-secrets.ts';
