// The portal's pure parts: sealed cookies, sessions, the identity mapping, the fleet index.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { fastify, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { API_VERSION, PROJECT_LABEL } from '@beamline/api';
import { httpErrorHandler } from '@beamline/errors';
import type { KubeClient, KubeObject } from '@beamline/kube';
import { AccessReviewer } from './access.ts';
import { EventStream, MAX_BUFFERED_BYTES, MAX_PENDING_EVENTS } from './events.ts';
import { FleetIndex } from './fleet.ts';
import type { KubeUpstream } from './kube-upstream.ts';
import type { PortalCache, PortalChange } from './portal-cache.ts';
import { PortalRoutes } from './routes.ts';
import { seal, unseal } from './seal.ts';
import { csrfMatches, kubernetesIdentity, openLoginState, openSession, sealLoginState, sealSession, type Session } from './session.ts';

const key = randomBytes(32);
const session: Session = { sid: 'sid-1', user: 'oidc:alice@example.org', groups: ['oidc:physics'], exp: 2_000_000_000, csrf: 'csrf-token' };

describe('sealed cookies', () => {
  test('what is sealed opens with the same key and purpose, and with nothing else', () => {
    const sealed = seal(key, 'purpose', { a: 1 });
    assert.deepEqual(unseal(key, 'purpose', sealed), { a: 1 });
    assert.equal(unseal(randomBytes(32), 'purpose', sealed), undefined, 'another key');
    assert.equal(unseal(key, 'other', sealed), undefined, 'another purpose');
    assert.equal(unseal(key, 'purpose', 'v1.garbage'), undefined);
    assert.equal(unseal(key, 'purpose', ''), undefined);
    assert.doesNotMatch(sealed, /"a"/, 'the payload is encrypted');
  });

  test('any altered byte is refused (GCM tag)', () => {
    const sealed = seal(key, 'purpose', { user: 'alice' });
    const raw = Buffer.from(sealed.slice(3), 'base64url');
    for (const position of [0, 12, raw.length - 17, raw.length - 1]) {
      const altered = Buffer.from(raw);
      altered[position] = (altered[position] ?? 0) ^ 1;
      assert.equal(unseal(key, 'purpose', `v1.${altered.toString('base64url')}`), undefined, `byte ${String(position)}`);
    }
  });

  test('a session opens until it expires; a login state is not a session', () => {
    const cookie = sealSession(key, session);
    assert.deepEqual(openSession(key, cookie, 1_999_999_999), session);
    assert.equal(openSession(key, cookie, 2_000_000_000), undefined, 'expired');
    const login = sealLoginState(key, { state: 's', nonce: 'n', verifier: 'v', exp: 2_000_000_000 });
    assert.equal(openSession(key, login, 0), undefined);
    assert.deepEqual(openLoginState(key, login, 0), { state: 's', nonce: 'n', verifier: 'v', exp: 2_000_000_000 });
    assert.equal(openLoginState(key, cookie, 0), undefined);
    assert.equal(openSession(key, seal(key, 'beamline_session', { ...session, user: '' }), 0), undefined, 'a session without a user');
  });

  test('a session of too many groups to fit a cookie is refused', () => {
    assert.throws(() => sealSession(key, { ...session, groups: Array.from({ length: 200 }, (_, index) => `oidc:group-number-${String(index)}`) }), /does not fit a cookie/);
  });

  test('the CSRF token must match exactly', () => {
    assert.equal(csrfMatches(session, 'csrf-token'), true);
    assert.equal(csrfMatches(session, 'csrf-tokem'), false);
    assert.equal(csrfMatches(session, 'csrf'), false);
    assert.equal(csrfMatches(session, undefined), false);
    assert.equal(csrfMatches(session, ['csrf-token', 'csrf-token']), false);
  });
});

describe('kubernetesIdentity', () => {
  test('the claims with the prefixes, as the apiserver names the user', () => {
    assert.deepEqual(kubernetesIdentity({ email: 'a@x.org', email_verified: true, groups: ['physics', 'lab'] }, {}), { user: 'oidc:a@x.org', groups: ['oidc:physics', 'oidc:lab'] });
    assert.deepEqual(kubernetesIdentity({ sub: 'u1', roles: 'admins' }, { usernameClaim: 'sub', usernamePrefix: 'kc:', groupsClaim: 'roles', groupsPrefix: 'kcg:' }), {
      user: 'kc:u1',
      groups: ['kcg:admins'],
    });
  });

  test('no user claim, an unverified email, or a system: name is refused; system: groups are dropped', () => {
    assert.throws(() => kubernetesIdentity({ groups: [] }, {}), /no email claim/);
    assert.throws(() => kubernetesIdentity({ sub: 'system:admin' }, { usernameClaim: 'sub', usernamePrefix: '' }), /system: user/);
    assert.deepEqual(kubernetesIdentity({ sub: 'u', groups: ['system:masters', 'lab'] }, { usernameClaim: 'sub', groupsPrefix: '' }).groups, ['lab']);
    assert.throws(() => kubernetesIdentity({ email: 'a@x.org', email_verified: false }, {}), /not verified/);
  });
});

describe('FleetIndex', () => {
  const object = (kind: string, namespace: string | undefined, name: string, rest: Record<string, unknown> = {}): KubeObject =>
    ({ apiVersion: API_VERSION, kind, metadata: { name, ...(namespace === undefined ? {} : { namespace }) }, ...rest });

  test('counts per namespace, GPUs from flavors, filtered by what the user sees', () => {
    const index = new FleetIndex();
    index.apply('PlatformConfig', 'add', object('PlatformConfig', undefined, 'beamline', { spec: { flavors: [{ name: 'gpu.large', gpus: { count: 4 } }, { name: 'm1.small' }], kubernetesVersions: ['1.36.3'] } }));
    index.apply('Namespace', 'add', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'project-physics', labels: { [PROJECT_LABEL]: 'physics' } } });
    index.apply('Cluster', 'add', object('Cluster', 'project-physics', 'a', { status: { phase: 'Running', nodes: { total: 3, ready: 2 } } }));
    index.apply('Cluster', 'add', object('Cluster', 'project-physics', 'b', { status: { phase: 'Provisioning' } }));
    index.apply('Cluster', 'add', object('Cluster', 'other', 'c', { status: { phase: 'Running', nodes: { total: 1, ready: 1 } } }));
    index.apply('NodeGroup', 'add', object('NodeGroup', 'project-physics', 'a-gpu', { spec: { clusterName: 'a', flavor: 'gpu.large', replicas: 2 }, status: { replicas: 2 } }));
    index.apply('NodeGroup', 'add', object('NodeGroup', 'project-physics', 'a-cpu', { spec: { clusterName: 'a', flavor: 'm1.small', replicas: 1 } }));
    index.apply('NodeGroup', 'add', object('NodeGroup', 'project-physics', 'gone-gpu', { spec: { clusterName: 'gone', flavor: 'gpu.large', replicas: 5 } }));
    index.apply('Application', 'add', object('Application', 'project-physics', 'web', { status: { sync: { status: 'Synced' }, health: { status: 'Healthy' } } }));
    index.apply('Application', 'add', object('Application', 'other', 'db', { status: { sync: { status: 'OutOfSync' }, health: { status: 'Degraded' } } }));
    index.apply('Application', 'add', object('Application', 'other', 'new', {}));

    const all = index.fleet({ clusters: () => true, applications: () => true });
    assert.deepEqual(all.totals, {
      clusters: { total: 3, byPhase: { Running: 2, Provisioning: 1 } },
      nodes: { total: 4, ready: 3 },
      gpus: 8,
      gpusInUse: 0,
      applications: { total: 3, bySync: { Synced: 1, OutOfSync: 1, Unknown: 1 }, byHealth: { Healthy: 1, Degraded: 1, Unknown: 1 } },
    });
    assert.deepEqual(
      all.namespaces.map((namespace) => [namespace.namespace, namespace.project]),
      [
        ['other', undefined],
        ['project-physics', 'physics'],
      ],
    );

    const physics = index.fleet({ clusters: (namespace) => namespace === 'project-physics', applications: (namespace) => namespace === 'project-physics' });
    assert.equal(physics.totals.clusters.total, 2);
    assert.equal(physics.totals.applications.total, 1);
    assert.deepEqual(physics.namespaces.map((namespace) => namespace.namespace), ['project-physics']);

    const appsOnly = index.fleet({ clusters: () => false, applications: (namespace) => namespace === 'other' });
    assert.equal(appsOnly.totals.clusters.total, 0);
    assert.equal(appsOnly.totals.applications.total, 2);

    index.apply('Cluster', 'delete', object('Cluster', 'project-physics', 'a'));
    index.apply('Application', 'update', object('Application', 'other', 'db', { status: { sync: { status: 'Synced' }, health: { status: 'Healthy' } } }));
    const after = index.fleet({ clusters: () => true, applications: () => true });
    assert.equal(after.totals.clusters.total, 2);
    assert.equal(after.totals.gpus, 0, "a deleted cluster's node groups count no more");
    assert.deepEqual(after.totals.applications.bySync, { Synced: 2, Unknown: 1 });
  });

  test('the identity and projects come from their objects', () => {
    const index = new FleetIndex();
    assert.equal(index.identity(), undefined);
    index.apply('PlatformConfig', 'add', object('PlatformConfig', undefined, 'beamline', { spec: { flavors: [], kubernetesVersions: [], identity: { issuer: 'https://idp.example', clientID: 'beamline' } } }));
    index.apply('PlatformConfig', 'add', object('PlatformConfig', undefined, 'not-the-singleton', { spec: { flavors: [], kubernetesVersions: [] } }));
    assert.deepEqual(index.identity(), { issuer: 'https://idp.example', clientID: 'beamline' });
    index.apply('Project', 'add', object('Project', undefined, 'physics', { spec: { displayName: 'Physics', members: [], quota: { clusters: 3 } }, status: { usage: { clusters: 1, nodes: 2, gpus: 0, cpu: '4', memory: '8Gi' } } }));
    assert.deepEqual(index.projects(), [{ name: 'physics', displayName: 'Physics', namespace: 'project-physics', quota: { clusters: 3 }, usage: { clusters: 1, nodes: 2, gpus: 0, cpu: '4', memory: '8Gi' } }]);
    index.apply('Project', 'delete', object('Project', undefined, 'physics'));
    assert.deepEqual(index.projects(), []);
  });
});

describe('AccessReviewer', () => {
  test('answers are reused for the TTL, refreshed in the background until three TTLs, then awaited; failures are not kept', async () => {
    let now = 0;
    let calls = 0;
    let allowed = true;
    let fail = false;
    const upstream = {
      json: () => {
        calls++;
        if (fail) return Promise.reject(new Error('apiserver down'));
        return Promise.resolve({ status: 201, body: { status: { allowed } } });
      },
    } as unknown as KubeUpstream;
    const reviewer = new AccessReviewer(upstream, { ttlMs: 1000, now: () => now });
    const alice = { user: 'oidc:alice', groups: ['oidc:physics'] };
    const query = { verb: 'list', group: 'beamline.dev', resource: 'clusters', namespace: 'a' };
    assert.equal((await reviewer.review(alice, query)).allowed, true);
    assert.equal((await reviewer.review(alice, query)).allowed, true);
    assert.equal(calls, 1, 'reused within the TTL');
    assert.equal((await reviewer.review({ ...alice, groups: [] }, query)).allowed, true);
    assert.equal(calls, 2, 'another identity is another question');

    allowed = false;
    now = 1500;
    assert.equal((await reviewer.review(alice, query)).allowed, true, 'the old answer while the new review runs');
    assert.equal(calls, 3);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal((await reviewer.review(alice, query)).allowed, false, 'the new answer once it came');

    now = 10_000;
    fail = true;
    await assert.rejects(reviewer.review(alice, query), /apiserver down/, 'too old: the caller waits, and hears the failure');
    fail = false;
    allowed = true;
    assert.equal((await reviewer.review(alice, query)).allowed, true, 'the failure was not kept');
  });
});

describe('PortalRoutes without a cluster', () => {
  const routesApp = async (rateLimits: { perSession: number; perAddress: number }): Promise<FastifyInstance> => {
    const app = fastify({ logger: false });
    app.setErrorHandler(httpErrorHandler());
    const routes = new PortalRoutes({
      cache: { synced: false, index: new FleetIndex() } as unknown as PortalCache,
      upstream: {} as KubeUpstream,
      access: {} as AccessReviewer,
      client: {} as KubeClient,
      sessionKey: () => Promise.resolve(key),
      managementServer: { server: 'https://127.0.0.1:6443' },
      logger: pino({ level: 'silent' }),
      rateLimits,
    });
    routes.register(app);
    await app.ready();
    return app;
  };

  test('rate limits per address, then per session, answer a typed 429', async () => {
    const app = await routesApp({ perSession: 3, perAddress: 2 });
    const statuses = [];
    for (let index = 0; index < 3; index++) statuses.push((await app.inject({ method: 'GET', url: '/api/session' })).statusCode);
    assert.deepEqual(statuses, [200, 200, 429], '/api/session answers { authenticated: false } without a session');
    const limited = await app.inject({ method: 'GET', url: '/api/session' });
    assert.equal(limited.json<{ error: { name: string } }>().error.name, 'TooManyRequestsError');
    // A forged cookie counts against the address, not a fresh bucket of its own.
    assert.equal((await app.inject({ method: 'GET', url: '/api/session', cookies: { beamline_session: 'v1.forged' } })).statusCode, 429);
    const cookie = sealSession(key, { ...session, exp: Math.floor(Date.now() / 1000) + 60 });
    const sessionStatuses = [];
    for (let index = 0; index < 4; index++) sessionStatuses.push((await app.inject({ method: 'GET', url: '/api/session', cookies: { beamline_session: cookie } })).statusCode);
    assert.deepEqual(sessionStatuses, [200, 200, 200, 429], 'a valid session has its own bucket');
    await app.close();
  });

  test('security headers, CSRF before anything else of a write, 503 before the caches synced', async () => {
    const app = await routesApp({ perSession: 100, perAddress: 100 });
    const exp = Math.floor(Date.now() / 1000) + 60;
    const cookie = sealSession(key, { ...session, exp });
    const info = await app.inject({ method: 'GET', url: '/api/session', cookies: { beamline_session: cookie } });
    assert.equal(info.statusCode, 200);
    assert.deepEqual(info.json(), { authenticated: true, user: session.user, groups: session.groups, csrfToken: session.csrf, expiresAt: new Date(exp * 1000).toISOString() });
    assert.match(String(info.headers['content-security-policy']), /default-src 'none'/);
    assert.match(String(info.headers['content-security-policy']), /frame-ancestors 'none'/);
    assert.equal(info.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(info.headers['cache-control'], 'no-store');
    const write = await app.inject({ method: 'POST', url: '/api/kube/api/v1/namespaces/a/configmaps', cookies: { beamline_session: cookie }, payload: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal(write.statusCode, 403);
    assert.equal(write.json<{ error: { name: string } }>().error.name, 'NotAllowedError');
    const fleet = await app.inject({ method: 'GET', url: '/api/fleet', cookies: { beamline_session: cookie } });
    assert.equal(fleet.statusCode, 503);
    const config = await app.inject({ method: 'GET', url: '/api/auth/config' });
    assert.equal(config.statusCode, 503, 'no identity known before the PlatformConfig is read');
    await app.close();
  });
});

describe('EventStream', () => {
  /** A response that records what is written, with a settable socket backlog. */
  const fakeResponse = (): { response: ServerResponse; written: string[]; ended: () => boolean; backlog: (bytes: number) => void } => {
    const emitter = new EventEmitter();
    const written: string[] = [];
    let ended = false;
    let writableLength = 0;
    const response = Object.assign(emitter, {
      write: (text: string) => written.push(text) > 0,
      end: () => {
        ended = true;
      },
    }) as unknown as ServerResponse;
    // A getter (Object.assign would copy its value once).
    Object.defineProperty(response, 'writableLength', { get: () => writableLength });
    return { response, written, ended: () => ended, backlog: (bytes) => (writableLength = bytes) };
  };
  const change = (name: string, namespace = 'a'): PortalChange => ({ type: 'add', kind: 'Cluster', namespace, name });

  test('sends the visible changes in order, leaves out the others', async () => {
    const { response, written } = fakeResponse();
    let closed = 0;
    // The first change's review is the slowest: order must hold anyway.
    const stream = new EventStream(response, (item) => new Promise((resolve) => setTimeout(() => resolve(item.namespace === 'a'), item.name === 'first' ? 30 : 0)), () => closed++);
    stream.push(change('first'));
    stream.push(change('hidden', 'b'));
    stream.push(change('second'));
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.deepEqual(written.slice(1), [`event: change\ndata: ${JSON.stringify(change('first'))}\n\n`, `event: change\ndata: ${JSON.stringify(change('second'))}\n\n`]);
    assert.match(written[0] ?? '', /^retry: 5000\nevent: ready/);
    stream.close();
    stream.close();
    assert.equal(closed, 1, 'closed once');
  });

  test('a client that cannot keep up is closed, not buffered without bound', () => {
    const slow = fakeResponse();
    const stream = new EventStream(slow.response, () => new Promise<boolean>(() => undefined), () => undefined);
    for (let index = 0; index <= MAX_PENDING_EVENTS; index++) stream.push(change(`c${String(index)}`));
    assert.equal(stream.closed, true);
    assert.equal(slow.ended(), true);

    const stalled = fakeResponse();
    const other = new EventStream(stalled.response, () => Promise.resolve(true), () => undefined);
    stalled.backlog(MAX_BUFFERED_BYTES + 1);
    other.push(change('x'));
    assert.equal(other.closed, true);
  });

  test('the client going away closes it', () => {
    const { response } = fakeResponse();
    let closed = false;
    const stream = new EventStream(response, () => Promise.resolve(true), () => (closed = true));
    response.emit('close');
    assert.equal(stream.closed, true);
    assert.equal(closed, true);
  });
});
