import { healthSeverity, type HealthStatus, type HealthStatusCode } from './health-status.ts';

/** The health of one resource of an Application, under a name people recognise. */
export interface ResourceHealth {
  /** Names the resource in messages: {@link objectKey} (`apps/Deployment/team-a/web`) or similar. */
  readonly resource: string;
  readonly health: HealthStatus;
}

/**
 * The health of a set of resources (an Application): the worst status wins, in the order of
 * {@link HEALTH_ORDER} (Degraded > Missing > Unknown > Progressing > Suspended > Healthy), and the
 * message names the first resource with that status, its own message, and how many others share it.
 * No resources at all is Healthy.
 */
export function aggregateHealth(list: readonly ResourceHealth[]): HealthStatus {
  let worst: ResourceHealth | undefined;
  const counts = new Map<HealthStatusCode, number>();
  for (const entry of list) {
    counts.set(entry.health.status, (counts.get(entry.health.status) ?? 0) + 1);
    if (worst === undefined || healthSeverity(entry.health.status) > healthSeverity(worst.health.status)) worst = entry;
  }
  if (worst === undefined) return { status: 'Healthy', message: 'no resources' };
  const status = worst.health.status;
  if (status === 'Healthy') return { status, message: `${list.length} ${list.length === 1 ? 'resource' : 'resources'} healthy` };
  const others = (counts.get(status) ?? 1) - 1;
  const detail = worst.health.message === '' ? status.toLowerCase() : worst.health.message;
  const more = others === 0 ? '' : ` (and ${others} more ${status})`;
  return { status, message: `${worst.resource}: ${detail}${more}` };
}
