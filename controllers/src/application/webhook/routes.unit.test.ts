import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { fastify, type FastifyInstance, type InjectOptions } from 'fastify';
import type { PushEvent } from './parse-push.ts';
import { registerWebhookRoute, type WebhookRouteOptions } from './routes.ts';
import { githubPingPayload, githubPushPayload, gitlabPushPayload } from './testing/payloads.ts';
import type { WebhookSecrets } from './verify.ts';

const GITHUB_SECRET = 'gh-s3cret';
const GITLAB_SECRET = 'gl-t0ken';

interface Harness {
  readonly app: FastifyInstance;
  readonly pushes: PushEvent[];
}

function harness(options: Partial<WebhookRouteOptions> & { secretsValue?: WebhookSecrets } = {}): Harness {
  const pushes: PushEvent[] = [];
  const app = fastify({ logger: false });
  registerWebhookRoute(app, {
    secrets: () => Promise.resolve(options.secretsValue ?? { github: GITHUB_SECRET, gitlab: GITLAB_SECRET }),
    onPush: (event) => {
      pushes.push(event);
      return Promise.resolve({ refreshed: 2, applications: ['team-a/web', 'team-b/api'] });
    },
    ...options,
  });
  return { app, pushes };
}

const sign = (body: string | Buffer, secret = GITHUB_SECRET): string => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

function githubDelivery(event: string, body: string, headers: Record<string, string> = {}): InjectOptions {
  return {
    method: 'POST',
    url: '/api/webhook',
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-hub-signature-256': sign(body), ...headers },
    payload: body,
  };
}

describe('POST /api/webhook', () => {
  test('200: a signed GitHub push reaches onPush, and the answer says what was refreshed', async () => {
    const { app, pushes } = harness();
    // Pretty-printed on purpose: the signature is over these bytes, not over a re-serialisation.
    const body = JSON.stringify(githubPushPayload(), null, 2);
    const response = await app.inject(githubDelivery('push', body));
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { message: 'GitHub push of refs/heads/main: refreshed 2 Applications', refreshed: 2, applications: ['team-a/web', 'team-b/api'] });
    assert.equal(pushes.length, 1);
    assert.equal(pushes[0]?.branch, 'main');
    assert.equal(pushes[0]?.repoUrls[0], 'https://github.com/Octo-Org/Hello-World.git');
  });

  test("200: GitHub's form-encoded content type (payload=...) is accepted too", async () => {
    const { app, pushes } = harness();
    const body = new URLSearchParams({ payload: JSON.stringify(githubPushPayload()) }).toString();
    const response = await app.inject(githubDelivery('push', body, { 'content-type': 'application/x-www-form-urlencoded' }));
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(pushes.length, 1);
  });

  test('200: a GitLab push with its token', async () => {
    const { app, pushes } = harness();
    const response = await app.inject({
      method: 'POST',
      url: '/api/webhook',
      headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': GITLAB_SECRET },
      payload: JSON.stringify(gitlabPushPayload()),
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.equal(pushes[0]?.provider, 'gitlab');
  });

  test('202: a signed ping, and an ignored event, without calling onPush', async () => {
    const { app, pushes } = harness();
    const ping = await app.inject(githubDelivery('ping', JSON.stringify(githubPingPayload())));
    assert.equal(ping.statusCode, 202, ping.body);
    assert.match((ping.json<{ message: string }>()).message, /pong/);
    const issues = await app.inject(githubDelivery('issues', '{"action":"opened"}'));
    assert.equal(issues.statusCode, 202);
    assert.match((issues.json<{ message: string }>()).message, /ignored the GitHub event "issues"/);
    assert.equal(pushes.length, 0);
  });

  test('202 only after verification: an unsigned ping is refused', async () => {
    const { app } = harness();
    const response = await app.inject(githubDelivery('ping', '{}', { 'x-hub-signature-256': sign('{}', 'wrong') }));
    assert.equal(response.statusCode, 401);
  });

  test('400: no provider header, a body that is not JSON, a push without ref', async () => {
    const { app, pushes } = harness();
    const noProvider = await app.inject({ method: 'POST', url: '/api/webhook', headers: { 'content-type': 'application/json' }, payload: '{}' });
    assert.equal(noProvider.statusCode, 400);
    assert.match((noProvider.json<{ message: string }>()).message, /X-GitHub-Event.*X-Gitlab-Event/);

    const notJson = await app.inject(githubDelivery('push', '{"ref": refs/heads/main'));
    assert.equal(notJson.statusCode, 400);
    assert.match((notJson.json<{ message: string }>()).message, /not valid JSON/);

    const noRef = await app.inject(githubDelivery('push', JSON.stringify(githubPushPayload({ ref: undefined }))));
    assert.equal(noRef.statusCode, 400);
    assert.match((noRef.json<{ message: string }>()).message, /no "ref"/);
    assert.equal(pushes.length, 0);
  });

  test('401: a bad or missing signature or token, and onPush is not called', async () => {
    const { app, pushes } = harness();
    const body = JSON.stringify(githubPushPayload());
    const cases = [
      githubDelivery('push', body, { 'x-hub-signature-256': sign(body, 'guessed') }),
      githubDelivery('push', body, { 'x-hub-signature-256': sign(`${body} `) }),
      { ...githubDelivery('push', body), headers: { 'content-type': 'application/json', 'x-github-event': 'push' } },
      { method: 'POST' as const, url: '/api/webhook', headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'guessed' }, payload: body },
      { method: 'POST' as const, url: '/api/webhook', headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook' }, payload: body },
    ];
    for (const delivery of cases) {
      const response = await app.inject(delivery);
      assert.equal(response.statusCode, 401, response.body);
      assert.equal(typeof (response.json<{ message: string }>()).message, 'string');
    }
    assert.equal(pushes.length, 0);
  });

  test('401: no secret configured for the provider, naming the Secret to create', async () => {
    const { app, pushes } = harness({ secretsValue: { gitlab: GITLAB_SECRET } });
    // Signed with an empty key: what an attacker could compute if an empty secret were accepted.
    const body = JSON.stringify(githubPushPayload());
    const response = await app.inject(githubDelivery('push', body, { 'x-hub-signature-256': sign(body, '') }));
    assert.equal(response.statusCode, 401);
    assert.match((response.json<{ message: string }>()).message, /no GitHub webhook secret is configured.*create the Secret beamline-system\/beamline-webhook with the key "github"/);
    assert.equal(pushes.length, 0);
  });

  test('413: a body over maxBodyBytes, before anything is read or called', async () => {
    let secretsRead = 0;
    const { app, pushes } = harness({
      maxBodyBytes: 1024,
      secrets: () => {
        secretsRead++;
        return Promise.resolve({ github: GITHUB_SECRET });
      },
    });
    const body = JSON.stringify(githubPushPayload({ padding: 'x'.repeat(2048) }));
    const response = await app.inject(githubDelivery('push', body));
    assert.equal(response.statusCode, 413);
    assert.match((response.json<{ message: string }>()).message, /larger than the webhook accepts \(1024 bytes\)/);
    assert.deepEqual([secretsRead, pushes.length], [0, 0]);
  });

  test('415: a content type other than JSON or form-encoded', async () => {
    const { app } = harness();
    const response = await app.inject(githubDelivery('push', 'hello', { 'content-type': 'text/plain' }));
    assert.equal(response.statusCode, 415);
    assert.match((response.json<{ message: string }>()).message, /application\/json/);
  });

  test('500: a failed secrets read or onPush, with a message', async () => {
    const body = JSON.stringify(githubPushPayload());
    const noSecrets = harness({ secrets: () => Promise.reject(new Error('apiserver unavailable')) });
    const failed = await noSecrets.app.inject(githubDelivery('push', body));
    assert.equal(failed.statusCode, 500);
    assert.match((failed.json<{ message: string }>()).message, /failed to read the webhook secrets from Secret beamline-system\/beamline-webhook/);

    const broken = harness({ onPush: () => Promise.reject(new Error('cache not synced')) });
    const response = await broken.app.inject(githubDelivery('push', body));
    assert.equal(response.statusCode, 500);
    assert.match((response.json<{ message: string }>()).message, /failed to refresh Applications: cache not synced/);
  });

  test("the raw-body parser stays in the webhook's scope: other routes still get parsed JSON", async () => {
    const { app } = harness();
    app.post('/other', (request, reply) => reply.send({ body: request.body }));
    const response = await app.inject({ method: 'POST', url: '/other', headers: { 'content-type': 'application/json' }, payload: '{"a":1}' });
    assert.deepEqual(response.json(), { body: { a: 1 } });
  });

  test('202: a replayed signed delivery (same delivery id) refreshes nothing; new ids, id-less GitHub deliveries and retries after a failure go through', async () => {
    const body = JSON.stringify(githubPushPayload());
    const { app, pushes } = harness();
    assert.equal((await app.inject(githubDelivery('push', body))).statusCode, 200);
    const replay = await app.inject(githubDelivery('push', body));
    assert.equal(replay.statusCode, 202, replay.body);
    assert.match(replay.json<{ message: string }>().message, /delivery 72d3162e-cc78-11e3-81ab-4c9367dc0958 was handled already: nothing refreshed/);
    assert.equal(pushes.length, 1);
    assert.equal((await app.inject(githubDelivery('push', body, { 'x-github-delivery': 'another-delivery' }))).statusCode, 200);
    // No id: accepted every time (nothing to recognise a replay by).
    const withoutId = githubDelivery('push', body);
    delete (withoutId.headers as Record<string, string>)['x-github-delivery'];
    assert.equal((await app.inject(withoutId)).statusCode, 200);
    assert.equal((await app.inject(withoutId)).statusCode, 200);
    assert.equal(pushes.length, 4);

    // GitLab: Idempotency-Key (kept across its retries), else X-Gitlab-Event-UUID.
    const gitlab = (headers: Record<string, string>): InjectOptions => ({
      method: 'POST',
      url: '/api/webhook',
      headers: { 'content-type': 'application/json', 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': GITLAB_SECRET, ...headers },
      payload: JSON.stringify(gitlabPushPayload()),
    });
    assert.equal((await app.inject(gitlab({ 'idempotency-key': 'k1', 'x-gitlab-event-uuid': 'u1' }))).statusCode, 200);
    assert.equal((await app.inject(gitlab({ 'idempotency-key': 'k1', 'x-gitlab-event-uuid': 'u2' }))).statusCode, 202);
    assert.equal((await app.inject(gitlab({ 'x-gitlab-event-uuid': 'u3' }))).statusCode, 200);
    assert.equal((await app.inject(gitlab({ 'x-gitlab-event-uuid': 'u3' }))).statusCode, 202);
    assert.equal(pushes.length, 6);

    // An unsigned delivery with a real id does not use the id up.
    const fresh = harness();
    const forged = githubDelivery('push', body, { 'x-github-delivery': 'real-id', 'x-hub-signature-256': sign(body, 'guessed') });
    assert.equal((await fresh.app.inject(forged)).statusCode, 401);
    assert.equal((await fresh.app.inject(githubDelivery('push', body, { 'x-github-delivery': 'real-id' }))).statusCode, 200);

    // A delivery that failed on our side can be retried with the same id.
    let fail = true;
    const flaky = harness({ onPush: () => (fail ? Promise.reject(new Error('cache not synced')) : Promise.resolve({ refreshed: 0, applications: [] })) });
    assert.equal((await flaky.app.inject(githubDelivery('push', body))).statusCode, 500);
    fail = false;
    assert.equal((await flaky.app.inject(githubDelivery('push', body))).statusCode, 200);
  });
});

describe('POST /api/webhook refusals', () => {
  test('are the named HTTP errors of @beamline/errors: { error: { name, message }, message }', async () => {
    const { app } = harness();
    const unsigned = await app.inject(githubDelivery('push', '{}', { 'x-hub-signature-256': 'sha256=00' }));
    const unsignedBody = unsigned.json<{ error: { name: string; message: string }; message: string }>();
    assert.equal(unsignedBody.error.name, 'UnauthorizedError');
    assert.equal(unsignedBody.error.message, unsignedBody.message);
    const tooLarge = await harness({ maxBodyBytes: 16 }).app.inject(githubDelivery('push', JSON.stringify({ ref: 'refs/heads/main', padding: 'x'.repeat(64) })));
    assert.equal(tooLarge.json<{ error: { name: string } }>().error.name, 'PayloadTooLargeError');
  });
});
