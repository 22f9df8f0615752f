import { ConditionReason, REFRESH_ANNOTATION } from '@beamline/api';
import { isRenderError, isSourceError } from '@beamline/gitops';
import type { Result } from '@beamline/reconcile';
import { finishRequest, nextPass, observe, type ApplicationScope } from '../scope.ts';
import type { LoadedSource, LoadTimings } from '../source-loader.ts';

/** The first wait after a failed fetch or render; it doubles up to the refresh interval. */
const SOURCE_RETRY_MS = 5_000;
/** Jitter of the refresh interval: ±10 %, so apps created together do not refresh together forever. */
const JITTER = 0.1;

/**
 * Source phase: the target revision (reloaded when due, else the one in memory), or a history
 * entry for a rollback. A rollback that cannot be done ends the pass with the request refused; a
 * failed fetch or render ends it with a condition, nothing applied and nothing pruned.
 */
export async function sourcePhase(scope: ApplicationScope): Promise<Result | undefined> {
  const { app, request } = scope;
  if (request?.rollbackTo !== undefined) {
    const rollback = app.status?.history?.find((entry) => entry.id === request.rollbackTo);
    const refusal = rollback === undefined ? `no history entry ${request.rollbackTo} (ids: ${(app.status?.history ?? []).map((entry) => entry.id).join(', ') || 'none'})`
      : app.spec.syncPolicy?.automated !== undefined ? 'rollback refused: automated sync is on and would sync back to the target revision at once; turn it off first (beamline app rollback --disable-auto-sync)'
      : undefined;
    if (refusal !== undefined) {
      finishRequest(scope, request, refusal, 'rollback');
      scope.deps.events.record(app, 'Warning', 'RollbackRefused', refusal);
      observe(scope, { kind: 'RequestRefused' });
      return nextPass(scope);
    }
    scope.rollback = rollback;
  }
  let loaded: LoadedSource;
  try {
    if (scope.rollback !== undefined) {
      loaded = await scope.deps.loader.load(scope.rollback.source, { appName: app.metadata.name ?? '', namespace: app.spec.destination.namespace, appNamespace: app.metadata.namespace ?? 'default', revision: scope.rollback.revision });
    } else {
      loaded = await loadTarget(scope);
    }
  } catch (error) {
    return sourceFailed(scope, error);
  }
  scope.loaded = loaded;
  scope.state.sourceFailures = 0;
  scope.status.sourceType = loaded.sourceType;
  return undefined;
}

/** The target source: reloaded when due (interval, spec change, webhook, refresh annotation, sync request), else the one in memory. */
async function loadTarget(scope: ApplicationScope): Promise<LoadedSource> {
  const { app, state, deps } = scope;
  const requested = scope.request !== undefined;
  const specKey = `${app.metadata.generation ?? 0}/${app.metadata.uid ?? ''}/${JSON.stringify(app.spec.source)}/${app.spec.destination.namespace}`;
  const refreshAnnotation = app.metadata.annotations?.[REFRESH_ANNOTATION];
  const refreshRequested = refreshAnnotation !== undefined && refreshAnnotation !== app.status?.lastHandledRefresh;
  const due = state.loaded === undefined || state.specKey !== specKey || state.forceRefresh || refreshRequested || requested || scope.now >= state.nextRefreshAt;
  if (!due && state.loaded !== undefined) {
    deps.metrics.sourceTotal.inc({ result: 'cached' });
    return state.loaded;
  }
  // Asked for by a person (annotation, sync request): resolve the branch anew, not from the
  // few seconds other apps share (a webhook invalidated the repository itself already).
  if (refreshRequested || requested) deps.loader.invalidate(app.spec.source.repoURL);
  state.forceRefresh = false;
  const timings: LoadTimings = { fetchSeconds: 0, renderSeconds: 0 };
  const loaded: LoadedSource = await deps.loader.load(app.spec.source, { appName: app.metadata.name ?? '', namespace: app.spec.destination.namespace, appNamespace: app.metadata.namespace ?? 'default', timings });
  deps.metrics.stageDuration.observe({ stage: 'fetch' }, timings.fetchSeconds);
  deps.metrics.stageDuration.observe({ stage: 'render' }, Math.max(0, timings.renderSeconds));
  deps.metrics.sourceTotal.inc({ result: 'loaded' });
  state.loaded = loaded;
  state.specKey = specKey;
  const intervalMs = (app.spec.refreshIntervalSeconds ?? 180) * 1000;
  state.nextRefreshAt = scope.now + intervalMs * (1 - JITTER + 2 * JITTER * scope.random());
  if (refreshAnnotation !== undefined) scope.status.lastHandledRefresh = refreshAnnotation;
  scope.refreshed = true;
  return loaded;
}

/** A fetch or render failure: a condition, no apply, no prune; tries again with backoff. Any other error is thrown (a retry with backoff). */
function sourceFailed(scope: ApplicationScope, error: unknown): Result {
  if (scope.context.signal.aborted) throw error;
  const fetch = isSourceError(error);
  const render = isRenderError(error);
  if (!fetch && !render) throw error;
  const reason = fetch ? ConditionReason.FetchFailed : ConditionReason.RenderFailed;
  const message = (error as Error).message;
  scope.deps.metrics.sourceTotal.inc({ result: fetch ? 'fetch_failed' : 'render_failed' });
  observe(scope, { kind: 'SourceFailed', reason, message, ...(scope.status.sync?.revision === undefined ? {} : { previousRevision: scope.status.sync.revision }) });
  if (scope.request !== undefined) finishRequest(scope, scope.request, `sync not started: ${message}`);
  scope.deps.events.record(scope.app, 'Warning', reason, message);
  scope.state.sourceFailures += 1;
  const intervalMs = (scope.app.spec.refreshIntervalSeconds ?? 180) * 1000;
  const waitMs = Math.min(SOURCE_RETRY_MS * 2 ** (scope.state.sourceFailures - 1), intervalMs);
  // The next pass must load again, not reuse what loaded before the failure.
  scope.state.nextRefreshAt = scope.now + waitMs;
  scope.state.forceRefresh = true;
  return { requeueAfterMs: waitMs };
}
