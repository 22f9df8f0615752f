import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The results a reconcile is counted under. */
export const RECONCILE_RESULTS = ['success', 'error', 'requeue', 'terminal'] as const;

/** The result label of `beamline_reconcile_total`. */
export type ReconcileResultLabel = (typeof RECONCILE_RESULTS)[number];

/** The metrics a {@link Manager} keeps in its registry. */
export interface ManagerMetrics {
  /** `beamline_reconcile_total{controller,result}`. */
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  /** `beamline_reconcile_duration_seconds{controller}`. */
  readonly reconcileDuration: Histogram<'controller'>;
  /** `beamline_workqueue_depth{controller}`, read from the queues at scrape time. */
  readonly workqueueDepth: Gauge<'controller'>;
  /** `beamline_leader{identity}`: 1 while this process leads. */
  readonly leader: Gauge<'identity'>;
}

/**
 * Registers the manager's metrics in `registry`. `depths` is asked at every scrape for each
 * controller's queue depth, so the gauge is never stale and no code path has to remember to set it.
 */
export function createManagerMetrics(registry: Registry, depths: () => Iterable<readonly [string, number]>): ManagerMetrics {
  return {
    reconcileTotal: new Counter({
      name: 'beamline_reconcile_total',
      help: 'Reconciles by controller and result (success, error, requeue, terminal).',
      labelNames: ['controller', 'result'] as const,
      registers: [registry],
    }),
    reconcileDuration: new Histogram({
      name: 'beamline_reconcile_duration_seconds',
      help: 'How long reconciles take, by controller.',
      labelNames: ['controller'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    workqueueDepth: new Gauge({
      name: 'beamline_workqueue_depth',
      help: 'Keys waiting in the work queue to be reconciled, by controller.',
      labelNames: ['controller'] as const,
      registers: [registry],
      collect(this: Gauge<'controller'>) {
        for (const [controller, depth] of depths()) this.set({ controller }, depth);
      },
    }),
    leader: new Gauge({
      name: 'beamline_leader',
      help: 'Whether this manager process is the leader (1) or a standby (0).',
      labelNames: ['identity'] as const,
      registers: [registry],
    }),
  };
}
