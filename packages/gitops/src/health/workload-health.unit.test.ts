import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HealthStatusCode } from './health-status.ts';
import { objectHealth } from './object-health.ts';
import { fixture, patched } from './testdata/fixtures.ts';

interface Case {
  readonly name: string;
  readonly patch: Record<string, unknown>;
  readonly status: HealthStatusCode;
  readonly message?: RegExp;
}

function table(kind: string, base: string, cases: readonly Case[]): void {
  describe(`${kind} health`, () => {
    for (const { name, patch, status, message } of cases) {
      test(name, () => {
        const health = objectHealth(patched(fixture(base), patch));
        assert.equal(health.status, status, health.message);
        if (message !== undefined) assert.match(health.message, message);
      });
    }
  });
}

const progressingCondition = (reason: string, status: string, message: string): Record<string, unknown> => ({
  type: 'Progressing', status, reason, message, lastUpdateTime: '2030-01-01T10:20:00Z', lastTransitionTime: '2030-01-01T10:20:00Z',
});
const available = { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' };

table('Deployment', 'deployment', [
  { name: 'a finished rollout is Healthy', patch: {}, status: 'Healthy', message: /3 of 3/ },
  { name: 'paused is Suspended, even mid-rollout', patch: { spec: { paused: true }, status: { updatedReplicas: 1 } }, status: 'Suspended', message: /paused/ },
  {
    name: 'a spec change not yet observed is Progressing',
    patch: { metadata: { generation: 4 } },
    status: 'Progressing',
    message: /observe the latest generation/,
  },
  {
    name: 'mid-rollout (2 of 3 updated, surge pod up) is Progressing',
    patch: {
      status: {
        replicas: 4, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 1,
        conditions: [available, progressingCondition('ReplicaSetUpdated', 'True', 'ReplicaSet "web-5f6b7c8d9e" is progressing.')],
      },
    },
    status: 'Progressing',
    message: /2 of 3 new replicas have been updated/,
  },
  {
    name: 'all updated but old replicas still terminating is Progressing',
    patch: { status: { replicas: 4, updatedReplicas: 3, availableReplicas: 3 } },
    status: 'Progressing',
    message: /1 old replicas are pending termination/,
  },
  {
    name: 'updated replicas not yet available is Progressing',
    patch: { status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 } },
    status: 'Progressing',
    message: /2 of 3 updated replicas are available/,
  },
  {
    name: 'progress deadline exceeded is Degraded',
    patch: {
      status: {
        replicas: 4, updatedReplicas: 1, availableReplicas: 3,
        conditions: [available, progressingCondition('ProgressDeadlineExceeded', 'False', 'ReplicaSet "web-5f6b7c8d9e" has timed out progressing.')],
      },
    },
    status: 'Degraded',
    message: /progress deadline.*timed out/,
  },
  {
    name: 'ReplicaFailure (quota) is Degraded',
    patch: {
      status: {
        updatedReplicas: 2, availableReplicas: 2,
        conditions: [available, { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "web-7c9d8f6b5d-abcde" is forbidden: exceeded quota: compute' }],
      },
    },
    status: 'Degraded',
    message: /FailedCreate: .*exceeded quota/,
  },
  {
    name: 'scaled to 0 is Healthy',
    patch: { spec: { replicas: 0 }, status: { replicas: undefined, updatedReplicas: undefined, readyReplicas: undefined, availableReplicas: undefined } },
    status: 'Healthy',
  },
  {
    name: 'scaling to 0 with pods still terminating is Progressing',
    patch: { spec: { replicas: 0 }, status: { replicas: 2, updatedReplicas: 0, availableReplicas: 2 } },
    status: 'Progressing',
  },
  { name: 'just created, no status yet, is Progressing', patch: { metadata: { generation: 1 }, status: undefined }, status: 'Progressing' },
]);

table('StatefulSet', 'statefulset', [
  { name: 'a finished rolling update is Healthy', patch: {}, status: 'Healthy' },
  { name: 'not observed yet is Progressing', patch: { metadata: { generation: 3 } }, status: 'Progressing', message: /observe/ },
  { name: 'no status at all is Progressing', patch: { status: undefined }, status: 'Progressing' },
  { name: 'fewer ready pods than replicas is Progressing', patch: { status: { readyReplicas: 1 } }, status: 'Progressing', message: /2 of 3 pods to be ready/ },
  {
    name: 'rolling update half done is Progressing',
    patch: { status: { updatedReplicas: 1, currentReplicas: 2, updateRevision: 'db-7f5c9d8b6' } },
    status: 'Progressing',
    message: /1 of 3 pods have been updated/,
  },
  {
    name: 'all pods updated but revision not yet promoted is Progressing',
    patch: { status: { updateRevision: 'db-7f5c9d8b6' } },
    status: 'Progressing',
    message: /revision db-7f5c9d8b6/,
  },
  {
    name: 'partitioned rollout short of its target is Progressing',
    patch: { spec: { updateStrategy: { rollingUpdate: { partition: 1 } } }, status: { updatedReplicas: 1, currentReplicas: 2, updateRevision: 'db-7f5c9d8b6' } },
    status: 'Progressing',
    message: /partitioned rollout.*1 of 2/,
  },
  {
    name: 'partitioned rollout at its target is Healthy, though revisions differ',
    patch: { spec: { updateStrategy: { rollingUpdate: { partition: 1 } } }, status: { updatedReplicas: 2, currentReplicas: 1, updateRevision: 'db-7f5c9d8b6' } },
    status: 'Healthy',
    message: /partitioned rollout complete/,
  },
  {
    name: 'OnDelete with all pods ready is Healthy whatever the revisions',
    patch: { spec: { updateStrategy: { type: 'OnDelete', rollingUpdate: undefined } }, status: { updatedReplicas: 0, updateRevision: 'db-7f5c9d8b6' } },
    status: 'Healthy',
    message: /OnDelete/,
  },
]);

table('DaemonSet', 'daemonset', [
  { name: 'all nodes updated and available is Healthy', patch: {}, status: 'Healthy' },
  { name: 'not observed yet is Progressing', patch: { metadata: { generation: 6 } }, status: 'Progressing' },
  { name: 'rollout on 2 of 4 nodes is Progressing', patch: { status: { updatedNumberScheduled: 2 } }, status: 'Progressing', message: /2 of 4 new pods/ },
  { name: 'updated but not available everywhere is Progressing', patch: { status: { numberAvailable: 3, numberUnavailable: 1 } }, status: 'Progressing', message: /3 of 4/ },
  { name: 'OnDelete is Healthy while old pods remain', patch: { spec: { updateStrategy: { type: 'OnDelete', rollingUpdate: undefined } }, status: { updatedNumberScheduled: 1 } }, status: 'Healthy' },
  { name: 'no matching nodes is Healthy', patch: { status: { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberAvailable: 0, numberReady: 0, updatedNumberScheduled: 0 } }, status: 'Healthy' },
]);

table('ReplicaSet', 'replicaset', [
  { name: 'all available is Healthy', patch: {}, status: 'Healthy' },
  { name: 'fewer available than replicas is Progressing', patch: { status: { readyReplicas: 1, availableReplicas: 1 } }, status: 'Progressing', message: /1 of 3/ },
  {
    name: 'ReplicaFailure True is Degraded',
    patch: { status: { availableReplicas: 0, conditions: [{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "web-" is forbidden: error looking up service account team-a/web: serviceaccount "web" not found' }] } },
    status: 'Degraded',
    message: /serviceaccount "web" not found/,
  },
  { name: 'not observed yet is Progressing', patch: { metadata: { generation: 2 } }, status: 'Progressing' },
]);
