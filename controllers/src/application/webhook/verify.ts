import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { headerValue, providerName, type WebhookHeaders, type WebhookProvider } from './parse-push.ts';

/** The webhook secrets, one per provider; a provider without one is refused. */
export interface WebhookSecrets {
  /** The "Secret" of GitHub (and Gitea) webhooks: the HMAC-SHA256 key. */
  readonly github?: string;
  /** The "Secret token" of GitLab webhooks, sent back as is in `X-Gitlab-Token`. */
  readonly gitlab?: string;
}

/** Why a delivery was not verified. */
export type VerifyFailure = 'no-secret' | 'missing-header' | 'bad-signature';

/** The outcome of {@link verifyWebhook}: ok, or why not with a message safe to send back. */
export type VerifyResult = { readonly ok: true } | { readonly ok: false; readonly reason: VerifyFailure; readonly message: string };

/** The header of GitHub's HMAC-SHA256 signature. */
export const GITHUB_SIGNATURE_HEADER = 'x-hub-signature-256';
/** The header carrying GitLab's secret token. */
export const GITLAB_TOKEN_HEADER = 'x-gitlab-token';

const OK: VerifyResult = { ok: true };
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;

function configured(secret: string | undefined): secret is string {
  // An empty key would make every HMAC computable by anyone: treat it as no secret at all.
  return secret !== undefined && secret !== '';
}

function noSecret(provider: WebhookProvider): VerifyResult {
  return { ok: false, reason: 'no-secret', message: `no ${providerName(provider)} webhook secret is configured: unsigned deliveries are never accepted` };
}

/**
 * Checks GitHub's `X-Hub-Signature-256: sha256=<hex>`: the HMAC-SHA256 of the raw body bytes (as
 * sent, before any parsing) keyed with `secret`, compared in constant time.
 */
export function verifyGitHubSignature(rawBody: Uint8Array, signature: string | undefined, secret: string | undefined): VerifyResult {
  if (!configured(secret)) return noSecret('github');
  if (signature === undefined || signature === '') {
    return { ok: false, reason: 'missing-header', message: `the delivery has no ${GITHUB_SIGNATURE_HEADER} header: set the webhook's secret in GitHub` };
  }
  const hex = SIGNATURE.exec(signature.trim())?.[1];
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  const given = hex === undefined ? undefined : Buffer.from(hex, 'hex');
  // timingSafeEqual throws on different lengths; the length of a sha256 is no secret.
  if (given === undefined || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad-signature', message: `the ${GITHUB_SIGNATURE_HEADER} signature does not match: check that GitHub and Beamline have the same secret` };
  }
  return OK;
}

/**
 * Checks GitLab's `X-Gitlab-Token` against `secret` in constant time. Both sides are hashed first
 * so that the comparison takes as long whatever the token's length.
 */
export function verifyGitLabToken(token: string | undefined, secret: string | undefined): VerifyResult {
  if (!configured(secret)) return noSecret('gitlab');
  if (token === undefined || token === '') {
    return { ok: false, reason: 'missing-header', message: `the delivery has no ${GITLAB_TOKEN_HEADER} header: set the webhook's secret token in GitLab` };
  }
  const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
  if (!timingSafeEqual(digest(token), digest(secret))) {
    return { ok: false, reason: 'bad-signature', message: `the ${GITLAB_TOKEN_HEADER} token does not match: check that GitLab and Beamline have the same secret token` };
  }
  return OK;
}

/** Verifies a delivery of `provider` with that provider's secret (see the two functions above). */
export function verifyWebhook(provider: WebhookProvider, headers: WebhookHeaders, rawBody: Uint8Array, secrets: WebhookSecrets): VerifyResult {
  return provider === 'github'
    ? verifyGitHubSignature(rawBody, headerValue(headers, GITHUB_SIGNATURE_HEADER), secrets.github)
    : verifyGitLabToken(headerValue(headers, GITLAB_TOKEN_HEADER), secrets.gitlab);
}
