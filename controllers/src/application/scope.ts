import type { Logger } from 'pino';
import type { Application, ApplicationStatus, HistoryEntry, SyncRequest } from '@beamline/api';
import type { InventoryEntry } from '@beamline/gitops';
import { patchStatus, type EventRecorder } from '@beamline/kube';
import type { ReconcileContext, Result } from '@beamline/reconcile';
import { conditionSet, type ConditionSet } from '../conditions.ts';
import { RESOURCES } from '../resources.ts';
import type { Comparison, PreparedObject } from './compare.ts';
import type { SyncDecision } from './decide-sync.ts';
import type { Destination, DestinationRegistry } from './destinations.ts';
import type { GitopsMetrics } from './metrics.ts';
import type { LoadedSource, SourceLoader } from './source-loader.ts';
import { computeApplicationStatus, type ApplicationObservation } from './status.ts';
import type { DeliveryScope } from './tenancy.ts';

/** What the controller remembers of an app between reconciles (rebuilt after a restart). */
export interface AppState {
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

/** A fresh memory of an app. */
export function newAppState(): AppState {
  return { specKey: '', loaded: undefined, nextRefreshAt: 0, forceRefresh: false, sourceFailures: 0, lastSyncAt: 0, writtenVersion: undefined, prepared: undefined, destinationFailures: 0 };
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

/**
 * One reconcile of one app: what the phases read and what they found, filled in phase by phase
 * (Cluster API's `scope`, Flux's reconcile of a Kustomization). The status being built is written
 * once, at the end of the pass, when the pass observed something to report.
 */
export interface ApplicationScope {
  /** The app as read at the start; its `status` follows this pass's writes (the Running write). */
  readonly app: Application;
  /** `namespace/name`. */
  readonly appKey: string;
  readonly state: AppState;
  readonly context: ReconcileContext<Application>;
  readonly deps: ApplicationReconcilerDeps;
  readonly logger: Logger;
  /** Now, in ms, fixed for the pass. */
  readonly now: number;
  readonly random: () => number;
  /** `performance.now()` when the pass started (metrics, logs). */
  readonly startedAt: number;
  /** The status being built, starting from the stored one. */
  readonly status: ApplicationStatus;
  /** The owned conditions being built. */
  readonly conditions: ConditionSet;
  /** The unhandled sync request of the annotation, if any. */
  readonly request: SyncRequest | undefined;

  /** Destination phase: where the app's project may deliver, and as whom (tenancy). */
  delivery?: DeliveryScope;
  /** Destination phase: the cluster to deliver to. */
  destination?: Destination;
  /** Source phase: the history entry a rollback request goes back to. */
  rollback?: HistoryEntry;
  /** Source phase: the objects to deliver, and whether they were loaded anew in this pass. */
  loaded?: LoadedSource;
  refreshed: boolean;
  /** Compare phase: the desired objects, the inventory, and how they compare with the destination. */
  desired?: PreparedObject[];
  inventory?: InventoryEntry[];
  comparison?: Comparison;
  /** Decide phase: sync or not. */
  decision?: SyncDecision;
  /** Sync phase: the versions the sync applied, and those the watch caches showed before it (for the settle phase). */
  synced?: { readonly applied: ReadonlyMap<string, string>; readonly versionsBefore: ReadonlyMap<string, string | undefined> };
  /** What the status reports; the status is written at the end of the pass when it is set. */
  observed?: ApplicationObservation;
}

/** A new scope for one pass over `app`. */
export function newScope(
  app: Application,
  state: AppState,
  context: ReconcileContext<Application>,
  deps: ApplicationReconcilerDeps,
  now: number,
  random: () => number,
  request: SyncRequest | undefined,
): ApplicationScope {
  return {
    app,
    appKey: `${app.metadata.namespace ?? 'default'}/${app.metadata.name ?? ''}`,
    state,
    context,
    deps,
    logger: context.logger,
    now,
    random,
    startedAt: performance.now(),
    status: structuredClone(app.status ?? {}),
    conditions: conditionSet(app.status?.conditions, app.metadata.generation, new Date(now)),
    request,
    refreshed: false,
  };
}

/** Records what the pass observed: the sync and health fields now (later phases compare them), the conditions for the write. */
export function observe(scope: ApplicationScope, observed: ApplicationObservation): void {
  const computed = computeApplicationStatus(observed);
  if (computed.sync !== undefined) scope.status.sync = { ...computed.sync };
  if (computed.health !== undefined) scope.status.health = { ...computed.health };
  for (const condition of computed.conditions) scope.conditions.set(condition.type, condition.status, condition.reason, condition.message);
  scope.observed = observed;
}

/**
 * Writes the status being built (a no-op when nothing changed): at the end of the pass, and for
 * a long sync also as it starts (`Running`, for crash safety).
 */
export async function writeStatus(scope: ApplicationScope): Promise<void> {
  scope.status.observedGeneration = scope.app.metadata.generation;
  scope.status.conditions = scope.conditions.conditions();
  const written = await patchStatus(scope.context.kubeConfig, scope.app, scope.status as Record<string, unknown>, { resource: RESOURCES.application, signal: scope.context.signal });
  // Later writes of this pass compare against what is stored now.
  if (written !== undefined && written !== scope.app) {
    (scope.app as { status?: ApplicationStatus }).status = structuredClone(scope.status);
    scope.state.writtenVersion = written.metadata.resourceVersion;
  }
}

/** When to look again: the next refresh (the destination's watches and webhooks wake it sooner), or an earlier retry. */
export function nextPass(scope: ApplicationScope, retryAt?: number): Result {
  const refreshIn = Math.max(0, scope.state.nextRefreshAt - scope.now);
  const retryIn = retryAt === undefined ? Number.POSITIVE_INFINITY : Math.max(0, retryAt - scope.now);
  return { requeueAfterMs: Math.max(100, Math.min(refreshIn, retryIn)) };
}

/** Ends a sync request that could not start. */
export function finishRequest(scope: ApplicationScope, request: SyncRequest, message: string, initiatedBy: 'manual' | 'rollback' = request.rollbackTo === undefined ? 'manual' : 'rollback'): void {
  const at = new Date(scope.now).toISOString();
  scope.status.operationState = {
    phase: 'Error',
    message,
    startedAt: at,
    finishedAt: at,
    initiatedBy,
    syncRequest: request.id,
    ...(request.rollbackTo === undefined ? {} : { rollbackTo: request.rollbackTo }),
  };
  scope.status.lastHandledSyncRequest = request.id;
  scope.deps.metrics.syncTotal.inc({ result: 'Error', initiated_by: initiatedBy });
}

/** A phase: undefined = go on with the next one; a result = the pass ends here. */
export type Phase = (scope: ApplicationScope) => Promise<Result | undefined>;
