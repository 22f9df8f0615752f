import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Application, ApplicationSpec, ApplicationStatus, OperationState } from '@beamline/api';
import { decideSync, SELF_HEAL_GRACE_MS, type SyncDecision, type SyncDecisionInput } from './decide-sync.ts';

const REV = 'a'.repeat(40);
const OLD = 'b'.repeat(40);
const NOW = Date.parse('2026-01-01T12:00:00Z');
const source = { repoURL: 'https://git.example.org/deploy.git', path: 'app' };
const destination = { cluster: 'lab', namespace: 'web' };
const at = (msBefore: number): string => new Date(NOW - msBefore).toISOString();

/** The last successful sync of REV, to this destination. */
const syncedHistory = [{ id: 1, revision: REV, deployedAt: at(60_000), source, destination }];
const failed = (extra: Partial<OperationState> = {}): OperationState => ({
  phase: 'Failed',
  startedAt: at(2_000),
  finishedAt: at(1_000),
  revision: REV,
  initiatedBy: 'automated',
  message: '1 of 1 objects failed (0 skipped): admission webhook denied it',
  results: [{ kind: 'Deployment', name: 'web', status: 'Failed', message: 'admission webhook denied it' }],
  ...extra,
});
const refused = (extra: Partial<OperationState> = {}): OperationState =>
  failed({ message: '1 of 1 objects failed (0 skipped): connect ECONNREFUSED 127.0.0.1:6443', results: [{ kind: 'Deployment', name: 'web', status: 'Failed', message: 'connect ECONNREFUSED 127.0.0.1:6443' }], ...extra });

function input(spec: Partial<ApplicationSpec>, status: ApplicationStatus, extra: Partial<SyncDecisionInput> = {}): SyncDecisionInput {
  const app: Pick<Application, 'spec' | 'status'> = { spec: { source, destination, ...spec }, status };
  return { app, request: undefined, rollback: false, revision: REV, comparison: { sync: 'OutOfSync', outOfSyncCount: 1 }, now: NOW, lastSyncAt: 0, destinationFailures: 0, ...extra };
}

const auto = { syncPolicy: { automated: { prune: true } } };
const autoHeal = { syncPolicy: { automated: { selfHeal: true } } };
const retryPolicy = (retry: NonNullable<NonNullable<ApplicationSpec['syncPolicy']>['retry']>): Partial<ApplicationSpec> => ({ syncPolicy: { automated: {}, retry } });

const cases: readonly { name: string; input: SyncDecisionInput; expected: SyncDecision }[] = [
  // Manual requests and rollbacks.
  { name: 'a sync request always syncs, prune from the request', input: input({}, {}, { request: { id: 'r1', prune: true }, comparison: { sync: 'Synced', outOfSyncCount: 0 } }), expected: { sync: true, initiatedBy: 'manual', prune: true } },
  { name: 'a sync request without prune takes automated prune', input: input(auto, {}, { request: { id: 'r1' } }), expected: { sync: true, initiatedBy: 'manual', prune: true } },
  { name: 'a sync request without prune and no automation does not prune', input: input({}, {}, { request: { id: 'r1' } }), expected: { sync: true, initiatedBy: 'manual', prune: false } },
  { name: 'a rollback syncs, prune only when asked', input: input({}, { history: syncedHistory }, { request: { id: 'r2', rollbackTo: 1 }, rollback: true }), expected: { sync: true, initiatedBy: 'rollback', prune: false, retryCount: 0 } },
  { name: 'a rollback with prune', input: input({}, { history: syncedHistory }, { request: { id: 'r2', rollbackTo: 1, prune: true }, rollback: true }), expected: { sync: true, initiatedBy: 'rollback', prune: true, retryCount: 0 } },
  // Without automation.
  { name: 'no automation, out of sync: nothing', input: input({}, {}), expected: { sync: false } },
  // Automated: a new target.
  { name: 'automated, never synced: syncs', input: input(auto, {}), expected: { sync: true, initiatedBy: 'automated', prune: true } },
  { name: 'automated, a new revision: syncs', input: input(auto, { history: [{ ...syncedHistory[0]!, revision: OLD }] }), expected: { sync: true, initiatedBy: 'automated', prune: true } },
  { name: 'automated, a new destination namespace is a new target', input: input(auto, { history: [{ ...syncedHistory[0]!, destination: { cluster: 'lab', namespace: 'old' } }] }), expected: { sync: true, initiatedBy: 'automated', prune: true } },
  { name: 'automated, a history entry without destination counts as the same target', input: input(auto, { history: [{ id: 1, revision: REV, deployedAt: at(60_000), source }] }), expected: { sync: false } },
  { name: 'automated, synced: nothing', input: input(auto, { history: syncedHistory }, { comparison: { sync: 'Synced', outOfSyncCount: 0 } }), expected: { sync: false } },
  { name: 'only pruning left and prune off: nothing', input: input({ syncPolicy: { automated: {} } }, {}, { comparison: { sync: 'OutOfSync', outOfSyncCount: 0 } }), expected: { sync: false } },
  { name: 'only pruning left and prune on: syncs', input: input(auto, {}, { comparison: { sync: 'OutOfSync', outOfSyncCount: 0 } }), expected: { sync: true, initiatedBy: 'automated', prune: true } },
  // Self-heal.
  { name: 'drift of the synced target without selfHeal: nothing', input: input(auto, { history: syncedHistory }), expected: { sync: false } },
  { name: 'drift with selfHeal, within the grace after a sync: later', input: input(autoHeal, { history: syncedHistory }, { lastSyncAt: NOW - 200 }), expected: { sync: false, retryAt: NOW - 200 + SELF_HEAL_GRACE_MS } },
  { name: 'drift with selfHeal, after the grace: heals', input: input(autoHeal, { history: syncedHistory }, { lastSyncAt: NOW - SELF_HEAL_GRACE_MS }), expected: { sync: true, initiatedBy: 'automated', prune: false } },
  // Interrupted operations.
  { name: 'an interrupted Running operation with automation is run again, even when synced', input: input(auto, { history: syncedHistory, operationState: { phase: 'Running', startedAt: at(5_000), revision: REV, initiatedBy: 'automated' } }, { comparison: { sync: 'Synced', outOfSyncCount: 0 } }), expected: { sync: true, initiatedBy: 'automated', prune: true } },
  {
    name: 'an interrupted Running operation without automation is ended as Error',
    input: input({}, { operationState: { phase: 'Running', startedAt: at(5_000), revision: REV, initiatedBy: 'manual' } }),
    expected: { sync: false, interrupted: { phase: 'Error', startedAt: at(5_000), revision: REV, initiatedBy: 'manual', message: 'interrupted: the manager stopped during the sync, and automated sync is off now', finishedAt: new Date(NOW).toISOString() } },
  },
  // Retry policy: defaults are limit 5, 5 s doubling, at most 180 s, from finishedAt.
  { name: 'a failed automated sync, first retry due after 5 s: waits', input: input(auto, { operationState: failed() }), expected: { sync: false, retryAt: NOW - 1_000 + 5_000 } },
  { name: 'a failed automated sync, first retry due: retries with retryCount 1', input: input(auto, { operationState: failed({ finishedAt: at(5_000) }) }), expected: { sync: true, initiatedBy: 'automated', prune: true, retryCount: 1 } },
  { name: 'the backoff doubles with each retry', input: input(auto, { operationState: failed({ retryCount: 2, finishedAt: at(19_000) }) }), expected: { sync: false, retryAt: NOW - 19_000 + 20_000 } },
  { name: 'the backoff factor and first wait come from the policy', input: input(retryPolicy({ backoff: { durationSeconds: 2, factor: 3 } }), { operationState: failed({ retryCount: 2 }) }), expected: { sync: false, retryAt: NOW - 1_000 + 18_000 } },
  { name: 'the backoff stops at maxDurationSeconds', input: input(retryPolicy({ limit: 50, backoff: { maxDurationSeconds: 30 } }), { operationState: failed({ retryCount: 10 }) }), expected: { sync: false, retryAt: NOW - 1_000 + 30_000 } },
  { name: 'the default limit gives up after 5 retries', input: input(auto, { operationState: failed({ retryCount: 5, finishedAt: at(3_600_000) }) }), expected: { sync: false } },
  { name: 'limit 0 never retries', input: input(retryPolicy({ limit: 0 }), { operationState: failed({ finishedAt: at(3_600_000) }) }), expected: { sync: false } },
  { name: 'below the policy limit it retries', input: input(retryPolicy({ limit: 8 }), { operationState: failed({ retryCount: 7, finishedAt: at(3_600_000) }) }), expected: { sync: true, initiatedBy: 'automated', prune: false, retryCount: 8 } },
  { name: 'a failed manual sync is not retried', input: input(auto, { history: syncedHistory, operationState: failed({ initiatedBy: 'manual' }) }), expected: { sync: false } },
  { name: 'a failure of an older revision is not retried: the new one syncs', input: input(auto, { operationState: failed({ revision: OLD }) }), expected: { sync: true, initiatedBy: 'automated', prune: true } },
  // Destination failures back off without using up the limit.
  { name: 'a destination failure past the limit still retries, retryCount unchanged', input: input(auto, { operationState: refused({ retryCount: 5, finishedAt: at(60_000) }) }, { destinationFailures: 1 }), expected: { sync: true, initiatedBy: 'automated', prune: true, retryCount: 5 } },
  { name: 'destination failures back off by their own count', input: input(auto, { operationState: refused({ retryCount: 0, finishedAt: at(10_000) }) }, { destinationFailures: 3 }), expected: { sync: false, retryAt: NOW - 10_000 + 20_000 } },
  { name: 'a destination failure after a restart (count 0) waits the first backoff', input: input(auto, { operationState: refused({ message: 'cluster lab is not Ready', results: [] }) }), expected: { sync: false, retryAt: NOW - 1_000 + 5_000 } },
  // A stale failed operation.
  { name: 'synced, but the last automated sync of this target failed: one more sync', input: input(auto, { operationState: failed({ finishedAt: at(60_000) }) }, { comparison: { sync: 'Synced', outOfSyncCount: 0 } }), expected: { sync: true, initiatedBy: 'automated', prune: true, retryCount: 1 } },
  { name: 'synced, and the failed operation is older than the last success: nothing', input: input(auto, { history: syncedHistory, operationState: failed() }, { comparison: { sync: 'Synced', outOfSyncCount: 0 } }), expected: { sync: false } },
];

describe('decideSync', () => {
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(decideSync(c.input), c.expected);
    });
  }
});
