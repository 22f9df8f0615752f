import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import {
  APPLICATION_FINALIZER,
  ConditionReason,
  ConditionType,
  parseSyncRequest,
  REFRESH_ANNOTATION,
  SYNC_REQUEST_ANNOTATION,
  TRACKING_ANNOTATION,
  trackedApplication,
  trackingId,
  type Application,
  type Cluster,
  type ApplicationStatus,
  type HistoryEntry,
  type OperationState,
  type ResourceResult,
  type ResourceStatus,
  type SyncRequest,
} from '@beamline/api';
import { isRenderError, isSourceError, objectKey, syncObjects, type InventoryEntry, type KubeObject, type ResultEntry, type TrackingOptions } from '@beamline/gitops';
import { addFinalizer, hasFinalizer, isDeleting, patchStatus, removeFinalizer, type ResourceType, type ReconcileContext, type Reconciler, type ReconcileRequest, type Result } from '@beamline/reconcile';
import { conditionSet } from '../conditions.ts';
import { RESOURCES } from '../resources.ts';
import { compare, entryStatus, prepareDesired, type Comparison, type PreparedObject } from './compare.ts';
import type { Destination, DestinationRegistry } from './destinations.ts';
import type { EventRecorder } from './events.ts';
import type { GitopsMetrics } from './metrics.ts';
import type { LoadedSource, LoadTimings, SourceLoader } from './source-loader.ts';
import { redactSource } from './source-credentials.ts';

const NAMESPACES: ResourceType = { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };

/** A sync still applying after this long is shown as `Running` in status. */
const RUNNING_AFTER_MS = 500;
/** The longest a pass waits after a sync for the watch caches to show what it wrote. */
const WATCH_CATCH_UP_MS = 2_000;

/** History entries kept in status. */
export const HISTORY_LIMIT = 10;
/** After a sync, drift is healed only once this long has passed: the watch caches catch up with the sync's own writes first. */
export const SELF_HEAL_GRACE_MS = 1_000;
/** The first wait after a failed fetch or render; it doubles up to the refresh interval. */
const SOURCE_RETRY_MS = 5_000;
/** The wait while the destination cluster is missing or not ready (its changes wake the app sooner). */
const DESTINATION_WAIT_MS = 15_000;
/** Jitter of the refresh interval: ±10 %, so apps created together do not refresh together forever. */
const JITTER = 0.1;

/** What the controller remembers of an app between reconciles (rebuilt after a restart). */
interface AppState {
  /** `metadata.generation` and the deploy namespace the loaded source is for. */
  specKey: string;
  loaded: LoadedSource | undefined;
  nextRefreshAt: number;
  /** A webhook asked for a refresh. */
  forceRefresh: boolean;
  sourceFailures: number;
  lastSyncAt: number;
  /** The resourceVersion of this controller's last status write. */
  writtenVersion: string | undefined;
  /** The desired objects prepared for the destination, and what they were prepared from. */
  prepared: { readonly key: string; readonly objects: PreparedObject[] } | undefined;
  /**
   * Automated syncs in a row that failed because of the destination (connection refused, not
   * Ready): they back off by this count but do not use up the retry limit. Memory only.
   */
  destinationFailures: number;
}

/** What the reconciler needs, shared with the controller that owns it. */
export interface ApplicationReconcilerDeps {
  readonly loader: SourceLoader;
  readonly destinations: DestinationRegistry;
  readonly events: EventRecorder;
  readonly metrics: GitopsMetrics;
  /** Now, in ms (tests may move it). */
  readonly now?: () => number;
  /** In [0, 1): the jitter source. */
  readonly random?: () => number;
}

/** The reconciler of Applications; `refresh` marks apps whose source must be checked now (webhooks). */
export interface ApplicationReconciler extends Reconciler<Application> {
  /** Makes the next reconcile of the app check its source, whatever its interval says. */
  markForRefresh(request: ReconcileRequest): void;
  /** The tree id of the app's folder as last loaded, if any. */
  loadedTree(request: ReconcileRequest): string | undefined;
}

const keyOf = (app: { metadata: { namespace?: string; name?: string } }): string => `${app.metadata.namespace ?? 'default'}/${app.metadata.name ?? ''}`;

/**
 * The Application reconciler: source → render → compare → apply → prune → health → status.
 * Level-based like every Beamline reconciler: it reads the app, the destination's watch caches
 * and its own memory of loaded sources, and acts on what it finds. See docs/design/gitops-controller.md.
 */
export function applicationReconciler(deps: ApplicationReconcilerDeps): ApplicationReconciler {
  const states = new Map<string, AppState>();
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;

  const stateOf = (key: string): AppState => {
    let state = states.get(key);
    if (state === undefined) {
      state = { specKey: '', loaded: undefined, nextRefreshAt: 0, forceRefresh: false, sourceFailures: 0, lastSyncAt: 0, writtenVersion: undefined, prepared: undefined, destinationFailures: 0 };
      states.set(key, state);
    }
    return state;
  };

  return {
    name: 'application',
    markForRefresh: (request) => {
      stateOf(`${request.namespace ?? 'default'}/${request.name}`).forceRefresh = true;
    },
    loadedTree: (request) => states.get(`${request.namespace ?? 'default'}/${request.name}`)?.loaded?.treeId,
    async reconcile(request, context): Promise<Result> {
      const key = `${request.namespace ?? 'default'}/${request.name}`;
      let app = context.root();
      // The cache may not have seen this controller's last status write yet: a pass starting from
      // an older status would write history and operations back over newer ones. Read it live
      // whenever the cache is not at the version this controller last wrote.
      const written = states.get(key)?.writtenVersion;
      if (app !== undefined && written !== undefined && app.metadata.resourceVersion !== written) {
        app = await context.client.get<Application>(RESOURCES.application, request.name, request.namespace, { signal: context.signal });
      }
      if (app === undefined) {
        states.delete(key);
        return {};
      }
      if (isDeleting(app)) {
        states.delete(key);
        return finalize(app, context, deps);
      }
      if (!hasFinalizer(app, APPLICATION_FINALIZER)) {
        await addFinalizer(context.kubeConfig, app, APPLICATION_FINALIZER, { resource: RESOURCES.application, signal: context.signal });
        return {};
      }
      return new Pass(app, stateOf(key), context, deps, now(), random).run();
    },
  };
}

/** One reconcile of one app. */
class Pass {
  readonly app: Application;
  readonly state: AppState;
  readonly context: ReconcileContext<Application>;
  readonly deps: ApplicationReconcilerDeps;
  readonly now: number;
  readonly random: () => number;
  readonly logger: Logger;
  readonly status: ApplicationStatus;
  readonly conditions: ReturnType<typeof conditionSet>;
  readonly appKey: string;

  constructor(app: Application, state: AppState, context: ReconcileContext<Application>, deps: ApplicationReconcilerDeps, now: number, random: () => number) {
    this.app = app;
    this.state = state;
    this.context = context;
    this.deps = deps;
    this.now = now;
    this.random = random;
    this.logger = context.logger;
    this.status = structuredClone(app.status ?? {});
    this.conditions = conditionSet(app.status?.conditions, app.metadata.generation, new Date(now));
    this.appKey = keyOf(app);
  }

  async run(): Promise<Result> {
    const app = this.app;
    const passStarted = performance.now();
    const request = pendingRequest(app);
    const lookup = await this.deps.destinations.lookup(app, clusterFromCache(this.context));
    if (!lookup.ready) {
      this.setNotReady(ConditionReason.DestinationNotReady, lookup.message, false);
      this.status.sync = { status: 'Unknown', ...(this.status.sync?.revision === undefined ? {} : { revision: this.status.sync.revision }) };
      if (request !== undefined) this.finishRequest(request, 'Error', `sync not started: ${lookup.message}`);
      await this.writeStatus();
      return { requeueAfterMs: DESTINATION_WAIT_MS };
    }
    const destination = lookup.destination;
    // The inventory belongs to the cluster it was applied to: a changed destination leaves it there.
    await this.leaveOldDestination(request);

    // Source: the target revision, or a history entry for a rollback.
    const rollback = request?.rollbackTo === undefined ? undefined : this.historyEntry(request.rollbackTo);
    if (request?.rollbackTo !== undefined) {
      const refusal = rollback === undefined ? `no history entry ${request.rollbackTo} (ids: ${(app.status?.history ?? []).map((entry) => entry.id).join(', ') || 'none'})`
        : app.spec.syncPolicy?.automated !== undefined ? 'rollback refused: automated sync is on and would sync back to the target revision at once; turn it off first (beamline app rollback --disable-auto-sync)'
        : undefined;
      if (refusal !== undefined) {
        this.finishRequest(request, 'Error', refusal, 'rollback');
        this.deps.events.record(app, 'Warning', 'RollbackRefused', refusal);
        await this.writeStatus();
        return this.next();
      }
    }

    let loaded: LoadedSource;
    let refreshed = false;
    try {
      if (rollback !== undefined) {
        loaded = await this.deps.loader.load(rollback.source, { appName: app.metadata.name ?? '', namespace: app.spec.destination.namespace, appNamespace: app.metadata.namespace ?? 'default', revision: rollback.revision });
      } else {
        const result = await this.loadTarget(request !== undefined);
        loaded = result.loaded;
        refreshed = result.refreshed;
      }
    } catch (error) {
      return this.sourceFailed(error, request);
    }
    this.state.sourceFailures = 0;
    this.status.sourceType = loaded.sourceType;

    const started = performance.now();
    const loadMs = started - passStarted;
    let desired: PreparedObject[];
    let comparison: Comparison;
    const stored = inventoryOf(this.status.resources);
    let inventory: InventoryEntry[];
    try {
      // Prepared once per render, destination and namespace: a pass woken by a watch event only compares.
      const preparedKey = `${loaded.renderKey}\0${destination.key}\0${app.spec.destination.namespace}\0${this.appKey}`;
      if (this.state.prepared?.key === preparedKey && rollback === undefined) {
        desired = this.state.prepared.objects;
      } else {
        desired = await prepareDesired(loaded.objects, { namespace: app.spec.destination.namespace, appKey: this.appKey, reader: destination, clusterName: app.spec.destination.cluster });
        // Only when every kind was found: a kind whose CRD arrives with this sync is looked up again.
        if (rollback === undefined && desired.every((prepared) => prepared.resource !== undefined)) this.state.prepared = { key: preparedKey, objects: desired };
      }
      await this.watchKinds(destination, desired, stored);
      // The inventory is what status lists plus what carries the app's tracking id in the watched
      // kinds: objects a sync wrote before a crash kept it from recording them are found again.
      inventory = mergeEntries(stored, destination.trackedBy(this.appKey));
      comparison = await compare(desired, inventory, { reader: destination, ignoreDifferences: app.spec.ignoreDifferences });
    } catch (error) {
      // The destination does not answer (or a watch cannot start): report, retry with backoff.
      const message = `failed to compare with destination ${app.spec.destination.cluster}: ${(error as Error).message}`;
      this.setNotReady(ConditionReason.DestinationNotReady, message, false);
      this.status.sync = { status: 'Unknown', revision: loaded.revision };
      if (request !== undefined) this.finishRequest(request, 'Error', message);
      await this.writeStatus();
      throw new Error(message, { cause: error });
    }
    this.deps.metrics.stageDuration.observe({ stage: 'compare' }, (performance.now() - started) / 1000);

    const decision = rollback !== undefined ? { sync: true as const, initiatedBy: 'rollback' as const, prune: request?.prune ?? false, retryCount: 0 }
      : this.decide(request, loaded, comparison);
    this.logger.debug(
      { revision: loaded.revision, sync: comparison.sync, outOfSync: comparison.outOfSync.length, extra: comparison.extra.length, decision, loadMs: Math.round(loadMs), compareMs: Math.round(performance.now() - started) },
      'compared',
    );
    if (decision.sync) {
      const regular = desired.filter((prepared) => prepared.hook !== true);
      const versionsBefore = new Map(
        regular.map(({ object, resource }) => [objectKey(object), resource === undefined ? undefined : destination.live(resource, object.metadata.name, object.metadata.namespace)?.metadata?.resourceVersion]),
      );
      const outcome = await this.sync(destination, desired, inventory, loaded, decision.initiatedBy, decision.prune, request, rollback, decision.retryCount ?? 0);
      if (outcome.result === 'aborted') return {};
      // Compare again once the watch caches show what the sync wrote (usually milliseconds;
      // bounded): comparing against the state before the sync would report drift that is not
      // there and cost another status write once the events arrive. An object still not seen
      // is Progressing, not Missing.
      await this.awaitWatches(destination, regular, outcome.applied, versionsBefore);
      const justApplied = new Set((this.status.operationState?.results ?? []).filter((entry) => entry.status === 'Synced').map((entry) => `${entry.kind}/${entry.namespace ?? ''}/${entry.name}`));
      comparison = await compare(desired, inventoryOf(this.status.resources), { reader: destination, ignoreDifferences: app.spec.ignoreDifferences, justApplied });
    }

    this.status.resources = comparison.resources;
    this.status.sync = { status: comparison.sync, revision: loaded.revision };
    this.status.health = comparison.health.message === '' ? { status: comparison.health.status } : { status: comparison.health.status, message: comparison.health.message };
    // reconciledAt moves with a sync, with any other change of status, and otherwise at most once
    // per refresh interval: a thousand apps refreshed by a push that changed nothing for them cost
    // no write each (Argo CD writes every refresh, and that write is its bottleneck).
    const previousAt = Date.parse(this.status.reconciledAt ?? '');
    const stale = Number.isNaN(previousAt) || this.now - previousAt >= (app.spec.refreshIntervalSeconds ?? 180) * 1000;
    const { reconciledAt: _kept, ...rest } = this.status;
    const { reconciledAt: _stored, ...storedRest } = app.status ?? {};
    const changed = !isDeepStrictEqual(stripUndefined(rest), stripUndefined(storedRest));
    if (decision.sync || (refreshed && (stale || changed)) || this.status.reconciledAt === undefined) this.status.reconciledAt = new Date(this.now).toISOString();
    this.setReadiness(comparison);
    await this.writeStatus();
    return this.next(decision.sync ? undefined : decision.retryAt);
  }

  /** The target source: reloaded when due (interval, spec change, webhook, refresh annotation), else the one in memory. */
  async loadTarget(requested: boolean): Promise<{ loaded: LoadedSource; refreshed: boolean }> {
    const app = this.app;
    const specKey = `${app.metadata.generation ?? 0}/${app.metadata.uid ?? ''}/${JSON.stringify(app.spec.source)}/${app.spec.destination.namespace}`;
    const refreshAnnotation = app.metadata.annotations?.[REFRESH_ANNOTATION];
    const refreshRequested = refreshAnnotation !== undefined && refreshAnnotation !== app.status?.lastHandledRefresh;
    const due = this.state.loaded === undefined || this.state.specKey !== specKey || this.state.forceRefresh || refreshRequested || requested || this.now >= this.state.nextRefreshAt;
    if (!due && this.state.loaded !== undefined) {
      this.deps.metrics.sourceTotal.inc({ result: 'cached' });
      return { loaded: this.state.loaded, refreshed: false };
    }
    // Asked for by a person (annotation, sync request): resolve the branch anew, not from the
    // few seconds other apps share (a webhook invalidated the repository itself already).
    if (refreshRequested || requested) this.deps.loader.invalidate(app.spec.source.repoURL);
    this.state.forceRefresh = false;
    const timings: LoadTimings = { fetchSeconds: 0, renderSeconds: 0 };
    const loaded = await this.deps.loader.load(app.spec.source, { appName: app.metadata.name ?? '', namespace: app.spec.destination.namespace, appNamespace: app.metadata.namespace ?? 'default', timings });
    this.deps.metrics.stageDuration.observe({ stage: 'fetch' }, timings.fetchSeconds);
    this.deps.metrics.stageDuration.observe({ stage: 'render' }, Math.max(0, timings.renderSeconds));
    this.deps.metrics.sourceTotal.inc({ result: 'loaded' });
    this.state.loaded = loaded;
    this.state.specKey = specKey;
    const intervalMs = (app.spec.refreshIntervalSeconds ?? 180) * 1000;
    this.state.nextRefreshAt = this.now + intervalMs * (1 - JITTER + 2 * JITTER * this.random());
    if (refreshAnnotation !== undefined) this.status.lastHandledRefresh = refreshAnnotation;
    return { loaded, refreshed: true };
  }

  /** Whether to sync now, started by what, with prune or not; or when to look again (a retry). */
  decide(request: SyncRequest | undefined, loaded: LoadedSource, comparison: Comparison):
    | { sync: true; initiatedBy: 'manual' | 'automated'; prune: boolean; retryCount?: number; retryAt?: undefined }
    | { sync: false; retryAt?: number } {
    const automated = this.app.spec.syncPolicy?.automated;
    if (request !== undefined) return { sync: true, initiatedBy: 'manual', prune: request.prune ?? automated?.prune ?? false };
    const last = this.app.status?.operationState;
    // A pass ends every operation it starts: one still Running here was cut short (the manager was
    // killed or stopped during the sync). Run it again even when everything is applied by now, or
    // it stays Running for good, missing from the history, and `app wait` never ends.
    if (automated !== undefined && last?.phase === 'Running') return { sync: true, initiatedBy: 'automated', prune: automated.prune ?? false };
    if (last?.phase === 'Running') {
      // Cut short, and auto-sync was turned off meanwhile: end it as interrupted rather than leave it Running.
      this.status.operationState = { ...last, phase: 'Error', message: 'interrupted: the manager stopped during the sync, and automated sync is off now', finishedAt: new Date(this.now).toISOString() };
    }
    if (automated === undefined) return { sync: false };
    const prune = automated.prune ?? false;
    const lastSynced = this.app.status?.history?.at(-1);
    // A changed destination is a new target too (entries written before destinations were recorded count as the same).
    const sameDestination = lastSynced?.destination === undefined || isDeepStrictEqual(lastSynced.destination, { cluster: this.app.spec.destination.cluster, namespace: this.app.spec.destination.namespace });
    const sameTarget = lastSynced !== undefined && lastSynced.revision === loaded.revision && isDeepStrictEqual(lastSynced.source, redactSource(this.app.spec.source)) && sameDestination;
    const retrying = last !== undefined && last.initiatedBy !== 'manual' && last.initiatedBy !== 'rollback' && (last.phase === 'Failed' || last.phase === 'Error') && last.revision === loaded.revision && !sameTarget;
    // Everything is in place, yet the last automated sync of this target failed (the destination
    // was resuming, say, and came back): one more sync records it as succeeded, so a stale Failed
    // operation does not stay in status for good. Otherwise a synced app needs nothing.
    if (comparison.sync === 'Synced' && !retrying) return { sync: false };
    // Only pruning left, and prune is off: nothing an automated sync would change.
    if (comparison.sync !== 'Synced' && comparison.outOfSync.length === 0 && !prune) return { sync: false };

    // The last automated sync of this very target failed: retry by the retry policy, then give up
    // until something changes. A failure the destination caused (connection refused, not Ready:
    // a cluster resuming after `beamline up`) backs off but does not use up the limit, so the app
    // syncs by itself once the cluster answers.
    if (last !== undefined && retrying) {
      const retry = this.app.spec.syncPolicy?.retry;
      const limit = retry?.limit ?? 5;
      const count = last.retryCount ?? 0;
      const destinationCaused = isDestinationFailure(last);
      if (!destinationCaused && count >= limit) return { sync: false };
      const attempts = destinationCaused ? Math.max(0, this.state.destinationFailures - 1) : count;
      const backoff = retry?.backoff ?? {};
      const delayS = Math.min((backoff.durationSeconds ?? 5) * (backoff.factor ?? 2) ** attempts, backoff.maxDurationSeconds ?? 180);
      const dueAt = Date.parse(last.finishedAt ?? last.startedAt) + delayS * 1000;
      if (this.now < dueAt) return { sync: false, retryAt: dueAt };
      return { sync: true, initiatedBy: 'automated', prune, retryCount: destinationCaused ? count : count + 1 };
    }
    if (!sameTarget) return { sync: true, initiatedBy: 'automated', prune };
    // The target is applied already: what differs is drift, healed only with selfHeal, and not
    // while the watch caches may still be catching up with the last sync.
    if (automated.selfHeal !== true) return { sync: false };
    const healAt = this.state.lastSyncAt + SELF_HEAL_GRACE_MS;
    if (this.now < healAt) return { sync: false, retryAt: healAt };
    return { sync: true, initiatedBy: 'automated', prune };
  }

  /** Applies and prunes; writes the operation (Running first, so a crash leaves nothing untracked). */
  async sync(
    destination: Destination,
    desired: readonly PreparedObject[],
    inventory: readonly InventoryEntry[],
    loaded: LoadedSource,
    initiatedBy: 'manual' | 'automated' | 'rollback',
    prune: boolean,
    request: SyncRequest | undefined,
    rollback: HistoryEntry | undefined,
    retryCount: number,
  ): Promise<{ readonly result: 'done'; readonly applied: ReadonlyMap<string, string> } | { readonly result: 'aborted' }> {
    const app = this.app;
    const startedAt = new Date(this.now).toISOString();
    const operation: OperationState = {
      phase: 'Running',
      message: `syncing ${desired.length} objects to ${app.spec.destination.cluster}/${app.spec.destination.namespace}`,
      startedAt,
      revision: loaded.revision,
      initiatedBy,
      ...(request === undefined ? {} : { syncRequest: request.id }),
      ...(rollback === undefined ? {} : { rollbackTo: rollback.id }),
      ...(retryCount > 0 ? { retryCount } : {}),
    };
    // The inventory grows before anything is written: a manager killed mid-sync leaves no object
    // that prune would not know about. It shrinks only after prune.
    this.status.operationState = operation;
    this.status.resources = mergeInventory(this.status.resources ?? [], desired.filter((prepared) => prepared.hook !== true).map((prepared) => prepared.object));
    this.conditions.set(ConditionType.Reconciling, 'True', ConditionReason.Progressing, operation.message ?? 'syncing');
    // `Running` (with the inventory about to grow) is written only for a sync that takes a while:
    // most finish in well under a second, and a thousand first syncs would otherwise cost a
    // thousand writes. Crash safety does not depend on it: objects carry the tracking id, and the
    // next pass finds them in the destination's watch caches (trackedBy).
    let runningWrite: Promise<void> | undefined;
    const runningTimer = setTimeout(() => {
      runningWrite = this.writeStatus().catch((error: unknown) => this.logger.debug({ err: (error as Error).message }, 'failed to write the Running operation'));
    }, RUNNING_AFTER_MS);

    const started = performance.now();
    let result;
    try {
      result = await syncObjects({
        client: destination.client,
        objects: desired.map((prepared) => prepared.object),
        inventory,
        prune,
        tracking: trackingFor(this.appKey, destination, desired),
        destinationName: app.spec.destination.cluster,
        health: { publishesAddresses: destination.publishesAddresses, servesResourceMetrics: destination.publishesAddresses },
        ...((await this.namespaceToCreate(destination)) === undefined ? {} : { createNamespace: app.spec.destination.namespace }),
        signal: this.context.signal,
      });
    } catch (error) {
      clearTimeout(runningTimer);
      await runningWrite;
      if (this.context.signal.aborted) return { result: 'aborted' };
      const message = `sync refused: ${(error as Error).message}`;
      this.finishOperation(operation, 'Error', message, [], request);
      this.deps.metrics.syncTotal.inc({ result: 'Error', initiated_by: initiatedBy });
      this.deps.events.record(app, 'Warning', 'SyncFailed', message);
      return { result: 'done', applied: new Map() };
    }
    clearTimeout(runningTimer);
    await runningWrite;
    const seconds = (performance.now() - started) / 1000;
    this.deps.metrics.stageDuration.observe({ stage: result.pruned.length > 0 ? 'prune' : 'apply' }, seconds);
    this.state.lastSyncAt = Date.now();
    const results = [...result.applied, ...result.pruned, ...result.failed, ...result.skipped].map(resultOf);
    const failed = result.failed.length > 0;
    this.state.destinationFailures = failed && result.failed.every((entry) => isDestinationError(entry.message ?? '')) ? this.state.destinationFailures + 1 : 0;
    const message = failed
      ? `${result.failed.length} of ${result.applied.length + result.pruned.length + result.failed.length + result.skipped.length} objects failed (${result.skipped.length} skipped): ${result.failed[0]?.message ?? ''}`
      : `applied ${result.applied.length}, pruned ${result.pruned.length}`;
    this.status.resources = result.inventory.map((entry) => ({ ...entryStatus(entry), status: 'Unknown' as const }));
    this.finishOperation(operation, failed ? 'Failed' : 'Succeeded', message, results, request);
    this.deps.metrics.syncTotal.inc({ result: failed ? 'Failed' : 'Succeeded', initiated_by: initiatedBy });
    if (failed) {
      this.deps.events.record(app, 'Warning', 'SyncFailed', message);
    } else {
      const history = [...(app.status?.history ?? [])];
      const id = (history.at(-1)?.id ?? 0) + 1;
      history.push({
        id,
        revision: loaded.revision,
        deployedAt: new Date().toISOString(),
        source: redactSource(rollback?.source ?? app.spec.source),
        destination: { cluster: app.spec.destination.cluster, namespace: app.spec.destination.namespace },
      });
      this.status.history = history.slice(-HISTORY_LIMIT);
      this.deps.events.record(app, 'Normal', 'Synced', `${initiatedBy} sync of ${shortRevision(loaded.revision)}: ${message}`);
    }
    const applied = new Map<string, string>();
    for (const entry of result.applied) if (entry.resourceVersion !== undefined) applied.set(entry.key, entry.resourceVersion);
    return { result: 'done', applied };
  }

  finishOperation(operation: OperationState, phase: 'Succeeded' | 'Failed' | 'Error', message: string, results: ResourceResult[], request: SyncRequest | undefined): void {
    this.status.operationState = { ...operation, phase, message, finishedAt: new Date().toISOString(), ...(results.length === 0 ? {} : { results }) };
    if (request !== undefined) this.status.lastHandledSyncRequest = request.id;
  }

  /** Ends a sync request that could not start. */
  finishRequest(request: SyncRequest, phase: 'Error', message: string, initiatedBy: 'manual' | 'rollback' = request.rollbackTo === undefined ? 'manual' : 'rollback'): void {
    const at = new Date(this.now).toISOString();
    this.status.operationState = {
      phase,
      message,
      startedAt: at,
      finishedAt: at,
      initiatedBy,
      syncRequest: request.id,
      ...(request.rollbackTo === undefined ? {} : { rollbackTo: request.rollbackTo }),
    };
    this.status.lastHandledSyncRequest = request.id;
    this.deps.metrics.syncTotal.inc({ result: phase, initiated_by: initiatedBy });
  }

  /** A fetch or render failure: a condition, no apply, no prune; tries again with backoff. */
  async sourceFailed(error: unknown, request: SyncRequest | undefined): Promise<Result> {
    if (this.context.signal.aborted) throw error;
    const fetch = isSourceError(error);
    const render = isRenderError(error);
    if (!fetch && !render) throw error;
    const reason = fetch ? ConditionReason.FetchFailed : ConditionReason.RenderFailed;
    const message = (error as Error).message;
    this.deps.metrics.sourceTotal.inc({ result: fetch ? 'fetch_failed' : 'render_failed' });
    this.setNotReady(reason, message, false);
    this.status.sync = { status: 'Unknown', ...(this.status.sync?.revision === undefined ? {} : { revision: this.status.sync.revision }) };
    if (request !== undefined) this.finishRequest(request, 'Error', `sync not started: ${message}`);
    this.deps.events.record(this.app, 'Warning', reason, message);
    await this.writeStatus();
    this.state.sourceFailures += 1;
    const intervalMs = (this.app.spec.refreshIntervalSeconds ?? 180) * 1000;
    const waitMs = Math.min(SOURCE_RETRY_MS * 2 ** (this.state.sourceFailures - 1), intervalMs);
    // The next pass must load again, not reuse what loaded before the failure.
    this.state.nextRefreshAt = this.now + waitMs;
    this.state.forceRefresh = true;
    return { requeueAfterMs: waitMs };
  }

  async watchKinds(destination: Destination, desired: readonly PreparedObject[], inventory: readonly InventoryEntry[]): Promise<void> {
    const kinds = new Map<string, ResourceType>();
    for (const { resource } of desired) if (resource !== undefined && !destination.watching(resource)) kinds.set(`${resource.plural}.${resource.apiVersion}`, resource);
    for (const entry of inventory) {
      try {
        const resource = await destination.resourceFor(entry.group === '' ? entry.version : `${entry.group}/${entry.version}`, entry.kind);
        if (!destination.watching(resource)) kinds.set(`${resource.plural}.${resource.apiVersion}`, resource);
      } catch {
        // A kind no longer served (its CRD is gone): nothing of it is left to see or prune.
      }
    }
    await Promise.all([...kinds.values()].map((resource) => destination.watch(resource, this.context.signal)));
  }

  /**
   * Waits (at most {@link WATCH_CATCH_UP_MS}) until the watch cache has caught up with each applied
   * object: it shows the version the apply returned, or any version other than the one it showed
   * before the sync (a controller may have written again since; resourceVersions are not ordered).
   */
  async awaitWatches(destination: Destination, desired: readonly PreparedObject[], applied: ReadonlyMap<string, string>, before: ReadonlyMap<string, string | undefined>): Promise<void> {
    const deadline = performance.now() + WATCH_CATCH_UP_MS;
    const pending = desired.filter((prepared) => prepared.resource !== undefined && applied.has(objectKey(prepared.object)));
    while (pending.length > 0 && performance.now() < deadline && !this.context.signal.aborted) {
      const behind = pending.filter(({ object, resource }) => {
        const key = objectKey(object);
        const version = resource === undefined ? undefined : destination.live(resource, object.metadata.name, object.metadata.namespace)?.metadata?.resourceVersion;
        return version === undefined || (version !== applied.get(key) && version === before.get(key));
      });
      if (behind.length === 0) return;
      pending.splice(0, pending.length, ...behind);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * The destination namespace when `createNamespace` is on and the namespace is not there (as the
   * destination's namespace watch sees it): applying an existing Namespace on every sync of every
   * app would be a write each for nothing.
   */
  async namespaceToCreate(destination: Destination): Promise<string | undefined> {
    if (this.app.spec.syncPolicy?.syncOptions?.createNamespace !== true) return undefined;
    const name = this.app.spec.destination.namespace;
    try {
      await destination.watch(NAMESPACES, this.context.signal);
    } catch {
      return name;
    }
    const live = destination.live(NAMESPACES, name);
    return live === undefined || live.metadata?.deletionTimestamp !== undefined ? name : undefined;
  }

  /**
   * When `destination.cluster` changed since the inventory was applied, its objects are on the
   * old cluster. They are pruned there when prune is on (automated prune, or a sync request with
   * prune), each only if it still carries this app's tracking id; otherwise they are left there,
   * with a Warning event `Orphaned` saying so. Either way the inventory starts afresh on the new
   * destination: the old entries must never be looked for (or pruned) there. Argo CD forgets them
   * silently (argoproj/argo-cd#9172). A failed prune throws: it is tried again with backoff.
   */
  async leaveOldDestination(request: SyncRequest | undefined): Promise<void> {
    const app = this.app;
    const current = app.spec.destination.cluster;
    const previous = this.status.inventoryDestination;
    this.status.inventoryDestination = current;
    if (previous === undefined || previous === current) return;
    const stored = inventoryOf(this.status.resources);
    const prune = request?.prune ?? app.spec.syncPolicy?.automated?.prune ?? false;
    const change = `destination changed from ${previous} to ${current}`;
    if (stored.length > 0 && prune) {
      const lookup = await this.deps.destinations.lookup(withCluster(app, previous), clusterFromCache(this.context));
      const gone = !lookup.ready && previous !== 'in-cluster' && this.context.cache.get(RESOURCES.cluster, previous, app.metadata.namespace) === undefined;
      if (lookup.ready) {
        const result = await syncObjects({
          client: lookup.destination.client,
          objects: [],
          inventory: stored,
          prune: true,
          tracking: trackingFor(this.appKey, lookup.destination, []),
          destinationName: previous,
          signal: this.context.signal,
        });
        if (result.failed.length > 0) {
          this.status.inventoryDestination = previous;
          throw new Error(`failed to prune ${result.failed.length} objects from the previous destination ${previous}: ${result.failed[0]?.message ?? ''}`);
        }
        const left = result.skipped.length === 0 ? '' : `; left ${result.skipped.length} that are not this application's any more`;
        this.deps.events.record(app, 'Normal', 'PrunedPreviousDestination', `${change}: deleted ${result.pruned.length} objects from ${previous}${left}`);
      } else if (gone) {
        this.deps.events.record(app, 'Normal', 'PrunedPreviousDestination', `${change}: Cluster ${previous} is gone, and its objects with it`);
      } else {
        this.deps.events.record(app, 'Warning', 'Orphaned', `${change}: ${stored.length} objects left on ${previous}, which cannot be reached (${lookup.message})`);
      }
    } else if (stored.length > 0) {
      this.deps.events.record(app, 'Warning', 'Orphaned', `${change}: ${stored.length} objects left on ${previous} (prune is off); delete them there, or turn prune on before changing the destination`);
    }
    this.status.resources = [];
  }

  historyEntry(id: number): HistoryEntry | undefined {
    return this.app.status?.history?.find((entry) => entry.id === id);
  }

  setNotReady(reason: string, message: string, stalled: boolean): void {
    this.conditions.set(ConditionType.Ready, 'False', reason, message);
    this.conditions.set(ConditionType.Reconciling, 'False', reason, message);
    this.conditions.set(ConditionType.Stalled, stalled ? 'True' : 'False', reason, message);
  }

  setReadiness(comparison: Comparison): void {
    const failed = this.status.operationState?.phase === 'Failed' || this.status.operationState?.phase === 'Error';
    const operationForTarget = this.status.operationState?.revision === this.status.sync?.revision;
    if (comparison.sync === 'OutOfSync') {
      const reason = failed && operationForTarget ? ConditionReason.SyncFailed : ConditionReason.OutOfSync;
      const message = failed && operationForTarget ? (this.status.operationState?.message ?? 'sync failed') : `${comparison.outOfSync.length + comparison.extra.length} objects out of sync`;
      this.conditions.set(ConditionType.Ready, 'False', reason, message);
      this.conditions.set(ConditionType.Reconciling, 'False', reason, message);
      this.conditions.set(ConditionType.Stalled, 'False', reason, message);
      return;
    }
    if (comparison.health.status !== 'Healthy') {
      const message = comparison.health.message || comparison.health.status;
      this.conditions.set(ConditionType.Ready, 'False', ConditionReason.NotHealthy, message);
      this.conditions.set(ConditionType.Reconciling, comparison.health.status === 'Progressing' ? 'True' : 'False', ConditionReason.Progressing, message);
      this.conditions.set(ConditionType.Stalled, 'False', ConditionReason.NotHealthy, message);
      return;
    }
    const message = `synced to ${shortRevision(this.status.sync?.revision ?? '')}; ${comparison.health.message}`;
    this.conditions.set(ConditionType.Ready, 'True', ConditionReason.Available, message);
    this.conditions.set(ConditionType.Reconciling, 'False', ConditionReason.Available, message);
    this.conditions.set(ConditionType.Stalled, 'False', ConditionReason.Available, message);
  }

  async writeStatus(): Promise<void> {
    this.status.observedGeneration = this.app.metadata.generation;
    this.status.conditions = this.conditions.conditions();
    const written = await patchStatus(this.context.kubeConfig, this.app, this.status as Record<string, unknown>, { resource: RESOURCES.application, signal: this.context.signal });
    // Later writes of this pass compare against what is stored now.
    if (written !== undefined && written !== this.app) {
      (this.app as { status?: ApplicationStatus }).status = structuredClone(this.status);
      this.state.writtenVersion = written.metadata.resourceVersion;
    }
  }

  /** When to look again: the next refresh (the destination's watches and webhooks wake it sooner). */
  next(retryAt?: number): Result {
    const refreshIn = Math.max(0, this.state.nextRefreshAt - this.now);
    const retryIn = retryAt === undefined ? Number.POSITIVE_INFINITY : Math.max(0, retryAt - this.now);
    return { requeueAfterMs: Math.max(100, Math.min(refreshIn, retryIn)) };
  }
}

/** Deletes (or orphans) an app's objects, then lets the Application go. */
async function finalize(app: Application, context: ReconcileContext<Application>, deps: ApplicationReconcilerDeps): Promise<Result> {
  if (!hasFinalizer(app, APPLICATION_FINALIZER)) return {};
  const inventory = inventoryOf(app.status?.resources);
  // The objects are where they were applied, which is not the spec's cluster when it changed since.
  const cluster = app.status?.inventoryDestination ?? app.spec.destination.cluster;
  if (app.spec.deletionPolicy !== 'Orphan' && inventory.length > 0) {
    const lookup = await deps.destinations.lookup(withCluster(app, cluster), clusterFromCache(context));
    if (!lookup.ready) {
      const clusterGone = context.cache.get(RESOURCES.cluster, cluster, app.metadata.namespace) === undefined && cluster !== 'in-cluster';
      if (!clusterGone) {
        context.logger.info({ reason: lookup.message }, 'waiting for the destination to delete the objects');
        return { requeueAfterMs: DESTINATION_WAIT_MS };
      }
      // The destination cluster is gone: so are the objects.
    } else {
      const appKey = `${app.metadata.namespace ?? 'default'}/${app.metadata.name ?? ''}`;
      const tracked = lookup.destination.trackedBy(appKey);
      // Each object is deleted only if it carries this app's tracking id when it is deleted: an
      // object another app delivers (or a person took over) stays.
      const result = await syncObjects({
        client: lookup.destination.client,
        objects: [],
        inventory: mergeEntries(inventory, tracked),
        prune: true,
        tracking: trackingFor(appKey, lookup.destination, []),
        destinationName: cluster,
        signal: context.signal,
      });
      if (result.failed.length > 0) {
        const first = result.failed[0];
        throw new Error(`failed to delete ${result.failed.length} objects of the application: ${first?.message ?? ''}`);
      }
      const left = result.skipped.length === 0 ? '' : `; left ${result.skipped.length} that are not this application's`;
      deps.events.record(app, 'Normal', 'Deleted', `deleted ${result.pruned.length} objects${left}`);
    }
  }
  await removeFinalizer(context.kubeConfig, app, APPLICATION_FINALIZER, { resource: RESOURCES.application, signal: context.signal });
  return {};
}

/** The app as if its destination were `cluster` (to look up the destination its inventory is in). */
function withCluster(app: Application, cluster: string): Application {
  return cluster === app.spec.destination.cluster ? app : { ...app, spec: { ...app.spec, destination: { ...app.spec.destination, cluster } } };
}

/**
 * The tracking options of a sync: the app's tracking ids, and the live objects of the
 * destination's watch caches for the conflict check before an apply.
 */
function trackingFor(appKey: string, destination: Destination, desired: readonly PreparedObject[]): TrackingOptions {
  const [appNamespace = '', appName = ''] = appKey.split('/');
  const resources = new Map<string, ResourceType>();
  for (const { object, resource } of desired) if (resource !== undefined && object.metadata.name !== undefined) resources.set(objectKey(object), resource);
  return {
    annotation: TRACKING_ANNOTATION,
    app: appKey,
    idOf: (entry) => trackingId(appNamespace, appName, entry),
    ownerOf: (id, entry) => trackedApplication(id, entry),
    live: (obj) => {
      const resource = resources.get(objectKey(obj));
      return resource === undefined ? undefined : destination.live(resource, obj.metadata.name, obj.metadata.namespace);
    },
  };
}

// What a destination that is down or resuming answers: connection errors, gateways, not Ready.
const DESTINATION_ERROR = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|socket hang up|fetch failed|other side closed|\b(502|503|504)\b|is not Ready|does not answer|currently unable to handle the request/;

/** Whether an error message says the destination could not be reached (rather than refusing an object). */
function isDestinationError(message: string): boolean {
  return DESTINATION_ERROR.test(message);
}

/** Whether an operation failed only because the destination could not be reached. */
function isDestinationFailure(operation: OperationState): boolean {
  const failed = (operation.results ?? []).filter((result) => result.status === 'Failed');
  if (failed.length === 0) return isDestinationError(operation.message ?? '');
  return failed.every((result) => isDestinationError(result.message ?? ''));
}

/** A copy without undefined fields (they are absent once written). */
function stripUndefined(record: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

/** Finds Clusters in the manager's cache. */
function clusterFromCache(context: ReconcileContext<Application>): (namespace: string, name: string) => Cluster | undefined {
  return (namespace, name) => context.cache.get<Cluster>(RESOURCES.cluster, name, namespace);
}

/** The unhandled sync request of the annotation, if any. */
function pendingRequest(app: Application): SyncRequest | undefined {
  const request = parseSyncRequest(app.metadata.annotations?.[SYNC_REQUEST_ANNOTATION]);
  return request === undefined || request.id === app.status?.lastHandledSyncRequest ? undefined : request;
}

function inventoryOf(resources: readonly ResourceStatus[] | undefined): InventoryEntry[] {
  return (resources ?? []).map((resource) => ({
    group: resource.group ?? '',
    version: resource.version,
    kind: resource.kind,
    ...(resource.namespace === undefined ? {} : { namespace: resource.namespace }),
    name: resource.name,
  }));
}

/** Two inventories as one, each object once (the first list's entry wins). */
function mergeEntries(first: readonly InventoryEntry[], second: readonly InventoryEntry[]): InventoryEntry[] {
  const merged = new Map<string, InventoryEntry>();
  for (const entry of [...first, ...second]) {
    const key = `${entry.group}/${entry.kind}/${entry.namespace ?? ''}/${entry.name}`;
    if (!merged.has(key)) merged.set(key, entry);
  }
  return [...merged.values()];
}

/** The stored inventory plus the objects about to be applied (as Unknown until compared). */
function mergeInventory(stored: readonly ResourceStatus[], objects: readonly KubeObject[]): ResourceStatus[] {
  const merged = new Map<string, ResourceStatus>();
  const keyOfEntry = (entry: Omit<ResourceStatus, 'status'>): string => `${entry.group ?? ''}/${entry.kind}/${entry.namespace ?? ''}/${entry.name}`;
  for (const resource of stored) merged.set(keyOfEntry(resource), resource);
  for (const obj of objects) {
    const slash = obj.apiVersion.indexOf('/');
    const entry = entryStatus({
      group: slash === -1 ? '' : obj.apiVersion.slice(0, slash),
      version: slash === -1 ? obj.apiVersion : obj.apiVersion.slice(slash + 1),
      kind: obj.kind,
      ...(obj.metadata.namespace === undefined ? {} : { namespace: obj.metadata.namespace }),
      name: obj.metadata.name,
    });
    if (!merged.has(keyOfEntry(entry))) merged.set(keyOfEntry(entry), { ...entry, status: 'OutOfSync' });
  }
  return [...merged.values()];
}

function resultOf(entry: ResultEntry): ResourceResult {
  return {
    kind: entry.kind,
    name: entry.name,
    ...(entry.namespace === undefined ? {} : { namespace: entry.namespace }),
    status: entry.status,
    ...(entry.message === undefined ? {} : { message: entry.message.slice(0, 4096) }),
  };
}

function shortRevision(revision: string): string {
  return /^[0-9a-f]{40}$/.test(revision) ? revision.slice(0, 7) : revision;
}

