import type { Manifest } from '../render/manifest.ts';
import { apiGroup } from '../plan/object-key.ts';
import { apiServiceHealth, crdHealth } from './api-health.ts';
import { isRecord } from './fields.ts';
import type { HealthStatus } from './health-status.ts';
import { hpaHealth } from './hpa-health.ts';
import { jobHealth } from './job-health.ts';
import { podHealth } from './pod-health.ts';
import { pvcHealth } from './pvc-health.ts';
import { ingressHealth, serviceHealth, type HealthOptions } from './service-health.ts';
import { daemonSetHealth, deploymentHealth, replicaSetHealth, statefulSetHealth } from './workload-health.ts';

type HealthRule = (obj: Manifest, options: HealthOptions) => HealthStatus;

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
 *
 * Never throws, whatever it is given: live objects come from clusters anyone may write to (and
 * from CRDs without schemas), so a value that is not an object, a missing or non-object
 * `metadata`, or fields of the wrong type give `Unknown` (or what the rule makes of the rest),
 * never an exception that would stop the whole Application's status.
 */
export function objectHealth(obj: Manifest | undefined, options: HealthOptions = {}): HealthStatus {
  if (obj === undefined || obj === null) return { status: 'Missing', message: 'not found in the cluster' };
  if (!isRecord(obj)) return { status: 'Unknown', message: `not a kubernetes object (a ${Array.isArray(obj) ? 'list' : typeof obj})` };
  // Rules read `obj.metadata.x`: give them an object whatever the input holds.
  const safe: Manifest = isRecord(obj.metadata) ? obj : { ...obj, metadata: {} as Manifest['metadata'] };
  if (typeof safe.metadata.deletionTimestamp === 'string') return { status: 'Progressing', message: 'pending deletion' };
  const apiVersion = typeof safe.apiVersion === 'string' ? safe.apiVersion : '';
  const rule = typeof safe.kind === 'string' ? RULES.get(`${apiGroup(apiVersion)}/${safe.kind}`) : undefined;
  if (rule === undefined) return { status: 'Healthy', message: '' };
  try {
    return rule(safe, options);
  } catch (error) {
    // A rule that missed a shape: say so rather than fail the Application's status.
    return { status: 'Unknown', message: `health not computed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 256) };
  }
}
