import type { Manifest } from '../render/manifest.ts';
import { conditions, reasonAndMessage, record, string, type ConditionView } from './fields.ts';
import type { HealthStatus } from './health-status.ts';
import type { HealthOptions } from './service-health.ts';

// autoscaling/v1 has no conditions field: the controller stores them in this annotation as JSON.
const V1_CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';

function hpaConditions(obj: Manifest): ConditionView[] {
  const fromStatus = conditions(record(obj.status).conditions);
  if (fromStatus.length > 0) return fromStatus;
  const annotation = string(record(obj.metadata.annotations)[V1_CONDITIONS_ANNOTATION]);
  if (annotation === undefined) return [];
  try {
    return conditions(JSON.parse(annotation));
  } catch {
    return [];
  }
}

// AbleToScale False means the controller cannot read or write the target's scale
// (FailedGetScale, FailedUpdateScale); ScalingActive False with a Failed*/Invalid* reason means it
// cannot compute a replica count (FailedGetResourceMetric, InvalidSelector, …). ScalingActive False
// with ScalingDisabled (the target was scaled to 0) is deliberate, not a failure.
function isFailing(condition: ConditionView): boolean {
  if (condition.status !== 'False') return false;
  if (condition.type === 'AbleToScale') return condition.reason.startsWith('Failed');
  if (condition.type === 'ScalingActive') return condition.reason.startsWith('Failed') || condition.reason.startsWith('Invalid') || condition.reason === 'AmbiguousSelector';
  return false;
}

// The reasons the HPA controller gives when it cannot read resource metrics (CPU, memory).
const RESOURCE_METRIC_REASONS = new Set(['FailedGetResourceMetric', 'FailedGetContainerResourceMetric']);
// ...and what its message says when the cause is the metrics API itself, not the pods (a pod
// without a CPU request fails with the same reason and must stay Degraded).
const NO_METRICS_API = /metrics API|metrics\.k8s\.io|unable to (get|fetch) metrics/i;

/** Whether a failing condition says only that the resource metrics API is not there. */
function isMissingMetricsApi(condition: ConditionView): boolean {
  return condition.type === 'ScalingActive' && RESOURCE_METRIC_REASONS.has(condition.reason) && NO_METRICS_API.test(condition.message);
}

const NO_METRICS = 'no resource metrics: this cluster serves no metrics API (simulated cluster), so the autoscaler keeps the current replica count';

/**
 * HorizontalPodAutoscaler (v2 `status.conditions`, or v1's conditions annotation): a failing
 * AbleToScale or ScalingActive condition → Degraded; no conditions yet → Progressing; AbleToScale
 * True and ScalingActive True (or False with ScalingDisabled) → Healthy; else Progressing.
 * ScalingLimited only says the count hit min or max, so it does not count.
 *
 * Where the cluster serves no resource metrics (`servesResourceMetrics: false`, a kwok cluster),
 * an HPA whose only failure is that the metrics API is missing is Healthy with a note: it would
 * otherwise be Degraded forever there, and so would every app with an HPA.
 */
export function hpaHealth(obj: Manifest, options: HealthOptions = {}): HealthStatus {
  const list = hpaConditions(obj);
  const failing = list.filter(isFailing);
  if (failing.length > 0 && options.servesResourceMetrics === false && failing.every(isMissingMetricsApi)) return { status: 'Healthy', message: NO_METRICS };
  const first = failing[0];
  if (first !== undefined) return { status: 'Degraded', message: reasonAndMessage(first) };
  const able = list.find((condition) => condition.type === 'AbleToScale');
  const active = list.find((condition) => condition.type === 'ScalingActive');
  if (able?.status === 'True' && (active?.status === 'True' || active?.reason === 'ScalingDisabled')) {
    return { status: 'Healthy', message: active.message };
  }
  return { status: 'Progressing', message: 'waiting for the autoscaler to compute a scale' };
}
