import { Counter, Histogram, Registry } from 'prom-client';

/** The stages of an Application reconcile, as the `stage` label names them. */
export type GitopsStage = 'fetch' | 'render' | 'compare' | 'apply' | 'prune';

/** The GitOps controller's metrics. */
export interface GitopsMetrics {
  /** `beamline_gitops_stage_duration_seconds{stage}`: time spent per stage of a reconcile. */
  readonly stageDuration: Histogram<'stage'>;
  /** `beamline_gitops_sync_total{result, initiated_by}`: syncs by outcome (Succeeded, Failed, Error). */
  readonly syncTotal: Counter<'result' | 'initiated_by'>;
  /** `beamline_gitops_source_total{result}`: source loads by outcome (ok, fetch_failed, render_failed) and cache use (cached). */
  readonly sourceTotal: Counter<'result'>;
  /** `beamline_gitops_renders_total`: renders actually run (render cache misses). */
  readonly rendersTotal: Counter;
}

/**
 * Creates the GitOps metrics in a registry of their own; {@link ApplicationController.registerMetrics}
 * merges them into the manager's (`/metrics`). Reconcile totals and queue depth come from the
 * manager's own `beamline_reconcile_*` and `beamline_workqueue_depth{controller="application"}`.
 */
export function createGitopsMetrics(): { registry: Registry; metrics: GitopsMetrics } {
  const registry = new Registry();
  const metrics: GitopsMetrics = {
    stageDuration: new Histogram({
      name: 'beamline_gitops_stage_duration_seconds',
      help: 'Time spent per stage of an Application reconcile (fetch, render, compare, apply, prune).',
      labelNames: ['stage'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    syncTotal: new Counter({
      name: 'beamline_gitops_sync_total',
      help: 'Application syncs by result (Succeeded, Failed, Error) and what started them (automated, manual, rollback).',
      labelNames: ['result', 'initiated_by'],
      registers: [registry],
    }),
    sourceTotal: new Counter({
      name: 'beamline_gitops_source_total',
      help: 'Application source loads by result: loaded, cached (no refresh due), fetch_failed, render_failed.',
      labelNames: ['result'],
      registers: [registry],
    }),
    rendersTotal: new Counter({
      name: 'beamline_gitops_renders_total',
      help: 'Renders actually run (render cache misses): a commit that does not touch an app renders nothing for it.',
      registers: [registry],
    }),
  };
  return { registry, metrics };
}
