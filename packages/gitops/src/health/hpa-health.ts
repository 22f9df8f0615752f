import type { KubeObject } from '../render/kube-object.ts';
import { conditions, reasonAndMessage, record, string, type ConditionView } from './fields.ts';
import type { HealthStatus } from './health-status.ts';

// autoscaling/v1 has no conditions field: the controller stores them in this annotation as JSON.
const V1_CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';

function hpaConditions(obj: KubeObject): ConditionView[] {
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

/**
 * HorizontalPodAutoscaler (v2 `status.conditions`, or v1's conditions annotation): a failing
 * AbleToScale or ScalingActive condition → Degraded; no conditions yet → Progressing; AbleToScale
 * True and ScalingActive True (or False with ScalingDisabled) → Healthy; else Progressing.
 * ScalingLimited only says the count hit min or max, so it does not count.
 */
export function hpaHealth(obj: KubeObject): HealthStatus {
  const list = hpaConditions(obj);
  const failing = list.find(isFailing);
  if (failing !== undefined) return { status: 'Degraded', message: reasonAndMessage(failing) };
  const able = list.find((condition) => condition.type === 'AbleToScale');
  const active = list.find((condition) => condition.type === 'ScalingActive');
  if (able?.status === 'True' && (active?.status === 'True' || active?.reason === 'ScalingDisabled')) {
    return { status: 'Healthy', message: active.message };
  }
  return { status: 'Progressing', message: 'waiting for the autoscaler to compute a scale' };
}
