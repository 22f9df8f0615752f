import { APPLICATION_FINALIZER, parseSyncRequest, SYNC_REQUEST_ANNOTATION, type Application, type SyncRequest } from '@beamline/api';
import { addFinalizer, hasFinalizer, isDeleting } from '@beamline/kube';
import type { Reconciler, ReconcileRequest, Result } from '@beamline/reconcile';
import { RESOURCES } from '../resources.ts';
import { finalize } from './finalize.ts';
import { comparePhase } from './phases/compare.ts';
import { decidePhase } from './phases/decide.ts';
import { destinationPhase } from './phases/destination.ts';
import { settlePhase } from './phases/settle.ts';
import { sourcePhase } from './phases/source.ts';
import { syncPhase } from './phases/sync.ts';
import { newAppState, newScope, writeStatus, type AppState, type ApplicationReconcilerDeps, type ApplicationScope, type Phase } from './scope.ts';

export { SELF_HEAL_GRACE_MS } from './decide-sync.ts';
export { HISTORY_LIMIT } from './phases/sync.ts';
export type { ApplicationReconcilerDeps } from './scope.ts';

/** The reconciler of Applications; `refresh` marks apps whose source must be checked now (webhooks). */
export interface ApplicationReconciler extends Reconciler<Application> {
  /** Makes the next reconcile of the app check its source, whatever its interval says. */
  markForRefresh(request: ReconcileRequest): void;
  /** The tree id of the app's folder as last loaded, if any. */
  loadedTree(request: ReconcileRequest): string | undefined;
}

/**
 * The phases of a pass, in order; each may end the pass. Hooks run inside the sync, as the
 * engine orders them (PreSync, waves, PostSync).
 */
const PHASES: readonly Phase[] = [destinationPhase, sourcePhase, comparePhase, decidePhase, syncPhase, settlePhase];

/**
 * The Application reconciler: destination → source → prepare/compare → decide → sync → settle →
 * status, as phases over one scope per pass (see docs/design/gitops-controller.md).
 * Level-based like every Beamline reconciler: it reads the app, the destination's watch caches
 * and its own memory of loaded sources, and acts on what it finds.
 */
export function applicationReconciler(deps: ApplicationReconcilerDeps): ApplicationReconciler {
  const states = new Map<string, AppState>();
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;

  const stateOf = (key: string): AppState => {
    let state = states.get(key);
    if (state === undefined) {
      state = newAppState();
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
      return reconcilePhases(newScope(app, stateOf(key), context, deps, now(), random, pendingRequest(app)));
    },
  };
}

/**
 * Runs the phases over the scope, with the one status write of the pass deferred to its end.
 * The status is written whenever the pass observed something to report (also when a phase then
 * throws, as a destination that stops answering during the compare does); a pass cancelled or cut
 * short by an unexpected error before that leaves the stored status as it is, and is retried.
 */
async function reconcilePhases(scope: ApplicationScope): Promise<Result> {
  try {
    for (const phase of PHASES) {
      const result = await phase(scope);
      if (result !== undefined) return result;
    }
    return {};
  } finally {
    if (scope.observed !== undefined) await writeStatus(scope);
  }
}

/** The unhandled sync request of the annotation, if any. */
function pendingRequest(app: Application): SyncRequest | undefined {
  const request = parseSyncRequest(app.metadata.annotations?.[SYNC_REQUEST_ANNOTATION]);
  return request === undefined || request.id === app.status?.lastHandledSyncRequest ? undefined : request;
}
