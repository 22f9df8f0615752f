import type { KubeObject } from '../render/kube-object.ts';
import { array, record, string } from './fields.ts';
import type { HealthStatus } from './health-status.ts';

function loadBalancerIngress(obj: KubeObject): readonly unknown[] {
  return array(record(record(record(obj.status).loadBalancer)).ingress);
}

/**
 * Service: type LoadBalancer without `status.loadBalancer.ingress` → Progressing (no address yet);
 * every other Service → Healthy.
 */
export function serviceHealth(obj: KubeObject): HealthStatus {
  if (string(record(obj.spec).type) !== 'LoadBalancer') return { status: 'Healthy', message: '' };
  if (loadBalancerIngress(obj).length === 0) return { status: 'Progressing', message: 'waiting for the load balancer to get an address' };
  return { status: 'Healthy', message: '' };
}

/**
 * Ingress: `status.loadBalancer.ingress` set → Healthy, else Progressing, as in Argo CD. An ingress
 * controller that never publishes an address keeps its Ingresses Progressing.
 */
export function ingressHealth(obj: KubeObject): HealthStatus {
  if (loadBalancerIngress(obj).length === 0) return { status: 'Progressing', message: 'waiting for the ingress controller to publish an address' };
  return { status: 'Healthy', message: '' };
}
