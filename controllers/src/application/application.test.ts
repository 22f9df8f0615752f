// The Application controller in a manager of this process, against the run's shared apiserver as
// the management cluster and as the `in-cluster` destination; sources are real git repositories
// (git http-backend over HTTP, and file://), rendered by the real kubectl (kustomize) and helm.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { API_VERSION, formatSyncRequest, SYNC_REQUEST_ANNOTATION, TRACKING_ANNOTATION, type Application, type ApplicationSpec } from '@beamline/api';
import { defaultTemplates, installApi } from '@beamline/install';
import { startGitFixture, type GitFixture } from '@beamline/gitops/testing';
import { clientFor, type KubeClient, type ResourceType } from '@beamline/kube';
import { uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { RESOURCES } from '../resources.ts';
import { startGitopsInProcess, type GitopsInProcess } from './testing/gitops-in-process.ts';
import { waitForAppStatus } from './testing/wait-for-app.ts';

const env = useTestEnv('gitops-app');

const CONFIG_MAPS: ResourceType = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
const SERVICES: ResourceType = { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true };
const DEPLOYMENTS: ResourceType = { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true };
const NAMESPACES: ResourceType = { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };

const configMap = (name: string, colour: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  colour: ${colour}\n`;
const service = (name: string): string =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\nspec:\n  selector:\n    app: ${name}\n  ports:\n    - port: 80\n      targetPort: 8080\n`;
const deployment = (name: string, replicas = 0): string =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: ${replicas}\n  selector:\n    matchLabels:\n      app: ${name}\n  template:\n    metadata:\n      labels:\n        app: ${name}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n`;

const CHART = {
  'Chart.yaml': 'apiVersion: v2\nname: hello\nversion: 0.1.0\n',
  'values.yaml': 'colour: red\nreplicas: 0\n',
  'templates/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\ndata:\n  colour: {{ .Values.colour | quote }}\n',
};

describe('Application controller (in-cluster destination)', () => {
  let fixture: GitFixture;
  let workDir: string;
  let running: GitopsInProcess | undefined;
  const client = (): KubeClient => clientFor(env.kubeConfig);
  const destinations: string[] = [];
  /** A ClusterTemplate of this file, for the Clusters that stand for other destinations. */
  const template = uniqueName('tpl');

  before(async () => {
    const [small] = defaultTemplates();
    assert.ok(small !== undefined);
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace, templates: [{ ...small, metadata: { ...small.metadata, name: template } }] });
    fixture = await startGitFixture({
      files: {
        'plain/config.yaml': configMap('web', 'red'),
        'plain/service.yaml': service('web'),
        'plain/deploy.yaml': deployment('web'),
        'kustomized/kustomization.yaml': 'resources:\n  - config.yaml\nnamePrefix: k-\ncommonLabels:\n  team: physics\n',
        'kustomized/config.yaml': configMap('web', 'green'),
        ...Object.fromEntries(Object.entries(CHART).map(([path, text]) => [`chart/${path}`, text])),
      },
    });
    workDir = await mkdtemp(join(tmpdir(), 'beamline-gitops-'));
    running = await startGitopsInProcess(env, workDir);
  });

  after(async () => {
    // Applications go first (their finalizer needs the manager), then the manager and the rest.
    const apps = await client().list<Application>(RESOURCES.application, { namespace: env.namespace });
    await Promise.all(apps.items.map((app) => client().delete(RESOURCES.application, app.metadata.name ?? '', env.namespace)));
    await waitFor(async () => (await client().list(RESOURCES.application, { namespace: env.namespace })).items.length === 0, { timeoutMs: 30_000, what: 'applications deleted' }).catch(() => undefined);
    await running?.stop();
    await Promise.all((await client().list(RESOURCES.cluster, { namespace: env.namespace })).items.map((item) => client().delete(RESOURCES.cluster, item.metadata?.name ?? '', env.namespace)));
    await client().delete({ apiVersion: API_VERSION, kind: 'ClusterTemplate', plural: 'clustertemplates', namespaced: false }, template);
    await Promise.all(destinations.map((name) => client().delete(NAMESPACES, name)));
    await fixture?.stop();
    await rm(workDir, { recursive: true, force: true });
  });

  /** Creates an Application delivering to a fresh namespace of its own. */
  async function createApp(name: string, spec: Omit<ApplicationSpec, 'destination'> & { destination?: ApplicationSpec['destination'] }): Promise<string> {
    const namespace = uniqueName('dest');
    destinations.push(namespace);
    const body = {
      apiVersion: API_VERSION,
      kind: 'Application',
      metadata: { name, namespace: env.namespace },
      spec: { destination: { cluster: 'in-cluster', namespace }, ...spec, syncPolicy: { syncOptions: { createNamespace: true }, ...spec.syncPolicy } },
    };
    await client().create(RESOURCES.application, body);
    return namespace;
  }

  const getApp = async (name: string): Promise<Application> => {
    const app = await client().get<Application>(RESOURCES.application, name, env.namespace);
    assert.ok(app !== undefined, `Application ${name} exists`);
    return app;
  };

  /** Waits until the app's status satisfies `check`; the message shows the last status. */
  const waitForApp = (name: string, what: string, check: (app: Application) => boolean, timeoutMs = 30_000): Promise<Application> =>
    waitForAppStatus(getApp, name, what, check, timeoutMs);
  const syncedAndHealthy = (app: Application): boolean =>
    app.status?.sync?.status === 'Synced' && app.status.health?.status === 'Healthy' && app.status.observedGeneration === app.metadata.generation;
  const condition = (app: Application, type: string): { status: string; reason: string; message: string } | undefined =>
    app.status?.conditions?.find((entry) => entry.type === type);

  test('a plain directory app over HTTP becomes Synced and Healthy; a change is applied; drift is healed', async () => {
    const name = uniqueName('plain');
    const namespace = await createApp(name, { source: { repoURL: fixture.url, targetRevision: 'main', path: 'plain' }, syncPolicy: { automated: { prune: true, selfHeal: true } } });
    const synced = await waitForApp(name, 'plain app Synced and Healthy', syncedAndHealthy);
    assert.equal(synced.status?.sync?.revision, await fixture.repository.revParse('main'));
    assert.deepEqual(synced.status?.resources?.map((resource) => `${resource.kind}/${resource.name}`).sort(), ['ConfigMap/web', 'Deployment/web', 'Service/web']);
    assert.equal(synced.status?.history?.length, 1);
    assert.equal(synced.status?.operationState?.phase, 'Succeeded');
    assert.equal(synced.status?.sourceType, 'directory');
    assert.equal(condition(synced, 'Ready')?.status, 'True');
    const live = await client().get(CONFIG_MAPS, 'web', namespace);
    assert.equal(live?.metadata?.annotations?.[TRACKING_ANNOTATION], `${env.namespace}/${name}:/ConfigMap:${namespace}/web`);
    assert.deepEqual((live as { data?: unknown }).data, { colour: 'red' });

    // A change in git, picked up on refresh (an annotation here; webhooks are tested end to end).
    const changed = await fixture.repository.commit({ 'plain/config.yaml': configMap('web', 'blue') });
    await client().patch(RESOURCES.application, name, env.namespace, { metadata: { annotations: { 'beamline.dev/refresh-requested-at': 'one' } } }, 'merge');
    await waitForApp(name, 'the new commit synced', (app) => app.status?.sync?.revision === changed && syncedAndHealthy(app));
    assert.deepEqual(((await client().get(CONFIG_MAPS, 'web', namespace)) as { data?: unknown }).data, { colour: 'blue' });

    // A manual edit is drift: OutOfSync, then healed.
    await client().patch(CONFIG_MAPS, 'web', namespace, { data: { colour: 'hand-edited' } }, 'merge');
    await waitFor(async () => ((await client().get(CONFIG_MAPS, 'web', namespace)) as { data?: { colour?: string } }).data?.colour === 'blue', {
      timeoutMs: 15_000,
      what: 'the hand edit healed',
    });
    const healed = await waitForApp(name, 'Synced again after healing', syncedAndHealthy);
    assert.equal(healed.status?.history?.at(-1)?.revision, changed);
  });

  test('a removed file is pruned only with prune; without it the object stays and the app is OutOfSync', async () => {
    const withPrune = uniqueName('prune');
    const without = uniqueName('keep');
    await fixture.repository.commit({ 'two/a.yaml': configMap('a', 'red'), 'two/b.yaml': configMap('b', 'red') });
    const pruneNs = await createApp(withPrune, { source: { repoURL: fixture.fileUrl, targetRevision: 'main', path: 'two' }, syncPolicy: { automated: { prune: true } } });
    const keepNs = await createApp(without, { source: { repoURL: fixture.fileUrl, targetRevision: 'main', path: 'two' }, syncPolicy: { automated: {} } });
    await waitForApp(withPrune, 'prune app synced', syncedAndHealthy);
    await waitForApp(without, 'keep app synced', syncedAndHealthy);

    await fixture.repository.git('rm', '--quiet', 'two/b.yaml');
    await fixture.repository.git('commit', '--quiet', '-m', 'remove b');
    const head = await fixture.repository.revParse('main');
    for (const name of [withPrune, without]) {
      await client().patch(RESOURCES.application, name, env.namespace, { metadata: { annotations: { 'beamline.dev/refresh-requested-at': 'remove-b' } } }, 'merge');
    }
    await waitForApp(withPrune, 'b pruned', (app) => app.status?.sync?.revision === head && syncedAndHealthy(app) && app.status.resources?.length === 1);
    assert.equal(await client().get(CONFIG_MAPS, 'b', pruneNs), undefined);

    const kept = await waitForApp(without, 'keep app OutOfSync at the new revision', (app) => app.status?.sync?.revision === head && app.status.sync.status === 'OutOfSync');
    assert.ok(await client().get(CONFIG_MAPS, 'b', keepNs), 'b is still there without prune');
    const extra = kept.status?.resources?.find((resource) => resource.name === 'b');
    assert.equal(extra?.status, 'OutOfSync');

    // A manual sync with prune deletes it.
    await client().patch(RESOURCES.application, without, env.namespace, { metadata: { annotations: { [SYNC_REQUEST_ANNOTATION]: formatSyncRequest({ id: 'prune-now', prune: true }) } } }, 'merge');
    await waitForApp(without, 'manual sync with prune done', (app) => app.status?.lastHandledSyncRequest === 'prune-now' && syncedAndHealthy(app));
    assert.equal(await client().get(CONFIG_MAPS, 'b', keepNs), undefined);
  });

  test('kustomize and Helm apps (values win over the chart) become Synced and Healthy', async () => {
    const kustomized = uniqueName('kust');
    const charted = uniqueName('helm');
    const kNs = await createApp(kustomized, { source: { repoURL: fixture.url, path: 'kustomized' }, syncPolicy: { automated: {} } });
    const hNs = await createApp(charted, { source: { repoURL: fixture.url, path: 'chart', helm: { values: { colour: 'purple' } } }, syncPolicy: { automated: {} } });
    const k = await waitForApp(kustomized, 'kustomize app', syncedAndHealthy);
    const h = await waitForApp(charted, 'helm app', syncedAndHealthy);
    assert.equal(k.status?.sourceType, 'kustomize');
    assert.equal(h.status?.sourceType, 'helm');
    const kLive = await client().get<{ metadata?: { labels?: Record<string, string> }; data?: unknown }>(CONFIG_MAPS, 'k-web', kNs);
    assert.equal(kLive?.metadata?.labels?.team, 'physics');
    assert.deepEqual(((await client().get(CONFIG_MAPS, `${charted}-config`, hNs)) as { data?: unknown } | undefined)?.data, { colour: 'purple' });
  });

  test('without automated sync drift is only reported; a manual sync applies', async () => {
    const name = uniqueName('manual');
    const namespace = await createApp(name, { source: { repoURL: fixture.url, path: 'plain' } });
    const outOfSync = await waitForApp(name, 'OutOfSync and Missing before any sync', (app) => app.status?.sync?.status === 'OutOfSync' && app.status.health?.status === 'Missing');
    assert.equal(outOfSync.status?.operationState, undefined, 'nothing was synced');
    assert.equal(await client().get(SERVICES, 'web', namespace), undefined);
    await client().patch(RESOURCES.application, name, env.namespace, { metadata: { annotations: { [SYNC_REQUEST_ANNOTATION]: 'by-hand' } } }, 'merge');
    const done = await waitForApp(name, 'manual sync done', (app) => app.status?.lastHandledSyncRequest === 'by-hand' && syncedAndHealthy(app));
    assert.equal(done.status?.operationState?.initiatedBy, 'manual');
    assert.ok(await client().get(SERVICES, 'web', namespace));
  });

  test('YAML that does not parse and values that do not render: a clear condition, nothing applied', async () => {
    await fixture.repository.commit({
      'broken/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata: [unclosed\n',
      'badchart/Chart.yaml': 'apiVersion: v2\nname: bad\nversion: 0.1.0\n',
      'badchart/templates/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  size: {{ required "size is required" .Values.size }}\n',
    });
    const yamlApp = uniqueName('badyaml');
    const valuesApp = uniqueName('badvalues');
    const yamlNs = await createApp(yamlApp, { source: { repoURL: fixture.url, path: 'broken' }, syncPolicy: { automated: { prune: true } } });
    await createApp(valuesApp, { source: { repoURL: fixture.url, path: 'badchart' }, syncPolicy: { automated: {} } });
    const bad = await waitForApp(yamlApp, 'RenderFailed', (app) => condition(app, 'Ready')?.reason === 'RenderFailed');
    assert.match(condition(bad, 'Ready')?.message ?? '', /config\.yaml/);
    assert.equal(bad.status?.sync?.status, 'Unknown');
    const badValues = await waitForApp(valuesApp, 'RenderFailed for values', (app) => condition(app, 'Ready')?.reason === 'RenderFailed');
    assert.match(condition(badValues, 'Ready')?.message ?? '', /size is required/);
    assert.equal(badValues.status?.operationState, undefined, 'no sync was attempted');
    assert.equal(await client().get(NAMESPACES, yamlNs), undefined, 'not even the namespace was created');
  });

  test('git unreachable: a condition, no apply and no prune; it recovers by itself', async () => {
    const name = uniqueName('offline');
    const namespace = await createApp(name, { source: { repoURL: fixture.url, path: 'plain' }, syncPolicy: { automated: { prune: true, selfHeal: true } }, refreshIntervalSeconds: 10 });
    await waitForApp(name, 'synced while online', syncedAndHealthy);
    await fixture.server.down();
    try {
      await client().patch(RESOURCES.application, name, env.namespace, { metadata: { annotations: { 'beamline.dev/refresh-requested-at': 'offline' } } }, 'merge');
      const failing = await waitForApp(name, 'FetchFailed', (app) => condition(app, 'Ready')?.reason === 'FetchFailed');
      assert.match(condition(failing, 'Ready')?.message ?? '', /127\.0\.0\.1/);
      assert.equal(failing.status?.sync?.status, 'Unknown');
      assert.equal(failing.status?.resources?.length, 3, 'the inventory is kept');
      assert.ok(await client().get(DEPLOYMENTS, 'web', namespace), 'nothing was pruned');
    } finally {
      await fixture.server.up();
    }
    await waitForApp(name, 'recovered by itself', (app) => condition(app, 'Ready')?.status === 'True' && syncedAndHealthy(app), 40_000);
  });

  test('rollback applies a history entry, and is refused while auto-sync is on', async () => {
    const name = uniqueName('rollback');
    await fixture.repository.commit({ 'rb/config.yaml': configMap('rb', 'one') });
    const namespace = await createApp(name, { source: { repoURL: fixture.url, path: 'rb' }, syncPolicy: { automated: {} } });
    await waitForApp(name, 'first synced', syncedAndHealthy);
    const second = await fixture.repository.commit({ 'rb/config.yaml': configMap('rb', 'two') });
    await client().patch(RESOURCES.application, name, env.namespace, { metadata: { annotations: { 'beamline.dev/refresh-requested-at': 'two' } } }, 'merge');
    const synced = await waitForApp(name, 'second synced', (app) => app.status?.history?.length === 2 && app.status.sync?.revision === second && syncedAndHealthy(app));
    const firstId = synced.status?.history?.[0]?.id ?? -1;

    await client().patch(RESOURCES.application, name, env.namespace, { metadata: { annotations: { [SYNC_REQUEST_ANNOTATION]: formatSyncRequest({ id: 'rb-1', rollbackTo: firstId }) } } }, 'merge');
    const refused = await waitForApp(name, 'rollback refused', (app) => app.status?.lastHandledSyncRequest === 'rb-1');
    assert.equal(refused.status?.operationState?.phase, 'Error');
    assert.match(refused.status?.operationState?.message ?? '', /automated sync is on/);

    await client().patch(
      RESOURCES.application,
      name,
      env.namespace,
      { metadata: { annotations: { [SYNC_REQUEST_ANNOTATION]: formatSyncRequest({ id: 'rb-2', rollbackTo: firstId }) } }, spec: { syncPolicy: { automated: null } } },
      'merge',
    );
    const rolledBack = await waitForApp(name, 'rolled back', (app) => app.status?.lastHandledSyncRequest === 'rb-2' && app.status.operationState?.phase === 'Succeeded');
    assert.equal(rolledBack.status?.operationState?.initiatedBy, 'rollback');
    assert.deepEqual(((await client().get(CONFIG_MAPS, 'rb', namespace)) as { data?: unknown }).data, { colour: 'one' });
    await waitForApp(name, 'OutOfSync with the target after rollback', (app) => app.status?.sync?.status === 'OutOfSync' && app.status.sync.revision === second);
    assert.equal((await getApp(name)).status?.history?.length, 3);
  });

  test('a failing Job makes the app Degraded', async () => {
    const name = uniqueName('job');
    await fixture.repository.commit({
      'job/job.yaml':
        'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: fails\nspec:\n  activeDeadlineSeconds: 1\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n        - name: x\n          image: busybox\n',
    });
    await createApp(name, { source: { repoURL: fixture.url, path: 'job' }, syncPolicy: { automated: {} } });
    const degraded = await waitForApp(name, 'Degraded', (app) => app.status?.health?.status === 'Degraded', 40_000);
    assert.equal(degraded.status?.sync?.status, 'Synced');
    assert.match(degraded.status?.health?.message ?? '', /Job|deadline|Deadline/);
  });

  test('deleting an Application deletes its objects; with deletionPolicy Orphan they stay', async () => {
    const cascade = uniqueName('cascade');
    const orphan = uniqueName('orphan');
    const cascadeNs = await createApp(cascade, { source: { repoURL: fixture.url, path: 'plain' }, syncPolicy: { automated: {} } });
    const orphanNs = await createApp(orphan, { source: { repoURL: fixture.url, path: 'plain' }, syncPolicy: { automated: {} }, deletionPolicy: 'Orphan' });
    await waitForApp(cascade, 'cascade synced', syncedAndHealthy);
    await waitForApp(orphan, 'orphan synced', syncedAndHealthy);
    await client().delete(RESOURCES.application, cascade, env.namespace);
    await client().delete(RESOURCES.application, orphan, env.namespace);
    await waitFor(async () => (await client().get(RESOURCES.application, cascade, env.namespace)) === undefined && (await client().get(RESOURCES.application, orphan, env.namespace)) === undefined, {
      timeoutMs: 30_000,
      what: 'both Applications gone',
    });
    assert.equal(await client().get(DEPLOYMENTS, 'web', cascadeNs), undefined);
    assert.equal(await client().get(SERVICES, 'web', cascadeNs), undefined);
    assert.ok(await client().get(DEPLOYMENTS, 'web', orphanNs), 'orphaned objects stay');
  });
  /**
   * A Cluster that stands for another destination: an imported Cluster made Ready by hand (no
   * cluster controller runs here) whose kubeconfig Secret is `kubeconfig`, the run's apiserver
   * unless a test points it elsewhere.
   */
  async function fakeCluster(name: string, kubeconfig: string): Promise<void> {
    const secret = `${name}-kubeconfig`;
    await client().create(RESOURCES.secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret, namespace: env.namespace }, stringData: { value: kubeconfig } });
    await client().create(RESOURCES.cluster, {
      apiVersion: API_VERSION,
      kind: 'Cluster',
      metadata: { name, namespace: env.namespace },
      spec: { templateRef: { name: template }, provider: 'imported', imported: { kubeconfigSecretRef: { name: secret, key: 'value' } } },
    });
    await markClusterReady(name, 'https://first.invalid');
  }
  /** Sets the Cluster's status Ready (a new endpoint makes the controller read its Secret again, as a resumed cluster does). */
  async function markClusterReady(name: string, endpoint: string): Promise<void> {
    const now = new Date().toISOString();
    await client().patch(
      RESOURCES.cluster,
      name,
      env.namespace,
      {
        status: {
          provider: 'imported',
          endpoint,
          kubeconfigSecretRef: { name: `${name}-kubeconfig`, key: 'value' },
          conditions: [{ type: 'Ready', status: 'True', reason: 'Available', message: 'ready', lastTransitionTime: now, observedGeneration: 1 }],
        },
      },
      'merge',
      { subresource: 'status' },
    );
  }
  const ownKubeconfig = (): Promise<string> => readFile(env.kubeconfigPath, 'utf8');

  test('ownership: an object of another app is a conflict; deleting that app leaves it', async () => {
    const owner = uniqueName('own-a');
    const intruder = uniqueName('own-b');
    await fixture.repository.commit({ 'own-a/shared.yaml': configMap('shared', 'a'), 'own-b/shared.yaml': configMap('shared', 'b'), 'own-b/mine.yaml': configMap('mine', 'b') });
    const namespace = await createApp(owner, { source: { repoURL: fixture.fileUrl, targetRevision: 'main', path: 'own-a' }, syncPolicy: { automated: { prune: true, selfHeal: true } } });
    await waitForApp(owner, 'app A Synced and Healthy', syncedAndHealthy);
    await createApp(intruder, {
      source: { repoURL: fixture.fileUrl, targetRevision: 'main', path: 'own-b' },
      destination: { cluster: 'in-cluster', namespace },
      syncPolicy: { automated: { prune: true, selfHeal: true }, retry: { limit: 0 } },
    });
    const refused = await waitForApp(intruder, 'app B refused the shared object', (app) => condition(app, 'Ready')?.reason === 'SyncFailed');
    assert.match(condition(refused, 'Ready')?.message ?? '', new RegExp(`conflict: /ConfigMap/${namespace}/shared belongs to application ${env.namespace}/${owner}`));
    const result = refused.status?.operationState?.results?.find((entry) => entry.name === 'shared');
    assert.equal(result?.status, 'Failed');
    const shared = await client().get(CONFIG_MAPS, 'shared', namespace);
    assert.deepEqual((shared as { data?: unknown }).data, { colour: 'a' }, 'not taken over');
    assert.equal(shared?.metadata?.annotations?.[TRACKING_ANNOTATION], `${env.namespace}/${owner}:/ConfigMap:${namespace}/shared`);
    assert.ok(await client().get(CONFIG_MAPS, 'mine', namespace));

    // B's status lists the shared object (it is desired); deleting B deletes only what is B's.
    await client().delete(RESOURCES.application, intruder, env.namespace);
    await waitFor(async () => (await client().get(RESOURCES.application, intruder, env.namespace)) === undefined, { timeoutMs: 30_000, what: 'app B deleted' });
    assert.equal(await client().get(CONFIG_MAPS, 'mine', namespace), undefined);
    assert.ok(await client().get(CONFIG_MAPS, 'shared', namespace), "app A's object survives app B's deletion");
    const stillA = await waitForApp(owner, 'app A still Synced', syncedAndHealthy);
    assert.equal(stillA.status?.inventoryDestination, 'in-cluster');
  });

  test('a changed destination prunes the objects on the previous cluster (prune on), not on the new one', async () => {
    const name = uniqueName('move');
    const other = uniqueName('other');
    await fakeCluster(other, await ownKubeconfig());
    await fixture.repository.commit({ 'move/config.yaml': configMap('moving', 'red') });
    const before = await createApp(name, { source: { repoURL: fixture.fileUrl, targetRevision: 'main', path: 'move' }, syncPolicy: { automated: { prune: true } } });
    const first = await waitForApp(name, 'synced to in-cluster', syncedAndHealthy);
    assert.equal(first.status?.inventoryDestination, 'in-cluster');
    const after = uniqueName('dest');
    destinations.push(after);
    await client().patch(RESOURCES.application, name, env.namespace, { spec: { destination: { cluster: other, namespace: after } } }, 'merge');
    const moved = await waitForApp(name, 'synced to the other cluster', (app) => syncedAndHealthy(app) && app.status?.inventoryDestination === other);
    assert.deepEqual(moved.status?.resources?.map((entry) => `${entry.kind}/${entry.namespace ?? ''}/${entry.name}`), [`ConfigMap/${after}/moving`]);
    assert.ok(await client().get(CONFIG_MAPS, 'moving', after));
    await waitFor(async () => (await client().get(CONFIG_MAPS, 'moving', before)) === undefined, { timeoutMs: 15_000, what: 'the object on the previous destination pruned' });
    await waitFor(
      async () => {
        const events = await client().list<{ reason?: string; message?: string } & { metadata: object }>({ apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true }, { namespace: env.namespace });
        return events.items.some((event) => event.reason === 'PrunedPreviousDestination' && event.message?.includes(`from in-cluster to ${other}: deleted 1 objects from in-cluster`) === true);
      },
      { timeoutMs: 15_000, what: 'a PrunedPreviousDestination event' },
    );
  });

  test('a sync that failed because the destination refused connections is retried until it answers, and the failure clears', async () => {
    const name = uniqueName('resume');
    const flaky = uniqueName('flaky');
    const good = await ownKubeconfig();
    const document = parse(good) as { clusters: { name: string; cluster: Record<string, unknown> }[] };
    // The same cluster at a port nothing listens on: what a cluster still resuming answers.
    const closed = stringify({ ...document, clusters: document.clusters.map((entry) => ({ ...entry, cluster: { ...entry.cluster, server: 'https://127.0.0.1:1' } })) });
    await fakeCluster(flaky, closed);
    await fixture.repository.commit({ 'resume/config.yaml': configMap('resumed', 'red') });
    const namespace = uniqueName('dest');
    destinations.push(namespace);
    await client().create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await createApp(name, {
      source: { repoURL: fixture.fileUrl, targetRevision: 'main', path: 'resume' },
      destination: { cluster: flaky, namespace },
      // One retry a second: without the fix, the second refusal used the whole budget.
      syncPolicy: { automated: { prune: true }, syncOptions: { createNamespace: false }, retry: { limit: 1, backoff: { durationSeconds: 1, factor: 1, maxDurationSeconds: 1 } } },
    });
    const failed = await waitForApp(name, 'the sync failed: connection refused', (app) => app.status?.operationState?.phase === 'Failed');
    assert.match(failed.status?.operationState?.message ?? '', /ECONNREFUSED|fetch failed/);
    // Long enough for the retry budget to be gone had the refusals counted against it.
    await waitForApp(name, 'retried past the limit', (app) => Date.parse(app.status?.operationState?.startedAt ?? '') - Date.parse(failed.status?.operationState?.startedAt ?? '') >= 2_000, 15_000);
    // The cluster answers again (its endpoint changes, as a resumed one's does).
    await client().replace(RESOURCES.secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${flaky}-kubeconfig`, namespace: env.namespace }, stringData: { value: good } });
    await markClusterReady(flaky, 'https://second.invalid');
    const synced = await waitForApp(name, 'synced once the destination answers', (app) => syncedAndHealthy(app) && app.status?.operationState?.phase === 'Succeeded', 60_000);
    assert.equal(synced.status?.operationState?.retryCount ?? 0, 0, 'refusals used no retries');
    assert.equal(condition(synced, 'Ready')?.status, 'True');
    assert.ok(await client().get(CONFIG_MAPS, 'resumed', namespace));
  });
  test('an app written for Argo CD: a PreSync hook with generateName runs first, stays out of the inventory; Argo sync waves order', async () => {
    const name = uniqueName('argo');
    const hook = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  generateName: migrate-',
      '  annotations:',
      '    argocd.argoproj.io/hook: PreSync',
      '    argocd.argoproj.io/hook-delete-policy: HookSucceeded',
      'data:',
      '  step: migrate',
      '',
    ].join('\n');
    const waved = `${configMap('late', 'red').replace('metadata:\n', 'metadata:\n  annotations:\n    argocd.argoproj.io/sync-wave: "5"\n')}`;
    const stray = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  generateName: stray-\ndata: {}\n';
    await fixture.repository.commit({ 'argo/hook.yaml': hook, 'argo/config.yaml': configMap('web', 'red'), 'argo/late.yaml': waved, 'argo/stray.yaml': stray });
    const namespace = await createApp(name, { source: { repoURL: fixture.fileUrl, targetRevision: 'main', path: 'argo' }, syncPolicy: { automated: { prune: true } } });
    const synced = await waitForApp(name, 'Argo-shaped app Synced and Healthy', syncedAndHealthy);
    assert.deepEqual(synced.status?.resources?.map((entry) => `${entry.kind}/${entry.name}/${entry.syncWave ?? 0}`).sort(), ['ConfigMap/late/5', 'ConfigMap/web/0']);
    const results = synced.status?.operationState?.results ?? [];
    assert.deepEqual(results.map((entry) => `${entry.status}:${entry.name.replace(/-[a-z0-9]{5}$/, '-*')}`), ['Synced:' + namespace, 'Synced:migrate-*', 'Synced:web', 'Synced:late', 'Skipped:']);
    assert.match(results[1]?.message ?? '', /^PreSync hook ConfigMap migrate-[a-z0-9]{5} created$/);
    assert.match(results[4]?.message ?? '', /generateName without a hook annotation/);
    const left = await client().list(CONFIG_MAPS, { namespace });
    assert.deepEqual(left.items.map((item) => item.metadata?.name).filter((item) => item !== 'kube-root-ca.crt').sort(), ['late', 'web'], 'HookSucceeded deleted the hook; the stray object was not created');
  });
});
