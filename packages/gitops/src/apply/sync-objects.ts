import { KubeApiError, resourcePath, type KubeObject as ApiObject, type KubeClient, type ResourceType } from '@beamline/reconcile';
import { applyOrder, pruneOrder } from '../plan/apply-order.ts';
import { findDuplicates } from '../plan/find-duplicates.ts';
import { apiGroup, objectKey } from '../plan/object-key.ts';
import type { KubeObject } from '../render/kube-object.ts';
import { inventoryEntryOf, inventoryKey, inventoryObject, type InventoryEntry } from './inventory.ts';

/** What happened to one object in a sync. */
export type SyncStatus = 'Synced' | 'Pruned' | 'Failed' | 'Skipped';

/** The outcome of one object in a sync. */
export interface ResultEntry {
  /** The object's {@link objectKey}. */
  readonly key: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly status: SyncStatus;
  /** Why it failed or was skipped (the apiserver's message for a failure). */
  readonly message?: string;
  /** For an applied object: its resourceVersion after the apply (a watch cache showing it has caught up). */
  readonly resourceVersion?: string;
}

/** Options of {@link syncObjects}. */
export interface SyncObjectsOptions {
  /** A client for the destination cluster. */
  readonly client: KubeClient;
  /**
   * The desired objects. Namespaced objects must carry their namespace (the caller fills in the
   * Application's destination namespace); one without is Failed.
   */
  readonly objects: readonly KubeObject[];
  /** What the application owned after its last successful sync. */
  readonly inventory: readonly InventoryEntry[];
  /** Delete inventory entries that are no longer desired (only when nothing failed). */
  readonly prune: boolean;
  /** A Namespace to server-side apply before anything else (not added to the inventory). */
  readonly createNamespace?: string;
  /** The server-side apply field manager; `beamline` by default. */
  readonly fieldManager?: string;
  /** Send every write with `dryRun=All`: validated and admitted by the apiserver, persisted nowhere. */
  readonly dryRun?: boolean;
  readonly signal?: AbortSignal;
  /** How many objects of a wave are applied at once; 16 by default. */
  readonly concurrency?: number;
  /** How long to wait for a CRD to become Established; 30 s by default. */
  readonly establishTimeoutMs?: number;
}

/** The outcome of {@link syncObjects}. */
export interface SyncObjectsResult {
  /** Objects applied (status `Synced`), in apply order; includes the `createNamespace` Namespace. */
  readonly applied: ResultEntry[];
  /** Inventory entries deleted (or found already gone), in prune order. */
  readonly pruned: ResultEntry[];
  /** Objects whose apply, or inventory entries whose delete, failed. */
  readonly failed: ResultEntry[];
  /** Objects not applied because an earlier wave had a failure. */
  readonly skipped: ResultEntry[];
  /**
   * The new inventory: the objects applied, plus every old entry that was not pruned (so nothing
   * that may still exist is forgotten), sorted by key.
   */
  readonly inventory: InventoryEntry[];
}

const CRD_KIND = 'CustomResourceDefinition';
const CRD_GROUP = 'apiextensions.k8s.io';
const DISCOVERY_WAIT_MS = 10_000;
const POLL_MS = 100;

/**
 * Writes an Application's objects to its destination cluster, and prunes what it no longer renders.
 *
 * Refuses duplicates (throws {@link DuplicateObjectsError}) and invalid sync-wave annotations
 * before any write. Then applies the objects wave by wave ({@link applyOrder}) with forced
 * server-side apply; within a wave Namespaces and CRDs go first, the CRDs are awaited until
 * Established, and the rest is applied in parallel. A failed object does not stop the rest of its
 * wave, but later waves are Skipped and nothing is pruned. See docs/design/gitops-apply.md.
 * Throws only for refused input or when `signal` aborts.
 */
export async function syncObjects(options: SyncObjectsOptions): Promise<SyncObjectsResult> {
  const duplicates = findDuplicates(options.objects);
  if (duplicates !== undefined) throw duplicates;
  const waves = applyOrder(options.objects);
  const run = new SyncRun(options);
  const applied: ResultEntry[] = [];
  const failed: ResultEntry[] = [];
  const skipped: ResultEntry[] = [];
  const newInventory = new Map<string, InventoryEntry>();
  const record = (entry: ResultEntry, obj?: KubeObject): void => {
    if (entry.status === 'Synced') {
      applied.push(entry);
      if (obj !== undefined) newInventory.set(entry.key, inventoryEntryOf(obj));
    } else if (entry.status === 'Skipped') skipped.push(entry);
    else failed.push(entry);
  };

  if (options.createNamespace !== undefined) {
    const namespace: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: options.createNamespace } };
    record(await run.apply(namespace));
  }

  for (const { objects } of waves) {
    run.throwIfAborted();
    if (failed.length > 0) {
      for (const obj of objects) record(resultOf(obj, 'Skipped', 'not applied: an earlier sync wave (or the destination namespace) failed'));
      continue;
    }
    // Namespaces and CRDs first (KIND_ORDER puts them at the head of the wave): the rest of the
    // wave may live in those namespaces or be custom resources of those CRDs.
    const first = objects.filter((obj) => isNamespace(obj) || isCrd(obj));
    const rest = objects.filter((obj) => !isNamespace(obj) && !isCrd(obj));
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
  }

  const pruned: ResultEntry[] = [];
  const desired = new Set(options.objects.map(objectKey));
  const leftOver = options.inventory.filter((entry) => !desired.has(inventoryKey(entry)));
  const gone = new Set<string>();
  if (options.prune && failed.length === 0) {
    for (const { objects } of pruneOrder(leftOver.map(inventoryObject))) {
      // Consecutive objects of one kind are deleted together; kinds one after another, so custom
      // resources go before their CRDs and Namespaces last.
      for (const group of runsOfKind(objects)) {
        run.throwIfAborted();
        const results = await mapLimit(group, run.concurrency, (obj) => run.delete(obj));
        for (const entry of results) {
          if (entry.status === 'Pruned') {
            pruned.push(entry);
            gone.add(entry.key);
          } else failed.push(entry);
        }
      }
    }
  }
  for (const entry of options.inventory) {
    const key = inventoryKey(entry);
    if (!gone.has(key) && !newInventory.has(key)) newInventory.set(key, entry);
  }
  const inventory = [...newInventory.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
  return { applied, pruned, failed, skipped, inventory };
}

/** The per-sync state: options, the CRDs of this sync, and the requests. */
class SyncRun {
  readonly client: KubeClient;
  readonly fieldManager: string;
  readonly dryRun: boolean;
  readonly concurrency: number;
  readonly establishTimeoutMs: number;
  readonly signal: AbortSignal | undefined;
  /** `group/kind` of every custom resource kind defined by a CRD of this sync. */
  readonly crdKinds: Set<string>;

  constructor(options: SyncObjectsOptions) {
    this.client = options.client;
    this.fieldManager = options.fieldManager ?? 'beamline';
    this.dryRun = options.dryRun ?? false;
    this.concurrency = Math.max(1, options.concurrency ?? 16);
    this.establishTimeoutMs = options.establishTimeoutMs ?? 30_000;
    this.signal = options.signal;
    this.crdKinds = new Set(options.objects.filter(isCrd).map(crdDefines).filter((kind) => kind !== undefined));
  }

  throwIfAborted(): void {
    this.signal?.throwIfAborted();
  }

  applyAll(objects: readonly KubeObject[]): Promise<ResultEntry[]> {
    return mapLimit(objects, this.concurrency, (obj) => this.apply(obj));
  }

  /** Server-side applies one object; never throws (except on abort). */
  async apply(obj: KubeObject): Promise<ResultEntry> {
    let resource: ResourceType;
    try {
      resource = await this.resolve(obj);
    } catch (error) {
      this.throwIfAborted();
      if (this.dryRun && this.crdKinds.has(`${apiGroup(obj.apiVersion)}/${obj.kind}`)) {
        return resultOf(obj, 'Skipped', 'not dry-run: its CustomResourceDefinition is created by this sync');
      }
      return resultOf(obj, 'Failed', (error as Error).message);
    }
    const namespace = obj.metadata.namespace;
    if (resource.namespaced && (namespace === undefined || namespace === '')) {
      return resultOf(obj, 'Failed', `failed to apply ${objectKey(obj)}: ${obj.kind} is namespaced but metadata.namespace is not set`);
    }
    if (!resource.namespaced && namespace !== undefined && namespace !== '') {
      return resultOf(obj, 'Failed', `failed to apply ${objectKey(obj)}: ${obj.kind} is cluster-scoped but metadata.namespace is set`);
    }
    try {
      const written = await this.client.request<{ metadata?: { resourceVersion?: string } } | undefined>('PATCH', resourcePath(resource, { namespace, name: obj.metadata.name }), {
        body: obj,
        contentType: 'application/apply-patch+yaml',
        query: { fieldManager: this.fieldManager, force: true, dryRun: this.dryRun ? 'All' : undefined },
        signal: this.signal,
      });
      const resourceVersion = this.dryRun ? undefined : written?.metadata?.resourceVersion;
      return { ...resultOf(obj, 'Synced'), ...(resourceVersion === undefined ? {} : { resourceVersion }) };
    } catch (error) {
      this.throwIfAborted();
      return resultOf(obj, 'Failed', (error as Error).message);
    }
  }

  /** Deletes one inventory object (Background propagation); gone already counts as pruned. */
  async delete(obj: KubeObject): Promise<ResultEntry> {
    let resource: ResourceType;
    try {
      resource = await this.client.resourceFor(obj.apiVersion, obj.kind);
    } catch (error) {
      this.throwIfAborted();
      // The kind is no longer served (its CRD was deleted): its objects went with it.
      if (isKindGone(error)) return resultOf(obj, 'Pruned', `${obj.apiVersion} ${obj.kind} is no longer served`);
      return resultOf(obj, 'Failed', `failed to prune ${objectKey(obj)}: ${(error as Error).message}`);
    }
    try {
      await this.client.request('DELETE', resourcePath(resource, { namespace: obj.metadata.namespace, name: obj.metadata.name }), {
        body: { propagationPolicy: 'Background' },
        query: { dryRun: this.dryRun ? 'All' : undefined },
        signal: this.signal,
      });
      return resultOf(obj, 'Pruned');
    } catch (error) {
      this.throwIfAborted();
      if (error instanceof KubeApiError && error.code === 404) return resultOf(obj, 'Pruned', 'already gone');
      return resultOf(obj, 'Failed', (error as Error).message);
    }
  }

  /**
   * Waits until an applied CRD is Established. A CRD that does not become Established in time is
   * Failed (its custom resources could not be applied).
   */
  async awaitEstablished(crd: KubeObject, entry: ResultEntry): Promise<ResultEntry> {
    const deadline = Date.now() + this.establishTimeoutMs;
    let last: string;
    for (;;) {
      this.throwIfAborted();
      try {
        const resource = await this.client.resourceFor(crd.apiVersion, crd.kind);
        const current = await this.client.get<CrdStatus>(resource, crd.metadata.name, undefined, { signal: this.signal });
        const conditions = current?.status?.conditions ?? [];
        const established = conditions.find((condition) => condition.type === 'Established');
        if (established?.status === 'True') return entry;
        const names = conditions.find((condition) => condition.type === 'NamesAccepted');
        if (names?.status === 'False') return resultOf(crd, 'Failed', `failed to establish ${objectKey(crd)}: ${names.message ?? 'names not accepted'}`);
        last = established?.message ?? 'Established condition not set';
      } catch (error) {
        this.throwIfAborted();
        last = (error as Error).message;
      }
      if (Date.now() > deadline) return resultOf(crd, 'Failed', `failed to establish ${objectKey(crd)}: not Established after ${this.establishTimeoutMs} ms: ${last}`);
      await sleep(POLL_MS, this.signal);
    }
  }

  /**
   * The resource of an object's kind. A kind defined by a CRD of this sync may show in discovery a
   * moment after the CRD is Established: it is looked up again for a while.
   */
  async resolve(obj: KubeObject): Promise<ResourceType> {
    const patient = !this.dryRun && this.crdKinds.has(`${apiGroup(obj.apiVersion)}/${obj.kind}`);
    const deadline = Date.now() + DISCOVERY_WAIT_MS;
    for (;;) {
      try {
        return await this.client.resourceFor(obj.apiVersion, obj.kind);
      } catch (error) {
        if (!patient || Date.now() > deadline) throw new Error(`failed to apply ${objectKey(obj)}: ${(error as Error).message}`, { cause: error });
      }
      await sleep(POLL_MS, this.signal);
    }
  }
}

interface CrdStatus extends ApiObject {
  readonly status?: { readonly conditions?: readonly { readonly type: string; readonly status: string; readonly message?: string }[] };
}

function isNamespace(obj: KubeObject): boolean {
  return obj.kind === 'Namespace' && apiGroup(obj.apiVersion) === '';
}

function isCrd(obj: KubeObject): boolean {
  return obj.kind === CRD_KIND && apiGroup(obj.apiVersion) === CRD_GROUP;
}

/** `group/kind` of the custom resources a CRD defines. */
function crdDefines(crd: KubeObject): string | undefined {
  const spec = crd.spec as { readonly group?: unknown; readonly names?: { readonly kind?: unknown } } | undefined;
  return typeof spec?.group === 'string' && typeof spec.names?.kind === 'string' ? `${spec.group}/${spec.names.kind}` : undefined;
}

function isKindGone(error: unknown): boolean {
  if (error instanceof KubeApiError) return error.code === 404;
  return error instanceof Error && / has no kind /.test(error.message);
}

function resultOf(obj: KubeObject, status: SyncStatus, message?: string): ResultEntry {
  const namespace = obj.metadata.namespace;
  return {
    key: objectKey(obj),
    kind: obj.kind,
    name: obj.metadata.name,
    ...(namespace === undefined || namespace === '' ? {} : { namespace }),
    status,
    ...(message === undefined ? {} : { message }),
  };
}

/** Splits a list into runs of consecutive objects of the same group and kind. */
function runsOfKind(objects: readonly KubeObject[]): KubeObject[][] {
  const runs: KubeObject[][] = [];
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

/** Maps with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
