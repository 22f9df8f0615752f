// The GitOps engine's parts so far: source (git mirrors), render (plain, kustomize, helm), apply and prune, health,
// diff and apply order. The Application kind, its controller and the CLI build on these.
export * from './source/index.ts';
export * from './render/index.ts';
export { aggregateHealth, type ResourceHealth } from './health/aggregate-health.ts';
export { HEALTH_ORDER, healthSeverity, type HealthStatus, type HealthStatusCode } from './health/health-status.ts';
export { hasHealthRule, objectHealth } from './health/object-health.ts';
export type { HealthOptions } from './health/service-health.ts';
export { DEFAULT_FIELD_MANAGER, diffObject, type DiffChange, type DiffOptions, type DiffResult } from './diff/diff-object.ts';
export { unifiedDiff, REDACTED_CHANGED, type UnifiedDiffOptions } from './diff/unified-diff.ts';
export { parseQuantity, quantitiesEqual } from './diff/quantity.ts';
export { applyOrder, ARGO_SYNC_WAVE_ANNOTATION, KIND_ORDER, pruneOrder, SYNC_WAVE_ANNOTATION, syncWave, type SyncWave } from './plan/apply-order.ts';
export {
  ARGO_HOOK_ANNOTATION,
  ARGO_HOOK_DELETE_POLICY_ANNOTATION,
  hasGeneratedName,
  HELM_HOOK_ANNOTATION,
  HOOK_OWNER_ANNOTATION,
  syncRole,
  type HookDeletePolicy,
  type HookPhase,
  type SyncRole,
} from './plan/hooks.ts';
export { DuplicateObjectsError, findDuplicates } from './plan/find-duplicates.ts';
export { apiGroup, objectKey } from './plan/object-key.ts';
export * from './apply/index.ts';
