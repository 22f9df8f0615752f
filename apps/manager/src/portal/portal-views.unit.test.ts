import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { API_VERSION, PROJECT_LABEL } from '@beamline/api';
import { InputError } from '@beamline/errors';
import type { KubeObject } from '@beamline/kube';
import { FleetIndex } from './fleet.ts';
import { ReconcileSampler } from './reconcilers.ts';
import { APPLICATION_FACETS, CLUSTER_FACETS, pageOf, parseApplicationQuery, parseClusterQuery, VisibleRows } from './views.ts';

const object = (kind: string, namespace: string | undefined, name: string, rest: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: API_VERSION, kind, metadata: { name, creationTimestamp: '2026-12-01T00:00:00Z', ...(namespace === undefined ? {} : { namespace }) }, ...rest });

const SYNCS = ['Synced', 'OutOfSync', 'Unknown'];
const HEALTHS = ['Healthy', 'Progressing', 'Degraded', 'Missing'];

/** 10,000 Applications over 20 namespaces (ten of project physics), statuses cycling. */
function bigIndex(): FleetIndex {
  const index = new FleetIndex();
  for (let n = 0; n < 20; n++) {
    const labels: Record<string, string> = n < 10 ? { [PROJECT_LABEL]: 'physics' } : {};
    index.apply('Namespace', 'add', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${String(n).padStart(2, '0')}`, labels } });
  }
  for (let i = 0; i < 10_000; i++) {
    const namespace = `ns-${String(i % 20).padStart(2, '0')}`;
    index.apply(
      'Application',
      'add',
      object('Application', namespace, `app-${String(i).padStart(5, '0')}`, {
        spec: { source: { repoURL: `https://git.example.org/r${String(i % 7)}.git`, path: 'p' }, destination: { cluster: i % 2 === 0 ? 'east' : 'west', namespace: 'web' }, ...(i % 3 === 0 ? { syncPolicy: { automated: {} } } : {}) },
        status: { sync: { status: SYNCS[i % 3], revision: 'abc' }, health: { status: HEALTHS[i % 4] } },
      }),
    );
  }
  return index;
}

describe('portal lists', () => {
  test('10,000 applications: filters, search, facets over the other filters, and paging agree with a brute-force count', () => {
    const index = bigIndex();
    const rows = index.applicationRows();
    assert.equal(rows.length, 10_000);
    assert.ok(rows.every((row, at) => at === 0 || `${rows[at - 1]?.namespace}/${rows[at - 1]?.name}` < `${row.namespace}/${row.name}`), 'sorted by namespace then name');
    assert.equal(rows[0]?.project, 'physics', 'the project comes from the namespace label');
    assert.equal(rows.find((row) => row.namespace === 'ns-15')?.project, undefined);

    const visible = new VisibleRows<(typeof rows)[number]>();
    const physics = { all: false, namespaces: new Set(['ns-00', 'ns-01', 'ns-02', 'ns-03', 'ns-04', 'ns-05', 'ns-06', 'ns-07', 'ns-08', 'ns-09']) };
    const seen = visible.rows(index.version, rows, physics);
    assert.equal(seen.length, 5000);
    assert.equal(visible.rows(index.version, rows, physics), seen, 'the visible list is kept per version and visibility');

    const page = pageOf(seen, parseApplicationQuery({ sync: 'OutOfSync', health: 'Healthy', offset: '10', limit: '25' }), APPLICATION_FACETS);
    const expected = seen.filter((row) => row.sync === 'OutOfSync' && row.health === 'Healthy');
    assert.equal(page.total, expected.length);
    assert.deepEqual(
      page.items.map((row) => row.name),
      expected.slice(10, 35).map((row) => row.name),
    );
    // Facets: sync counted over the rows matching health (not sync), health over those matching sync.
    const count = (list: readonly (typeof rows)[number][], get: (row: (typeof rows)[number]) => string): Record<string, number> =>
      list.reduce<Record<string, number>>((into, row) => ({ ...into, [get(row)]: (into[get(row)] ?? 0) + 1 }), {});
    assert.deepEqual(page.facets.sync, count(seen.filter((row) => row.health === 'Healthy'), (row) => row.sync));
    assert.deepEqual(page.facets.health, count(seen.filter((row) => row.sync === 'OutOfSync'), (row) => row.health));
    assert.deepEqual(page.facets.project, { physics: expected.length });

    const searched = pageOf(seen, parseApplicationQuery({ search: 'APP-001', cluster: 'west' }), APPLICATION_FACETS);
    const brute = seen.filter((row) => row.name.includes('app-001') && row.destination.cluster === 'west');
    assert.equal(searched.total, brute.length);
    assert.ok(searched.total > 0);
    assert.equal(searched.limit, 100);

    const beyond = pageOf(seen, parseApplicationQuery({ offset: '4990', limit: '500' }), APPLICATION_FACETS);
    assert.equal(beyond.total, 5000);
    assert.equal(beyond.items.length, 10);

    const all = pageOf(visible.rows(index.version, rows, { all: true, namespaces: new Set() }), parseApplicationQuery({ project: 'physics', limit: '1' }), APPLICATION_FACETS);
    assert.equal(all.total, 5000, 'another project is filtered out');
    assert.deepEqual(all.facets.project, { physics: 5000 }, 'rows of no project are not in the project facet');
  });

  test('query parameters are checked: a 400 names the parameter', () => {
    const message = (query: Record<string, unknown>): string => {
      try {
        parseApplicationQuery(query);
      } catch (error) {
        assert.ok(error instanceof InputError);
        return error.message;
      }
      return 'accepted';
    };
    assert.match(message({ limit: '501' }), /limit/);
    assert.match(message({ limit: '0' }), /limit/);
    assert.match(message({ offset: '-1' }), /offset/);
    assert.match(message({ namespace: 'Not_A_Name' }), /namespace/);
    assert.match(message({ sync: ['a', 'b'] }), /sync/);
    assert.match(message({ search: 'x'.repeat(300) }), /search/);
    assert.equal(message({ limit: '500', namespace: 'a', search: 'web' }), 'accepted');
  });

  test('clusters: GPUs from node groups, ready from the condition, facets by phase', () => {
    const index = new FleetIndex();
    index.apply('PlatformConfig', 'add', object('PlatformConfig', undefined, 'beamline', { spec: { flavors: [{ name: 'gpu', cpu: '8', memory: '32Gi', gpus: { count: 2, product: 'A100' } }], kubernetesVersions: ['1.36.3'] } }));
    index.apply('Cluster', 'add', object('Cluster', 'a', 'one', { spec: { templateRef: { name: 'small' } }, status: { phase: 'Running', provider: 'kwok', conditions: [{ type: 'Ready', status: 'True', reason: 'Ready' }] } }));
    index.apply('Cluster', 'add', object('Cluster', 'a', 'two', { spec: { templateRef: { name: 'small' }, provider: 'kwok' }, status: { phase: 'Failed', conditions: [{ type: 'Ready', status: 'False', reason: 'ProvisionFailed', message: 'no' }] } }));
    index.apply('NodeGroup', 'add', object('NodeGroup', 'a', 'one-gpu', { spec: { clusterName: 'one', flavor: 'gpu', replicas: 3 } }));
    const rows = index.clusterRows();
    assert.deepEqual(
      rows.map((row) => [row.name, row.gpus, row.ready, row.provider, row.template]),
      [
        ['one', 6, 'True', 'kwok', 'small'],
        ['two', 0, 'False', 'kwok', 'small'],
      ],
    );
    assert.equal(rows[1]?.readyMessage, 'no');
    const page = pageOf(rows, parseClusterQuery({ phase: 'Running' }), CLUSTER_FACETS);
    assert.equal(page.total, 1);
    assert.deepEqual(page.facets.phase, { Running: 1, Failed: 1 });
    assert.deepEqual(index.platform(), { flavors: [{ name: 'gpu', cpu: '8', memory: '32Gi', gpus: 2, gpuType: 'A100' }], kubernetesVersions: ['1.36.3'] });
  });
});

describe('reconciler panel', () => {
  const condition = (type: string, status: string, reason = type, lastTransitionTime = '2026-12-01T00:00:00Z'): Record<string, string> => ({ type, status, reason, message: `${type} ${status}`, lastTransitionTime });

  test('counts by kstatus, failing newest first, sources, and the series per namespace over a fake clock', async () => {
    const index = new FleetIndex();
    index.apply('Cluster', 'add', object('Cluster', 'a', 'ok', { spec: { templateRef: { name: 't' } }, status: { conditions: [condition('Ready', 'True')] } }));
    index.apply('Cluster', 'add', object('Cluster', 'a', 'bad', { spec: { templateRef: { name: 't' } }, status: { conditions: [condition('Ready', 'False', 'ProvisionFailed', '2026-12-02T00:00:00Z'), condition('Stalled', 'True')] } }));
    index.apply('Cluster', 'add', object('Cluster', 'b', 'busy', { spec: { templateRef: { name: 't' } }, status: { conditions: [condition('Ready', 'False', 'Provisioning'), condition('Reconciling', 'True')] } }));
    const app = (namespace: string, name: string, repoURL: string, ready: Record<string, string>, chart?: string): KubeObject =>
      object('Application', namespace, name, { spec: { source: { repoURL, ...(chart === undefined ? { path: 'p' } : { chart, chartVersion: '1' }) }, destination: { cluster: 'c', namespace: 'web' } }, status: { conditions: [ready] } });
    index.apply('Application', 'add', app('a', 'web', 'https://git.example.org/a.git', condition('Ready', 'False', 'FetchFailed', '2026-12-03T00:00:00Z')));
    index.apply('Application', 'add', app('a', 'chart', 'https://charts.example.org', condition('Ready', 'True'), 'nginx'));
    index.apply('Application', 'add', app('b', 'other', 'https://git.example.org/b.git', condition('Ready', 'True')));
    index.apply('Project', 'add', object('Project', undefined, 'physics', { spec: {}, status: { conditions: [condition('Ready', 'True')] } }));
    index.apply('Project', 'add', object('Project', undefined, 'chemistry', { spec: {}, status: { conditions: [condition('Ready', 'False', 'QuotaInvalid')] } }));

    let now = Date.parse('2026-12-03T12:00:00Z');
    const totals = { durationSum: 0, durationCount: 0, total: 0 };
    const sampler = new ReconcileSampler({ index, now: () => now, metrics: () => Promise.resolve(new Map([['application', { ...totals }]])) });
    const onlyA = { namespace: (_kind: string, namespace: string) => namespace === 'a', project: (name: string) => name === 'physics', key: 'a' };
    const empty = sampler.view(onlyA);
    assert.deepEqual(empty.series.at, [], 'no sample yet');
    assert.equal(empty.kinds.find((kind) => kind.kind === 'Application')?.avgDurationS, null);

    await sampler.sample();
    now += 15_000;
    totals.durationSum = 3;
    totals.durationCount = 6;
    totals.total = 6;
    index.apply('Cluster', 'delete', object('Cluster', 'a', 'ok'));
    await sampler.sample();

    const view = sampler.view(onlyA);
    const kind = (name: string): (typeof view.kinds)[number] | undefined => view.kinds.find((entry) => entry.kind === name);
    assert.deepEqual({ ...kind('Cluster') }, { kind: 'Cluster', total: 1, ready: 0, notReady: 1, reconciling: 0, stalled: 1, avgDurationS: null, reconcilesPerMin: null });
    assert.equal(kind('Application')?.total, 2);
    assert.equal(kind('Application')?.avgDurationS, 0.5);
    assert.equal(kind('Application')?.reconcilesPerMin, 24, '6 reconciles in 15 s');
    assert.deepEqual({ ...kind('Project') }, { kind: 'Project', total: 1, ready: 1, notReady: 0, reconciling: 0, stalled: 0, avgDurationS: null, reconcilesPerMin: null });
    assert.deepEqual(
      view.failing.map((entry) => `${entry.kind} ${entry.namespace ?? ''}/${entry.name} ${entry.reason}`),
      ['Application a/web FetchFailed', 'Cluster a/bad ProvisionFailed'],
      'newest first; b/busy is still reconciling, chemistry is not visible',
    );
    assert.deepEqual(view.sources, { total: 2, git: 1, helm: 1, failing: 1 });
    assert.deepEqual(view.series.at, ['2026-12-03T12:00:00.000Z', '2026-12-03T12:00:15.000Z']);
    assert.deepEqual(view.series.kinds.Cluster, { ready: [1, 0], notReady: [1, 1], avgDurationS: [null, null] });
    assert.deepEqual(view.series.kinds.Application?.avgDurationS, [null, 0.5]);

    const everything = sampler.view({ namespace: () => true, project: () => true, key: '*' });
    assert.deepEqual(everything.series.kinds.Cluster?.notReady, [2, 2], "b's busy cluster too");
    assert.deepEqual(everything.series.kinds.Project, { ready: [1, 1], notReady: [1, 1], avgDurationS: [null, null] });

    // An hour and more: only the last 240 samples are kept.
    for (let at = 0; at < 300; at++) {
      now += 15_000;
      await sampler.sample();
    }
    const hour = sampler.view(onlyA);
    assert.equal(hour.series.at.length, 240);
    assert.equal(Date.parse(hour.series.at.at(-1) ?? '') - Date.parse(hour.series.at[0] ?? ''), 239 * 15_000);
    assert.equal(hour.kinds.find((entry) => entry.kind === 'Application')?.reconcilesPerMin, 0, 'no reconciles in the last 5 minutes');
  });
});
