import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HealthStatusCode } from './health-status.ts';
import { objectHealth } from './object-health.ts';
import { fixture, patched } from './testdata/fixtures.ts';

const notReady = [
  { type: 'Initialized', status: 'True' },
  { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [web]' },
  { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [web]' },
  { type: 'PodScheduled', status: 'True' },
];

function webStatus(fields: Record<string, unknown>): Record<string, unknown>[] {
  return [{ name: 'web', image: 'nginx:1.27', imageID: '', ready: false, started: false, restartCount: 0, lastState: {}, ...fields }];
}

interface Case {
  readonly name: string;
  readonly patch: Record<string, unknown>;
  readonly status: HealthStatusCode;
  readonly message?: RegExp;
}

const cases: readonly Case[] = [
  { name: 'Running and Ready is Healthy', patch: {}, status: 'Healthy' },
  {
    name: 'CrashLoopBackOff is Degraded, with the container and its message',
    patch: {
      status: {
        conditions: notReady,
        containerStatuses: webStatus({
          restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container=web pod=web-7c9d8f6b5d-x2x9k_team-a' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2030-01-01T10:03:00Z', finishedAt: '2030-01-01T10:03:01Z' } },
        }),
      },
    },
    status: 'Degraded',
    message: /container web: CrashLoopBackOff: back-off/,
  },
  {
    name: 'ImagePullBackOff while Pending is Degraded',
    patch: {
      status: {
        phase: 'Pending',
        conditions: notReady,
        containerStatuses: webStatus({ state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nginx:1.99"' } } }),
      },
    },
    status: 'Degraded',
    message: /ImagePullBackOff/,
  },
  {
    name: 'ErrImagePull is Degraded',
    patch: { status: { phase: 'Pending', conditions: notReady, containerStatuses: webStatus({ state: { waiting: { reason: 'ErrImagePull', message: 'rpc error: not found' } } }) } },
    status: 'Degraded',
  },
  {
    name: 'CreateContainerConfigError (a missing Secret) is Degraded',
    patch: {
      status: { phase: 'Pending', conditions: notReady, containerStatuses: webStatus({ state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "db-password" not found' } } }) },
    },
    status: 'Degraded',
    message: /secret "db-password" not found/,
  },
  {
    name: 'an init container in CrashLoopBackOff is Degraded',
    patch: {
      status: {
        phase: 'Pending',
        conditions: notReady,
        initContainerStatuses: [{ name: 'migrate', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } }, lastState: {} }],
        containerStatuses: webStatus({ state: { waiting: { reason: 'PodInitializing' } } }),
      },
    },
    status: 'Degraded',
    message: /container migrate/,
  },
  {
    name: 'ContainerCreating is Progressing',
    patch: { status: { phase: 'Pending', conditions: notReady, containerStatuses: webStatus({ state: { waiting: { reason: 'ContainerCreating' } } }) } },
    status: 'Progressing',
    message: /web ContainerCreating/,
  },
  {
    name: 'unschedulable is Progressing with the scheduler message',
    patch: {
      spec: { nodeName: undefined },
      status: {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }],
        containerStatuses: undefined, hostIP: undefined, podIP: undefined, startTime: undefined,
      },
    },
    status: 'Progressing',
    message: /Unschedulable: 0\/3 nodes are available/,
  },
  {
    name: 'Running, not ready, never restarted is Progressing',
    patch: { status: { conditions: notReady, containerStatuses: webStatus({ started: true, state: { running: { startedAt: '2030-01-01T10:00:05Z' } } }) } },
    status: 'Progressing',
    message: /ready: web/,
  },
  {
    name: 'Running, not ready, after a restart is Degraded',
    patch: {
      status: {
        conditions: notReady,
        containerStatuses: webStatus({
          restartCount: 1,
          state: { running: { startedAt: '2030-01-01T10:04:00Z' } },
          lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2030-01-01T10:00:05Z', finishedAt: '2030-01-01T10:03:59Z' } },
        }),
      },
    },
    status: 'Degraded',
    message: /web restarted.*OOMKilled, code 137/,
  },
  { name: 'Succeeded is Healthy', patch: { spec: { restartPolicy: 'Never' }, status: { phase: 'Succeeded', conditions: notReady } }, status: 'Healthy' },
  {
    name: 'Failed (evicted) is Degraded with the reason',
    patch: { status: { phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 87Mi.', conditions: notReady } },
    status: 'Degraded',
    message: /^Evicted: The node was low on resource: memory/,
  },
  {
    name: 'Failed with an OOMKilled container and no pod message is Degraded, naming the container',
    patch: {
      spec: { restartPolicy: 'Never' },
      status: { phase: 'Failed', conditions: notReady, containerStatuses: webStatus({ state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }) },
    },
    status: 'Degraded',
    message: /web was OOMKilled/,
  },
  {
    name: 'Failed with a non-zero exit code is Degraded',
    patch: {
      spec: { restartPolicy: 'Never' },
      status: { phase: 'Failed', conditions: notReady, containerStatuses: webStatus({ state: { terminated: { exitCode: 2, reason: 'Error' } } }) },
    },
    status: 'Degraded',
    message: /exit code 2/,
  },
  {
    name: 'restartPolicy Never: Running (even Ready) is Progressing until it succeeds',
    patch: { spec: { restartPolicy: 'Never' } },
    status: 'Progressing',
    message: /restartPolicy Never/,
  },
  { name: 'restartPolicy OnFailure: Running is Progressing', patch: { spec: { restartPolicy: 'OnFailure' } }, status: 'Progressing' },
  { name: 'restartPolicy unset means Always', patch: { spec: { restartPolicy: undefined } }, status: 'Healthy' },
  { name: 'phase Unknown (node lost) is Unknown', patch: { status: { phase: 'Unknown', conditions: notReady } }, status: 'Unknown' },
  { name: 'no status is Unknown', patch: { status: undefined }, status: 'Unknown' },
];

describe('Pod health', () => {
  for (const { name, patch, status, message } of cases) {
    test(name, () => {
      const health = objectHealth(patched(fixture('pod'), patch));
      assert.equal(health.status, status, health.message);
      if (message !== undefined) assert.match(health.message, message);
    });
  }
});
