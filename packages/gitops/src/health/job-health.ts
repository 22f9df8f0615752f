import type { Manifest } from '../render/manifest.ts';
import { conditions, findCondition, number, reasonAndMessage, record } from './fields.ts';
import type { HealthStatus } from './health-status.ts';

/**
 * Job: condition Failed True → Degraded with its reason and message (BackoffLimitExceeded,
 * DeadlineExceeded, …); Complete True → Healthy; Suspended True or `spec.suspend` → Suspended; else
 * Progressing. Unlike gitops-engine, a Suspended condition that is False (a resumed Job) counts as
 * running, not finished.
 */
export function jobHealth(obj: Manifest): HealthStatus {
  const spec = record(obj.spec);
  const status = record(obj.status);
  const list = conditions(status.conditions);
  const failed = findCondition(list, 'Failed');
  if (failed?.status === 'True') return { status: 'Degraded', message: reasonAndMessage(failed) || 'job failed' };
  const complete = findCondition(list, 'Complete');
  if (complete?.status === 'True') return { status: 'Healthy', message: complete.message || 'job completed' };
  const suspended = findCondition(list, 'Suspended');
  if (suspended?.status === 'True' || spec.suspend === true) return { status: 'Suspended', message: suspended?.message || 'job is suspended' };
  const active = number(status.active) ?? 0;
  const succeeded = number(status.succeeded) ?? 0;
  const failures = number(status.failed) ?? 0;
  return { status: 'Progressing', message: `job is running: ${active} active, ${succeeded} succeeded, ${failures} failed` };
}
