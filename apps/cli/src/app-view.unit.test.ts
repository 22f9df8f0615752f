// How `beamline app` shows Applications and decides on what it reads: the list row, the `get`
// summary, the history, which entry a rollback goes back to, when a wait is over, the diff's exit
// code, and the sync-request patch.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSyncRequest, SYNC_REQUEST_ANNOTATION, type HistoryEntry } from '@beamline/api';
import { syncRequestPatch } from './app-request.ts';
import {
  APP_TABLE,
  appRow,
  asApp,
  chooseRollbackId,
  conditionsNotOk,
  describeApplication,
  describeSource,
  describeSyncPolicy,
  destinationCluster,
  diffExitCode,
  formatOperationResults,
  HISTORY_HEADERS,
  historyRows,
  operationFailed,
  permanentFailure,
  printable,
  resourceRows,
  shortRevision,
  syncRequestDone,
  waitState,
  type AppObject,
} from './app-view.ts';
import { CliError } from './output.ts';
import type { BeamlineObject } from './resources.ts';

const NOW = new Date('2026-11-21T20:00:00Z');
const SHA = '3f1c2e9d4b7a8c6e5f0a1b2c3d4e5f6a7b8c9d0e';

function app(overrides: { spec?: Partial<AppObject['spec']>; status?: AppObject['status']; generation?: number } = {}): AppObject {
  return {
    apiVersion: 'beamline.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'guestbook', namespace: 'physics', generation: overrides.generation ?? 1, creationTimestamp: '2026-11-21T19:57:00Z' },
    spec: {
      source: { repoURL: 'https://git.example.org/physics/deploy.git', targetRevision: 'main', path: 'apps/guestbook' },
      destination: { cluster: 'lab', namespace: 'guestbook' },
      ...overrides.spec,
    },
    ...(overrides.status === undefined ? {} : { status: overrides.status }),
  };
}

function history(...ids: number[]): HistoryEntry[] {
  return ids.map((id) => ({ id, revision: `${String(id).repeat(40)}`.slice(0, 40), deployedAt: `2026-11-21T1${id}:00:00Z`, source: { repoURL: 'https://git.example.org/x.git', path: `v${id}` } }));
}

function assertCliError(call: () => unknown, exitCode: number, message: RegExp): void {
  assert.throws(call, (error: unknown) => {
    assert.ok(error instanceof CliError, String(error));
    assert.equal(error.exitCode, exitCode, error.message);
    assert.match(error.message, message);
    return true;
  });
}

describe('app list', () => {
  test('a row: sync, health, the short commit, the destination, the age', () => {
    const object = app({ status: { sync: { status: 'Synced', revision: SHA }, health: { status: 'Healthy' } } }) as unknown as BeamlineObject;
    assert.deepEqual(appRow(object, NOW), ['guestbook', 'Synced', 'Healthy', '3f1c2e9', 'lab', 'guestbook', '3m']);
    assert.deepEqual(APP_TABLE.headers, ['name', 'sync', 'health', 'revision', 'dest-cluster', 'dest-namespace', 'age']);
    // printObjects maps over objects: the index Array.map passes must not be taken for a clock.
    assert.match([object].map(APP_TABLE.row)[0]?.at(-1) ?? '', /^\d+[smhd]$/);
  });

  test('a Cluster of another namespace (a shared cluster) is shown as namespace/name; of its own namespace, by name', () => {
    const shared = app({ spec: { destination: { cluster: 'gpu-pool', clusterNamespace: 'shared', namespace: 'physics-jobs' } } });
    assert.equal(destinationCluster(shared), 'shared/gpu-pool');
    assert.deepEqual(appRow(shared as unknown as BeamlineObject, NOW).slice(4, 6), ['shared/gpu-pool', 'physics-jobs']);
    assert.equal(destinationCluster(app({ spec: { destination: { cluster: 'lab', clusterNamespace: 'physics', namespace: 'guestbook' } } })), 'lab');
    assert.equal(destinationCluster(app()), 'lab');
    assert.match(describeApplication(shared, NOW), /^Cluster: +shared\/gpu-pool$/m);
  });

  test('no status yet: <none> cells', () => {
    assert.deepEqual(appRow(app() as unknown as BeamlineObject, NOW).slice(1, 4), ['<none>', '<none>', '<none>']);
  });

  test('only full commits are shortened; chart versions and branches stay', () => {
    assert.equal(shortRevision(SHA), '3f1c2e9');
    assert.equal(shortRevision('a'.repeat(64)), 'aaaaaaa');
    assert.equal(shortRevision('6.7.0'), '6.7.0');
    assert.equal(shortRevision('3f1c2e9'), '3f1c2e9');
    assert.equal(shortRevision(undefined), undefined);
  });
});

describe('app get', () => {
  const full = app({
    spec: { syncPolicy: { automated: { prune: true, selfHeal: false }, syncOptions: { createNamespace: true } } },
    status: {
      sync: { status: 'OutOfSync', revision: SHA },
      health: { status: 'Degraded', message: 'Deployment guestbook: 0/1 ready' },
      conditions: [
        { type: 'Ready', status: 'False', reason: 'SyncFailed', message: 'an object was refused', lastTransitionTime: '2026-11-21T19:59:00Z' },
        { type: 'Reconciling', status: 'False', reason: 'Idle', message: '', lastTransitionTime: '2026-11-21T19:59:00Z' },
        { type: 'Stalled', status: 'False', reason: 'Idle', message: '', lastTransitionTime: '2026-11-21T19:59:00Z' },
      ],
      operationState: {
        phase: 'Failed',
        message: 'one object was refused',
        startedAt: '2026-11-21T19:58:00Z',
        finishedAt: '2026-11-21T19:59:00Z',
        revision: SHA,
        initiatedBy: 'manual',
        results: [
          { kind: 'Service', name: 'guestbook', namespace: 'guestbook', status: 'Synced', message: 'service/guestbook created' },
          { kind: 'Deployment', name: 'guestbook', namespace: 'guestbook', status: 'Failed', message: 'spec.replicas: Invalid value' },
        ],
      },
      resources: [
        { version: 'v1', kind: 'Service', namespace: 'guestbook', name: 'guestbook', status: 'Synced', health: { status: 'Healthy' } },
        { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'guestbook', name: 'guestbook', status: 'OutOfSync', health: { status: 'Degraded', message: '0/1 ready' } },
      ],
    },
  });

  test('the summary names the source, destination, policy, sync, health, problems and the last operation', () => {
    const text = describeApplication(full, NOW);
    for (const expected of [
      /^Name: +physics\/guestbook$/m,
      /^Repo: +https:\/\/git\.example\.org\/physics\/deploy\.git$/m,
      /^Target: +main$/m,
      /^Path: +apps\/guestbook$/m,
      /^Cluster: +lab$/m,
      /^Namespace: +guestbook$/m,
      /^Sync Policy: +Automated \(Prune\), Create Namespace$/m,
      /^Sync Status: +OutOfSync to main \(3f1c2e9\)$/m,
      /^Health Status: +Degraded$/m,
      /^Health Message: +Deployment guestbook: 0\/1 ready$/m,
      /^Conditions:\n +TYPE +STATUS +REASON +MESSAGE\n +Ready +False +SyncFailed +an object was refused$/m,
      /^Last Operation:\n +Operation: +Sync \(manual\)\n +Phase: +Failed\n +Message: +one object was refused$/m,
      /^ +Finished: +2026-11-21T19:59:00Z \(60s ago\)$/m,
      /^GROUP +KIND +NAMESPACE +NAME +STATUS +HEALTH +MESSAGE$/m,
    ]) {
      assert.match(text, expected);
    }
    // Conditions that are fine are not shown.
    assert.doesNotMatch(text, /Reconciling|Stalled/);
  });

  test('resource rows: the health message, else what the last operation did', () => {
    assert.deepEqual(resourceRows(full), [
      ['', 'Service', 'guestbook', 'guestbook', 'Synced', 'Healthy', 'service/guestbook created'],
      ['apps', 'Deployment', 'guestbook', 'guestbook', 'OutOfSync', 'Degraded', '0/1 ready'],
    ]);
  });

  test('a chart source, a manual policy, no status yet', () => {
    const text = describeApplication(
      app({ spec: { source: { repoURL: 'oci://ghcr.io/x/charts', chart: 'podinfo', chartVersion: '6.7.0', helm: { releaseName: 'web' } } }, generation: 2 }),
      NOW,
    );
    assert.match(text, /^Chart: +podinfo$/m);
    assert.match(text, /^Chart Version: +6\.7\.0$/m);
    assert.match(text, /^Helm Release: +web$/m);
    assert.match(text, /^Sync Policy: +Manual$/m);
    assert.match(text, /^Sync Status: +<none>$/m);
    assert.match(text, /^Observed: +generation 0 of 2/m);
    assert.match(text, /^No resources\.$/m);
    assert.doesNotMatch(text, /^Path:/m);
  });

  test('a repoURL with credentials (stored before they were refused) is shown without them', () => {
    const text = describeApplication(app({ spec: { source: { repoURL: 'https://bot:s3cr3t@git.example.org/physics/deploy.git', path: '.' } } }), NOW);
    assert.match(text, /^Repo: +https:\/\/git\.example\.org\/physics\/deploy\.git$/m);
    assert.doesNotMatch(text, /s3cr3t/);
  });

  test('conditions that are not OK: Ready not True, Reconciling or Stalled True', () => {
    const c = (type: string, status: string) => ({ type, status });
    assert.deepEqual(conditionsNotOk([c('Ready', 'True'), c('Reconciling', 'False'), c('Stalled', 'False')]), []);
    assert.deepEqual(conditionsNotOk([c('Ready', 'Unknown'), c('Reconciling', 'True'), c('Stalled', 'True')]).map((x) => x.type), ['Ready', 'Reconciling', 'Stalled']);
  });

  test('sync policy and source in words', () => {
    assert.equal(describeSyncPolicy(undefined), 'Manual');
    assert.equal(describeSyncPolicy({ automated: {} }), 'Automated');
    assert.equal(describeSyncPolicy({ automated: { prune: true, selfHeal: true } }), 'Automated (Prune, Self Heal)');
    assert.equal(describeSource({ repoURL: 'x' }), '.');
    assert.equal(describeSource({ repoURL: 'x', chart: 'podinfo', chartVersion: '6.7.0' }), 'podinfo@6.7.0');
  });

  test('operation results as a table; none is said so', () => {
    assert.match(formatOperationResults(full.status?.operationState ?? { phase: 'Running', startedAt: '' }), /^KIND +NAMESPACE +NAME +STATUS +MESSAGE\nService +guestbook +guestbook +Synced +service\/guestbook created\nDeployment/);
    assert.equal(formatOperationResults({ phase: 'Succeeded', startedAt: '2026-11-21T19:58:00Z' }), 'No objects were changed.');
  });
});

describe('app history', () => {
  test('rows oldest first: id, time and age, revision, path or chart@version', () => {
    const entries = [
      { id: 4, revision: '6.7.1', deployedAt: '2026-11-21T19:00:00Z', source: { repoURL: 'oci://x', chart: 'podinfo', chartVersion: '6.7.1' } },
      { id: 3, revision: SHA, deployedAt: '2026-11-21T18:00:00Z', source: { repoURL: 'https://x', path: 'apps/guestbook' } },
    ];
    assert.deepEqual(historyRows(entries, NOW), [
      ['3', '2026-11-21T18:00:00Z (2h ago)', SHA, 'apps/guestbook', ''],
      ['4', '2026-11-21T19:00:00Z (60m ago)', '6.7.1', 'podinfo@6.7.1', ''],
    ]);
    assert.deepEqual(historyRows(undefined, NOW), []);
  });

  test('BY: who changed the app before each sync, empty when unknown; control characters do not reach the terminal', () => {
    const entries: HistoryEntry[] = [
      { ...(history(1)[0] as HistoryEntry), changedBy: 'oidc:alice@example.org' },
      history(2)[0] as HistoryEntry,
      { ...(history(3)[0] as HistoryEntry), changedBy: 'oidc:eve\u001b[2J\u001b[Hroot' },
    ];
    assert.deepEqual(HISTORY_HEADERS, ['id', 'deployed', 'revision', 'source', 'by']);
    assert.deepEqual(
      historyRows(entries, NOW).map((row) => row.at(-1)),
      ['oidc:alice@example.org', '', 'oidc:eve?[2J?[Hroot'],
    );
    assert.equal(printable('a\tb\nc\u009bd'), 'a?b?c?d');
  });

  test('get shows who made the change the last sync delivered, when recorded', () => {
    const synced = (entries: HistoryEntry[]): string => describeApplication(app({ status: { sync: { status: 'Synced', revision: SHA }, history: entries } }), NOW);
    const [first, second] = history(1, 2) as [HistoryEntry, HistoryEntry];
    // The newest entry (highest id) counts, wherever it is in the list.
    assert.match(synced([{ ...second, changedBy: 'oidc:bob' }, { ...first, changedBy: 'oidc:alice' }]), /^Changed By: +oidc:bob \(synced as history id 2\)$/m);
    assert.doesNotMatch(synced([{ ...first, changedBy: 'oidc:alice' }, second]), /Changed By/, 'the last sync has no changedBy: nothing older is shown as if it were');
    assert.doesNotMatch(synced([]), /Changed By/);
  });
});

describe('app rollback: which history entry', () => {
  test('by default the entry before the latest', () => {
    assert.equal(chooseRollbackId('guestbook', history(1, 2, 3)), 2);
    assert.equal(chooseRollbackId('guestbook', history(3, 1, 2)), 2, 'by id, whatever the order');
  });

  test('a given id the history has', () => {
    assert.equal(chooseRollbackId('guestbook', history(1, 2, 3), '1'), 1);
  });

  test('an unknown id lists the available ones', () => {
    assertCliError(() => chooseRollbackId('guestbook', history(1, 2, 3), '7'), 1, /^application "guestbook" has no history id 7: available ids: 1, 2, 3$/);
  });

  test('nothing to go back to', () => {
    assertCliError(() => chooseRollbackId('guestbook', []), 1, /has no history yet: there is nothing to roll back to/);
    assertCliError(() => chooseRollbackId('guestbook', history(5)), 1, /has only one history entry \(id 5\)/);
    assertCliError(() => chooseRollbackId('guestbook', undefined, '1'), 1, /has no history id 1: it has no history yet/);
  });

  test('an id that is not a number is a usage error', () => {
    assertCliError(() => chooseRollbackId('guestbook', history(1, 2), 'abc'), 2, /^invalid value "abc" for ID/);
  });
});

describe('app wait', () => {
  const both = { sync: true, health: true };
  const synced = { observedGeneration: 1, sync: { status: 'Synced' as const, revision: SHA }, health: { status: 'Healthy' as const } };

  test('done when the spec is observed, Synced, Healthy and no operation runs', () => {
    const state = waitState(app({ status: synced }), both);
    assert.equal(state.done, true);
    assert.equal(state.line, 'sync Synced at 3f1c2e9, health Healthy');
  });

  test('not done on an unobserved generation, a running operation, OutOfSync or Degraded', () => {
    assert.equal(waitState(app({ status: synced, generation: 2 }), both).done, false);
    assert.match(waitState(app({ status: synced, generation: 2 }), both).line, /^generation 2 not observed yet \(observed 1\)/);
    const running = waitState(app({ status: { ...synced, operationState: { phase: 'Running', message: 'applying wave 0', startedAt: '2026-11-21T19:59:00Z' } } }), both);
    assert.equal(running.done, false);
    assert.match(running.line, /operation Running \(applying wave 0\)$/);
    assert.equal(waitState(app({ status: { ...synced, sync: { status: 'OutOfSync' } } }), both).done, false);
    const degraded = waitState(app({ status: { ...synced, health: { status: 'Degraded', message: 'CrashLoopBackOff' } } }), both);
    assert.equal(degraded.done, false);
    assert.match(degraded.line, /health Degraded \(CrashLoopBackOff\)/);
  });

  test('--sync or --health alone', () => {
    const progressing = app({ status: { ...synced, health: { status: 'Progressing' } } });
    assert.equal(waitState(progressing, { sync: true, health: false }).done, true);
    assert.equal(waitState(progressing, { sync: false, health: true }).done, false);
  });

  test('no status at all says so, and a failing Ready says why', () => {
    assert.deepEqual(waitState(app(), both), { done: false, line: 'generation 1 not observed yet (observed 0), sync <none>, health <none>' });
    const failing = app({
      status: { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'False', reason: 'FetchFailed', message: 'git unreachable', lastTransitionTime: '2026-11-21T19:59:00Z' }] },
    });
    assert.match(waitState(failing, both).line, /Ready False FetchFailed: git unreachable$/);
  });

  test('a sync request is done once handled and its operation is over', () => {
    const op = (phase: 'Running' | 'Succeeded' | 'Failed') => ({ phase, startedAt: '2026-11-21T19:59:00Z' });
    assert.equal(syncRequestDone(app({ status: { lastHandledSyncRequest: 'other', operationState: op('Succeeded') } }), 'id-1'), false);
    assert.equal(syncRequestDone(app({ status: { lastHandledSyncRequest: 'id-1', operationState: op('Running') } }), 'id-1'), false);
    assert.equal(syncRequestDone(app({ status: { lastHandledSyncRequest: 'id-1', operationState: op('Failed') } }), 'id-1'), true);
    assert.equal(operationFailed(op('Failed')), true);
    assert.equal(operationFailed({ phase: 'Error', startedAt: '' }), true);
    assert.equal(operationFailed(op('Succeeded')), false);
    assert.equal(operationFailed(undefined), false);
  });
});

describe('app diff exit code', () => {
  test('0 without differences, 1 with', () => {
    assert.equal(diffExitCode({ text: '', changed: 0 }), 0);
    assert.equal(diffExitCode({ text: '--- live\n+++ desired\n', changed: 1 }), 1);
    assert.equal(diffExitCode({ text: '', changed: 2 }), 1);
  });
});

describe('sync request patch', () => {
  const annotation = (patch: object): string | undefined => (patch as { metadata: { annotations: Record<string, string> } }).metadata.annotations[SYNC_REQUEST_ANNOTATION];

  test('a sync: only the annotation, with the id (and prune when asked)', () => {
    const patch = syncRequestPatch({ id: 'abc' });
    assert.deepEqual(patch, { metadata: { annotations: { [SYNC_REQUEST_ANNOTATION]: '{"id":"abc"}' } } });
    assert.deepEqual(parseSyncRequest(annotation(syncRequestPatch({ id: 'abc', prune: true }))), { id: 'abc', prune: true });
  });

  test('a rollback that turns auto-sync off does both in one patch', () => {
    const patch = syncRequestPatch({ id: 'abc', rollbackTo: 2, disableAutoSync: true });
    assert.deepEqual(parseSyncRequest(annotation(patch)), { id: 'abc', rollbackTo: 2 });
    assert.deepEqual((patch as { spec?: unknown }).spec, { syncPolicy: { automated: null } });
  });

  test('asApp keeps the object as it is', () => {
    const object: BeamlineObject = { metadata: { name: 'x' } };
    assert.equal(asApp(object), object);
  });
});

describe('permanentFailure: when `app create --wait` and `app wait` stop at once', () => {
  const cond = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, message = '', observedGeneration = 1) => ({
    type,
    status,
    reason,
    message,
    observedGeneration,
    lastTransitionTime: '2026-11-21T19:59:00Z',
  });
  const withConditions = (...conditions: ReturnType<typeof cond>[]): AppObject => app({ status: { observedGeneration: 1, conditions } });

  test('fetch and render failures, a failed sync of the target and Stalled are permanent, with the reason', () => {
    assert.equal(permanentFailure(withConditions(cond('Ready', 'False', 'FetchFailed', 'revision main not found'))), 'FetchFailed: revision main not found');
    assert.equal(permanentFailure(withConditions(cond('Ready', 'False', 'RenderFailed', 'kustomize: no kustomization'))), 'RenderFailed: kustomize: no kustomization');
    assert.equal(
      permanentFailure(withConditions(cond('Ready', 'False', 'SyncFailed', 'kind Rollout (argoproj.io/v1alpha1) is not served by cluster lab; install its CRD'))),
      'SyncFailed: kind Rollout (argoproj.io/v1alpha1) is not served by cluster lab; install its CRD',
    );
    assert.equal(permanentFailure(withConditions(cond('Ready', 'False', 'X', 'x'), cond('Stalled', 'True', 'InvalidSpec', 'bad'))), 'InvalidSpec: bad');
    assert.equal(
      permanentFailure(withConditions(cond('Ready', 'False', 'DestinationNotPermitted', 'project physics may not deliver to in-cluster: only platform admins\' Applications (namespaces of no project) may'))),
      "DestinationNotPermitted: project physics may not deliver to in-cluster: only platform admins' Applications (namespaces of no project) may",
    );
    assert.equal(
      permanentFailure(withConditions(cond('Ready', 'False', 'DestinationNotReady', 'Cluster ns/lab does not exist (yet)'))),
      'DestinationNotReady: Cluster ns/lab does not exist (yet)',
    );
  });

  test('what may still resolve is not: progress, a destination that is down, conditions of an older generation, an unobserved spec', () => {
    assert.equal(permanentFailure(withConditions(cond('Ready', 'False', 'OutOfSync', '2 objects out of sync'))), undefined);
    assert.equal(permanentFailure(withConditions(cond('Ready', 'False', 'NotHealthy', 'rolling out'))), undefined);
    assert.equal(permanentFailure(withConditions(cond('Ready', 'False', 'DestinationNotReady', 'Cluster ns/lab is not Ready: resuming'))), undefined);
    assert.equal(permanentFailure(withConditions(cond('Ready', 'True', 'Available'))), undefined);
    const stale = app({ generation: 2, status: { observedGeneration: 2, conditions: [cond('Ready', 'False', 'FetchFailed', 'old', 1)] } });
    assert.equal(permanentFailure(stale), undefined, 'a condition about the previous spec');
    const unobserved = app({ generation: 2, status: { observedGeneration: 1, conditions: [cond('Ready', 'False', 'FetchFailed', 'old', 1)] } });
    assert.equal(permanentFailure(unobserved), undefined);
    assert.equal(permanentFailure(app()), undefined);
  });
});
