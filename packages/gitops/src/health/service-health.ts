import type { Manifest } from '../render/manifest.ts';
import { array, record, string } from './fields.ts';
import type { HealthStatus } from './health-status.ts';

function loadBalancerIngress(obj: Manifest): readonly unknown[] {
  return array(record(record(record(obj.status).loadBalancer)).ingress);
}

/** What the health rules need to know about the cluster an object lives in. */
export interface HealthOptions {
  /**
   * Whether something in the cluster publishes load-balancer and ingress addresses (a cloud
   * controller, an ingress controller). Default true, as Argo CD assumes. A simulated (kwok)
   * cluster has neither: waiting for an address there would keep an app Progressing forever.
   */
  readonly publishesAddresses?: boolean;
  /**
   * Whether the cluster serves the resource metrics API (metrics.k8s.io, from metrics-server).
   * Default true. A simulated (kwok) cluster does not: its HPAs cannot read CPU or memory use.
   */
  readonly servesResourceMetrics?: boolean;
}

const NO_PUBLISHER = 'no address: nothing in this cluster publishes load-balancer or ingress addresses (simulated cluster)';

/**
 * Service: type LoadBalancer without `status.loadBalancer.ingress` → Progressing (no address yet),
 * or Healthy with a note where nothing publishes addresses; every other Service → Healthy.
 */
export function serviceHealth(obj: Manifest, options: HealthOptions = {}): HealthStatus {
  if (string(record(obj.spec).type) !== 'LoadBalancer') return { status: 'Healthy', message: '' };
  if (loadBalancerIngress(obj).length === 0) {
    return options.publishesAddresses === false ? { status: 'Healthy', message: NO_PUBLISHER } : { status: 'Progressing', message: 'waiting for the load balancer to get an address' };
  }
  return { status: 'Healthy', message: '' };
}

/**
 * Ingress: `status.loadBalancer.ingress` set → Healthy, else Progressing, as in Argo CD (an ingress
 * controller that never publishes an address keeps its Ingresses Progressing), or Healthy with a
 * note where nothing publishes addresses.
 */
export function ingressHealth(obj: Manifest, options: HealthOptions = {}): HealthStatus {
  if (loadBalancerIngress(obj).length === 0) {
    return options.publishesAddresses === false ? { status: 'Healthy', message: NO_PUBLISHER } : { status: 'Progressing', message: 'waiting for the ingress controller to publish an address' };
  }
  return { status: 'Healthy', message: '' };
}
