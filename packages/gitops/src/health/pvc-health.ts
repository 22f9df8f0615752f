import type { Manifest } from '../render/manifest.ts';
import { record, string } from './fields.ts';
import type { HealthStatus } from './health-status.ts';

/**
 * PersistentVolumeClaim by `status.phase`: Bound → Healthy; Pending → Progressing (also while a
 * `WaitForFirstConsumer` class waits for a pod); Lost → Degraded (its volume is gone); else Unknown.
 */
export function pvcHealth(obj: Manifest): HealthStatus {
  const phase = string(record(obj.status).phase);
  switch (phase) {
    case 'Bound':
      return { status: 'Healthy', message: '' };
    case 'Pending':
      return { status: 'Progressing', message: 'waiting for the claim to be bound' };
    case 'Lost':
      return { status: 'Degraded', message: 'the claim lost its volume' };
    default:
      return { status: 'Unknown', message: phase === undefined ? 'claim phase not reported' : `claim phase is ${phase}` };
  }
}
