// `beamline app` run as a user runs it (a child process) against a real API server with the
// Beamline API installed, in the test's namespace. No controller runs: where a command waits for
// one, the test writes the status a controller would (through the status subresource).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parseSyncRequest, SYNC_REQUEST_ANNOTATION, TRACKING_ANNOTATION, trackingId, type Application, type ApplicationStatus } from '@beamline/api';
import { installApi } from '@beamline/install';
import { startGitFixture } from '@beamline/gitops/testing';
import { expectCode, runNode, useTestEnv, waitFor, type NodeRun } from '@beamline/testenv';
import { parse } from 'yaml';

const env = useTestEnv('app-cli');
const execFileAsync = promisify(execFile);

const CLI_BIN = fileURLToPath(new URL('../bin/beamline.js', import.meta.url));
const REPO = 'https://git.example.org/physics/deploy.git';
const SHA = '3f1c2e9d4b7a8c6e5f0a1b2c3d4e5f6a7b8c9d0e';

type CliRun = NodeRun;

let cliEnv: NodeJS.ProcessEnv = {};
let dir = '';

/** Runs `beamline <args> -n <the test's namespace>` with this Node (24) and the test's kubeconfig. */
function cli(...args: string[]): Promise<CliRun> {
  return runNode(CLI_BIN, [...args, '-n', env.namespace], cliEnv, 60_000);
}

const api = (): CustomObjectsApi => env.kubeConfig.makeApiClient(CustomObjectsApi);
const base = (): { group: string; version: string; plural: string; namespace: string } => ({ group: 'beamline.dev', version: 'v1alpha1', plural: 'applications', namespace: env.namespace });
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

async function getApp(name: string): Promise<Application & { metadata: { deletionTimestamp?: string } }> {
  return (await api().getNamespacedCustomObject({ ...base(), name })) as Application & { metadata: { deletionTimestamp?: string } };
}

async function exists(name: string): Promise<boolean> {
  try {
    await getApp(name);
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return false;
    throw error;
  }
}

/** Writes status as the controller would (the status subresource, JSON merge patch). */
async function patchStatus(name: string, status: Partial<ApplicationStatus>): Promise<void> {
  await api().patchNamespacedCustomObjectStatus({ ...base(), name, body: { status } }, mergePatch);
}

async function patchApp(name: string, body: object): Promise<void> {
  await api().patchNamespacedCustomObject({ ...base(), name, body }, mergePatch);
}

function history(...ids: number[]): ApplicationStatus['history'] {
  return ids.map((id) => ({ id, revision: SHA.replace(/^./, String(id)), deployedAt: `2026-11-21T1${id}:00:00Z`, source: { repoURL: REPO, path: `v${id}` } }));
}

/** `app create NAME` of a git path to lab/guestbook, with more flags; the repository and lab do not exist, so without the checks. */
function createGit(name: string, ...flags: string[]): Promise<CliRun> {
  return cli('app', 'create', name, '--repo', REPO, '--path', 'apps/guestbook', '--dest-cluster', 'lab', '--dest-namespace', 'guestbook', '--validate=false', ...flags);
}

/** Runs `beamline <args> -n <namespace>` in another namespace than the test's. */
function cliIn(namespace: string, ...args: string[]): Promise<CliRun> {
  return runNode(CLI_BIN, [...args, '-n', namespace], cliEnv, 60_000);
}

/** A git repository on disk with a plain folder and a chart; returns its file:// URL. */
async function makeRepo(path: string): Promise<string> {
  await mkdir(join(path, 'manifests'), { recursive: true });
  await mkdir(join(path, 'chart', 'templates'), { recursive: true });
  await writeFile(join(path, 'manifests', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: checked\ndata:\n  color: blue\n');
  await writeFile(join(path, 'chart', 'Chart.yaml'), 'apiVersion: v2\nname: checked\nversion: 0.1.0\n');
  await writeFile(join(path, 'chart', 'templates', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n');
  const git = (...args: string[]) => execFileAsync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', '-c', 'init.defaultBranch=main', ...args], { cwd: path });
  await git('init', '-q');
  await git('add', '.');
  await git('commit', '-q', '-m', 'a plain folder and a chart');
  return `file://${path}`;
}

// One outer suite: node:test runs top-level before() hooks concurrently with useTestEnv's, a
// suite's before() after them.
describe('beamline app', () => {
  before(async () => {
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace });
    dir = await mkdtemp(join(tmpdir(), 'beamline-app-cli-'));
    // Its own BEAMLINE_HOME: a sandbox on this machine is neither used nor touched.
    cliEnv = { ...process.env, KUBECONFIG: env.kubeconfigPath, BEAMLINE_HOME: join(dir, 'home') };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('create a git app: the spec holds every flag', async () => {
    const run = expectCode(await createGit('guestbook', '--revision', 'main', '--recursive', '--auto-sync', '--prune', '--create-namespace', '--refresh-interval', '3m'), 0);
    assert.equal(run.stdout, 'application/guestbook created\n');
    const app = await getApp('guestbook');
    assert.deepEqual(app.spec.source, { repoURL: REPO, targetRevision: 'main', path: 'apps/guestbook', directory: { recursive: true } });
    assert.deepEqual(app.spec.destination, { cluster: 'lab', namespace: 'guestbook' });
    assert.deepEqual(app.spec.syncPolicy, { automated: { prune: true, selfHeal: false }, syncOptions: { createNamespace: true } });
    assert.equal(app.spec.refreshIntervalSeconds, 180);
  });

  test('create of an existing app fails; --upsert replaces the spec', async () => {
    expectCode(await createGit('upserted', '--recursive'), 0);
    const again = expectCode(await createGit('upserted'), 1);
    assert.match(again.stderr, /^error: application "upserted" already exists in namespace "[^"]+": pass --upsert to replace its spec$/m);
    const run = expectCode(await cli('app', 'create', 'upserted', '--repo', REPO, '--path', 'other', '--dest-cluster', 'lab', '--dest-namespace', 'guestbook', '--upsert', '--validate=false'), 0);
    assert.equal(run.stdout, 'application/upserted updated\n');
    const app = await getApp('upserted');
    assert.equal(app.spec.source.path, 'other');
    assert.equal(app.spec.source.directory, undefined, 'a flag left out is gone after --upsert');
  });

  test('create a chart app with a values file', async () => {
    const values = join(dir, 'values.yaml');
    await writeFile(values, 'replicaCount: 2\nui:\n  color: "#34577c"\n');
    expectCode(
      await cli('app', 'create', 'podinfo', '--repo', 'oci://ghcr.io/stefanprodan/charts', '--chart', 'podinfo', '--chart-version', '6.7.0', '--values', values, '--value-file', 'prod.yaml', '--release-name', 'web', '--dest-cluster', 'in-cluster', '--dest-namespace', 'podinfo'),
      0,
    );
    const app = await getApp('podinfo');
    assert.deepEqual(app.spec.source.helm, { releaseName: 'web', values: { replicaCount: 2, ui: { color: '#34577c' } }, valueFiles: ['prod.yaml'] });
    assert.equal(app.spec.source.chartVersion, '6.7.0');
  });

  test('create refuses bad flags locally with exit code 2, naming the flag or the file', async () => {
    const noVersion = expectCode(await cli('app', 'create', 'bad', '--repo', 'oci://x/charts', '--chart', 'podinfo', '--dest-cluster', 'lab', '--dest-namespace', 'x'), 2);
    assert.match(noVersion.stderr, /error: --chart needs --chart-version/);
    const pathAndChart = expectCode(await cli('app', 'create', 'bad', '--repo', 'oci://x/charts', '--chart', 'podinfo', '--chart-version', '1.0.0', '--path', 'x', '--dest-cluster', 'lab', '--dest-namespace', 'x'), 2);
    assert.match(pathAndChart.stderr, /error: --path and --chart are mutually exclusive/);
    assert.match(expectCode(await createGit('bad', '--prune'), 2).stderr, /error: --prune needs --auto-sync/);
    assert.match(expectCode(await createGit('bad', '--self-heal'), 2).stderr, /error: --self-heal needs --auto-sync/);
    assert.match(expectCode(await createGit('bad', '--refresh-interval', '5s'), 2).stderr, /error: invalid value "5s" for --refresh-interval/);
    const missing = join(dir, 'missing.yaml');
    assert.ok(expectCode(await createGit('bad', '--values', missing), 2).stderr.includes(`error: --values ${missing}: cannot read it`));
    const list = join(dir, 'list.yaml');
    await writeFile(list, '- a\n- b\n');
    assert.ok(expectCode(await createGit('bad', '--values', list), 2).stderr.includes(`error: --values ${list}: not a YAML mapping`));
    assert.match(expectCode(await cli('app', 'create', 'bad', '--repo', REPO, '--dest-cluster', 'lab'), 2).stderr, /--dest-namespace/);
    assert.match(expectCode(await createGit('bad', '--dest-cluster-namespace', 'Shared_NS'), 2).stderr, /^error: invalid value "Shared_NS" for --dest-cluster-namespace: a namespace is a DNS label/m);
    assert.equal(await exists('bad'), false, 'nothing was created');
  });

  test("create prints the API server's refusal as one line per mistake, with the field path and no regular expression", async () => {
    const namespace = expectCode(await cli('app', 'create', 'bad', '--repo', REPO, '--dest-cluster', 'lab', '--dest-namespace', 'Guest_Book', '--validate=false'), 1);
    assert.match(
      namespace.stderr,
      /^error: failed to create application "bad" in namespace "[^"]+": spec\.destination\.namespace: must be a DNS label: lower-case letters, digits and '-', starting and ending with a letter or digit \(got "Guest_Book"\)$/m,
    );
    assert.doesNotMatch(namespace.stderr, /\^\[a-z0-9\]|in body should|is invalid/);
    const repo = expectCode(await cli('app', 'create', 'bad', '--repo', 'ext::sh -c touch% /tmp/pwned', '--dest-cluster', 'lab', '--dest-namespace', 'x', '--validate=false'), 1);
    assert.match(repo.stderr, /^error: failed to create application "bad" in namespace "[^"]+": spec\.source\.repoURL: repoURL must start with https:\/\//m);
    assert.equal(repo.stderr.trimEnd().split('\n').length, 1, `one line for one mistake: ${repo.stderr}`);
    const two = expectCode(await cli('app', 'create', 'bad', '--repo', 'ext::sh', '--dest-cluster', 'lab', '--dest-namespace', 'Guest_Book', '--validate=false'), 1);
    const lines = two.stderr.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^error: failed to create application "bad" in namespace "[^"]+":$/);
    assert.deepEqual(
      lines.slice(1).map((line) => /^ {2}(spec\.[\w.]+): /.exec(line)?.[1]).sort(),
      ['spec.destination.namespace', 'spec.source.repoURL'],
      `one indented line per mistake:\n${two.stderr}`,
    );
    assert.equal(await exists('bad'), false);
    // The refusal of a URL with credentials quotes the value it refused: shown without them.
    const credentials = expectCode(await cli('app', 'create', 'bad', '--repo', 'https://bob:s3cret-pw@git.example.org/x.git', '--dest-cluster', 'lab', '--dest-namespace', 'x', '--validate=false'), 1);
    assert.match(credentials.stderr, /spec\.source\.repoURL: repoURL must not carry credentials/);
    assert.doesNotMatch(credentials.stdout + credentials.stderr, /s3cret-pw/);
  });

  test('create checks the repository, revision, path, Helm flags and destination first (--validate=false skips it)', async () => {
    const repo = await makeRepo(join(dir, 'checked-repo'));
    const create = (name: string, ...flags: string[]) => cli('app', 'create', name, '--repo', repo, '--dest-namespace', 'checked', ...flags);
    const path = expectCode(await create('c1', '--path', 'nope', '--dest-cluster', 'in-cluster'), 1);
    assert.match(path.stderr, /^error: failed to check the source \(PathNotFound\): --path nope is not a folder of the repository at HEAD: /m);
    const revision = expectCode(await create('c2', '--path', 'manifests', '--revision', 'no-such-branch', '--dest-cluster', 'in-cluster'), 1);
    assert.match(revision.stderr, /^error: failed to check the source \(RevisionNotFound\): --revision no-such-branch: /m);
    const unreachable = expectCode(await cli('app', 'create', 'c3', '--repo', `file://${join(dir, 'no-such-repo')}`, '--dest-cluster', 'in-cluster', '--dest-namespace', 'x'), 1);
    assert.match(unreachable.stderr, /^error: failed to check the source \(Unreachable\): the repository cannot be read: .*--validate=false skips this check\)$/m);
    const destination = expectCode(await create('c4', '--path', 'manifests', '--dest-cluster', 'lab'), 1);
    assert.match(destination.stderr, /^error: destination cluster "lab" not found in namespace "[^"]+": it has no clusters \(or in-cluster, the management cluster\)$/m);
    const values = join(dir, 'checked-values.yaml');
    await writeFile(values, 'replicaCount: 2\n');
    const plainValues = expectCode(await create('c5', '--path', 'manifests', '--values', values, '--release-name', 'web', '--dest-cluster', 'in-cluster'), 2);
    assert.match(plainValues.stderr, /^error: --values, --release-name are for Helm charts, and manifests at HEAD has no Chart\.yaml/m);
    for (const name of ['c1', 'c2', 'c3', 'c4', 'c5']) assert.equal(await exists(name), false, `${name} was not created`);

    expectCode(await create('chart-values', '--path', 'chart', '--values', values, '--dest-cluster', 'in-cluster'), 0);
    assert.deepEqual((await getApp('chart-values')).spec.source.helm, { values: { replicaCount: 2 } });
    expectCode(await create('plain', '--path', 'manifests', '--dest-cluster', 'in-cluster'), 0);
    expectCode(await create('unchecked', '--path', 'nope', '--dest-cluster', 'lab', '--validate=false'), 0);
    // A Cluster of another namespace (a shared cluster) is looked for there, and the app names that namespace.
    const shared = `${env.namespace}-shared`;
    const elsewhere = expectCode(await create('c7', '--path', 'manifests', '--dest-cluster', 'gpu-pool', '--dest-cluster-namespace', shared), 1);
    assert.ok(elsewhere.stderr.includes(`error: destination cluster "gpu-pool" not found in namespace "${shared}": it has no clusters (--dest-cluster-namespace)`), elsewhere.stderr);
    assert.equal(await exists('c7'), false);
    expectCode(await create('to-shared', '--path', 'manifests', '--dest-cluster', 'gpu-pool', '--dest-cluster-namespace', shared, '--validate=false'), 0);
    assert.deepEqual((await getApp('to-shared')).spec.destination, { cluster: 'gpu-pool', clusterNamespace: shared, namespace: 'checked' });
    assert.match(expectCode(await cli('app', 'get', 'to-shared'), 0).stdout, new RegExp(`^Cluster: +${shared}/gpu-pool$`, 'm'));
    assert.match(expectCode(await create('c6', '--validate=maybe'), 2).stderr, /invalid value "maybe" for --validate/);
  });

  test('a repository that wants credentials is not refused by the check: the controller may have them', async () => {
    const fixture = await startGitFixture({ files: { 'web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n' }, auth: { username: 'u', password: 'p' } });
    try {
      const run = expectCode(await cli('app', 'create', 'private', '--repo', fixture.url, '--path', 'web', '--dest-cluster', 'in-cluster', '--dest-namespace', 'x'), 0);
      assert.match(run.stderr, /^warning: the source was not checked: the repository wants credentials this command does not have/m);
      assert.equal(await exists('private'), true);
    } finally {
      await fixture.stop();
    }
  });

  test('a namespace that does not exist is named as such', async () => {
    const missing = `${env.namespace}-nope`;
    assert.match(expectCode(await cliIn(missing, 'app', 'list'), 1).stderr, new RegExp(`^error: namespace "${missing}" not found$`, 'm'));
    assert.match(expectCode(await cliIn(missing, 'app', 'get', 'x'), 1).stderr, new RegExp(`^error: namespace "${missing}" not found$`, 'm'));
    assert.match(
      expectCode(await cliIn(missing, 'app', 'create', 'x', '--repo', REPO, '--dest-cluster', 'in-cluster', '--dest-namespace', 'x', '--validate=false'), 1).stderr,
      new RegExp(`^error: namespace "${missing}" not found$`, 'm'),
    );
    assert.match(expectCode(await cliIn(missing, 'cluster', 'list'), 1).stderr, new RegExp(`^error: namespace "${missing}" not found$`, 'm'));
  });

  test('create --wait ends at once, with the reason, on a failure waiting cannot fix', async () => {
    const running = createGit('failing', '--auto-sync', '--wait', '--timeout', '3m');
    await waitFor(async () => await exists('failing'), { what: 'the application' });
    await patchStatus('failing', {
      observedGeneration: 1,
      sync: { status: 'Unknown' },
      conditions: [
        { type: 'Ready', status: 'False', reason: 'FetchFailed', message: 'revision main not found in https://git.example.org/physics/deploy.git', observedGeneration: 1, lastTransitionTime: '2026-11-21T19:59:00Z' },
        { type: 'Stalled', status: 'False', reason: 'FetchFailed', message: '', observedGeneration: 1, lastTransitionTime: '2026-11-21T19:59:00Z' },
      ],
    });
    const run = expectCode(await running, 1);
    assert.match(run.stderr, /^error: application "failing" failed: FetchFailed: revision main not found in https:\/\/git\.example\.org\/physics\/deploy\.git \(waiting longer will not help/m);
  });

  test('list shows sync, health, the short revision and the destination', async () => {
    expectCode(await createGit('listed'), 0);
    expectCode(await createGit('unsynced'), 0);
    await patchStatus('listed', { sync: { status: 'Synced', revision: SHA }, health: { status: 'Healthy' } });
    const run = expectCode(await cli('app', 'list'), 0);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAME +SYNC +HEALTH +REVISION +DEST-CLUSTER +DEST-NAMESPACE +AGE$/);
    assert.ok(
      lines.some((line) => /^listed +Synced +Healthy +3f1c2e9 +lab +guestbook +\d+s$/.test(line)),
      run.stdout,
    );
    assert.ok(lines.some((line) => /^unsynced +<none> +<none> +<none> +lab +guestbook +\d+s$/.test(line)), run.stdout);
    const names = expectCode(await cli('app', 'list', '-o', 'name'), 0).stdout.split('\n');
    assert.ok(names.includes('application/listed'), names.join('\n'));
  });

  test('list -A shows the namespace first, for apps of every namespace', async () => {
    expectCode(await createGit('everywhere'), 0);
    const run = expectCode(await cli('app', 'list', '-A'), 0);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^NAMESPACE +NAME +SYNC +HEALTH +REVISION +DEST-CLUSTER +DEST-NAMESPACE +AGE$/);
    assert.ok(lines.some((line) => new RegExp(`^${env.namespace} +everywhere +<none> +<none> +<none> +lab +guestbook +\\d+s$`).test(line)), run.stdout);
  });

  test('get prints the summary and the inventory; -o yaml the object', async () => {
    await patchStatus('listed', {
      observedGeneration: 1,
      health: { status: 'Degraded', message: 'Deployment guestbook: 0/1 ready' },
      resources: [{ group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'guestbook', name: 'guestbook', status: 'Synced', health: { status: 'Degraded', message: '0/1 ready' } }],
    });
    const text = expectCode(await cli('app', 'get', 'listed'), 0).stdout;
    assert.match(text, new RegExp(`^Name: +${env.namespace}/listed$`, 'm'));
    assert.match(text, /^Repo: +https:\/\/git\.example\.org\/physics\/deploy\.git$/m);
    assert.match(text, /^Path: +apps\/guestbook$/m);
    assert.match(text, /^Sync Policy: +Manual$/m);
    assert.match(text, /^Sync Status: +Synced to HEAD \(3f1c2e9\)$/m);
    assert.match(text, /^Health Status: +Degraded$/m);
    assert.match(text, /^apps +Deployment +guestbook +guestbook +Synced +Degraded +0\/1 ready$/m);
    const yaml = parse(expectCode(await cli('app', 'get', 'listed', '-o', 'yaml'), 0).stdout) as Application;
    assert.equal(yaml.kind, 'Application');
    assert.equal(yaml.status?.sync?.revision, SHA);
    assert.equal((yaml.metadata as { managedFields?: unknown }).managedFields, undefined);
    const missing = expectCode(await cli('app', 'get', 'nope'), 1);
    assert.match(missing.stderr, /^error: get application "nope" in namespace "[^"]+": not found$/m);
  });

  test('sync --no-wait writes a sync request with a fresh id', async () => {
    const run = expectCode(await cli('app', 'sync', 'listed', '--no-wait', '--prune'), 0);
    const id = /sync requested \(request ([0-9a-f-]{36})\)/.exec(run.stdout)?.[1];
    assert.ok(id !== undefined, run.stdout);
    const annotation = (await getApp('listed')).metadata.annotations?.[SYNC_REQUEST_ANNOTATION];
    assert.deepEqual(JSON.parse(annotation ?? '{}'), { id, prune: true });
    const second = expectCode(await cli('app', 'sync', 'listed', '--no-wait'), 0);
    const request = parseSyncRequest((await getApp('listed')).metadata.annotations?.[SYNC_REQUEST_ANNOTATION]);
    assert.notEqual(request?.id, id, 'each sync is a new request');
    assert.ok(second.stdout.includes(request?.id ?? '?'));
    assert.match(expectCode(await cli('app', 'sync', 'nope', '--no-wait'), 1).stderr, /not found/);
  });

  test('sync waits for the controller to handle the request and exits 1 when it failed', async () => {
    expectCode(await createGit('synced'), 0);
    const running = cli('app', 'sync', 'synced', '--timeout', '30s');
    // Play the controller: pick the request up, then report a failed operation.
    const id = await waitFor(async () => parseSyncRequest((await getApp('synced')).metadata.annotations?.[SYNC_REQUEST_ANNOTATION])?.id, { what: 'the sync request' });
    await patchStatus('synced', { lastHandledSyncRequest: id, operationState: { phase: 'Running', startedAt: '2026-11-21T19:58:00Z', syncRequest: id, initiatedBy: 'manual' } });
    await patchStatus('synced', {
      operationState: {
        phase: 'Failed',
        message: 'one object was refused',
        startedAt: '2026-11-21T19:58:00Z',
        finishedAt: '2026-11-21T19:59:00Z',
        syncRequest: id,
        initiatedBy: 'manual',
        revision: SHA,
        results: [
          { kind: 'Service', namespace: 'guestbook', name: 'guestbook', status: 'Synced', message: 'created' },
          { kind: 'Deployment', namespace: 'guestbook', name: 'guestbook', status: 'Failed', message: 'spec.replicas: Invalid value: -1' },
        ],
      },
    });
    const run = expectCode(await running, 1);
    assert.match(run.stdout, /^Phase: +Failed$/m);
    assert.match(run.stdout, /^Deployment +guestbook +guestbook +Failed +spec\.replicas: Invalid value: -1$/m);
    assert.match(run.stderr, /^error: the sync of application "synced" ended Failed: one object was refused$/m);
  });

  test('history lists the seeded entries, oldest first', async () => {
    expectCode(await createGit('historic'), 0);
    const empty = expectCode(await cli('app', 'history', 'historic'), 0);
    assert.match(empty.stdout, /No history: application "historic" has not been synced yet/);
    const [three, ...older] = history(3, 1, 2) ?? [];
    await patchStatus('historic', { history: [{ ...(three as NonNullable<typeof three>), changedBy: 'oidc:alice@example.org' }, ...older] });
    const lines = expectCode(await cli('app', 'history', 'historic'), 0).stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID +DEPLOYED +REVISION +SOURCE +BY$/);
    assert.deepEqual(
      lines.slice(1).map((line) => line.split(/ {3,}/)[0]),
      ['1', '2', '3'],
    );
    assert.match(lines[1] ?? '', /^1 +2026-11-21T11:00:00Z \(\d+[smhd] ago\) +1f1c2e9d4b7a8c6e5f0a1b2c3d4e5f6a7b8c9d0e +v1$/, 'BY is empty when unknown');
    assert.match(lines[3] ?? '', /^3 +.* +v3 +oidc:alice@example\.org$/);
    assert.match(expectCode(await cli('app', 'get', 'historic'), 0).stdout, /^Changed By: +oidc:alice@example\.org \(synced as history id 3\)$/m);
  });

  test('rollback is refused while auto-sync is on, and turns it off in the same patch with --disable-auto-sync', async () => {
    expectCode(await createGit('rolled', '--auto-sync', '--self-heal'), 0);
    await patchStatus('rolled', { history: history(1, 2, 3) });
    const refused = expectCode(await cli('app', 'rollback', 'rolled', '--no-wait'), 1);
    assert.match(
      refused.stderr,
      /^error: rollback cannot run while auto-sync is on: it would sync back to the target revision at once; pass --disable-auto-sync to turn it off in the same step$/m,
    );
    assert.equal((await getApp('rolled')).metadata.annotations?.[SYNC_REQUEST_ANNOTATION], undefined, 'nothing was written');

    const unknown = expectCode(await cli('app', 'rollback', 'rolled', '7', '--disable-auto-sync', '--no-wait'), 1);
    assert.match(unknown.stderr, /^error: application "rolled" has no history id 7: available ids: 1, 2, 3$/m);
    assert.deepEqual((await getApp('rolled')).spec.syncPolicy?.automated, { prune: false, selfHeal: true }, 'an unknown id changes nothing');
    assert.match(expectCode(await cli('app', 'rollback', 'rolled', 'two', '--no-wait'), 2).stderr, /invalid value "two" for ID/);

    const run = expectCode(await cli('app', 'rollback', 'rolled', '--disable-auto-sync', '--no-wait'), 0);
    assert.match(run.stdout, /^application\/rolled auto-sync turned off$/m);
    assert.match(run.stdout, /^application\/rolled rollback to history id 2 requested \(request [0-9a-f-]{36}\)$/m);
    const app = await getApp('rolled');
    assert.equal(app.spec.syncPolicy?.automated, undefined);
    const request = parseSyncRequest(app.metadata.annotations?.[SYNC_REQUEST_ANNOTATION]);
    assert.equal(request?.rollbackTo, 2);
    assert.ok(run.stdout.includes(request.id));

    // Auto-sync is off now: an explicit id needs no flag.
    expectCode(await cli('app', 'rollback', 'rolled', '1', '--no-wait'), 0);
    assert.equal(parseSyncRequest((await getApp('rolled')).metadata.annotations?.[SYNC_REQUEST_ANNOTATION])?.rollbackTo, 1);
  });

  test('wait times out saying what it last saw, and ends once Synced and Healthy are observed', async () => {
    expectCode(await createGit('waited'), 0);
    const timedOut = expectCode(await cli('app', 'wait', 'waited', '--timeout', '2s'), 1);
    assert.match(
      timedOut.stderr,
      /^error: timed out after 2s waiting for application "waited" to be Synced and Healthy with no operation running; last state: generation 1 not observed yet \(observed 0\), sync <none>, health <none>$/m,
    );
    await patchStatus('waited', { observedGeneration: 1, sync: { status: 'Synced', revision: SHA }, health: { status: 'Progressing', message: 'rolling out' } });
    const progressing = expectCode(await cli('app', 'wait', 'waited', '--timeout', '2s'), 1);
    assert.match(progressing.stderr, /last state: sync Synced at 3f1c2e9, health Progressing \(rolling out\)$/m);
    expectCode(await cli('app', 'wait', 'waited', '--sync', '--timeout', '2s'), 0);
    await patchStatus('waited', { health: { status: 'Healthy' } });
    const run = expectCode(await cli('app', 'wait', 'waited', '--timeout', '10s'), 0);
    assert.equal(run.stdout, 'application/waited is Synced and Healthy: sync Synced, health Healthy\n');
  });

  test('diff: exit code 1 and the diff when the destination differs, 0 when it matches, 2 on an error', async () => {
    // A git repository on disk (file://), delivered to the management cluster: the test's API server.
    const repo = join(dir, 'repo');
    await mkdir(join(repo, 'manifests'), { recursive: true });
    await writeFile(join(repo, 'manifests', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: diffed\ndata:\n  color: blue\n');
    const git = (...args: string[]) => execFileAsync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.org', '-c', 'init.defaultBranch=main', ...args], { cwd: repo });
    await git('init', '-q');
    await git('add', '.');
    await git('commit', '-q', '-m', 'a config map');
    expectCode(await cli('app', 'create', 'differ', '--repo', `file://${repo}`, '--path', 'manifests', '--dest-cluster', 'in-cluster', '--dest-namespace', env.namespace), 0);

    const missing = expectCode(await cli('app', 'diff', 'differ'), 1);
    assert.ok(missing.stdout.includes(`===== /ConfigMap/${env.namespace}/diffed (missing: a sync creates it)`), missing.stdout);
    assert.match(missing.stdout, /^\+ +color: blue$/m);
    assert.match(missing.stderr, /^application "differ" differs from revision [0-9a-f]{40}: 1 object would change$/m);
    assert.doesNotMatch(missing.stderr, /^error:/m);

    // The live object as a sync would have left it.
    await env.kubeConfig.makeApiClient(CoreV1Api).createNamespacedConfigMap({
      namespace: env.namespace,
      body: { metadata: { name: 'diffed', annotations: { [TRACKING_ANNOTATION]: trackingId(env.namespace, 'differ', { group: '', kind: 'ConfigMap', namespace: env.namespace, name: 'diffed' }) } }, data: { color: 'blue' } },
    });
    const same = expectCode(await cli('app', 'diff', 'differ'), 0);
    assert.equal(same.stdout, '');

    const gone = expectCode(await cli('app', 'diff', 'nope'), 2);
    assert.match(gone.stderr, /^error: get application "nope" in namespace "[^"]+": not found$/m);
    expectCode(await cli('app', 'create', 'broken', '--repo', `file://${join(dir, 'no-such-repo')}`, '--dest-cluster', 'in-cluster', '--dest-namespace', env.namespace, '--validate=false'), 0);
    const broken = expectCode(await cli('app', 'diff', 'broken'), 2);
    assert.match(broken.stderr, /^error: failed to diff application "broken": .*no-such-repo/m);
  });

  test('delete --cascade=orphan sets deletionPolicy Orphan before deleting; a missing app is not found', async () => {
    expectCode(await createGit('orphaned'), 0);
    // A finalizer stands in for the controller's, so the deleted object can still be read.
    await patchApp('orphaned', { metadata: { finalizers: ['beamline.dev/test'] } });
    env.onCleanup(() => patchApp('orphaned', { metadata: { finalizers: null } }));
    const run = expectCode(await cli('app', 'delete', 'orphaned', '--cascade=orphan'), 0);
    assert.match(run.stdout, /^application\/orphaned deleted/);
    const app = await getApp('orphaned');
    assert.equal(app.spec.deletionPolicy, 'Orphan');
    assert.ok(app.metadata.deletionTimestamp !== undefined, 'it is being deleted');
    await patchApp('orphaned', { metadata: { finalizers: null } });
    await waitFor(async () => !(await exists('orphaned')), { what: 'orphaned to be gone' });

    expectCode(await createGit('deleted'), 0);
    expectCode(await cli('app', 'delete', 'deleted', '--wait', '--timeout', '30s'), 0);
    assert.equal(await exists('deleted'), false);
    assert.equal((await cli('app', 'delete', 'deleted')).code, 1);
    assert.match((await cli('app', 'delete', 'deleted')).stderr, /^error: delete application "deleted" in namespace "[^"]+": not found$/m);
    assert.match(expectCode(await cli('app', 'delete', 'x', '--cascade', 'background'), 2).stderr, /invalid value "background" for --cascade/);
  });

  test('app --help lists every command', async () => {
    const help = expectCode(await cli('app', '--help'), 0).stdout;
    for (const command of ['create', 'list', 'get', 'diff', 'sync', 'wait', 'history', 'rollback', 'delete']) assert.match(help, new RegExp(`^  ${command}\\b`, 'm'));
  });
});
