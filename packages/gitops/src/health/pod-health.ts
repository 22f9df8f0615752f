import type { Manifest } from '../render/manifest.ts';
import { array, conditions, findCondition, isRecord, number, reasonAndMessage, record, string, type JsonRecord } from './fields.ts';
import type { HealthStatus } from './health-status.ts';

// Waiting reasons that will not clear by waiting alone: image pulls (ErrImagePull, ImagePullBackOff,
// InvalidImageName), bad config (CreateContainerConfigError, CreateContainerError), crash loops
// (CrashLoopBackOff). Argo CD's rule, by pattern, plus InvalidImageName which the pattern misses.
// ContainerCreating and PodInitializing are normal waiting.
function isWaitingError(reason: string): boolean {
  return reason.startsWith('Err') || reason.endsWith('Error') || reason.endsWith('BackOff') || reason === 'InvalidImageName';
}

function containerStatuses(status: JsonRecord): JsonRecord[] {
  return [...array(status.initContainerStatuses), ...array(status.containerStatuses)].filter(isRecord);
}

function describeWaiting(container: JsonRecord): string | undefined {
  const waiting = record(record(container.state).waiting);
  const reason = string(waiting.reason);
  if (reason === undefined || !isWaitingError(reason)) return undefined;
  return `container ${string(container.name) ?? '?'}: ${reasonAndMessage({ reason, message: string(waiting.message) ?? '' })}`;
}

function describeTermination(container: JsonRecord, terminated: JsonRecord): string | undefined {
  const name = string(container.name) ?? '?';
  const message = string(terminated.message);
  if (message !== undefined && message !== '') return `container ${name}: ${message}`;
  const reason = string(terminated.reason);
  const exitCode = number(terminated.exitCode) ?? 0;
  if (reason === 'OOMKilled') return `container ${name} was OOMKilled`;
  if (exitCode !== 0) return `container ${name} failed with exit code ${exitCode}${reason === undefined ? '' : ` (${reason})`}`;
  return undefined;
}

function failedPodMessage(status: JsonRecord): string {
  const own = reasonAndMessage({ reason: string(status.reason) ?? '', message: string(status.message) ?? '' });
  if (own !== '') return own;
  for (const container of containerStatuses(status)) {
    const message = describeTermination(container, record(record(container.state).terminated));
    if (message !== undefined) return message;
  }
  return 'pod failed';
}

function pendingPodMessage(status: JsonRecord): string {
  const scheduled = findCondition(conditions(status.conditions), 'PodScheduled');
  if (scheduled?.status === 'False') return reasonAndMessage(scheduled);
  const waiting = containerStatuses(status)
    .map((container) => `${string(container.name) ?? '?'} ${string(record(record(container.state).waiting).reason) ?? 'waiting'}`)
    .join(', ');
  return string(status.message) ?? (waiting === '' ? 'pod is pending' : `waiting for containers: ${waiting}`);
}

/**
 * Pod:
 * - a container (or init container) waiting with an error reason (CrashLoopBackOff,
 *   ImagePullBackOff, ErrImagePull, CreateContainerConfigError, …) → Degraded, for any phase;
 * - phase Pending → Progressing (with the scheduler's or the containers' reason);
 * - Succeeded → Healthy; Failed → Degraded with the pod's reason or the failing container's;
 * - Running with `restartPolicy` Never or OnFailure → Progressing (such a pod runs to completion,
 *   so it is healthy only once it Succeeded);
 * - Running with `restartPolicy` Always: Ready → Healthy; not ready and a container restarted →
 *   Degraded; else Progressing;
 * - phase Unknown (the node stopped reporting) or absent → Unknown.
 */
export function podHealth(obj: Manifest): HealthStatus {
  const spec = record(obj.spec);
  const status = record(obj.status);
  const restartPolicy = string(spec.restartPolicy) ?? 'Always';
  const errors = containerStatuses(status)
    .map(describeWaiting)
    .filter((message) => message !== undefined);
  if (errors.length > 0) return { status: 'Degraded', message: errors.join('; ') };

  const phase = string(status.phase);
  switch (phase) {
    case 'Pending':
      return { status: 'Progressing', message: pendingPodMessage(status) };
    case 'Succeeded':
      return { status: 'Healthy', message: string(status.message) ?? 'pod completed' };
    case 'Failed':
      return { status: 'Degraded', message: failedPodMessage(status) };
    case 'Running': {
      if (restartPolicy !== 'Always') return { status: 'Progressing', message: `pod is running (restartPolicy ${restartPolicy}: healthy once it succeeds)` };
      if (findCondition(conditions(status.conditions), 'Ready')?.status === 'True') return { status: 'Healthy', message: string(status.message) ?? 'pod is running and ready' };
      for (const container of array(status.containerStatuses).filter(isRecord)) {
        const terminated = record(container.lastState).terminated;
        if (isRecord(terminated)) {
          return { status: 'Degraded', message: `container ${string(container.name) ?? '?'} restarted and is not ready${describeRestart(terminated)}` };
        }
      }
      const notReady = array(status.containerStatuses)
        .filter(isRecord)
        .filter((container) => container.ready !== true)
        .map((container) => string(container.name) ?? '?');
      return { status: 'Progressing', message: notReady.length > 0 ? `waiting for containers to be ready: ${notReady.join(', ')}` : 'waiting for the pod to be ready' };
    }
    default:
      return { status: 'Unknown', message: string(status.message) ?? (phase === undefined ? 'pod phase not reported' : `pod phase is ${phase}`) };
  }
}

function describeRestart(terminated: JsonRecord): string {
  const reason = string(terminated.reason);
  const exitCode = number(terminated.exitCode);
  if (reason === undefined && exitCode === undefined) return '';
  return ` (last exit: ${[reason, exitCode === undefined ? undefined : `code ${exitCode}`].filter((part) => part !== undefined).join(', ')})`;
}
