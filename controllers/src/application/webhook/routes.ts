import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { httpErrorHandler, InputError, InternalServerError, PayloadTooLargeError, UnauthorizedError, UnsupportedMediaTypeError } from '@beamline/errors';
import { redactUrl } from '@beamline/gitops';
import { DeliveryLog, deliveryId } from './delivery-log.ts';
import { detectWebhook, parseWebhook, providerName, type PushEvent, type WebhookHeaders } from './parse-push.ts';
import { verifyWebhook, type WebhookSecrets } from './verify.ts';
import { WEBHOOK_SECRET_NAME } from './webhook-secrets.ts';

/** The path of the webhook endpoint. */
export const WEBHOOK_PATH = '/api/webhook';

/** The default largest body accepted: 1 MiB (GitHub caps its payloads at 25 MB, but a push is a few KiB). */
export const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;

/** What {@link WebhookRouteOptions.onPush} did. */
export interface PushOutcome {
  /** How many Applications were asked to refresh. */
  readonly refreshed: number;
  /** Them, as `namespace/name`. */
  readonly applications: readonly string[];
}

/** Options of {@link registerWebhookRoute}. */
export interface WebhookRouteOptions {
  /** The secrets, read on every delivery (cache them, e.g. with `webhookSecretsReader`). */
  secrets(): Promise<WebhookSecrets>;
  /** Refreshes the Applications a verified push concerns. Never called for an unverified delivery. */
  onPush(event: PushEvent): Promise<PushOutcome>;
  /** Where verified pushes and refused deliveries are logged. */
  readonly logger?: Logger;
  /** The largest body accepted; larger ones get 413. Default {@link DEFAULT_WEBHOOK_MAX_BODY_BYTES}. */
  readonly maxBodyBytes?: number;
  /** `namespace/name` of the Secret the secrets come from, for the message when one is missing. Default `beamline-system/beamline-webhook`. */
  readonly secretName?: string;
  /** Delivery ids already handled (replays are refused); a new one of 10 000 ids for 24 h by default. */
  readonly deliveries?: DeliveryLog;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;
const FORM_TYPE = 'application/x-www-form-urlencoded';

type Body = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

function mediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

// GitHub's "application/x-www-form-urlencoded" content type sends the JSON as the `payload` field.
function parseBody(type: string, raw: Buffer): Body {
  let text = raw.toString('utf8');
  if (type === FORM_TYPE) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) return { ok: false, message: 'the form-encoded body has no "payload" field' };
    text = payload;
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `the body is not valid JSON: ${(error as Error).message}` };
  }
}

/**
 * Adds `POST /api/webhook`, the push webhook of GitHub (and Gitea) and GitLab, in its own plugin
 * scope: its body parser keeps the raw bytes (the signature is over them), without touching the
 * app's other routes. Refusals are thrown as named HTTP errors (`@beamline/errors`), answered by
 * the one error handler (set again in the scope for its wording of a body over the limit). Every
 * answer is JSON with a `message`:
 *
 * - 200 `{ refreshed, applications }`: a verified push, handed to `onPush`;
 * - 202: a verified ping, an event other than a push (ignored), or a replay: a push whose delivery
 *   id (`X-GitHub-Delivery`, GitLab's `Idempotency-Key` or `X-Gitlab-Event-UUID`) was handled
 *   in the last 24 h, which refreshes nothing (a delivery without an id is handled as usual);
 * - 400: no provider header, a body that is not JSON, a push without ref or repository;
 * - 401: a missing or wrong signature or token, or no secret configured for that provider
 *   (unsigned deliveries are never accepted);
 * - 413: a body over `maxBodyBytes`; 415: a content type other than JSON or form-encoded;
 * - 500: the secrets could not be read, or `onPush` failed.
 */
export function registerWebhookRoute(app: FastifyInstance, options: WebhookRouteOptions): void {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES;
  const secretName = options.secretName ?? `beamline-system/${WEBHOOK_SECRET_NAME}`;
  const logger = options.logger;
  const deliveries = options.deliveries ?? new DeliveryLog();

  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    // Every type reaches the handler as bytes: it checks the signature first, then picks the parser.
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_request, body, parsed) => parsed(null, body));
    scope.setErrorHandler(
      httpErrorHandler({
        ...(logger === undefined ? {} : { logger }),
        translate: (error) => (error.statusCode === 413 ? new PayloadTooLargeError(`the body is larger than the webhook accepts (${maxBodyBytes} bytes)`, { cause: error }) : undefined),
      }),
    );
    scope.post(WEBHOOK_PATH, { bodyLimit: maxBodyBytes }, (request, reply) => handle(request, reply));
    done();
  });

  async function handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const headers = request.headers as WebhookHeaders;
    const delivery = detectWebhook(headers);
    if (delivery === undefined) {
      throw new InputError('not a GitHub or GitLab webhook delivery: neither an X-GitHub-Event nor an X-Gitlab-Event header');
    }
    const name = providerName(delivery.provider);
    const type = mediaType(request);
    if (!JSON_TYPE.test(type) && type !== FORM_TYPE) {
      throw new UnsupportedMediaTypeError(`content type "${type}" is not supported: configure the ${name} webhook with content type application/json`);
    }
    const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);

    let secrets: WebhookSecrets;
    try {
      secrets = await options.secrets();
    } catch (error) {
      logger?.error({ err: error }, 'failed to read the webhook secrets');
      throw new InternalServerError(`failed to read the webhook secrets from Secret ${secretName}`, { cause: error });
    }
    const verified = verifyWebhook(delivery.provider, headers, raw, secrets);
    if (!verified.ok) {
      logger?.warn({ provider: delivery.provider, event: delivery.event, reason: verified.reason, remote: request.ip }, 'refused a webhook delivery');
      const message =
        verified.reason === 'no-secret' ? `${verified.message}; create the Secret ${secretName} with the key "${delivery.provider}"` : verified.message;
      throw new UnauthorizedError(message);
    }

    const body = parseBody(type, raw);
    if (!body.ok) throw new InputError(body.message);
    const parsed = parseWebhook(headers, body.value);
    if (parsed === undefined) throw new InputError('not a GitHub or GitLab webhook delivery');
    switch (parsed.kind) {
      case 'ping':
        return reply.code(202).send({ message: `pong: the ${name} webhook is verified` });
      case 'ignored':
        return reply.code(202).send({ message: parsed.message });
      case 'invalid':
        throw new InputError(parsed.message);
      case 'push':
        break;
    }
    const push = parsed.push;
    // Remembered only once verified: unsigned requests cannot block a real delivery's id.
    const id = deliveryId(delivery.provider, headers);
    const key = id === undefined ? undefined : `${delivery.provider}:${id}`;
    if (key !== undefined && !deliveries.remember(key)) {
      logger?.warn({ provider: push.provider, delivery: id, remote: request.ip }, 'ignored a replayed webhook delivery');
      return reply.code(202).send({ message: `delivery ${id ?? ''} was handled already: nothing refreshed` });
    }
    let outcome: PushOutcome;
    try {
      outcome = await options.onPush(push);
    } catch (error) {
      if (key !== undefined) deliveries.forget(key);
      logger?.error({ err: error, provider: push.provider, ref: push.ref, repo: redactUrl(push.repoUrls[0] ?? '') }, 'failed to refresh Applications for a push');
      throw new InternalServerError(`failed to refresh Applications: ${(error as Error).message}`, { cause: error });
    }
    logger?.info({ provider: push.provider, ref: push.ref, repo: redactUrl(push.repoUrls[0] ?? ''), after: push.after, refreshed: outcome.refreshed }, 'webhook push');
    return reply.code(200).send({
      message: `${name} push of ${push.ref}: refreshed ${outcome.refreshed} Application${outcome.refreshed === 1 ? '' : 's'}`,
      refreshed: outcome.refreshed,
      applications: outcome.applications,
    });
  }
}
