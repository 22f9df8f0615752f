import type { Manifest } from '../render/manifest.ts';
import { conditions, findCondition, reasonAndMessage, record } from './fields.ts';
import type { HealthStatus } from './health-status.ts';

/**
 * CustomResourceDefinition: Terminating True → Progressing; NamesAccepted False (a name clash) →
 * Degraded; NonStructuralSchema True → Degraded; Established True → Healthy; else (just created,
 * not yet served) → Progressing. gitops-engine calls a CRD that is not Established Degraded; right
 * after an apply that is normal, so here it is Progressing until a condition says otherwise.
 */
export function crdHealth(obj: Manifest): HealthStatus {
  const list = conditions(record(obj.status).conditions);
  const terminating = findCondition(list, 'Terminating');
  if (terminating?.status === 'True') return { status: 'Progressing', message: `crd is being deleted: ${reasonAndMessage(terminating)}` };
  const names = findCondition(list, 'NamesAccepted');
  if (names?.status === 'False') return { status: 'Degraded', message: `crd names were not accepted: ${reasonAndMessage(names)}` };
  const nonStructural = findCondition(list, 'NonStructuralSchema');
  if (nonStructural?.status === 'True') return { status: 'Degraded', message: `crd schema is not structural: ${reasonAndMessage(nonStructural)}` };
  const established = findCondition(list, 'Established');
  if (established?.status === 'True') return { status: 'Healthy', message: '' };
  return { status: 'Progressing', message: established === undefined ? 'waiting for the crd to be established' : `waiting for the crd to be established: ${reasonAndMessage(established)}` };
}

// Available=False reasons that waiting will not fix: the Service exists but has no port the
// APIService names. The others (ServiceNotFound, MissingEndpoints, EndpointsNotFound,
// FailedDiscoveryCheck, …) are what an APIService shows while its backend starts, since it is
// applied in the same sync as the Deployment serving it.
const APISERVICE_FAILURES = new Set(['ServicePortError']);

/**
 * APIService: Available True → Healthy; Available False with reason ServicePortError → Degraded;
 * other Available False reasons, or no condition yet → Progressing.
 */
export function apiServiceHealth(obj: Manifest): HealthStatus {
  const available = findCondition(conditions(record(obj.status).conditions), 'Available');
  if (available === undefined) return { status: 'Progressing', message: 'waiting for the aggregator to check the api service' };
  if (available.status === 'True') return { status: 'Healthy', message: reasonAndMessage(available) };
  if (APISERVICE_FAILURES.has(available.reason)) return { status: 'Degraded', message: reasonAndMessage(available) };
  return { status: 'Progressing', message: reasonAndMessage(available) };
}
