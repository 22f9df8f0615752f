import type { Manifest } from '../render/manifest.ts';
import { describeObject, HELM_HOOK_ANNOTATION, HELM_HOOK_WEIGHT_ANNOTATION } from './hooks.ts';
import { apiGroup } from './object-key.ts';

/** The annotation that puts an object in a sync wave: an integer, `0` when absent, may be negative. */
export const SYNC_WAVE_ANNOTATION = 'beamline.dev/sync-wave';
/** Argo CD's sync-wave annotation, honoured the same way when Beamline's own is absent. */
export const ARGO_SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/**
 * Kinds in the order they are applied within a wave: Helm's install order (which Argo CD uses too),
 * except that Namespaces and CustomResourceDefinitions come first, since every namespaced object
 * needs its Namespace and every custom resource its CRD. Kinds not listed (custom resources, mostly)
 * come after all of these.
 */
export const KIND_ORDER: readonly string[] = [
  'Namespace',
  'CustomResourceDefinition',
  'PriorityClass',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];

const KIND_RANK = new Map(KIND_ORDER.map((kind, index) => [kind, index]));

/** The objects of one sync wave, in the order to apply (or prune) them. */
export interface SyncWave<T extends Manifest = Manifest> {
  readonly wave: number;
  readonly objects: readonly T[];
}

const INTEGER = /^[+-]?\d+$/;

/**
 * The sync wave of an object, from its `beamline.dev/sync-wave` annotation, else Argo CD's
 * `argocd.argoproj.io/sync-wave`, else (for a Helm hook) `helm.sh/hook-weight`; `0` when none is
 * set. Throws when the annotation used is not an integer, naming the object, the annotation and
 * the value.
 */
export function syncWave(obj: Manifest): number {
  const annotations = obj.metadata.annotations;
  const all = typeof annotations === 'object' && annotations !== null ? (annotations as Record<string, unknown>) : {};
  const name = [SYNC_WAVE_ANNOTATION, ARGO_SYNC_WAVE_ANNOTATION].find((key) => all[key] !== undefined) ??
    (all[HELM_HOOK_ANNOTATION] !== undefined && all[HELM_HOOK_WEIGHT_ANNOTATION] !== undefined ? HELM_HOOK_WEIGHT_ANNOTATION : undefined);
  if (name === undefined) return 0;
  const value = all[name];
  const text = typeof value === 'string' ? value.trim() : undefined;
  const wave = text !== undefined && INTEGER.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(wave)) {
    throw new Error(`invalid ${name} annotation ${JSON.stringify(value)} on ${describeObject(obj)}: must be an integer, e.g. "-1" or "2"`);
  }
  return wave;
}

// Known kinds by rank (by kind alone, as Helm and Argo CD do), unknown kinds after them by group and
// kind, then by namespace and name: the result does not depend on the order the renderer produced.
function compareForApply(a: Manifest, b: Manifest): number {
  const rankA = KIND_RANK.get(a.kind) ?? KIND_ORDER.length;
  const rankB = KIND_RANK.get(b.kind) ?? KIND_ORDER.length;
  if (rankA !== rankB) return rankA - rankB;
  const groupKindA = `${apiGroup(a.apiVersion)}/${a.kind}`;
  const groupKindB = `${apiGroup(b.apiVersion)}/${b.kind}`;
  if (groupKindA !== groupKindB) return groupKindA < groupKindB ? -1 : 1;
  const keyA = describeObject(a);
  const keyB = describeObject(b);
  return keyA < keyB ? -1 : keyA > keyB ? 1 : 0;
}

/**
 * Groups objects into sync waves, lowest wave first, and orders each wave by kind (see
 * {@link KIND_ORDER}), then by group, kind, namespace and name. Each wave should be applied, and
 * become healthy, before the next starts. Throws on an invalid sync-wave annotation.
 */
export function applyOrder<T extends Manifest>(objects: readonly T[]): SyncWave<T>[] {
  const byWave = new Map<number, T[]>();
  for (const obj of objects) {
    const wave = syncWave(obj);
    const list = byWave.get(wave);
    if (list === undefined) byWave.set(wave, [obj]);
    else list.push(obj);
  }
  return [...byWave.entries()]
    .sort(([a], [b]) => a - b)
    .map(([wave, list]) => ({ wave, objects: [...list].sort(compareForApply) }));
}

/**
 * The order to delete objects in: exactly {@link applyOrder} reversed, highest wave first and, within
 * a wave, custom resources before the CRDs that define them and Namespaces last.
 */
export function pruneOrder<T extends Manifest>(objects: readonly T[]): SyncWave<T>[] {
  return applyOrder(objects)
    .reverse()
    .map(({ wave, objects: list }) => ({ wave, objects: [...list].reverse() }));
}
