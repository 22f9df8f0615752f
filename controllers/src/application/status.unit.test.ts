import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeApplicationStatus, type ApplicationObservation, type ComputedApplicationStatus } from './status.ts';

const REV = '0123456789abcdef0123456789abcdef01234567';
const condition = (result: ComputedApplicationStatus, type: string): string => {
  const found = result.conditions.find((c) => c.type === type);
  return `${found?.status ?? '-'}/${found?.reason ?? '-'}`;
};
const compared = (extra: Partial<Extract<ApplicationObservation, { kind: 'Compared' }>>): ApplicationObservation => ({
  kind: 'Compared',
  revision: REV,
  sync: 'Synced',
  health: { status: 'Healthy', message: '3 objects healthy' },
  outOfSyncCount: 0,
  ...extra,
});

const cases: readonly { name: string; observed: ApplicationObservation; ready: string; reconciling: string; stalled: string; message?: string; sync?: ComputedApplicationStatus['sync']; health?: ComputedApplicationStatus['health'] }[] = [
  {
    name: 'destination not ready keeps the last revision, sync Unknown',
    observed: { kind: 'DestinationNotReady', message: 'Cluster lab is not Ready', previousRevision: REV },
    ready: 'False/DestinationNotReady',
    reconciling: 'False/DestinationNotReady',
    stalled: 'False/DestinationNotReady',
    message: 'Cluster lab is not Ready',
    sync: { status: 'Unknown', revision: REV },
  },
  {
    name: 'destination not ready before any revision',
    observed: { kind: 'DestinationNotReady', message: 'Cluster lab not found' },
    ready: 'False/DestinationNotReady',
    reconciling: 'False/DestinationNotReady',
    stalled: 'False/DestinationNotReady',
    sync: { status: 'Unknown' },
  },
  {
    name: 'destination not permitted (tenancy) keeps the last revision, names the rule',
    observed: { kind: 'DestinationNotPermitted', message: 'project p1 may not deliver to in-cluster', previousRevision: REV },
    ready: 'False/DestinationNotPermitted',
    reconciling: 'False/DestinationNotPermitted',
    stalled: 'False/DestinationNotPermitted',
    message: 'project p1 may not deliver to in-cluster',
    sync: { status: 'Unknown', revision: REV },
  },
  {
    name: 'fetch failed',
    observed: { kind: 'SourceFailed', reason: 'FetchFailed', message: 'failed to fetch: repository not found' },
    ready: 'False/FetchFailed',
    reconciling: 'False/FetchFailed',
    stalled: 'False/FetchFailed',
    message: 'failed to fetch: repository not found',
    sync: { status: 'Unknown' },
  },
  {
    name: 'render failed keeps the last revision',
    observed: { kind: 'SourceFailed', reason: 'RenderFailed', message: 'bad YAML', previousRevision: REV },
    ready: 'False/RenderFailed',
    reconciling: 'False/RenderFailed',
    stalled: 'False/RenderFailed',
    sync: { status: 'Unknown', revision: REV },
  },
  {
    name: 'the destination stopped answering during the compare',
    observed: { kind: 'CompareFailed', message: 'failed to compare with destination lab: ECONNREFUSED', revision: REV },
    ready: 'False/DestinationNotReady',
    reconciling: 'False/DestinationNotReady',
    stalled: 'False/DestinationNotReady',
    sync: { status: 'Unknown', revision: REV },
  },
  {
    name: 'synced and healthy',
    observed: compared({}),
    ready: 'True/Available',
    reconciling: 'False/Available',
    stalled: 'False/Available',
    message: 'synced to 0123456; 3 objects healthy',
    sync: { status: 'Synced', revision: REV },
    health: { status: 'Healthy', message: '3 objects healthy' },
  },
  {
    name: 'a chart version is shown whole',
    observed: compared({ revision: '1.2.3' }),
    ready: 'True/Available',
    reconciling: 'False/Available',
    stalled: 'False/Available',
    message: 'synced to 1.2.3; 3 objects healthy',
  },
  {
    name: 'synced and progressing: Reconciling',
    observed: compared({ health: { status: 'Progressing', message: 'Deployment web: 1/3 replicas' } }),
    ready: 'False/NotHealthy',
    reconciling: 'True/Progressing',
    stalled: 'False/NotHealthy',
    message: 'Deployment web: 1/3 replicas',
    health: { status: 'Progressing', message: 'Deployment web: 1/3 replicas' },
  },
  {
    name: 'synced and degraded: not Reconciling',
    observed: compared({ health: { status: 'Degraded', message: '' } }),
    ready: 'False/NotHealthy',
    reconciling: 'False/Progressing',
    stalled: 'False/NotHealthy',
    message: 'Degraded',
    health: { status: 'Degraded' },
  },
  {
    name: 'out of sync, no failed operation',
    observed: compared({ sync: 'OutOfSync', outOfSyncCount: 2 }),
    ready: 'False/OutOfSync',
    reconciling: 'False/OutOfSync',
    stalled: 'False/OutOfSync',
    message: '2 objects out of sync',
    sync: { status: 'OutOfSync', revision: REV },
  },
  {
    name: 'out of sync after a failed sync of the target',
    observed: compared({ sync: 'OutOfSync', outOfSyncCount: 1, operation: { phase: 'Failed', revision: REV, message: '1 of 3 objects failed' } }),
    ready: 'False/SyncFailed',
    reconciling: 'False/SyncFailed',
    stalled: 'False/SyncFailed',
    message: '1 of 3 objects failed',
  },
  {
    name: 'out of sync after a failed sync of an older revision',
    observed: compared({ sync: 'OutOfSync', outOfSyncCount: 1, operation: { phase: 'Error', revision: 'f'.repeat(40), message: 'sync refused' } }),
    ready: 'False/OutOfSync',
    reconciling: 'False/OutOfSync',
    stalled: 'False/OutOfSync',
    message: '1 objects out of sync',
  },
  {
    name: 'a failed operation no longer matters once synced',
    observed: compared({ operation: { phase: 'Failed', revision: REV, message: 'failed' } }),
    ready: 'True/Available',
    reconciling: 'False/Available',
    stalled: 'False/Available',
  },
];

describe('computeApplicationStatus', () => {
  for (const c of cases) {
    test(c.name, () => {
      const result = computeApplicationStatus(c.observed);
      assert.equal(condition(result, 'Ready'), c.ready);
      assert.equal(condition(result, 'Reconciling'), c.reconciling);
      assert.equal(condition(result, 'Stalled'), c.stalled);
      if (c.message !== undefined) assert.equal(result.conditions.find((x) => x.type === 'Ready')?.message, c.message);
      if (c.sync !== undefined) assert.deepEqual(result.sync, c.sync);
      if (c.health !== undefined) assert.deepEqual(result.health, c.health);
      // Every owned condition, every time, with a reason.
      assert.deepEqual(result.conditions.map((x) => x.type).sort(), ['Ready', 'Reconciling', 'Stalled']);
      assert.ok(result.conditions.every((x) => x.reason !== ''));
    });
  }

  test('a refused request changes no condition and keeps sync and health', () => {
    assert.deepEqual(computeApplicationStatus({ kind: 'RequestRefused' }), { conditions: [] });
  });
});
