/**
 * The health of one object:
 * - `Healthy`: it does what it is for;
 * - `Progressing`: not yet, but it is getting there (a rollout, a pending claim);
 * - `Degraded`: it failed, or will not get there without someone acting;
 * - `Suspended`: deliberately paused (a paused Deployment, a suspended Job);
 * - `Missing`: it should exist and does not;
 * - `Unknown`: the rules cannot tell (e.g. a Pod whose node stopped reporting).
 */
export type HealthStatusCode = 'Healthy' | 'Progressing' | 'Degraded' | 'Suspended' | 'Missing' | 'Unknown';

/** The health of an object and why, for people. */
export interface HealthStatus {
  readonly status: HealthStatusCode;
  /** Lowercase, without a trailing period; may be empty when the status says it all. */
  readonly message: string;
}

/**
 * Health codes from best to worst, the order {@link aggregateHealth} uses: Healthy < Suspended <
 * Progressing < Unknown < Missing < Degraded. Degraded is worst because it is certain and needs
 * someone to act; Missing next, since a sync is needed; Unknown above Progressing because "getting
 * there" would promise more than we know; Suspended below Progressing because a pause is deliberate.
 */
export const HEALTH_ORDER: readonly HealthStatusCode[] = ['Healthy', 'Suspended', 'Progressing', 'Unknown', 'Missing', 'Degraded'];

/** The rank of a code in {@link HEALTH_ORDER}: higher is worse. */
export function healthSeverity(status: HealthStatusCode): number {
  return HEALTH_ORDER.indexOf(status);
}
