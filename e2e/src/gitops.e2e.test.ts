// GitOps end to end: the real `beamline manager` process (cluster controllers and the Application
// controller, with the push webhook on its HTTP port) on the run's shared control plane, one real
// kwok workload Cluster made from a template, a git repository served over HTTP by the real
// `git http-backend`, and the real CLI (`beamline app ...`) as a user runs it. One cluster and one
// repository serve every test: a cluster costs seconds to start, and the tests build on each other
// (the webhook's commit is what the rollback goes back from).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, Watch, type V1ConfigMap } from '@kubernetes/client-node';
import { TRACKING_ANNOTATION, type Application, type ClusterTemplate } from '@beamline/api';
import { defaultTemplates, installApi } from '@beamline/install';
import { destroyControlPlane } from '@beamline/control-plane';
import { startGitFixture, type GitFixture } from '@beamline/gitops/testing';
import { githubPushPayload, waitForAppStatus } from '@beamline/controllers/testing';
import { processesMentioning, uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { runCli, type CliRun } from './testing/cli.ts';
import { startManagerProcess, type ManagerProcess } from './testing/manager-process.ts';

const env = useTestEnv('gitops-e2e');
const TEMPLATE = `small-${uniqueName('t').slice(2)}`;
const CLUSTER = 'lab';
const WEBHOOK_SECRET = 'a webhook secret shared with the git host';
/** ConfigMaps of the app the manager is killed under: enough that its sync takes a while to apply. */
const BULK_OBJECTS = 500;

const APPLICATIONS = { group: 'beamline.dev', version: 'v1alpha1', plural: 'applications' };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const configMap = (name: string, data: Record<string, string>): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${Object.entries(data)
    // Quoted: ConfigMap values are strings, and YAML reads a bare 7 as a number.
    .map(([key, value]) => `  ${key}: ${JSON.stringify(value)}\n`)
    .join('')}`;
const DEPLOYMENT = [
  'apiVersion: apps/v1',
  'kind: Deployment',
  'metadata:',
  '  name: web',
  'spec:',
  '  replicas: 2',
  '  selector:',
  '    matchLabels: { app: web }',
  '  template:',
  '    metadata:',
  '      labels: { app: web }',
  '    spec:',
  '      containers:',
  '        - name: web',
  '          image: nginx:1.27',
  '          ports: [{ containerPort: 8080 }]',
  '',
].join('\n');
const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: { app: web }\n  ports:\n    - port: 80\n      targetPort: 8080\n';

describe('GitOps end to end', () => {
  let home: string;
  let fixture: GitFixture | undefined;
  let manager: ManagerProcess | undefined;
  let managerStarts = 0;
  let cliEnv: NodeJS.ProcessEnv;
  let workload: KubeConfig;
  /** The first commit: what the rollback goes back to. */
  let firstCommit: string;
  /** The commit the webhook announces. */
  let pushedCommit: string;

  const cli = (...args: string[]): Promise<CliRun> => runCli([...args, '-n', env.namespace], cliEnv);
  const expectCode = (run: CliRun, code: number): CliRun => {
    assert.equal(run.code, code, `exit ${run.code}, expected ${code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
    return run;
  };
  const custom = (): CustomObjectsApi => env.kubeConfig.makeApiClient(CustomObjectsApi);
  const getApp = async (name: string): Promise<Application> => (await custom().getNamespacedCustomObject({ ...APPLICATIONS, namespace: env.namespace, name })) as Application;
  const appGone = (name: string): Promise<boolean> =>
    getApp(name).then(
      () => false,
      (error: { code?: number }) => error.code === 404,
    );
  const startManager = async (): Promise<ManagerProcess> => {
    managerStarts += 1;
    // A log file per process: the one killed keeps what it said last.
    return startManagerProcess({ kubeconfigPath: env.kubeconfigPath, home, leaseNamespace: env.namespace, logFile: join(home, `manager-${managerStarts}.log`) });
  };
  const core = (): CoreV1Api => workload.makeApiClient(CoreV1Api);
  const liveConfigMap = (namespace: string, name: string): Promise<V1ConfigMap | undefined> =>
    core()
      .readNamespacedConfigMap({ namespace, name })
      .catch((error: { code?: number }) => {
        if (error.code === 404) return undefined;
        throw error;
      });
  const shortSha = (sha: string): string => sha.slice(0, 7);

  /** Waits until the app's status satisfies `check`; the timeout message shows the last status. */
  const waitForApp = (name: string, what: string, check: (app: Application) => boolean, timeoutMs = 60_000): Promise<Application> =>
    waitForAppStatus(getApp, name, what, check, timeoutMs);
  const syncedAndHealthy = (app: Application): boolean =>
    app.status?.sync?.status === 'Synced' &&
    app.status.health?.status === 'Healthy' &&
    app.status.operationState?.phase !== 'Running' &&
    app.status.observedGeneration === app.metadata.generation;

  /**
   * Calls `onChange` with every version of Application `name` the API server sends (a watch sees
   * each status write, where polling could miss a short-lived one). Returns a function that stops it.
   */
  async function watchApp(name: string, onChange: (app: Application) => void): Promise<() => void> {
    const controller = await new Watch(env.kubeConfig).watch(
      `/apis/${APPLICATIONS.group}/${APPLICATIONS.version}/namespaces/${env.namespace}/${APPLICATIONS.plural}`,
      { fieldSelector: `metadata.name=${name}` },
      (_phase: string, object: Application) => onChange(object),
      () => undefined,
    );
    return () => controller.abort();
  }

  /** A GitHub push delivery of `main` of the fixture's repository, signed with `key`. */
  async function deliverPush(after: string, key: string): Promise<{ status: number; body: { message?: string; refreshed?: number; applications?: string[] } }> {
    const base = githubPushPayload();
    const repository = { ...(base.repository as Record<string, unknown>), clone_url: fixture?.url };
    const body = JSON.stringify(githubPushPayload({ after, head_commit: { id: after, message: 'web: blue' }, repository }));
    const signature = `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
    const response = await fetch(`${manager?.url ?? ''}/api/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': uniqueName('delivery'), 'x-hub-signature-256': signature },
      body,
    });
    return { status: response.status, body: (await response.json()) as { message?: string; refreshed?: number; applications?: string[] } };
  }

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'beamline-gitops-e2e-'));
    // Templates are cluster-scoped: this run's own copy of `small`.
    const templates = defaultTemplates()
      .filter((t) => t.metadata.name === 'small')
      .map((t): ClusterTemplate => ({ ...t, metadata: { ...t.metadata, name: TEMPLATE } }));
    await installApi(env.kubeConfig, { templates, probeNamespace: env.namespace });
    fixture = await startGitFixture({
      files: {
        'web/deploy.yaml': DEPLOYMENT,
        'web/service.yaml': SERVICE,
        'web/config.yaml': configMap('web-config', { colour: 'red' }),
        'drift/config.yaml': configMap('settings', { colour: 'green', size: 'small' }),
      },
    });
    firstCommit = await fixture.repository.revParse('main');
    cliEnv = { ...process.env, KUBECONFIG: env.kubeconfigPath, BEAMLINE_HOME: home };
    manager = await startManager();
    // One node is enough for the pods of the tests, and starts fastest.
    expectCode(await cli('cluster', 'create', CLUSTER, '--template', TEMPLATE, '--node-group', 'name=default,replicas=1', '--wait', '--timeout', '2m'), 0);
    const kubeconfig = expectCode(await cli('cluster', 'kubeconfig', CLUSTER), 0);
    workload = new KubeConfig();
    workload.loadFromString(kubeconfig.stdout);
  });

  after(async () => {
    // Applications first: without their finalizer nothing waits on the destination. Then the
    // cluster, by the manager if it still runs, and by hand whatever a failing test left.
    const noFinalizers = { metadata: { finalizers: [] } };
    const apps = ((await custom()
      .listNamespacedCustomObject({ ...APPLICATIONS, namespace: env.namespace })
      .catch(() => ({ items: [] }))) as { items: Application[] }).items;
    for (const app of apps) {
      const name = app.metadata.name ?? '';
      await custom().patchNamespacedCustomObject({ ...APPLICATIONS, namespace: env.namespace, name, body: noFinalizers }, mergePatch).catch(() => undefined);
      await custom().deleteNamespacedCustomObject({ ...APPLICATIONS, namespace: env.namespace, name }).catch(() => undefined);
    }
    if (manager !== undefined && cliEnv !== undefined) await cli('cluster', 'delete', CLUSTER, '--wait', '--timeout', '1m').catch(() => undefined);
    await manager?.stop();
    if (home !== undefined) await destroyControlPlane(join(home, 'clusters', env.namespace, CLUSTER)).catch(() => undefined);
    await custom()
      .patchNamespacedCustomObject({ group: 'beamline.dev', version: 'v1alpha1', plural: 'clusters', namespace: env.namespace, name: CLUSTER, body: noFinalizers }, mergePatch)
      .catch(() => undefined);
    const template = { group: 'beamline.dev', version: 'v1alpha1', plural: 'clustertemplates', name: TEMPLATE };
    await custom().patchClusterCustomObject({ ...template, body: noFinalizers }, mergePatch).catch(() => undefined);
    await custom().deleteClusterCustomObject(template).catch(() => undefined);
    await fixture?.stop();
    if (home !== undefined) {
      assert.deepEqual(await processesMentioning(home), [], 'no process of the test home is left');
      await rm(home, { recursive: true, force: true });
    }
  });

  test('an app of a Deployment and a Service: created by the CLI, Healthy with 2 ready replicas, listed, tracked in the workload cluster', async (t) => {
    const healths: string[] = [];
    const stopWatching = await watchApp('web', (app) => {
      const health = app.status?.health?.status;
      if (health !== undefined && healths.at(-1) !== health) healths.push(health);
    });
    try {
      const created = expectCode(
        await cli('app', 'create', 'web', '--repo', fixture?.url ?? '', '--path', 'web', '--dest-cluster', CLUSTER, '--dest-namespace', 'web', '--auto-sync', '--prune', '--self-heal', '--create-namespace'),
        0,
      );
      assert.match(created.stdout, /^application\/web created$/m);
      const waited = expectCode(await cli('app', 'wait', 'web', '--timeout', '2m'), 0);
      assert.match(waited.stdout, /application\/web is Synced and Healthy: sync Synced, health Healthy/);
    } finally {
      stopWatching();
    }
    t.diagnostic(`health as the watch saw it: ${healths.join(' → ')}`);
    // kwok may make the pods ready before any status write shows Progressing: assert the order only when it was seen.
    if (healths.includes('Progressing')) assert.ok(healths.indexOf('Progressing') < healths.indexOf('Healthy'), `Progressing before Healthy: ${healths.join(' → ')}`);
    assert.equal(healths.at(-1), 'Healthy');

    const deployment = await workload.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: 'web', name: 'web' });
    assert.equal(deployment.status?.readyReplicas, 2, 'the Deployment has 2 ready replicas in the workload cluster');
    const service = await core().readNamespacedService({ namespace: 'web', name: 'web' });
    const config = await liveConfigMap('web', 'web-config');
    assert.deepEqual(config?.data, { colour: 'red' });
    assert.equal(TRACKING_ANNOTATION, 'beamline.dev/tracking-id');
    for (const [object, id] of [
      [deployment, 'apps/Deployment:web/web'],
      [service, '/Service:web/web'],
      [config, '/ConfigMap:web/web-config'],
    ] as const) {
      assert.equal(object?.metadata?.annotations?.[TRACKING_ANNOTATION], `${env.namespace}/web:${id}`, 'each object carries its tracking id');
    }

    const app = await getApp('web');
    assert.equal(app.status?.sync?.revision, firstCommit);
    const got = expectCode(await cli('app', 'get', 'web'), 0).stdout;
    assert.match(got, new RegExp(`^Repo:\\s+${fixture?.url ?? ''}$`, 'm'));
    assert.match(got, /^Path:\s+web$/m);
    assert.match(got, new RegExp(`^Cluster:\\s+${CLUSTER}$`, 'm'));
    assert.match(got, /^Sync Policy:\s+Automated \(Prune, Self Heal\), Create Namespace$/m);
    assert.match(got, new RegExp(`^Sync Status:\\s+Synced to HEAD \\(${shortSha(firstCommit)}\\)$`, 'm'));
    assert.match(got, /^Health Status:\s+Healthy$/m);
    assert.match(got, /^\s+Phase:\s+Succeeded$/m);
    assert.match(got, /^apps\s+Deployment\s+web\s+web\s+Synced\s+Healthy/m);
    assert.match(got, /^\s+Service\s+web\s+web\s+Synced\s+Healthy/m);
    assert.match(got, /^\s+ConfigMap\s+web\s+web-config\s+Synced\s+Healthy/m);

    const list = expectCode(await cli('app', 'list'), 0).stdout;
    assert.match(list, /^NAME\s+SYNC\s+HEALTH\s+REVISION\s+DEST-CLUSTER\s+DEST-NAMESPACE\s+AGE$/m);
    assert.match(list, new RegExp(`^web\\s+Synced\\s+Healthy\\s+${shortSha(firstCommit)}\\s+${CLUSTER}\\s+web\\s+\\S+$`, 'm'));

    const history = expectCode(await cli('app', 'history', 'web'), 0).stdout;
    assert.match(history, /^ID\s+DEPLOYED\s+REVISION\s+SOURCE\s+BY$/m);
    // BY: who changed the app before the sync, when the admission webhook recorded it.
    assert.match(history, new RegExp(`^1\\s+\\S+ \\(\\S+ ago\\)\\s+${firstCommit}\\s+web(\\s+\\S+)?$`, 'm'));
  });

  test('a push webhook: a bad signature is refused and refreshes nothing; a good one refreshes the app to the new commit', async () => {
    await env.kubeConfig.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: env.namespace,
      body: { metadata: { name: 'beamline-webhook' }, stringData: { github: WEBHOOK_SECRET } },
    });
    pushedCommit = (await fixture?.repository.commit({ 'web/config.yaml': configMap('web-config', { colour: 'blue' }) }, { message: 'web: blue' })) ?? '';

    const refused = await deliverPush(pushedCommit, 'not the secret');
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
    assert.match(refused.body.message ?? '', /signature does not match/);
    // Nothing else refreshes the app in the meantime: its refresh interval is 3 minutes.
    const until = Date.now() + 2500;
    while (Date.now() < until) {
      assert.equal((await getApp('web')).status?.sync?.revision, firstCommit, 'a refused delivery refreshes nothing');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    const accepted = await deliverPush(pushedCommit, WEBHOOK_SECRET);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.ok((accepted.body.refreshed ?? 0) >= 1, `refreshed: ${JSON.stringify(accepted.body)}`);
    assert.ok(accepted.body.applications?.includes(`${env.namespace}/web`), `the app is among those refreshed: ${JSON.stringify(accepted.body)}`);
    await waitForApp('web', 'the pushed commit synced', (app) => app.status?.sync?.revision === pushedCommit && syncedAndHealthy(app), 30_000);
    assert.deepEqual((await liveConfigMap('web', 'web-config'))?.data, { colour: 'blue' });
    assert.equal((await getApp('web')).status?.history?.at(-1)?.revision, pushedCommit);
  });

  test('app diff shows a hand edit of an app without self-heal (exit 1); app sync puts it back (then exit 0)', async () => {
    const created = expectCode(
      await cli('app', 'create', 'drift', '--repo', fixture?.url ?? '', '--path', 'drift', '--dest-cluster', CLUSTER, '--dest-namespace', 'drift', '--auto-sync', '--create-namespace', '--wait', '--timeout', '2m'),
      0,
    );
    assert.match(created.stdout, /application\/drift is Synced and Healthy/);
    expectCode(await cli('app', 'diff', 'drift'), 0);

    await core().patchNamespacedConfigMap({ namespace: 'drift', name: 'settings', body: { data: { colour: 'hand-edited' } } }, mergePatch);
    await waitForApp('drift', 'the hand edit reported OutOfSync', (app) => app.status?.sync?.status === 'OutOfSync', 30_000);
    assert.equal((await liveConfigMap('drift', 'settings'))?.data?.colour, 'hand-edited', 'without self-heal the edit stays');

    const diff = expectCode(await cli('app', 'diff', 'drift'), 1);
    assert.match(diff.stdout, /^===== \/ConfigMap\/drift\/settings$/m);
    assert.match(diff.stdout, /^--- live$/m);
    assert.match(diff.stdout, /^-\s+colour: hand-edited$/m);
    assert.match(diff.stdout, /^\+\s+colour: green$/m);
    assert.doesNotMatch(diff.stdout, /^[-+]\s+size:/m, 'only the changed field differs');
    assert.match(diff.stderr, /1 object would change/);

    const sync = expectCode(await cli('app', 'sync', 'drift', '--timeout', '1m'), 0);
    assert.match(sync.stdout, /^Phase:\s+Succeeded$/m);
    assert.match(sync.stdout, /^ConfigMap\s+drift\s+settings\s+Synced/m);
    assert.equal((await liveConfigMap('drift', 'settings'))?.data?.colour, 'green');
    expectCode(await cli('app', 'diff', 'drift'), 0);
    await waitForApp('drift', 'Synced again', syncedAndHealthy, 30_000);
  });

  test('a manager killed in the middle of a sync: the next one finishes it, every object applied once, nothing failed', async (t) => {
    const files = Object.fromEntries(
      Array.from({ length: BULK_OBJECTS }, (_, index) => {
        const name = `item-${String(index).padStart(3, '0')}`;
        return [`bulk/${name}.yaml`, configMap(name, { index: String(index), payload: 'x'.repeat(2048) })];
      }),
    );
    const bulkCommit = (await fixture?.repository.commit(files, { message: 'bulk' })) ?? '';
    const victim = manager;
    assert.ok(victim !== undefined);
    let killedAt: string | undefined;
    const stopWatching = await watchApp('bulk', (app) => {
      // Killed from the watch callback itself: no poll interval between seeing Running and the kill.
      if (killedAt === undefined && app.status?.operationState?.phase === 'Running') {
        killedAt = app.status.operationState.message ?? 'Running';
        process.kill(victim.pid, 'SIGKILL');
      }
    });
    let appliedBeforeKill: number;
    try {
      expectCode(
        await cli('app', 'create', 'bulk', '--repo', fixture?.url ?? '', '--path', 'bulk', '--dest-cluster', CLUSTER, '--dest-namespace', 'bulk', '--auto-sync', '--prune', '--create-namespace'),
        0,
      );
      await waitFor(() => killedAt !== undefined, { what: 'the sync Running', timeoutMs: 60_000, intervalMs: 10 }).catch(async (error: unknown) => {
        const app = await getApp('bulk').catch(() => undefined);
        throw new Error(`${(error as Error).message}; the app's status: ${JSON.stringify(app?.status ?? {}).slice(0, 2000)}`, { cause: error });
      });
      await victim.kill();
      appliedBeforeKill = await core()
        .listNamespacedConfigMap({ namespace: 'bulk' })
        .then((list) => list.items.filter((item) => item.metadata?.name?.startsWith('item-')).length)
        .catch(() => 0);
    } finally {
      stopWatching();
    }
    t.diagnostic(`killed at "${killedAt ?? ''}" with ${appliedBeforeKill} of ${BULK_OBJECTS} ConfigMaps applied`);
    const left = await getApp('bulk');
    assert.equal(left.status?.operationState?.phase, 'Running', 'the killed manager left its operation Running');

    manager = await startManager();
    // The new manager waits for the dead one's lease to expire (15 s) before it reconciles.
    const waited = expectCode(await cli('app', 'wait', 'bulk', '--timeout', '2m'), 0);
    assert.match(waited.stdout, /application\/bulk is Synced and Healthy/);
    const app = await getApp('bulk');
    assert.equal(app.status?.sync?.revision, bulkCommit);
    assert.equal(app.status?.operationState?.phase, 'Succeeded');
    assert.deepEqual(
      app.status?.operationState?.results?.filter((result) => result.status === 'Failed'),
      [],
      'no failed results',
    );
    assert.equal(app.status?.resources?.length, BULK_OBJECTS, 'exactly one inventory entry per object');
    assert.equal(new Set(app.status?.resources?.map((resource) => `${resource.kind}/${resource.namespace ?? ''}/${resource.name}`)).size, BULK_OBJECTS);
    assert.ok((app.status?.history?.length ?? 0) >= 1, 'the finished sync is in the history');
    assert.equal(app.status?.history?.at(-1)?.revision, bulkCommit);
    const live = (await core().listNamespacedConfigMap({ namespace: 'bulk' })).items.filter((item) => item.metadata?.name?.startsWith('item-'));
    assert.equal(live.length, BULK_OBJECTS, 'every object is in the workload cluster');
    assert.ok(live.every((item) => item.metadata?.annotations?.[TRACKING_ANNOTATION] === `${env.namespace}/bulk:/ConfigMap:bulk/${item.metadata?.name ?? ''}`));
  });

  test('app rollback: refused while auto-sync is on; with --disable-auto-sync it puts back the first commit', async () => {
    const refused = expectCode(await cli('app', 'rollback', 'web'), 1);
    assert.match(refused.stderr, /rollback cannot run while auto-sync is on.*--disable-auto-sync/);

    // The restarted manager may have synced a newer commit of the repository (same web content,
    // another revision): the entry to go back to is the one of the first commit, by its id.
    const before = (await getApp('web')).status?.history ?? [];
    const first = before.find((entry) => entry.revision === firstCommit);
    assert.ok(first !== undefined, `the first commit is in the history: ${JSON.stringify(before)}`);
    assert.ok(before.some((entry) => entry.revision === pushedCommit), 'the pushed commit is in the history');

    const rolledBack = expectCode(await cli('app', 'rollback', 'web', String(first.id), '--disable-auto-sync', '--timeout', '1m'), 0);
    assert.match(rolledBack.stdout, /^application\/web auto-sync turned off$/m);
    assert.match(rolledBack.stdout, new RegExp(`^application/web rollback to history id ${first.id} requested`, 'm'));
    assert.match(rolledBack.stdout, new RegExp(`^Operation:\\s+Rollback to ${first.id}$`, 'm'));
    assert.match(rolledBack.stdout, /^Phase:\s+Succeeded$/m);
    assert.deepEqual((await liveConfigMap('web', 'web-config'))?.data, { colour: 'red' }, 'the first commit is live again');

    const app = await waitForApp('web', 'OutOfSync with the target after the rollback', (a) => a.status?.sync?.status === 'OutOfSync', 30_000);
    assert.equal(app.spec.syncPolicy?.automated, undefined, 'auto-sync is off');
    assert.equal(app.status?.history?.length, before.length + 1);
    assert.equal(app.status?.history?.at(-1)?.revision, firstCommit);
    const history = expectCode(await cli('app', 'history', 'web'), 0).stdout;
    const rows = history.split('\n').slice(1).filter((line) => line !== '');
    assert.equal(rows.length, before.length + 1, history);
    assert.match(rows[0] ?? '', new RegExp(`^${first.id}\\s+.*\\s${firstCommit}\\s+web$`));
    assert.ok(rows.some((row) => row.includes(pushedCommit)), history);
    assert.match(rows.at(-1) ?? '', new RegExp(`\\s${firstCommit}\\s+web$`), 'the rollback is the newest entry');
    // Nothing syncs it forward again: auto-sync is off.
    assert.deepEqual((await liveConfigMap('web', 'web-config'))?.data, { colour: 'red' });
  });

  test('app delete --wait removes the app and its objects; --cascade=orphan leaves them', async () => {
    const deleted = expectCode(await cli('app', 'delete', 'web', '--wait', '--timeout', '1m'), 0);
    assert.match(deleted.stdout, /^application\/web deleted$/m);
    assert.equal(await appGone('web'), true);
    const apps = workload.makeApiClient(AppsV1Api);
    const missing = (error: unknown): boolean => {
      if ((error as { code?: number }).code === 404) return true;
      throw error as Error;
    };
    assert.equal(await apps.readNamespacedDeployment({ namespace: 'web', name: 'web' }).then(() => false, missing), true, 'the Deployment is gone');
    assert.equal(await core().readNamespacedService({ namespace: 'web', name: 'web' }).then(() => false, missing), true, 'the Service is gone');
    assert.equal(await liveConfigMap('web', 'web-config'), undefined, 'the ConfigMap is gone');

    const orphaned = expectCode(await cli('app', 'delete', 'drift', '--cascade=orphan', '--wait', '--timeout', '1m'), 0);
    assert.match(orphaned.stdout, /^application\/drift deleted \(its objects are left in the destination\)$/m);
    assert.equal(await appGone('drift'), true);
    const kept = await liveConfigMap('drift', 'settings');
    assert.deepEqual(kept?.data, { colour: 'green', size: 'small' }, 'the orphaned ConfigMap stays');

    const list = expectCode(await cli('app', 'list'), 0).stdout;
    assert.doesNotMatch(list, /^(web|drift)\s/m);
    assert.match(list, /^bulk\s+Synced\s+Healthy/m);
  });
});
