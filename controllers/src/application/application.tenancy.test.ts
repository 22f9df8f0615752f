// Delivery tenancy against the run's apiserver, with the Application controller in this process and
// a real git repository (served over http: a project may not read file://). Namespaces are labelled with projects by the test itself (no
// project controller runs here): the test's own namespace (the one the in-process manager watches)
// is project p1's. The "workload clusters" are imported Clusters made Ready by hand
// whose kubeconfig is the run's own apiserver: what a tenant's app may write there is decided by
// that apiserver's RBAC for the impersonated project identity, which this test grants itself.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  API_VERSION,
  CHANGED_BY_ANNOTATION,
  PROJECT,
  PROJECT_LABEL,
  projectDeliveryUser,
  SHARED_CLUSTER_LABEL,
  type Application,
  type ApplicationSpec,
} from '@beamline/api';
import { startGitFixture, type GitFixture } from '@beamline/gitops/testing';
import { defaultTemplates, installApi } from '@beamline/install';
import { clientFor, type KubeClient, type KubeObject, type ResourceType } from '@beamline/kube';
import { uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { RESOURCES } from '../resources.ts';
import { startGitopsInProcess, type GitopsInProcess } from './testing/gitops-in-process.ts';
import { waitForAppStatus } from './testing/wait-for-app.ts';

const env = useTestEnv('gitops-tenancy');

const CONFIG_MAPS: ResourceType = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
const NAMESPACES: ResourceType = { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };
const ROLE_BINDINGS: ResourceType = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true };
const PROJECTS: ResourceType = { apiVersion: API_VERSION, kind: PROJECT.kind, plural: PROJECT.plural, namespaced: false };
const TEMPLATES: ResourceType = { apiVersion: API_VERSION, kind: 'ClusterTemplate', plural: 'clustertemplates', namespaced: false };
const EVENTS: ResourceType = { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true };

const configMap = (name: string, namespace?: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${namespace === undefined ? '' : `  namespace: ${namespace}\n`}data:\n  colour: red\n`;

describe('Application delivery tenancy', () => {
  const client = (): KubeClient => clientFor(env.kubeConfig);
  const p1 = uniqueName('p1');
  const p2 = uniqueName('p2');
  /** Management namespaces: p2's, and the platform's (no project) with the shared cluster. p1's is the test's own. */
  const nsP2 = uniqueName('project-p2');
  const nsPlatform = uniqueName('platform');
  let nsP1 = '';
  /** Namespaces of the "workload cluster" (the run's apiserver): p1's identity may edit in `allowed` and `sharedOwned` only. */
  const allowed = uniqueName('wl-allowed');
  const other = uniqueName('wl-other');
  const sharedOwned = uniqueName('wl-shared-p1');
  const sharedNotOwned = uniqueName('wl-shared-p2');
  const namespaces = [nsP2, nsPlatform, allowed, other, sharedOwned, sharedNotOwned];
  const template = uniqueName('tpl');
  let fixture: GitFixture;
  let workDir: string;
  let running: GitopsInProcess | undefined;

  before(async () => {
    const [small] = defaultTemplates();
    assert.ok(small !== undefined);
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace, templates: [{ ...small, metadata: { ...small.metadata, name: template } }] });
    nsP1 = env.namespace;
    await labelP1(p1);
    const labels: Record<string, Record<string, string>> = { [nsP2]: { [PROJECT_LABEL]: p2 } };
    for (const name of namespaces) await client().create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: labels[name] ?? {} } });
    for (const namespace of [allowed, sharedOwned]) {
      await client().create(ROLE_BINDINGS, {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'delivery', namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: projectDeliveryUser(p1) }],
      } as KubeObject);
    }
    await client().create(PROJECTS, {
      apiVersion: API_VERSION,
      kind: PROJECT.kind,
      metadata: { name: p1 },
      spec: { displayName: 'Physics', members: [], sharedNamespaces: [{ cluster: { namespace: nsPlatform, name: 'shared' }, namespace: sharedOwned }] },
    } as KubeObject);
    const kubeconfig = await readFile(env.kubeconfigPath, 'utf8');
    await fakeCluster(nsP1, 'own', kubeconfig);
    await fakeCluster(nsP2, 'theirs', kubeconfig);
    // The platform's shared cluster, in a namespace of no project.
    await fakeCluster(nsPlatform, 'shared', kubeconfig, { [SHARED_CLUSTER_LABEL]: 'true' });
    fixture = await startGitFixture({
      files: {
        'inside/config.yaml': configMap('inside'),
        'escape/inside.yaml': configMap('inside'),
        'escape/outside.yaml': configMap('outside', other),
        'shared-escape/inside.yaml': configMap('inside'),
        'shared-escape/outside.yaml': configMap('outside', sharedNotOwned),
        'shared-escape/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${uniqueName('grab')}\n`,
        'admin/config.yaml': configMap('admin'),
      },
    });
    workDir = await mkdtemp(join(tmpdir(), 'beamline-tenancy-'));
    running = await startGitopsInProcess(env, workDir);
  });

  after(async () => {
    // Applications first (their finalizer needs the manager), then everything else this file made.
    const apps = await client().list<Application>(RESOURCES.application, { namespace: nsP1 }).catch(() => ({ items: [] as Application[] }));
    await Promise.all(apps.items.map((app) => client().delete(RESOURCES.application, app.metadata.name ?? '', nsP1)));
    await waitFor(async () => (await client().list(RESOURCES.application, { namespace: nsP1 })).items.length === 0, { timeoutMs: 30_000, what: 'applications deleted' }).catch(() => undefined);
    await running?.stop();
    for (const [namespace, name] of [[nsP1, 'own'], [nsP2, 'theirs'], [nsPlatform, 'shared']] as const) await client().delete(RESOURCES.cluster, name, namespace).catch(() => undefined);
    await client().delete(PROJECTS, p1).catch(() => undefined);
    await client().delete(TEMPLATES, template).catch(() => undefined);
    await Promise.all(namespaces.map((name) => client().delete(NAMESPACES, name).catch(() => undefined)));
    await fixture?.stop();
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });

  /** Sets (or, with null, removes) the project label of the test's namespace. */
  async function labelP1(project: string | null): Promise<void> {
    await client().patch(NAMESPACES, env.namespace, undefined, { metadata: { labels: { [PROJECT_LABEL]: project } } }, 'merge');
  }

  /** An imported Cluster made Ready by hand (no cluster controller runs here), its kubeconfig the run's apiserver. */
  async function fakeCluster(namespace: string, name: string, kubeconfig: string, labels: Record<string, string> = {}): Promise<void> {
    const secret = `${name}-kubeconfig`;
    await client().create(RESOURCES.secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret, namespace }, stringData: { value: kubeconfig } } as KubeObject);
    await client().create(RESOURCES.cluster, {
      apiVersion: API_VERSION,
      kind: 'Cluster',
      metadata: { name, namespace, labels },
      spec: { templateRef: { name: template }, provider: 'imported', imported: { kubeconfigSecretRef: { name: secret, key: 'value' } } },
    } as KubeObject);
    const now = new Date().toISOString();
    await client().patch(
      RESOURCES.cluster,
      name,
      namespace,
      {
        status: {
          provider: 'imported',
          endpoint: 'https://workload.invalid',
          kubeconfigSecretRef: { name: secret, key: 'value' },
          conditions: [{ type: 'Ready', status: 'True', reason: 'Available', message: 'ready', lastTransitionTime: now, observedGeneration: 1 }],
        },
      },
      'merge',
      { subresource: 'status' },
    );
  }

  async function createApp(namespace: string, name: string, path: string, destination: ApplicationSpec['destination'], annotations: Record<string, string> = {}, repoURL: string = fixture.url): Promise<void> {
    await client().create(RESOURCES.application, {
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name, namespace, annotations },
      spec: {
        source: { repoURL, targetRevision: 'main', path },
        destination,
        // No retries: a refused object stays refused, and each retry is a pass for nothing.
        syncPolicy: { automated: { prune: true }, retry: { limit: 0 } },
      },
    } as KubeObject);
  }

  const waitForApp = (namespace: string, name: string, what: string, check: (app: Application) => boolean, timeoutMs = 30_000): Promise<Application> =>
    waitForAppStatus(
      async (appName) => {
        const app = await client().get<Application>(RESOURCES.application, appName, namespace);
        assert.ok(app !== undefined, `Application ${namespace}/${appName} exists`);
        return app;
      },
      name,
      what,
      check,
      timeoutMs,
    );
  const ready = (app: Application): { status: string; reason: string; message: string } | undefined => app.status?.conditions?.find((entry) => entry.type === 'Ready');
  const notPermitted = (app: Application): boolean => ready(app)?.reason === 'DestinationNotPermitted' && app.status?.observedGeneration === app.metadata.generation;
  const eventSaid = (namespace: string, reason: string, text: string): Promise<unknown> =>
    waitFor(
      async () => (await client().list<KubeObject & { reason?: string; message?: string }>(EVENTS, { namespace })).items.some((event) => event.reason === reason && event.message?.includes(text) === true),
      { timeoutMs: 15_000, what: `a ${reason} event saying ${text}` },
    );

  test('a project app to in-cluster is refused with the rule, an event, nothing applied; unlabelling its namespace (the admins space) lets it deliver', async () => {
    const name = uniqueName('incluster');
    await createApp(nsP1, name, 'admin', { cluster: 'in-cluster', namespace: allowed });
    const refused = await waitForApp(nsP1, name, 'refused: in-cluster', notPermitted);
    const message = `project ${p1} may not deliver to in-cluster: only platform admins' Applications (namespaces of no project) may`;
    assert.equal(ready(refused)?.status, 'False');
    assert.equal(ready(refused)?.message, message);
    assert.equal(refused.status?.operationState, undefined, 'no sync was started');
    assert.equal(await client().get(CONFIG_MAPS, 'admin', allowed), undefined, 'nothing applied');
    await eventSaid(nsP1, 'DestinationNotPermitted', message);

    // The label is what decides, and a change of it re-queues the app (the Namespace watch).
    await labelP1(null);
    try {
      await waitForApp(nsP1, name, 'delivered once its namespace is of no project', (app) => app.status?.sync?.status === 'Synced' && ready(app)?.status === 'True');
      assert.ok(await client().get(CONFIG_MAPS, 'admin', allowed));
    } finally {
      await labelP1(p1);
    }
    await waitForApp(nsP1, name, 'refused again once labelled', notPermitted);
  });

  test("a p1 app reading a file:// repository (a path on the manager's machine) is refused before anything is fetched", async () => {
    const name = uniqueName('file');
    await createApp(nsP1, name, 'inside', { cluster: 'theirs', namespace: allowed }, {}, fixture.fileUrl);
    const refused = await waitForApp(nsP1, name, 'refused: file://', notPermitted);
    assert.match(ready(refused)?.message ?? '', new RegExp(`^project ${p1} may not read a file:// repository`));
    assert.equal(refused.status?.sync?.revision, undefined, 'the repository was not read');
    assert.equal(refused.status?.operationState, undefined, 'no sync was started');
  });

  test("a p1 app aimed at a Cluster of p2's namespace, or at a shared-cluster namespace p1 does not own, is refused", async () => {
    const theirs = uniqueName('theirs');
    const notOwned = uniqueName('notowned');
    await createApp(nsP1, theirs, 'inside', { cluster: 'theirs', clusterNamespace: nsP2, namespace: allowed });
    await createApp(nsP1, notOwned, 'inside', { cluster: 'shared', clusterNamespace: nsPlatform, namespace: sharedNotOwned });
    const refusedTheirs = await waitForApp(nsP1, theirs, "refused: p2's cluster", notPermitted);
    assert.equal(
      ready(refusedTheirs)?.message,
      `project ${p1} may not deliver to Cluster ${nsP2}/theirs: its namespace belongs to project ${p2}; a project delivers to the Clusters of its own namespace and to shared clusters`,
    );
    const refusedShared = await waitForApp(nsP1, notOwned, 'refused: a shared namespace p1 does not own', notPermitted);
    assert.equal(
      ready(refusedShared)?.message,
      `project ${p1} may not deliver to namespace ${sharedNotOwned} of shared cluster ${nsPlatform}/shared: its namespaces there (Project spec.sharedNamespaces) are ${sharedOwned}`,
    );
    assert.equal(await client().get(CONFIG_MAPS, 'inside', sharedNotOwned), undefined, 'nothing applied');
  });

  test("a p1 app to its own cluster applies as p1's identity: inside its RBAC it is applied, outside it is Forbidden; history records who", async () => {
    const good = uniqueName('own');
    await createApp(nsP1, good, 'inside', { cluster: 'own', namespace: allowed }, { [CHANGED_BY_ANNOTATION]: 'oidc:alice@example.org' });
    const synced = await waitForApp(nsP1, good, 'synced to its own cluster', (app) => app.status?.sync?.status === 'Synced' && ready(app)?.status === 'True');
    assert.equal(synced.status?.history?.at(-1)?.changedBy, 'oidc:alice@example.org');
    assert.ok(await client().get(CONFIG_MAPS, 'inside', allowed));
    await eventSaid(nsP1, 'Synced', '(last changed by oidc:alice@example.org)');

    // The tenancy rules allow anything on a project's own cluster; what stops this object is the
    // workload cluster's RBAC for the impersonated identity (edit in `allowed` only, here).
    const escape = uniqueName('escape');
    await createApp(nsP1, escape, 'escape', { cluster: 'own', namespace: allowed });
    const failed = await waitForApp(nsP1, escape, 'the object outside its RBAC refused', (app) => app.status?.operationState?.phase === 'Failed');
    const outside = failed.status?.operationState?.results?.find((entry) => entry.name === 'outside');
    assert.equal(outside?.status, 'Failed');
    assert.match(outside?.message ?? '', /403 Forbidden/);
    assert.ok(outside?.message?.includes(`User "${projectDeliveryUser(p1)}"`), `the refusal names the project identity: ${outside?.message ?? ''}`);
    assert.equal(await client().get(CONFIG_MAPS, 'outside', other), undefined);
    assert.equal(ready(failed)?.reason, 'SyncFailed');

    // Deleting it deletes what it applied, as its identity; the entry it was never allowed to
    // write is left with a warning instead of keeping the Application forever.
    await client().delete(RESOURCES.application, escape, nsP1);
    await waitFor(async () => (await client().get(RESOURCES.application, escape, nsP1)) === undefined, { timeoutMs: 30_000, what: 'the app deleted' });
    await eventSaid(nsP1, 'DeleteForbidden', `left 1 objects the project's identity may not delete (first: ConfigMap ${other}/outside`);
  });

  test('a shared-cluster app whose manifests leave its namespaces is refused before any apply', async () => {
    const name = uniqueName('shared');
    await createApp(nsP1, name, 'shared-escape', { cluster: 'shared', clusterNamespace: nsPlatform, namespace: sharedOwned });
    const refused = await waitForApp(nsP1, name, 'refused: objects outside its namespaces', notPermitted);
    const message = ready(refused)?.message ?? '';
    assert.match(message, new RegExp(`^project ${p1} may not deliver to shared cluster ${nsPlatform}/shared: cluster-scoped objects are not allowed there \\(Namespace grab-[0-9a-f]+\\); objects outside its namespaces there \\(${sharedOwned}\\): ConfigMap ${sharedNotOwned}/outside$`));
    assert.equal(refused.status?.operationState, undefined, 'no sync was started');
    assert.equal(await client().get(CONFIG_MAPS, 'inside', sharedOwned), undefined, 'not even the allowed object was applied');
    assert.equal(await client().get(CONFIG_MAPS, 'outside', sharedNotOwned), undefined);

    // Within its namespace it delivers, as its identity (edit there).
    await client().patch(RESOURCES.application, name, nsP1, { spec: { source: { path: 'inside' } } }, 'merge');
    await waitForApp(nsP1, name, 'delivered inside its namespace', (app) => app.status?.sync?.status === 'Synced' && ready(app)?.status === 'True');
    assert.ok(await client().get(CONFIG_MAPS, 'inside', sharedOwned));
  });
});
