// The portal server in process against the shared apiserver and a real OIDC provider process:
// login through the provider's pages, sessions, CSRF, RBAC as the user through impersonation.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { API_VERSION, APPLICATION, CLUSTER, PROJECT, PROJECT_LABEL, projectDeliveryUser, SHARED_CLUSTER_LABEL, type Identity } from '@beamline/api';
import { startGitFixture } from '@beamline/gitops/testing';
import { installApi } from '@beamline/install';
import { KubeClient, type KubeObject, type ResourceType } from '@beamline/kube';
import { DEMO_USERS, startIdentityProvider, type IdentityProvider } from '@beamline/oidc-provider';
import { browserLogin } from '@beamline/oidc-provider/testing';
import { uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { createPortal, type Portal } from '../portal-capability.ts';
import { startManagerServer, type ManagerServer } from '../server.ts';
import { createPortalMetrics } from './metrics.ts';
import type { OidcFetch } from './oidc.ts';
import { seal } from './seal.ts';
import { SESSION_KEY_SECRET } from './session-key.ts';

const env = useTestEnv('portal');

const CLUSTERS: ResourceType = { apiVersion: API_VERSION, kind: CLUSTER.kind, plural: CLUSTER.plural, namespaced: true };
const APPLICATIONS: ResourceType = { apiVersion: API_VERSION, kind: APPLICATION.kind, plural: APPLICATION.plural, namespaced: true };
const NAMESPACES: ResourceType = { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };
const ROLES: ResourceType = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', plural: 'roles', namespaced: true };
const ROLE_BINDINGS: ResourceType = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true };
const SECRETS: ResourceType = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true };
const PROJECTS: ResourceType = { apiVersion: API_VERSION, kind: PROJECT.kind, plural: PROJECT.plural, namespaced: false };
const CLUSTER_ROLES: ResourceType = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false };
const CONFIG_MAPS: ResourceType = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
const NODES: ResourceType = { apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false };
const NODE_GROUPS: ResourceType = { apiVersion: API_VERSION, kind: 'NodeGroup', plural: 'nodegroups', namespaced: true };
const PODS: ResourceType = { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };
const CLUSTER_ROLE_BINDINGS: ResourceType = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false };

function password(username: string): string {
  const user = DEMO_USERS.find((candidate) => candidate.username === username);
  if (user === undefined) throw new Error(`no demo user ${username}`);
  return user.password;
}

/** The `name=value` of a Set-Cookie header of `response`, and the whole header. */
function setCookie(response: Response, name: string): { pair: string; header: string } | undefined {
  const header = response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
  return header === undefined ? undefined : { pair: header.split(';')[0] ?? '', header };
}

/** An ID token with the same header and claims, signed by another key: what a forger could make. */
function forgeIdToken(idToken: string): string {
  const [header, payload] = idToken.split('.');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingInput = `${header ?? ''}.${payload ?? ''}`;
  return `${signingInput}.${sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url')}`;
}

describe('portal server', () => {
  let server: ManagerServer | undefined;
  let portal: Portal | undefined;
  let idp: IdentityProvider | undefined;
  let idpDir: string | undefined;
  let previewHome: string | undefined;
  let otherNamespace = '';
  let project = '';
  let forgeNextIdToken = false;
  const identity: { current?: Identity } = {};
  const metrics = createPortalMetrics();
  const client = (): KubeClient => new KubeClient(env.kubeConfig);
  const url = (): string => server?.url ?? '';

  before(async () => {
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace, templates: [] });
    otherNamespace = uniqueName('portal-other');
    await client().create(NAMESPACES, { metadata: { name: otherNamespace } });
    const rules = (write: boolean): unknown[] => [
      { apiGroups: ['beamline.dev'], resources: ['clusters', 'applications'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: write ? ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] : ['get', 'list', 'watch'] },
    ];
    const bind = async (namespace: string, role: string, group: string): Promise<void> => {
      await client().create(ROLE_BINDINGS, {
        metadata: { name: `${role}-${group.replace(/[^a-z-]/g, '-')}`, namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: group }],
      } as KubeObject);
    };
    for (const namespace of [env.namespace, otherNamespace]) {
      await client().create(ROLES, { metadata: { name: 'portal-view', namespace }, rules: rules(false) } as KubeObject);
      await client().create(ROLES, { metadata: { name: 'portal-edit', namespace }, rules: rules(true) } as KubeObject);
    }
    await bind(env.namespace, 'portal-edit', 'oidc:physics');
    await bind(env.namespace, 'portal-view', 'oidc:physics-viewers');
    await bind(otherNamespace, 'portal-view', 'oidc:chemistry');

    const seedCluster = async (namespace: string, name: string, phase: string, nodes: number): Promise<void> => {
      await client().create(CLUSTERS, { metadata: { name, namespace }, spec: { templateRef: { name: 'small' } } } as KubeObject);
      await client().patch(CLUSTERS, name, namespace, { status: { phase, nodes: { total: nodes, ready: nodes } } }, 'merge', { subresource: 'status' });
    };
    const seedApp = async (namespace: string, name: string, sync: string, health: string): Promise<void> => {
      await client().create(APPLICATIONS, {
        metadata: { name, namespace },
        spec: { source: { repoURL: 'https://git.example.org/apps.git', path: 'web' }, destination: { cluster: 'in-cluster', namespace: 'web' } },
      } as KubeObject);
      await client().patch(APPLICATIONS, name, namespace, { status: { sync: { status: sync }, health: { status: health } } }, 'merge', { subresource: 'status' });
    };
    await seedCluster(env.namespace, 'physics-a', 'Running', 3);
    await seedCluster(env.namespace, 'physics-b', 'Provisioning', 0);
    await seedCluster(otherNamespace, 'chemistry-a', 'Running', 2);
    await seedApp(env.namespace, 'web', 'Synced', 'Healthy');
    await seedApp(env.namespace, 'db', 'OutOfSync', 'Progressing');
    await seedApp(otherNamespace, 'lab', 'Synced', 'Healthy');

    const wrapOidcFetch = (inner: OidcFetch): OidcFetch => async (target, options) => {
      const response = await inner(target, options);
      if (!forgeNextIdToken || !target.endsWith('/token')) return response;
      forgeNextIdToken = false;
      const body = (await response.json()) as { id_token?: string };
      if (body.id_token !== undefined) body.id_token = forgeIdToken(body.id_token);
      return new Response(JSON.stringify(body), { status: response.status, headers: { 'content-type': 'application/json' } });
    };
    previewHome = await mkdtemp(join(tmpdir(), 'beamline-portal-home-'));
    portal = createPortal({
      kubeConfig: env.kubeConfig,
      sessionKeyNamespace: env.namespace,
      identity: () => identity.current,
      wrapOidcFetch,
      metrics,
      preview: { home: previewHome, binaries: { helm: env.binaries.helm, kubectl: env.binaries.kubectl } },
    });
    const started = portal;
    server = await startManagerServer({ port: 0, manager: { readiness: () => ({ ready: true, notReady: [] }) }, registry: new Registry(), routes: (app) => started.register(app) });
    portal.start();
    idpDir = await mkdtemp(join(tmpdir(), 'beamline-portal-idp-'));
    idp = await startIdentityProvider({ dir: idpDir, users: DEMO_USERS, redirectUris: [`${server.url}/auth/callback`] });
    identity.current = { issuer: idp.issuer, clientID: idp.clientID, certificateAuthority: idp.caPem };
    // Only the PlatformConfig is watched until someone asks for a view: the first /api/fleet starts the rest.
    await waitFor(() => started.cache.identitySynced, { what: "the portal's PlatformConfig informer" });
    assert.equal(started.cache.synced, false, 'the views are not watched before a view is asked for');
  });

  after(async () => {
    await server?.close();
    await portal?.stop();
    await idp?.stop();
    if (idpDir !== undefined) await rm(idpDir, { recursive: true, force: true });
    if (previewHome !== undefined) await rm(previewHome, { recursive: true, force: true });
    if (otherNamespace !== '') await client().delete(NAMESPACES, otherNamespace).catch(() => undefined);
    if (project !== '') {
      await client().delete(PROJECTS, project).catch(() => undefined);
      await client().delete(CLUSTER_ROLE_BINDINGS, project).catch(() => undefined);
      await client().delete(CLUSTER_ROLES, project).catch(() => undefined);
    }
  });

  /** Logs in through /auth/login, the provider's pages and /auth/callback; returns the callback's answer. */
  const loginAnswer = async (username: string): Promise<Response> => {
    const start = await fetch(`${url()}/auth/login`, { redirect: 'manual' });
    assert.equal(start.status, 302, await start.clone().text());
    const loginCookie = setCookie(start, 'beamline_login');
    assert.ok(loginCookie !== undefined, 'the login state cookie is set');
    assert.match(loginCookie.header, /HttpOnly/i);
    const location = start.headers.get('location') ?? '';
    assert.ok(location.startsWith(idp?.issuer ?? 'no issuer'), `redirected to the issuer: ${location}`);
    assert.match(location, /code_challenge_method=S256/);
    const callback = await browserLogin(location, { username, password: password(username) }, { caPem: idp?.caPem ?? '' });
    assert.ok(callback.startsWith(`${url()}/auth/callback?`), callback);
    return fetch(callback, { redirect: 'manual', headers: { cookie: loginCookie.pair } });
  };

  const users = new Map<string, { cookie: string; csrf: string }>();
  const login = async (username: string): Promise<{ cookie: string; csrf: string }> => {
    const known = users.get(username);
    if (known !== undefined) return known;
    const answer = await loginAnswer(username);
    assert.equal(answer.status, 302, await answer.clone().text());
    const session = setCookie(answer, 'beamline_session');
    assert.ok(session !== undefined, 'the session cookie is set');
    const info = (await (await fetch(`${url()}/api/session`, { headers: { cookie: session.pair } })).json()) as { csrfToken: string };
    const result = { cookie: session.pair, csrf: info.csrfToken };
    users.set(username, result);
    return result;
  };
  const get = async (username: string, path: string): Promise<Response> => fetch(`${url()}${path}`, { headers: { cookie: (await login(username)).cookie } });

  test('a login through the provider gives a session cookie (HttpOnly, Secure, SameSite=Lax) naming the user and groups as the apiserver would', async () => {
    const answer = await loginAnswer('alice');
    assert.equal(answer.status, 302);
    const session = setCookie(answer, 'beamline_session');
    assert.ok(session !== undefined);
    assert.match(session.header, /HttpOnly/i);
    assert.match(session.header, /Secure/i);
    assert.match(session.header, /SameSite=Lax/i);
    assert.match(session.header, /Path=\//);
    assert.match(session.header, /Max-Age=\d+/);
    assert.doesNotMatch(session.pair, /alice/, 'the cookie is sealed');
    const info = await fetch(`${url()}/api/session`, { headers: { cookie: session.pair } });
    assert.equal(info.status, 200);
    const body = (await info.json()) as { authenticated: boolean; user: string; groups: string[]; csrfToken: string; expiresAt: string };
    assert.equal(body.authenticated, true);
    assert.equal(body.user, 'oidc:alice@beamline.example');
    assert.deepEqual(body.groups, ['oidc:physics']);
    assert.ok(body.csrfToken.length >= 32);
    assert.ok(Date.parse(body.expiresAt) > Date.now());
    assert.match(info.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal(info.headers.get('x-content-type-options'), 'nosniff');
  });

  test('/api/auth/config says the issuer, the prefixes and the management server', async () => {
    const response = await fetch(`${url()}/api/auth/config`);
    assert.equal(response.status, 200);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.issuer, idp?.issuer);
    assert.equal(body.clientID, idp?.clientID);
    assert.equal(body.usernamePrefix, 'oidc:');
    assert.equal(body.groupsPrefix, 'oidc:');
    assert.equal(body.managementServer, env.kubeConfig.getCurrentCluster()?.server);
    assert.match(String(body.managementCertificateAuthority), /BEGIN CERTIFICATE/);
    assert.doesNotMatch(JSON.stringify(body), /PRIVATE KEY|client-key/);
  });

  test('the fleet view shows each user only the namespaces RBAC lets them list', async () => {
    interface Fleet {
      totals: { clusters: { total: number; byPhase: Record<string, number> }; nodes: { total: number }; applications: { total: number; bySync: Record<string, number> } };
      namespaces: { namespace: string }[];
    }
    const fleetOf = async (username: string): Promise<Fleet> => {
      const response = await get(username, '/api/fleet');
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as Fleet;
    };
    const alice = await fleetOf('alice');
    assert.deepEqual(alice.namespaces.map((entry) => entry.namespace), [env.namespace]);
    assert.deepEqual(alice.totals.clusters, { total: 2, byPhase: { Running: 1, Provisioning: 1 } });
    assert.equal(alice.totals.nodes.total, 3);
    assert.deepEqual(alice.totals.applications.bySync, { Synced: 1, OutOfSync: 1 });
    const carol = await fleetOf('carol');
    assert.deepEqual(carol.namespaces.map((entry) => entry.namespace), [otherNamespace]);
    assert.equal(carol.totals.clusters.total, 1);
    assert.equal(carol.totals.applications.total, 1);
  });

  test('the cluster and application lists show each user only what RBAC lets them list, paged, with facets', async () => {
    interface Page {
      total: number;
      items: { namespace: string; name: string; phase?: string; sync?: string; ready?: string }[];
      facets: Record<string, Record<string, number>>;
    }
    const pageOf = async (username: string, path: string): Promise<Page> => {
      const response = await get(username, path);
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as Page;
    };
    const alice = await pageOf('alice', '/api/clusters');
    assert.deepEqual(alice.items.map((row) => `${row.namespace}/${row.name}`), [`${env.namespace}/physics-a`, `${env.namespace}/physics-b`]);
    assert.deepEqual(alice.facets.phase, { Running: 1, Provisioning: 1 });
    const running = await pageOf('alice', '/api/clusters?phase=Running');
    assert.deepEqual(running.items.map((row) => row.name), ['physics-a']);
    assert.deepEqual(running.facets.phase, { Running: 1, Provisioning: 1 }, 'the phase facet ignores the phase filter');
    const carol = await pageOf('carol', '/api/clusters');
    assert.deepEqual(carol.items.map((row) => row.name), ['chemistry-a']);
    const apps = await pageOf('alice', '/api/applications?sync=OutOfSync');
    assert.deepEqual(apps.items.map((row) => row.name), ['db']);
    assert.deepEqual(apps.facets.sync, { Synced: 1, OutOfSync: 1 });
    assert.equal((await pageOf('carol', `/api/applications?namespace=${env.namespace}`)).total, 0, "another tenant's namespace shows nothing");
    const bad = await get('alice', '/api/applications?limit=501');
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /limit/);
    assert.equal((await fetch(`${url()}/api/clusters`)).status, 401);
  });

  test('/api/platform gives the catalogue to any logged-in user, without the identity settings', async () => {
    const response = await get('carol', '/api/platform');
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as { flavors: unknown[]; kubernetesVersions: unknown[] };
    assert.ok(Array.isArray(body.flavors) && Array.isArray(body.kubernetesVersions));
    assert.doesNotMatch(JSON.stringify(body), /issuer|clientID|clientSecret/);
    assert.equal((await fetch(`${url()}/api/platform`)).status, 401);
  });

  test('the reconciler panel counts only what the user may list, with a series sampled since the views started', async () => {
    interface Panel {
      kinds: { kind: string; total: number; notReady: number }[];
      sources: { total: number; git: number };
      failing: unknown[];
      series: { at: string[]; kinds: Record<string, { ready: number[]; notReady: number[] }> };
    }
    const panelOf = async (username: string): Promise<Panel> => {
      const response = await get(username, '/api/reconcilers');
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()) as Panel;
    };
    const total = (panel: Panel, kind: string): number | undefined => panel.kinds.find((entry) => entry.kind === kind)?.total;
    const alice = await panelOf('alice');
    assert.equal(total(alice, 'Cluster'), 2);
    assert.equal(total(alice, 'Application'), 2);
    assert.deepEqual(alice.sources, { total: 1, git: 1, helm: 0, failing: 0 });
    assert.ok(alice.series.at.length >= 1, 'sampled once the views started');
    assert.equal((alice.series.kinds.Cluster?.notReady.at(-1) ?? 0) + (alice.series.kinds.Cluster?.ready.at(-1) ?? 0), 2);
    const carol = await panelOf('carol');
    assert.equal(total(carol, 'Cluster'), 1);
    assert.equal(total(carol, 'Application'), 1);
    assert.equal((await fetch(`${url()}/api/reconcilers`)).status, 401);
  });

  test('the proxy reads as the user: their namespace yes, another no', async () => {
    const own = await get('alice', `/api/kube/apis/beamline.dev/v1alpha1/namespaces/${env.namespace}/clusters`);
    assert.equal(own.status, 200);
    assert.deepEqual(((await own.json()) as { items: KubeObject[] }).items.map((item) => item.metadata?.name).sort(), ['physics-a', 'physics-b']);
    const other = await get('alice', `/api/kube/apis/beamline.dev/v1alpha1/namespaces/${otherNamespace}/clusters`);
    assert.equal(other.status, 403);
    assert.match(((await other.json()) as { message: string }).message, /oidc:alice@beamline\.example/, 'refused by RBAC as the user');
    const carol = await get('carol', `/api/kube/apis/beamline.dev/v1alpha1/namespaces/${env.namespace}/applications`);
    assert.equal(carol.status, 403);
  });

  test('writes: a member may, a viewer is refused by RBAC whatever headers it sends, and no CSRF token is a 403', async () => {
    const configMap = (name: string): string => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: 'b' } });
    const path = `/api/kube/api/v1/namespaces/${env.namespace}/configmaps`;
    const post = async (username: string, body: string, headers: Record<string, string> = {}): Promise<Response> => {
      const { cookie, csrf } = await login(username);
      return fetch(`${url()}${path}`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json', ...headers }, body });
    };
    const created = await post('alice', configMap('from-alice'));
    assert.equal(created.status, 201, await created.clone().text());
    assert.equal((await client().get(SECRETS, 'from-alice', env.namespace)) === undefined, true, 'a ConfigMap, not a Secret');

    const viewer = await post('dave', configMap('from-dave'), {
      authorization: 'Bearer made-up',
      'impersonate-user': 'system:admin',
      'impersonate-group': 'system:masters',
    });
    assert.equal(viewer.status, 403);
    const status = (await viewer.json()) as { kind: string; message: string };
    assert.equal(status.kind, 'Status', "the apiserver's refusal");
    assert.match(status.message, /oidc:dave@beamline\.example/);

    const { cookie } = await login('alice');
    const noCsrf = await fetch(`${url()}${path}`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: configMap('no-csrf') });
    assert.equal(noCsrf.status, 403);
    assert.equal(((await noCsrf.json()) as { error: { name: string } }).error.name, 'NotAllowedError');
    const wrongCsrf = await fetch(`${url()}${path}`, { method: 'POST', headers: { cookie, 'x-csrf-token': 'guess', 'content-type': 'application/json' }, body: configMap('no-csrf') });
    assert.equal(wrongCsrf.status, 403);

    const big = await post('alice', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { a: 'x'.repeat(5 * 1024 * 1024) } }));
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { name: string } }).error.name, 'PayloadTooLargeError');
  });

  test('project usage: only the Projects the user may get', async () => {
    project = uniqueName('portal-proj');
    await client().create(PROJECTS, { metadata: { name: project }, spec: { displayName: 'Portal physics', members: [{ kind: 'Group', name: 'physics', role: 'owner' }], quota: { clusters: 5 } } } as KubeObject);
    await client().patch(PROJECTS, project, undefined, { status: { usage: { clusters: 2, nodes: 3, gpus: 0, cpu: '6', memory: '12Gi' } } }, 'merge', { subresource: 'status' });
    await client().create(CLUSTER_ROLES, { metadata: { name: project }, rules: [{ apiGroups: ['beamline.dev'], resources: ['projects'], resourceNames: [project], verbs: ['get'] }] } as KubeObject);
    await client().create(CLUSTER_ROLE_BINDINGS, {
      metadata: { name: project },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: project },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'oidc:physics' }],
    } as KubeObject);
    interface Usage {
      projects: { name: string; displayName: string; quota: unknown; usage: unknown }[];
    }
    const usageOf = async (username: string): Promise<Usage> => (await (await get(username, '/api/projects/usage')).json()) as Usage;
    const alice = await waitFor(async () => (await usageOf('alice')).projects.find((entry) => entry.name === project && entry.usage !== null), { what: "the project in alice's usage view" });
    assert.deepEqual(alice, { name: project, displayName: 'Portal physics', namespace: `project-${project}`, quota: { clusters: 5 }, usage: { clusters: 2, nodes: 3, gpus: 0, cpu: '6', memory: '12Gi' } });
    assert.equal((await usageOf('carol')).projects.find((entry) => entry.name === project), undefined);
  });

  test('/api/access answers as the user', async () => {
    const ask = async (username: string, query: string): Promise<{ allowed: boolean }> => (await (await get(username, `/api/access?${query}`)).json()) as { allowed: boolean };
    assert.equal((await ask('alice', `verb=create&resource=configmaps&namespace=${env.namespace}`)).allowed, true);
    assert.equal((await ask('dave', `verb=create&resource=configmaps&namespace=${env.namespace}`)).allowed, false);
    assert.equal((await ask('dave', `verb=list&resource=clusters.beamline.dev&namespace=${env.namespace}`)).allowed, true);
    assert.equal((await get('dave', '/api/access?verb=list')).status, 400);
  });

  test('no cookie, a forged cookie, a tampered cookie and an expired session are all 401', async () => {
    const status = async (cookie?: string): Promise<[number, string | undefined]> => {
      const response = await fetch(`${url()}/api/fleet`, cookie === undefined ? {} : { headers: { cookie } });
      return [response.status, ((await response.json()) as { error?: { name: string } }).error?.name];
    };
    assert.deepEqual(await status(), [401, 'UnauthorizedError']);
    assert.deepEqual(await status(`beamline_session=v1.${Buffer.alloc(80, 7).toString('base64url')}`), [401, 'UnauthorizedError']);
    const { cookie } = await login('alice');
    const value = cookie.slice('beamline_session='.length);
    const tampered = `${value.slice(0, 20)}${value[20] === 'A' ? 'B' : 'A'}${value.slice(21)}`;
    assert.deepEqual(await status(`beamline_session=${tampered}`), [401, 'UnauthorizedError']);
    const secret = await client().get<KubeObject & { data: { key: string } }>(SECRETS, SESSION_KEY_SECRET, env.namespace);
    assert.ok(secret !== undefined, 'the session key Secret was created');
    const key = Buffer.from(secret.data.key, 'base64');
    const expired = seal(key, 'beamline_session', { sid: 'x', user: 'oidc:alice@beamline.example', groups: ['oidc:physics'], exp: Math.floor(Date.now() / 1000) - 1, csrf: 'c' });
    assert.deepEqual(await status(`beamline_session=${expired}`), [401, 'UnauthorizedError']);
    // /api/session answers 200 { authenticated: false } to the same cookies: the app asks it before login.
    for (const cookie of [undefined, `beamline_session=v1.${Buffer.alloc(80, 7).toString('base64url')}`, `beamline_session=${tampered}`, `beamline_session=${expired}`]) {
      const answer = await fetch(`${url()}/api/session`, cookie === undefined ? {} : { headers: { cookie } });
      assert.equal(answer.status, 200);
      assert.deepEqual(await answer.json(), { authenticated: false });
    }
    const valid = seal(key, 'beamline_session', { sid: 'x', user: 'oidc:alice@beamline.example', groups: ['oidc:physics'], exp: Math.floor(Date.now() / 1000) + 60, csrf: 'c' });
    assert.equal((await status(`beamline_session=${valid}`))[0], 200, 'the same session unexpired opens: the expiry is what refused it');
  });

  test('an ID token signed by another key is refused at the callback', async () => {
    forgeNextIdToken = true;
    const answer = await loginAnswer('carol');
    assert.equal(forgeNextIdToken, false, 'the token answer was forged');
    assert.equal(answer.status, 401);
    assert.equal(setCookie(answer, 'beamline_session'), undefined);
    assert.equal(((await answer.json()) as { error: { name: string } }).error.name, 'UnauthorizedError');
  });

  test('a callback without the login cookie is refused', async () => {
    const response = await fetch(`${url()}/auth/callback?code=x&state=y`, { redirect: 'manual' });
    assert.equal(response.status, 401);
  });

  test('events: changes the user may see arrive, others do not; a watch through the proxy streams', async () => {
    const { cookie } = await login('alice');
    const abort = new AbortController();
    try {
      const events = await fetch(`${url()}/api/events`, { headers: { cookie }, signal: abort.signal });
      assert.equal(events.status, 200);
      assert.match(events.headers.get('content-type') ?? '', /text\/event-stream/);
      const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = events.body?.getReader();
      assert.ok(reader !== undefined);
      let text = '';
      const decoder = new TextDecoder();
      const readUntil = async (pattern: RegExp): Promise<void> => {
        while (!pattern.test(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`the stream ended before ${String(pattern)}: ${text}`);
          text += decoder.decode(value, { stream: true });
        }
      };
      await readUntil(/event: ready/);
      // The other namespace's change first: changes go out in order, so it would come before the own one.
      await client().create(CLUSTERS, { metadata: { name: 'event-other', namespace: otherNamespace }, spec: { templateRef: { name: 'small' } } } as KubeObject);
      await client().create(CLUSTERS, { metadata: { name: 'event-own', namespace: env.namespace }, spec: { templateRef: { name: 'small' } } } as KubeObject);
      await readUntil(/"name":"event-own"/);
      assert.doesNotMatch(text, /event-other/);
      await waitFor(async () => ((await (await get('alice', '/api/fleet')).json()) as { totals: { clusters: { total: number } } }).totals.clusters.total === 3, {
        what: "the new cluster in alice's fleet view (the view is rebuilt after a change)",
      });

      const watch = await fetch(`${url()}/api/kube/api/v1/namespaces/${env.namespace}/configmaps?watch=1`, { headers: { cookie }, signal: abort.signal });
      assert.equal(watch.status, 200);
      const watchReader: ReadableStreamDefaultReader<Uint8Array> | undefined = watch.body?.getReader();
      assert.ok(watchReader !== undefined);
      await client().create({ apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true }, { metadata: { name: 'watched', namespace: env.namespace } });
      let watched = '';
      await waitFor(
        async () => {
          const { value } = await watchReader.read();
          watched += decoder.decode(value);
          return watched.includes('"name":"watched"');
        },
        { what: 'the ConfigMap in the watch' },
      );
    } finally {
      abort.abort();
    }
  });

  test("the session's expiry ends its event stream, and the cookie is refused after", async () => {
    const secret = await client().get<KubeObject & { data: { key: string } }>(SECRETS, SESSION_KEY_SECRET, env.namespace);
    assert.ok(secret !== undefined);
    const exp = Math.floor(Date.now() / 1000) + 2;
    const cookie = `beamline_session=${seal(Buffer.from(secret.data.key, 'base64'), 'beamline_session', { sid: 'short', user: 'oidc:alice@beamline.example', groups: ['oidc:physics'], exp, csrf: 'c' })}`;
    const abort = new AbortController();
    try {
      const events = await fetch(`${url()}/api/events`, { headers: { cookie }, signal: abort.signal });
      assert.equal(events.status, 200);
      const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = events.body?.getReader();
      assert.ok(reader !== undefined);
      await waitFor(async () => (await reader.read()).done, { what: 'the stream closed at the expiry' });
      assert.ok(Date.now() >= (exp - 1) * 1000, 'not before the expiry');
      assert.equal((await fetch(`${url()}/api/events`, { headers: { cookie } })).status, 401);
    } finally {
      abort.abort();
    }
  });

  test('logout ends the session and its event streams', async () => {
    const { cookie, csrf } = await login('bob');
    const abort = new AbortController();
    try {
      const events = await fetch(`${url()}/api/events`, { headers: { cookie }, signal: abort.signal });
      const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = events.body?.getReader();
      assert.ok(reader !== undefined);
      await reader.read();
      const noCsrf = await fetch(`${url()}/auth/logout`, { method: 'POST', headers: { cookie } });
      assert.equal(noCsrf.status, 403);
      const out = await fetch(`${url()}/auth/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } });
      assert.equal(out.status, 204);
      assert.match(setCookie(out, 'beamline_session')?.header ?? '', /Expires=Thu, 01 Jan 1970/i);
      await waitFor(async () => (await reader.read()).done, { what: 'the event stream closed' });
      const afterLogout = await fetch(`${url()}/api/session`, { headers: { cookie } });
      assert.equal(afterLogout.status, 200, 'the session route answers without a session too');
      assert.deepEqual(await afterLogout.json(), { authenticated: false }, 'the old cookie is refused');
      assert.equal((await fetch(`${url()}/api/fleet`, { headers: { cookie } })).status, 401, 'the old cookie is refused by the views');
    } finally {
      abort.abort();
    }
  });

  test('metrics count logins by result, proxied requests by answer class, and open streams', async () => {
    const values = async (metric: { get(): Promise<{ values: readonly { labels: Partial<Record<string, string | number>>; value: number }[] }> }): Promise<Record<string, number>> =>
      Object.fromEntries((await metric.get()).values.map((entry) => [Object.values(entry.labels).join(',') || 'value', entry.value]));
    const logins = await values(metrics.logins);
    assert.ok((logins.success ?? 0) >= 3, `logins: ${JSON.stringify(logins)}`);
    assert.ok((logins.refused ?? 0) >= 1, 'the forged ID token');
    const proxied = await values(metrics.proxied);
    assert.ok((proxied['2xx'] ?? 0) >= 1 && (proxied['4xx'] ?? 0) >= 1, `proxied: ${JSON.stringify(proxied)}`);
    await waitFor(async () => (await values(metrics.streams)).value === 0, { what: 'every event stream uncounted once closed' });
  });
  test("previews and nodes: a project member previews their app on their own cluster and a granted shared one as the project's delivery identity; in-cluster and ungranted namespaces are 409; another tenant 403", async () => {
    // The test's namespace becomes a project's; its Cluster "own" is the run's apiserver (imported),
    // where the project's delivery identity may edit one namespace only.
    const projectName = uniqueName('pv');
    const workload = uniqueName('portal-wl');
    const node = uniqueName('portal-node');
    const platform = uniqueName('portal-platform');
    const fixture = await startGitFixture({
      files: {
        'app/existing.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: existing\ndata:\n  colour: red\n`,
        'app/fresh.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fresh\ndata:\n  colour: green\n`,
      },
    });
    try {
      await client().patch(NAMESPACES, env.namespace, undefined, { metadata: { labels: { [PROJECT_LABEL]: projectName } } }, 'merge');
      await client().create(NAMESPACES, { metadata: { name: workload } });
      await client().create(ROLE_BINDINGS, {
        metadata: { name: 'delivery', namespace: workload },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: projectDeliveryUser(projectName) }],
      } as KubeObject);
      await client().create(CONFIG_MAPS, { metadata: { name: 'existing', namespace: workload }, data: { colour: 'blue' } } as KubeObject);
      await client().create(NODES, { metadata: { name: node, labels: { 'beamline.dev/node-group': 'gpu', 'topology.kubernetes.io/zone': 'zone-a' } }, spec: { taints: [{ key: 'gpu', effect: 'NoSchedule' }] } } as KubeObject);
      const secret = 'workload-kubeconfig';
      await client().create(SECRETS, { metadata: { name: secret, namespace: env.namespace }, stringData: { value: await readFile(env.kubeconfigPath, 'utf8') } } as KubeObject);
      await client().create(CLUSTERS, {
        metadata: { name: 'own', namespace: env.namespace },
        spec: { templateRef: { name: 'small' }, provider: 'imported', imported: { kubeconfigSecretRef: { name: secret, key: 'value' } } },
      } as KubeObject);
      await client().patch(CLUSTERS, 'own', env.namespace, { status: { provider: 'imported', kubeconfigSecretRef: { name: secret, key: 'value' } } }, 'merge', { subresource: 'status' });
      await client().create(APPLICATIONS, {
        metadata: { name: 'preview', namespace: env.namespace },
        spec: { source: { repoURL: fixture.url, path: 'app' }, destination: { cluster: 'own', namespace: workload } },
      } as KubeObject);

      const preview = await get('alice', `/api/applications/${env.namespace}/preview/preview`);
      assert.equal(preview.status, 200, await preview.clone().text());
      const body = (await preview.json()) as { revision: string; changed: number; objects: { kind: string; namespace?: string; name: string; action: string; diff: string }[] };
      assert.match(body.revision, /^[0-9a-f]{40}$/);
      assert.equal(body.changed, 2);
      const byName = new Map(body.objects.map((object) => [object.name, object]));
      assert.equal(byName.get('existing')?.action, 'update');
      assert.match(byName.get('existing')?.diff ?? '', /-\s+colour: blue[\s\S]*\+\s+colour: red/);
      assert.equal(byName.get('fresh')?.action, 'create');
      assert.equal(byName.get('fresh')?.namespace, workload);

      // The same app aimed at a namespace the project's identity may not read is refused there, by the workload's RBAC.
      await client().patch(APPLICATIONS, 'preview', env.namespace, { spec: { destination: { cluster: 'own', namespace: 'default' } } }, 'merge');
      const elsewhere = await get('alice', `/api/applications/${env.namespace}/preview/preview`);
      assert.equal(elsewhere.status, 502, await elsewhere.clone().text());
      assert.match(((await elsewhere.json()) as { message: string }).message, new RegExp(`forbidden|${projectDeliveryUser(projectName)}`, 'i'), 'read as the project identity, not the admin kubeconfig');

      // A shared cluster of the platform (destination.clusterNamespace): only the namespaces the Project was granted there.
      await client().create(NAMESPACES, { metadata: { name: platform } });
      await client().create(SECRETS, { metadata: { name: secret, namespace: platform }, stringData: { value: await readFile(env.kubeconfigPath, 'utf8') } } as KubeObject);
      await client().create(CLUSTERS, {
        metadata: { name: 'shared', namespace: platform, labels: { [SHARED_CLUSTER_LABEL]: 'true' } },
        spec: { templateRef: { name: 'small' }, provider: 'imported', imported: { kubeconfigSecretRef: { name: secret, key: 'value' } } },
      } as KubeObject);
      await client().patch(CLUSTERS, 'shared', platform, { status: { provider: 'imported', kubeconfigSecretRef: { name: secret, key: 'value' } } }, 'merge', { subresource: 'status' });
      await client().create(PROJECTS, {
        metadata: { name: projectName },
        spec: { displayName: 'Preview', members: [], sharedNamespaces: [{ cluster: { namespace: platform, name: 'shared' }, namespace: workload }] },
      } as KubeObject);
      await client().create(APPLICATIONS, {
        metadata: { name: 'preview-shared', namespace: env.namespace },
        spec: { source: { repoURL: fixture.url, path: 'app' }, destination: { cluster: 'shared', clusterNamespace: platform, namespace: workload } },
      } as KubeObject);
      const shared = await get('alice', `/api/applications/${env.namespace}/preview-shared/preview`);
      assert.equal(shared.status, 200, await shared.clone().text());
      assert.deepEqual(((await shared.json()) as { objects: { name: string; action: string }[] }).objects.map((object) => `${object.name} ${object.action}`).sort(), ['existing update', 'fresh create']);
      await client().patch(APPLICATIONS, 'preview-shared', env.namespace, { spec: { destination: { cluster: 'shared', clusterNamespace: platform, namespace: 'default' } } }, 'merge');
      const notGranted = await get('alice', `/api/applications/${env.namespace}/preview-shared/preview`);
      assert.equal(notGranted.status, 409, await notGranted.clone().text());
      assert.match(((await notGranted.json()) as { message: string }).message, /may not deliver to namespace default of shared cluster/);

      const inCluster = await get('alice', `/api/applications/${env.namespace}/web/preview`);
      assert.equal(inCluster.status, 409);
      assert.match(((await inCluster.json()) as { message: string }).message, new RegExp(`project ${projectName} may not deliver to in-cluster`));
      assert.equal((await get('carol', `/api/applications/${env.namespace}/preview/preview`)).status, 403);
      assert.equal((await get('alice', `/api/applications/${env.namespace}/missing/preview`)).status, 404);
      assert.equal((await get('alice', `/api/applications/${env.namespace}/preview/preview?prune=maybe`)).status, 400);

      const nodes = await get('alice', `/api/clusters/${env.namespace}/own/nodes`);
      assert.equal(nodes.status, 200, await nodes.clone().text());
      const nodeList = (await nodes.json()) as { items: { name: string; nodeGroup?: string; zone?: string; ready: boolean; taints: unknown[] }[]; truncated: boolean };
      assert.equal(nodeList.truncated, false);
      assert.deepEqual(
        nodeList.items.filter((item) => item.name === node).map(({ nodeGroup, zone, ready, taints }) => ({ nodeGroup, zone, ready, taints })),
        [{ nodeGroup: 'gpu', zone: 'zone-a', ready: false, taints: [{ key: 'gpu', effect: 'NoSchedule' }] }],
      );
      assert.equal((await get('carol', `/api/clusters/${env.namespace}/own/nodes`)).status, 403);
      assert.equal((await get('alice', `/api/clusters/${env.namespace}/missing/nodes`)).status, 404);
      assert.equal((await get('alice', `/api/clusters/${env.namespace}/physics-a/nodes`)).status, 503, 'a cluster without a kubeconfig does not answer');

      // GPUs in use: "own" gets a GPU node group, and a running Pod there asks for two GPUs; the
      // dashboard's counts take them from the next sample (every 30 s).
      await client().create(NODE_GROUPS, { metadata: { name: 'own-gpu', namespace: env.namespace }, spec: { clusterName: 'own', flavor: 'g1.large', replicas: 1 } } as KubeObject);
      await client().create(PODS, { metadata: { name: 'trainer', namespace: workload }, spec: { containers: [{ name: 'train', image: 'trainer', resources: { limits: { 'nvidia.com/gpu': '2' } } }] } } as KubeObject);
      await client().patch(PODS, 'trainer', workload, { status: { phase: 'Running' } }, 'merge', { subresource: 'status' });
      await waitFor(
        async () => {
          const fleet = (await (await get('alice', '/api/fleet')).json()) as { namespaces: { namespace: string; gpus: number; gpusInUse: number }[] };
          const row = fleet.namespaces.find((entry) => entry.namespace === env.namespace);
          return row !== undefined && row.gpus >= 1 && row.gpusInUse === 2;
        },
        { what: 'the fleet view to count the 2 GPUs the running Pod asks for', timeoutMs: 75_000 },
      );
      const carolFleet = (await (await get('carol', '/api/fleet')).json()) as { totals: { gpusInUse: number } };
      assert.equal(carolFleet.totals.gpusInUse, 0, "another tenant does not see this project's GPU use");
    } finally {
      await client().delete(NODE_GROUPS, 'own-gpu', env.namespace).catch(() => undefined);
      await client().delete(APPLICATIONS, 'preview', env.namespace).catch(() => undefined);
      await client().delete(APPLICATIONS, 'preview-shared', env.namespace).catch(() => undefined);
      await client().delete(PROJECTS, projectName).catch(() => undefined);
      await client().delete(NAMESPACES, platform).catch(() => undefined);
      await client().delete(CLUSTERS, 'own', env.namespace).catch(() => undefined);
      await client().delete(NODES, node).catch(() => undefined);
      await client().delete(NAMESPACES, workload).catch(() => undefined);
      await client().patch(NAMESPACES, env.namespace, undefined, { metadata: { labels: { [PROJECT_LABEL]: null } } }, 'merge').catch(() => undefined);
      await fixture.stop();
    }
  });
});
