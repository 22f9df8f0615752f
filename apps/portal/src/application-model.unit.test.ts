// The Applications pages' pure parts (apps/portal/web/pages/application-model.ts) and the
// sparkline's numbers, in Node: the portal must write the very patches the CLI writes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSyncRequest, REFRESH_ANNOTATION as API_REFRESH_ANNOTATION, SYNC_REQUEST_ANNOTATION as API_SYNC_REQUEST_ANNOTATION } from '@beamline/api';
import { syncRequestPatch as cliSyncRequestPatch } from '../../cli/src/app-request.ts';
import { periodOf, sparklinePoints, sparklineSummary } from '../web/components/sparkline-geometry.ts';
import {
  applicationOf,
  applicationsQuery,
  EMPTY_APP_FORM,
  localProblems,
  refreshPatch,
  REFRESH_ANNOTATION,
  shortRevision,
  SYNC_REQUEST_ANNOTATION,
  syncRequestPatch,
  troubledConditions,
  type AppForm,
} from '../web/pages/application-model.ts';

test('a sync, a pruning sync, a rollback and a rollback turning auto-sync off are the CLI’s patches', () => {
  assert.equal(SYNC_REQUEST_ANNOTATION, API_SYNC_REQUEST_ANNOTATION);
  for (const options of [{ id: 'a' }, { id: 'b', prune: true }, { id: 'c', prune: false }, { id: 'd', rollbackTo: 3 }, { id: 'e', rollbackTo: 0, disableAutoSync: true }]) {
    assert.deepEqual(syncRequestPatch(options), cliSyncRequestPatch(options), JSON.stringify(options));
  }
  const patch = syncRequestPatch({ id: 'x', rollbackTo: 2, disableAutoSync: true }) as { metadata: { annotations: Record<string, string> }; spec: unknown };
  assert.deepEqual(parseSyncRequest(patch.metadata.annotations[SYNC_REQUEST_ANNOTATION]), { id: 'x', rollbackTo: 2 });
  assert.deepEqual(patch.spec, { syncPolicy: { automated: null } });
});

test('a refresh writes the refresh annotation with the time', () => {
  assert.equal(REFRESH_ANNOTATION, API_REFRESH_ANNOTATION);
  assert.deepEqual(refreshPatch(new Date('2026-01-02T03:04:05Z')), { metadata: { annotations: { [REFRESH_ANNOTATION]: '2026-01-02T03:04:05.000Z' } } });
});

test('the list query keeps only known filters, drops a half-typed cluster name, pages by 100', () => {
  assert.equal(applicationsQuery(new URLSearchParams('sync=OutOfSync&health=&evil=1&search=web&offset=200')), 'sync=OutOfSync&search=web&offset=200&limit=100');
  assert.equal(applicationsQuery(new URLSearchParams('cluster=lab-')), 'limit=100');
  assert.equal(applicationsQuery(new URLSearchParams('cluster=lab-1&offset=-5')), 'cluster=lab-1&limit=100');
  assert.equal(applicationsQuery(new URLSearchParams('offset=abc')), 'limit=100');
});

test('a commit shows 7 characters; a version or a branch whole', () => {
  assert.equal(shortRevision('0123456789abcdef0123456789abcdef01234567'), '0123456');
  assert.equal(shortRevision('1.2.3'), '1.2.3');
  assert.equal(shortRevision(undefined), '—');
});

const good: AppForm = { ...EMPTY_APP_FORM, namespace: 'project-a', name: 'web', repoURL: 'https://git.example.org/a.git', path: 'web', cluster: 'lab', destinationNamespace: 'web' };

test('the form’s own checks name the Application’s field paths', () => {
  assert.deepEqual(localProblems(good), {});
  assert.deepEqual(Object.keys(localProblems(EMPTY_APP_FORM)).sort(), ['metadata.name', 'spec.destination.cluster', 'spec.destination.namespace', 'spec.source.repoURL']);
  assert.match(localProblems({ ...good, name: 'Web_1' })['metadata.name']?.[0] ?? '', /lower-case/);
  assert.match(localProblems({ ...good, repoURL: 'ext::sh -c evil' })['spec.source.repoURL']?.[0] ?? '', /start with https/);
  assert.match(localProblems({ ...good, repoURL: 'https://token@git.example.org/a.git' })['spec.source.repoURL']?.[0] ?? '', /no credentials/);
  // scp-like and ssh with a user only are fine (the CRD's rules).
  assert.deepEqual(localProblems({ ...good, repoURL: 'git@git.example.org:group/a.git' }), {});
  assert.deepEqual(localProblems({ ...good, repoURL: 'ssh://git@git.example.org/a.git' }), {});
  const helm = localProblems({ ...good, kind: 'helm', repoURL: 'ssh://git@h/x' });
  assert.deepEqual(Object.keys(helm).sort(), ['spec.source.chart', 'spec.source.chartVersion', 'spec.source.repoURL']);
  assert.match(localProblems({ ...good, destinationNamespace: 'Web' })['spec.destination.namespace']?.[0] ?? '', /DNS label/);
});

test('the form’s Application: git or Helm source, manual unless automated, the namespace option only when ticked', () => {
  assert.deepEqual(applicationOf(good), {
    apiVersion: 'beamline.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'web', namespace: 'project-a' },
    spec: { source: { repoURL: 'https://git.example.org/a.git', targetRevision: 'HEAD', path: 'web' }, destination: { cluster: 'lab', namespace: 'web' }, syncPolicy: {} },
  });
  const helm = applicationOf({ ...good, kind: 'helm', chart: 'nginx', chartVersion: '1.0.0', autoSync: true, prune: true, createNamespace: true }) as { spec: unknown };
  assert.deepEqual(helm.spec, {
    source: { repoURL: 'https://git.example.org/a.git', chart: 'nginx', chartVersion: '1.0.0' },
    destination: { cluster: 'lab', namespace: 'web' },
    syncPolicy: { automated: { prune: true, selfHeal: false }, syncOptions: { createNamespace: true } },
  });
});

test('conditions worth showing: Ready not True, Stalled or Reconciling True', () => {
  const conditions = [
    { type: 'Ready', status: 'False' },
    { type: 'Stalled', status: 'False' },
    { type: 'Reconciling', status: 'True' },
    { type: 'Other', status: 'True' },
  ];
  assert.deepEqual(troubledConditions(conditions).map((condition) => condition.type), ['Ready', 'Reconciling']);
  assert.deepEqual(troubledConditions([{ type: 'Ready', status: 'True' }]), []);
  assert.deepEqual(troubledConditions(undefined), []);
});

test('a sparkline: a summary for screen readers, gaps for missing samples, zero at the bottom', () => {
  assert.equal(sparklineSummary('Clusters not ready', []), 'Clusters not ready: no data yet');
  assert.equal(sparklineSummary('Clusters not ready', [null, 0, 3, 2]), 'Clusters not ready: now 2, from 0 to 3 over 4 samples');
  assert.equal(sparklineSummary('Ready', [1, 1], (value) => `${value} ok`), 'Ready: now 1 ok, steady at 1 ok over 2 samples');
  assert.equal(sparklineSummary('Ready', [1, 2], String, 'over the last 5 minutes'), 'Ready: now 2, from 1 to 2 over the last 5 minutes');
  assert.equal(periodOf('2026-01-01T00:00:00Z', '2026-01-01T00:59:45Z'), 'over the last 60 minutes');
  assert.equal(periodOf('2026-01-01T00:00:00Z', '2026-01-01T00:00:15Z'), 'over the last minute');
  assert.equal(periodOf(undefined, undefined), undefined);
  assert.equal(periodOf('garbage', '2026-01-01T00:00:00Z'), undefined);
  assert.deepEqual(sparklinePoints([0, 2, null, 1, 2], 40, 10), ['0.0,10.0 10.0,0.0', '30.0,5.0 40.0,0.0']);
  // A flat series sits in the middle; a lone sample is a short line.
  assert.deepEqual(sparklinePoints([0, 0], 10, 10), ['0.0,5.0 10.0,5.0']);
  assert.deepEqual(sparklinePoints([null, 4, null], 10, 10), ['5.0,0.0 9,0.0']);
  assert.deepEqual(sparklinePoints([null, null], 10, 10), []);
});
