import type { Manifest } from '../render/manifest.ts';
import { conditions, findCondition, number, reasonAndMessage, record, string } from './fields.ts';
import type { HealthStatus } from './health-status.ts';

// The rollout rules follow `kubectl rollout status` (as Argo CD's gitops-engine does): a controller
// must first observe the latest generation, then the replica counts tell how far the rollout is.

/** Whether the controller has seen the latest spec: `status.observedGeneration >= metadata.generation`. */
export function generationObserved(obj: Manifest): boolean {
  const generation = number(obj.metadata.generation) ?? 0;
  const observed = number(record(obj.status).observedGeneration) ?? 0;
  return observed >= generation;
}

function progressing(message: string): HealthStatus {
  return { status: 'Progressing', message };
}

/**
 * Deployment: paused → Suspended; generation not yet observed → Progressing; Progressing condition
 * with reason ProgressDeadlineExceeded, or ReplicaFailure True → Degraded; fewer updated replicas
 * than `spec.replicas`, old replicas still running, or updated replicas not yet available →
 * Progressing; else Healthy (so `replicas: 0` is Healthy once the old pods are gone).
 */
export function deploymentHealth(obj: Manifest): HealthStatus {
  const spec = record(obj.spec);
  const status = record(obj.status);
  if (spec.paused === true) return { status: 'Suspended', message: 'deployment is paused' };
  if (!generationObserved(obj)) return progressing('waiting for the deployment controller to observe the latest generation');
  const list = conditions(status.conditions);
  const deadline = findCondition(list, 'Progressing');
  if (deadline?.reason === 'ProgressDeadlineExceeded') {
    return { status: 'Degraded', message: `rollout exceeded its progress deadline${deadline.message === '' ? '' : `: ${deadline.message}`}` };
  }
  const replicaFailure = findCondition(list, 'ReplicaFailure');
  if (replicaFailure?.status === 'True') return { status: 'Degraded', message: reasonAndMessage(replicaFailure) };
  const replicas = number(spec.replicas) ?? 1;
  const updated = number(status.updatedReplicas) ?? 0;
  const current = number(status.replicas) ?? 0;
  const available = number(status.availableReplicas) ?? 0;
  if (updated < replicas) return progressing(`waiting for rollout to finish: ${updated} of ${replicas} new replicas have been updated`);
  if (current > updated) return progressing(`waiting for rollout to finish: ${current - updated} old replicas are pending termination`);
  if (available < updated) return progressing(`waiting for rollout to finish: ${available} of ${updated} updated replicas are available`);
  return { status: 'Healthy', message: `${available} of ${replicas} replicas available` };
}

/**
 * StatefulSet: generation not yet observed → Progressing; fewer ready replicas than `spec.replicas`
 * → Progressing; `OnDelete` updates → Healthy (pods update only when deleted); with a
 * `rollingUpdate.partition`, fewer updated pods than `replicas - partition` → Progressing; without
 * one, `updateRevision` ≠ `currentRevision` → Progressing; else Healthy.
 */
export function statefulSetHealth(obj: Manifest): HealthStatus {
  const spec = record(obj.spec);
  const status = record(obj.status);
  const observed = number(status.observedGeneration) ?? 0;
  if (observed === 0 || !generationObserved(obj)) return progressing('waiting for the statefulset controller to observe the latest generation');
  const replicas = number(spec.replicas) ?? 1;
  const ready = number(status.readyReplicas) ?? 0;
  if (ready < replicas) return progressing(`waiting for ${replicas - ready} of ${replicas} pods to be ready`);
  const strategy = record(spec.updateStrategy);
  if (string(strategy.type) === 'OnDelete') return { status: 'Healthy', message: `${ready} pods ready (OnDelete: pods update when deleted)` };
  const partition = number(record(strategy.rollingUpdate).partition) ?? 0;
  const updated = number(status.updatedReplicas) ?? 0;
  const target = Math.max(replicas - partition, 0);
  if (updated < target) {
    return progressing(partition > 0
      ? `waiting for partitioned rollout to finish: ${updated} of ${target} new pods have been updated`
      : `waiting for rolling update to finish: ${updated} of ${replicas} pods have been updated`);
  }
  const updateRevision = string(status.updateRevision);
  const currentRevision = string(status.currentRevision);
  if (partition === 0 && updateRevision !== undefined && currentRevision !== undefined && updateRevision !== currentRevision) {
    return progressing(`waiting for rolling update to finish: ${updated} pods at revision ${updateRevision}`);
  }
  return { status: 'Healthy', message: partition > 0 ? `partitioned rollout complete: ${updated} new pods` : `${ready} pods ready` };
}

/**
 * DaemonSet: generation not yet observed → Progressing; `OnDelete` updates → Healthy; fewer
 * `updatedNumberScheduled` or `numberAvailable` than `desiredNumberScheduled` → Progressing; else
 * Healthy.
 */
export function daemonSetHealth(obj: Manifest): HealthStatus {
  const spec = record(obj.spec);
  const status = record(obj.status);
  if (!generationObserved(obj)) return progressing('waiting for the daemonset controller to observe the latest generation');
  const desired = number(status.desiredNumberScheduled) ?? 0;
  const updated = number(status.updatedNumberScheduled) ?? 0;
  const available = number(status.numberAvailable) ?? 0;
  if (string(record(spec.updateStrategy).type) === 'OnDelete') {
    return { status: 'Healthy', message: `${updated} of ${desired} pods updated (OnDelete: pods update when deleted)` };
  }
  if (updated < desired) return progressing(`waiting for rollout to finish: ${updated} of ${desired} new pods have been updated`);
  if (available < desired) return progressing(`waiting for rollout to finish: ${available} of ${desired} updated pods are available`);
  return { status: 'Healthy', message: `${available} of ${desired} pods available` };
}

/**
 * ReplicaSet: generation not yet observed → Progressing; ReplicaFailure True (e.g. a quota refused
 * its pods) → Degraded; fewer available replicas than `spec.replicas` → Progressing; else Healthy.
 */
export function replicaSetHealth(obj: Manifest): HealthStatus {
  const spec = record(obj.spec);
  const status = record(obj.status);
  if (!generationObserved(obj)) return progressing('waiting for the replicaset controller to observe the latest generation');
  const failure = findCondition(conditions(status.conditions), 'ReplicaFailure');
  if (failure?.status === 'True') return { status: 'Degraded', message: reasonAndMessage(failure) };
  const replicas = number(spec.replicas) ?? 1;
  const available = number(status.availableReplicas) ?? 0;
  if (available < replicas) return progressing(`waiting for rollout to finish: ${available} of ${replicas} replicas are available`);
  return { status: 'Healthy', message: `${available} of ${replicas} replicas available` };
}
