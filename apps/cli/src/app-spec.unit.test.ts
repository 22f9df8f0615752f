// `beamline app create`'s flags → the Application it sends, and the usage errors it raises
// before sending anything (each naming the flag or the file).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isChartFolder } from './app-checks.ts';
import { DNS_LABEL_PATTERN } from '@beamline/api';
import { applicationFromFlags, DNS_LABEL, helmOnlyFlags, parseBooleanFlag, parseValuesFile, readValuesFile, refreshIntervalSeconds, type AppCreateFlags } from './app-spec.ts';
import { CliError } from './output.ts';

const GIT: AppCreateFlags = { repo: 'https://git.example.org/physics/deploy.git', destCluster: 'lab', destNamespace: 'guestbook' };
const CHART: AppCreateFlags = { repo: 'oci://ghcr.io/stefanprodan/charts', chart: 'podinfo', chartVersion: '6.7.0', destCluster: 'in-cluster', destNamespace: 'podinfo' };

/** `call` throws a usage error (exit code 2) whose message matches `message`. */
function assertUsageError(call: () => unknown, message: RegExp): void {
  assert.throws(call, (error: unknown) => {
    assert.ok(error instanceof CliError, String(error));
    assert.equal(error.exitCode, 2, error.message);
    assert.match(error.message, message);
    return true;
  });
}

describe('app create flags → Application', () => {
  test('a git path with every option', () => {
    const app = applicationFromFlags('guestbook', 'physics', {
      ...GIT,
      revision: 'main',
      path: 'apps/guestbook',
      recursive: true,
      autoSync: true,
      prune: true,
      selfHeal: true,
      createNamespace: true,
      refreshInterval: '3m',
    });
    assert.deepEqual(app, {
      apiVersion: 'beamline.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'guestbook', namespace: 'physics' },
      spec: {
        source: { repoURL: GIT.repo, targetRevision: 'main', path: 'apps/guestbook', directory: { recursive: true } },
        destination: { cluster: 'lab', namespace: 'guestbook' },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: { createNamespace: true } },
        refreshIntervalSeconds: 180,
      },
    });
  });

  test('the minimal git app leaves the defaults to the API server', () => {
    const app = applicationFromFlags('guestbook', 'physics', GIT);
    assert.deepEqual(app.spec, { source: { repoURL: GIT.repo }, destination: { cluster: 'lab', namespace: 'guestbook' } });
  });

  test('auto-sync alone is automated without prune or self-heal', () => {
    assert.deepEqual(applicationFromFlags('a', 'ns', { ...GIT, autoSync: true }).spec.syncPolicy, { automated: { prune: false, selfHeal: false } });
  });

  test('a chart of a Helm repository with values, value files and a release name', () => {
    const app = applicationFromFlags('podinfo', 'physics', { ...CHART, values: { replicaCount: 2 }, valueFile: ['a.yaml', 'b.yaml'], releaseName: 'web' });
    assert.deepEqual(app.spec.source, {
      repoURL: CHART.repo,
      chart: 'podinfo',
      chartVersion: '6.7.0',
      helm: { releaseName: 'web', values: { replicaCount: 2 }, valueFiles: ['a.yaml', 'b.yaml'] },
    });
  });

  test('empty values and no value files add no helm block', () => {
    assert.equal(applicationFromFlags('podinfo', 'physics', { ...CHART, values: {}, valueFile: [] }).spec.source.helm, undefined);
  });

  test('--chart without --chart-version is a usage error naming both', () => {
    assertUsageError(() => applicationFromFlags('x', 'ns', { ...CHART, chartVersion: undefined }), /^--chart needs --chart-version/);
  });

  test('--chart-version without --chart is a usage error', () => {
    assertUsageError(() => applicationFromFlags('x', 'ns', { ...GIT, chartVersion: '1.0.0' }), /^--chart-version needs --chart/);
  });

  test('--path with --chart is a usage error', () => {
    assertUsageError(() => applicationFromFlags('x', 'ns', { ...CHART, path: 'charts/x' }), /^--path and --chart are mutually exclusive/);
  });

  test('--recursive and --revision are for git sources', () => {
    assertUsageError(() => applicationFromFlags('x', 'ns', { ...CHART, recursive: true }), /^--recursive is for a directory of a git repository/);
    assertUsageError(() => applicationFromFlags('x', 'ns', { ...CHART, revision: 'main' }), /^--revision is for git sources/);
  });

  test('--prune and --self-heal need --auto-sync', () => {
    assertUsageError(() => applicationFromFlags('x', 'ns', { ...GIT, prune: true }), /^--prune needs --auto-sync/);
    assertUsageError(() => applicationFromFlags('x', 'ns', { ...GIT, selfHeal: true }), /^--self-heal needs --auto-sync/);
  });

  test('--dest-cluster-namespace sets destination.clusterNamespace (a shared cluster of another namespace)', () => {
    const app = applicationFromFlags('jobs', 'project-physics', { ...GIT, destCluster: 'gpu-pool', destClusterNamespace: 'shared', destNamespace: 'physics-jobs' });
    assert.deepEqual(app.spec.destination, { cluster: 'gpu-pool', namespace: 'physics-jobs', clusterNamespace: 'shared' });
    assert.equal('clusterNamespace' in applicationFromFlags('x', 'ns', GIT).spec.destination, false, 'absent without the flag');
  });

  test('--dest-cluster-namespace must be a DNS label, and is not for in-cluster', () => {
    for (const bad of ['Shared', 'shared_ns', '-shared', 'shared-', 'a.b', '', 'x'.repeat(64)]) {
      assertUsageError(() => applicationFromFlags('x', 'ns', { ...GIT, destClusterNamespace: bad }), /^invalid value "[^"]*" for --dest-cluster-namespace: a namespace is a DNS label/);
    }
    assert.equal(applicationFromFlags('x', 'ns', { ...GIT, destClusterNamespace: 'x'.repeat(63) }).spec.destination.clusterNamespace, 'x'.repeat(63));
    assertUsageError(() => applicationFromFlags('x', 'ns', { ...GIT, destCluster: 'in-cluster', destClusterNamespace: 'shared' }), /^--dest-cluster-namespace does not apply to --dest-cluster in-cluster/);
  });

  test("the CLI's DNS label pattern is the API's", () => {
    assert.equal(DNS_LABEL.source, DNS_LABEL_PATTERN);
  });

  test('--refresh-interval: a duration of whole seconds between 10s and 24h', () => {
    assert.equal(refreshIntervalSeconds('90s'), 90);
    assert.equal(refreshIntervalSeconds('1h'), 3600);
    assert.equal(refreshIntervalSeconds('24h'), 86_400);
    assertUsageError(() => refreshIntervalSeconds('5s'), /--refresh-interval: it must be between 10s and 24h/);
    assertUsageError(() => refreshIntervalSeconds('25h'), /--refresh-interval/);
    assertUsageError(() => refreshIntervalSeconds('1500ms'), /--refresh-interval: use whole seconds/);
    assertUsageError(() => refreshIntervalSeconds('soon'), /invalid value "soon" for --refresh-interval/);
  });
});

describe('--values files', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'beamline-app-values-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a mapping is kept as written', () => {
    assert.deepEqual(parseValuesFile('replicaCount: 2\nui:\n  color: "#34577c"\n  labels: [a, b]\n', 'v.yaml'), { replicaCount: 2, ui: { color: '#34577c', labels: ['a', 'b'] } });
  });

  test('an empty file is no values', () => {
    assert.deepEqual(parseValuesFile('', 'v.yaml'), {});
    assert.deepEqual(parseValuesFile('# nothing\n', 'v.yaml'), {});
  });

  test('a list, a scalar, bad YAML or several documents are usage errors naming the file', () => {
    assertUsageError(() => parseValuesFile('- a\n- b\n', 'list.yaml'), /^--values list\.yaml: not a YAML mapping \(found a list\)/);
    assertUsageError(() => parseValuesFile('42\n', 'n.yaml'), /^--values n\.yaml: not a YAML mapping \(found a number\)/);
    assertUsageError(() => parseValuesFile('a: [1, 2\n', 'bad.yaml'), /^--values bad\.yaml: not valid YAML/);
    assertUsageError(() => parseValuesFile('a: 1\n---\nb: 2\n', 'two.yaml'), /^--values two\.yaml: one YAML document is needed, found 2/);
  });

  test('a file is read; a missing one is a usage error naming it', async () => {
    const file = join(dir, 'values.yaml');
    await writeFile(file, 'replicaCount: 3\n');
    assert.deepEqual(await readValuesFile(file), { replicaCount: 3 });
    const missing = join(dir, 'missing.yaml');
    await assert.rejects(readValuesFile(missing), (error: unknown) => {
      assert.ok(error instanceof CliError);
      assert.equal(error.exitCode, 2);
      assert.ok(error.message.startsWith(`--values ${missing}: cannot read it`), error.message);
      return true;
    });
  });
});

describe('the checks of `app create` (--validate)', () => {
  test('Helm-only flags are named as typed; a git path is a chart when it holds Chart.yaml', () => {
    assert.deepEqual(helmOnlyFlags({ values: { a: 1 }, valueFile: ['prod.yaml'], releaseName: 'web' }), ['--values', '--value-file', '--release-name']);
    assert.deepEqual(helmOnlyFlags({ valueFile: [] }), []);
    const files = [{ path: 'charts/web/Chart.yaml' }, { path: 'charts/web/values.yaml' }, { path: 'plain/cm.yaml' }, { path: 'Chart.yaml' }];
    assert.equal(isChartFolder(files, 'charts/web'), true);
    assert.equal(isChartFolder(files, 'plain'), false);
    assert.equal(isChartFolder(files, ''), true);
    assert.equal(isChartFolder([{ path: 'charts/web/Chart.yaml' }], 'charts'), false);
  });

  test('--validate takes true or false, as argocd app create does', () => {
    assert.equal(parseBooleanFlag('false', '--validate'), false);
    assert.equal(parseBooleanFlag('true', '--validate'), true);
    assertUsageError(() => parseBooleanFlag('maybe', '--validate'), /invalid value "maybe" for --validate: use true or false/);
  });
});
