import type { KubeClient } from '@beamline/kube';
import { applyOrder, pruneOrder, syncWave } from '../plan/apply-order.ts';
import { findDuplicates } from '../plan/find-duplicates.ts';
import { syncRole, type HookDeletePolicy, type HookPhase } from '../plan/hooks.ts';
import { apiGroup, objectKey } from '../plan/object-key.ts';
import type { Manifest } from '../render/manifest.ts';
import { inventoryEntryOf, inventoryKey, inventoryObject, type InventoryEntry } from './inventory.ts';
import { isCrd, isNamespace, mapLimit, resultOf, SyncRun, type ResultEntry } from './sync-run.ts';
import type { TrackingOptions } from './tracking.ts';

export type { ResultEntry, SyncStatus } from './sync-run.ts';

/** Options of {@link syncObjects}. */
export interface SyncObjectsOptions {
  /** A client for the destination cluster. */
  readonly client: KubeClient;
  /**
   * The desired objects. Namespaced objects must carry their namespace (the caller fills in the
   * Application's destination namespace); one without is Failed. Hooks (Argo CD's and Helm's hook
   * annotations) are run at their phase and never enter the inventory.
   */
  readonly objects: readonly Manifest[];
  /** What the application owned after its last successful sync. */
  readonly inventory: readonly InventoryEntry[];
  /** Delete inventory entries that are no longer desired (only when nothing failed). */
  readonly prune: boolean;
  /** A Namespace to server-side apply before anything else (not added to the inventory). */
  readonly createNamespace?: string;
  /** The server-side apply field manager; `beamline` by default. */
  readonly fieldManager?: string;
  /** Send every write with `dryRun=All`: validated and admitted by the apiserver, persisted nowhere. Hooks do not run. */
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
  /** How many objects of a wave are applied at once; 16 by default. */
  readonly concurrency?: number;
  /** How long to wait for a CRD to become Established; 30 s by default. */
  readonly establishTimeoutMs?: number;
  /**
   * The application's tracking id: with it nothing is deleted unless it carries the app's id, and
   * an object carrying another app's id is a conflict (Failed), not taken over. Production always
   * sets it; without it, prune deletes whatever the inventory names.
   */
  readonly tracking?: TrackingOptions;
  /** The destination's name for messages (`kind Rollout (argoproj.io/v1alpha1) is not served by cluster lab`). */
  readonly destinationName?: string;
  /** How long a hook may take to complete; 10 minutes by default. */
  readonly hookTimeoutMs?: number;
  /** How long PostSync hooks wait for the objects to become healthy; 5 minutes by default. */
  readonly healthTimeoutMs?: number;
  /** What the health rules should know of the destination (for the wait before PostSync hooks). */
  readonly health?: { readonly publishesAddresses?: boolean; readonly servesResourceMetrics?: boolean };
}

/** The outcome of {@link syncObjects}. */
export interface SyncObjectsResult {
  /** Objects applied (status `Synced`), in apply order; includes the `createNamespace` Namespace and hooks that succeeded. */
  readonly applied: ResultEntry[];
  /** Inventory entries deleted (or found already gone), in prune order. */
  readonly pruned: ResultEntry[];
  /** Objects whose apply, inventory entries whose delete, and hooks that failed. */
  readonly failed: ResultEntry[];
  /**
   * Objects not applied because an earlier wave (or a PreSync hook) failed, objects not applied at
   * all (hook `Skip`, unsupported Helm hooks, a generated name without a hook), hooks not run, and
   * inventory entries not deleted because they are not the app's any more.
   */
  readonly skipped: ResultEntry[];
  /**
   * The new inventory: the objects applied, plus every old entry that was not pruned (so nothing
   * that may still exist is forgotten), sorted by key. Hooks are never in it.
   */
  readonly inventory: InventoryEntry[];
}

interface Hook {
  readonly object: Manifest;
  readonly phases: readonly HookPhase[];
  readonly deletePolicies: readonly HookDeletePolicy[];
}

/**
 * Writes an Application's objects to its destination cluster, runs its hooks, and prunes what it
 * no longer renders.
 *
 * Refuses duplicates (throws {@link DuplicateObjectsError}), invalid sync-wave and hook
 * annotations before any write. Then: PreSync hooks, wave by wave, each run to completion (a
 * failure stops the sync); the objects wave by wave ({@link applyOrder}) with forced server-side
 * apply, Sync hooks after the objects of their wave; within a wave Namespaces and CRDs go first,
 * the CRDs are awaited until Established, and the rest is applied in parallel. A failed object
 * does not stop the rest of its wave, but later waves are Skipped and nothing is pruned. Then
 * prune; then, once the applied objects are healthy, PostSync hooks; after any failure, SyncFail
 * hooks. See docs/design/gitops-apply.md. Throws only for refused input or when `signal` aborts.
 */
export async function syncObjects(options: SyncObjectsOptions): Promise<SyncObjectsResult> {
  const run = new SyncRun(options);
  const applied: ResultEntry[] = [];
  const failed: ResultEntry[] = [];
  const skipped: ResultEntry[] = [];
  const newInventory = new Map<string, InventoryEntry>();
  const record = (entry: ResultEntry, obj?: Manifest): void => {
    if (entry.status === 'Synced') {
      applied.push(entry);
      if (obj !== undefined && entry.hook === undefined) newInventory.set(entry.key, inventoryEntryOf(obj));
    } else if (entry.status === 'Skipped') skipped.push(entry);
    else failed.push(entry);
  };

  // Sort the objects into ordinary ones and hooks (refusing bad annotations before any write).
  const objects: Manifest[] = [];
  const hooks: Hook[] = [];
  const notApplied: ResultEntry[] = [];
  for (const obj of options.objects) {
    const role = syncRole(obj);
    if (role.role === 'object') objects.push(obj);
    else if (role.role === 'hook') hooks.push({ object: obj, phases: role.phases, deletePolicies: role.deletePolicies });
    else notApplied.push(resultOf(obj, 'Skipped', `not applied: ${role.reason}`));
  }
  const duplicates = findDuplicates(objects);
  if (duplicates !== undefined) throw duplicates;
  const waves = applyOrder(objects);
  for (const hook of hooks) syncWave(hook.object);
  const hooksOf = (phase: HookPhase): Hook[] => hooks.filter((hook) => hook.phases.includes(phase));
  const runHooks = async (phase: HookPhase, list: readonly Hook[]): Promise<void> => {
    for (const { objects: wave } of applyOrder(list.map((hook) => hook.object))) {
      run.throwIfAborted();
      const results = await mapLimit(wave, run.concurrency, (obj) => {
        const hook = list.find((candidate) => candidate.object === obj) as Hook;
        return run.runHook(obj, phase, hook.deletePolicies);
      });
      results.forEach((entry) => record(entry));
      if (results.some((entry) => entry.status === 'Failed')) return;
    }
  };
  const skipHooks = (list: readonly Hook[], phase: HookPhase, why: string): void => {
    for (const hook of list) record({ ...resultOf(hook.object, 'Skipped', `${phase} hook not run: ${why}`), hook: phase });
  };
  notApplied.forEach((entry) => record(entry));

  if (options.createNamespace !== undefined) {
    const namespace: Manifest = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: options.createNamespace } };
    record(await run.apply(namespace));
  }

  // PreSync: all of them must complete before anything else is applied.
  if (failed.length === 0) await runHooks('PreSync', hooksOf('PreSync'));
  const preSyncFailed = failed.length > 0;

  // The objects, and the Sync hooks of each wave after its objects.
  const syncHooks = hooksOf('Sync');
  const waveNumbers = [...new Set([...waves.map(({ wave }) => wave), ...syncHooks.map((hook) => syncWave(hook.object))])].sort((a, b) => a - b);
  for (const number of waveNumbers) {
    run.throwIfAborted();
    const wave = waves.find((candidate) => candidate.wave === number)?.objects ?? [];
    const waveHooks = syncHooks.filter((hook) => syncWave(hook.object) === number);
    if (failed.length > 0) {
      const why = preSyncFailed ? 'not applied: a PreSync hook failed' : 'not applied: an earlier sync wave (or the destination namespace) failed';
      for (const obj of wave) record(resultOf(obj, 'Skipped', why));
      skipHooks(waveHooks, 'Sync', why.replace('not applied: ', ''));
      continue;
    }
    // Namespaces and CRDs first (KIND_ORDER puts them at the head of the wave): the rest of the
    // wave may live in those namespaces or be custom resources of those CRDs.
    const first = wave.filter((obj) => isNamespace(obj) || isCrd(obj));
    const rest = wave.filter((obj) => !isNamespace(obj) && !isCrd(obj));
    const firstResults = await run.applyAll(first);
    const results = await Promise.all(
      firstResults.map(async (entry, index) => {
        const obj = first[index];
        if (entry.status !== 'Synced' || obj === undefined || !isCrd(obj) || run.dryRun) return entry;
        return run.awaitEstablished(obj, entry);
      }),
    );
    results.forEach((entry, index) => record(entry, first[index]));
    (await run.applyAll(rest)).forEach((entry, index) => record(entry, rest[index]));
    if (failed.length === 0 && waveHooks.length > 0) await runHooks('Sync', waveHooks);
  }

  const pruned: ResultEntry[] = [];
  const desired = new Set(objects.map(objectKey));
  const leftOver = options.inventory.filter((entry) => !desired.has(inventoryKey(entry)));
  const gone = new Set<string>();
  if (options.prune && failed.length === 0) {
    for (const { objects: list } of pruneOrder(leftOver.map(inventoryObject))) {
      // Consecutive objects of one kind are deleted together; kinds one after another, so custom
      // resources go before their CRDs and Namespaces last.
      for (const group of runsOfKind(list)) {
        run.throwIfAborted();
        const results = await mapLimit(group, run.concurrency, (obj) => run.delete(obj));
        for (const { droppedFromInventory, ...entry } of results) {
          if (entry.status === 'Pruned') {
            pruned.push(entry);
            gone.add(entry.key);
          } else if (droppedFromInventory === true) {
            skipped.push(entry);
            gone.add(entry.key);
          } else failed.push(entry);
        }
      }
    }
  }

  // PostSync: once everything applied is healthy; SyncFail: after any failure.
  const postSync = hooksOf('PostSync');
  if (postSync.length > 0) {
    if (failed.length > 0) skipHooks(postSync, 'PostSync', 'the sync failed');
    else if (run.dryRun) skipHooks(postSync, 'PostSync', 'not run in a dry run');
    else {
      const unhealthy = await run.awaitHealthy(
        objects.filter((obj) => newInventory.has(objectKey(obj))),
        options.health ?? {},
      );
      if (unhealthy === undefined) await runHooks('PostSync', postSync);
      else skipHooks(postSync, 'PostSync', unhealthy);
    }
  }
  const syncFail = hooksOf('SyncFail');
  if (syncFail.length > 0) {
    // A SyncFail hook's own failure is reported too; the sync had failed already.
    if (failed.length > 0 && !run.dryRun) await runHooks('SyncFail', syncFail);
    else skipHooks(syncFail, 'SyncFail', 'the sync did not fail');
  }

  for (const entry of options.inventory) {
    const key = inventoryKey(entry);
    if (!gone.has(key) && !newInventory.has(key)) newInventory.set(key, entry);
  }
  const inventory = [...newInventory.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
  return { applied, pruned, failed, skipped, inventory };
}

/** Splits a list into runs of consecutive objects of the same group and kind. */
function runsOfKind(objects: readonly Manifest[]): Manifest[][] {
  const runs: Manifest[][] = [];
  let previous = '';
  for (const obj of objects) {
    const kind = `${apiGroup(obj.apiVersion)}/${obj.kind}`;
    const last = runs.at(-1);
    if (last === undefined || kind !== previous) runs.push([obj]);
    else last.push(obj);
    previous = kind;
  }
  return runs;
}
