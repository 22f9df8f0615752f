import type { KubeObject } from '../render/kube-object.ts';
import { apiGroup } from '../plan/object-key.ts';
import { apiServiceHealth, crdHealth } from './api-health.ts';
import type { HealthStatus } from './health-status.ts';
import { hpaHealth } from './hpa-health.ts';
import { jobHealth } from './job-health.ts';
import { podHealth } from './pod-health.ts';
import { pvcHealth } from './pvc-health.ts';
import { ingressHealth, serviceHealth, type HealthOptions } from './service-health.ts';
import { daemonSetHealth, deploymentHealth, replicaSetHealth, statefulSetHealth } from './workload-health.ts';

type HealthRule = (obj: KubeObject, options: HealthOptions) => HealthStatus;

// By group and kind, so a custom resource that happens to be called `Deployment` is not read as one.
const RULES = new Map<string, HealthRule>([
  ['apps/Deployment', deploymentHealth],
  ['apps/StatefulSet', statefulSetHealth],
  ['apps/DaemonSet', daemonSetHealth],
  ['apps/ReplicaSet', replicaSetHealth],
  ['/Pod', podHealth],
  ['/Service', serviceHealth],
  ['/PersistentVolumeClaim', pvcHealth],
  ['batch/Job', jobHealth],
  ['networking.k8s.io/Ingress', ingressHealth],
  ['extensions/Ingress', ingressHealth],
  ['autoscaling/HorizontalPodAutoscaler', hpaHealth],
  ['apiextensions.k8s.io/CustomResourceDefinition', crdHealth],
  ['apiregistration.k8s.io/APIService', apiServiceHealth],
]);

/** Whether {@link objectHealth} has a rule for this kind (other kinds are Healthy once they exist). */
export function hasHealthRule(apiVersion: string, kind: string): boolean {
  return RULES.has(`${apiGroup(apiVersion)}/${kind}`);
}

/**
 * The health of a live object: `undefined` (not in the cluster) → Missing; being deleted
 * (`metadata.deletionTimestamp`) → Progressing; else the rule for its kind (Deployment, StatefulSet,
 * DaemonSet, ReplicaSet, Pod, Job, PersistentVolumeClaim, Service, Ingress, HorizontalPodAutoscaler,
 * CustomResourceDefinition, APIService; see docs/design/gitops-health-diff.md). Any other kind is
 * Healthy as soon as it exists: like Argo CD, which gives such kinds no health, it then cannot make
 * an Application look worse. Pure: reads only the object.
 */
export function objectHealth(obj: KubeObject | undefined, options: HealthOptions = {}): HealthStatus {
  if (obj === undefined) return { status: 'Missing', message: 'not found in the cluster' };
  if (typeof obj.metadata.deletionTimestamp === 'string') return { status: 'Progressing', message: 'pending deletion' };
  const rule = RULES.get(`${apiGroup(obj.apiVersion)}/${obj.kind}`);
  return rule === undefined ? { status: 'Healthy', message: '' } : rule(obj, options);
}
