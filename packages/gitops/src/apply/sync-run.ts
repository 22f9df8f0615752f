import { KubeApiError, resourcePath, type KubeObject, type KubeClient, type ResourceType } from '@beamline/kube';
import { objectHealth } from '../health/object-health.ts';
import { describeObject, hasGeneratedName, HOOK_OWNER_ANNOTATION, type HookDeletePolicy, type HookPhase } from '../plan/hooks.ts';
import { apiGroup, objectKey } from '../plan/object-key.ts';
import type { Manifest } from '../render/manifest.ts';
import { inventoryEntryOf } from './inventory.ts';
import { kubeErrorLine } from './kube-error-line.ts';
import type { SyncObjectsOptions } from './sync-objects.ts';
import { trackingIdOf, type TrackingOptions } from './tracking.ts';

/** What happened to one object in a sync. */
export type SyncStatus = 'Synced' | 'Pruned' | 'Failed' | 'Skipped';

/** The outcome of one object in a sync. */
export interface ResultEntry {
  /** The object's {@link objectKey} (for a hook with a generated name: the name it got, or `<generateName>*`). */
  readonly key: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly status: SyncStatus;
  /** Why it failed or was skipped: one short line (see {@link kubeErrorLine}). */
  readonly message?: string;
  /** For an applied object: its resourceVersion after the apply (a watch cache showing it has caught up). */
  readonly resourceVersion?: string;
  /** Set for a hook: the phase it ran in. Hooks are never in the inventory. */
  readonly hook?: HookPhase;
}

/** What {@link SyncRun} needs of the sync's options (documented on {@link SyncObjectsOptions}). */
export type SyncRunOptions = Pick<
  SyncObjectsOptions,
  'client' | 'objects' | 'fieldManager' | 'dryRun' | 'signal' | 'concurrency' | 'establishTimeoutMs' | 'tracking' | 'destinationName' | 'hookTimeoutMs' | 'healthTimeoutMs'
>;

const CRD_KIND = 'CustomResourceDefinition';
const CRD_GROUP = 'apiextensions.k8s.io';
const DISCOVERY_WAIT_MS = 10_000;
const POLL_MS = 100;
const HOOK_POLL_MS = 250;
/** Attempts of a delete whose precondition failed because the object changed meanwhile. */
const DELETE_ATTEMPTS = 3;
const IMMUTABLE = /field is immutable|Forbidden: updates to .* are forbidden/;

/** The per-sync state: options, the CRDs of this sync, and the requests. */
export class SyncRun {
  readonly client: KubeClient;
  readonly fieldManager: string;
  readonly dryRun: boolean;
  readonly concurrency: number;
  readonly establishTimeoutMs: number;
  readonly hookTimeoutMs: number;
  readonly healthTimeoutMs: number;
  readonly signal: AbortSignal | undefined;
  readonly tracking: TrackingOptions | undefined;
  /** How messages name the destination: `cluster lab`, or `the cluster`. */
  readonly where: string;
  /** `group/kind` of every custom resource kind defined by a CRD of this sync. */
  readonly crdKinds: Set<string>;

  constructor(options: SyncRunOptions) {
    this.client = options.client;
    this.fieldManager = options.fieldManager ?? 'beamline';
    this.dryRun = options.dryRun ?? false;
    this.concurrency = Math.max(1, options.concurrency ?? 16);
    this.establishTimeoutMs = options.establishTimeoutMs ?? 30_000;
    this.hookTimeoutMs = options.hookTimeoutMs ?? 600_000;
    this.healthTimeoutMs = options.healthTimeoutMs ?? 300_000;
    this.signal = options.signal;
    this.tracking = options.tracking;
    this.where = options.destinationName === undefined ? 'the cluster' : `cluster ${options.destinationName}`;
    this.crdKinds = new Set(options.objects.filter(isCrd).map(crdDefines).filter((kind) => kind !== undefined));
  }

  throwIfAborted(): void {
    this.signal?.throwIfAborted();
  }

  applyAll(objects: readonly Manifest[]): Promise<ResultEntry[]> {
    return mapLimit(objects, this.concurrency, (obj) => this.apply(obj));
  }

  /** Server-side applies one object; never throws (except on abort). */
  async apply(obj: Manifest): Promise<ResultEntry> {
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
    const scope = scopeProblem(obj, resource);
    if (scope !== undefined) return resultOf(obj, 'Failed', `failed to apply ${objectKey(obj)}: ${scope}`);
    const conflict = this.conflict(obj);
    if (conflict !== undefined) return resultOf(obj, 'Failed', conflict);
    try {
      const resourceVersion = await this.serverSideApply(resource, obj);
      return { ...resultOf(obj, 'Synced'), ...(resourceVersion === undefined ? {} : { resourceVersion }) };
    } catch (error) {
      this.throwIfAborted();
      return resultOf(obj, 'Failed', `failed to apply ${objectKey(obj)}: ${kubeErrorLine(error)}`);
    }
  }

  async serverSideApply(resource: ResourceType, obj: Manifest): Promise<string | undefined> {
    const written = await this.client.request<{ metadata?: { resourceVersion?: string } } | undefined>('PATCH', resourcePath(resource, { namespace: obj.metadata.namespace, name: obj.metadata.name }), {
      body: obj,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: this.fieldManager, force: true, dryRun: this.dryRun ? 'All' : undefined },
      signal: this.signal,
    });
    return this.dryRun ? undefined : written?.metadata?.resourceVersion;
  }

  /** Why applying `obj` would take over another application's object, if it would. */
  conflict(obj: Manifest): string | undefined {
    const tracking = this.tracking;
    const live = tracking?.live?.(obj);
    if (tracking === undefined || live === undefined) return undefined;
    const entry = inventoryEntryOf(obj);
    const id = trackingIdOf(live, tracking.annotation);
    if (id === undefined || id === tracking.idOf(entry)) return undefined;
    const owner = tracking.ownerOf(id, entry);
    if (owner === undefined || owner === tracking.app) return undefined;
    return `conflict: ${objectKey(obj)} belongs to application ${owner} (its ${tracking.annotation} names it); not taken over: deliver it from one application only, or delete it there first`;
  }

  /**
   * Deletes one inventory object (Background propagation); gone already counts as pruned. With
   * tracking, the live object is read right before the delete and deleted only when it carries
   * this app's tracking id, with its uid and resourceVersion as preconditions (a replaced or
   * re-annotated object is not deleted); an object that is not the app's any more is Skipped and
   * dropped from the inventory (`droppedFromInventory`).
   */
  async delete(obj: Manifest): Promise<ResultEntry & { readonly droppedFromInventory?: boolean }> {
    let resource: ResourceType;
    try {
      resource = await this.client.resourceFor(obj.apiVersion, obj.kind);
    } catch (error) {
      this.throwIfAborted();
      // The kind is no longer served (its CRD was deleted): its objects went with it.
      if (isKindGone(error)) return resultOf(obj, 'Pruned', `${obj.apiVersion} ${obj.kind} is no longer served`);
      return resultOf(obj, 'Failed', `failed to prune ${objectKey(obj)}: ${kubeErrorLine(error)}`);
    }
    const path = resourcePath(resource, { namespace: obj.metadata.namespace, name: obj.metadata.name });
    const tracking = this.tracking;
    for (let attempt = 1; ; attempt += 1) {
      let preconditions: { uid?: string; resourceVersion?: string } | undefined;
      try {
        if (tracking !== undefined) {
          const live = await this.client.get(resource, obj.metadata.name, obj.metadata.namespace, { signal: this.signal });
          if (live === undefined) return resultOf(obj, 'Pruned', 'already gone');
          const entry = inventoryEntryOf(obj);
          const id = trackingIdOf(live, tracking.annotation);
          if (id !== tracking.idOf(entry)) {
            const owner = id === undefined ? undefined : tracking.ownerOf(id, entry);
            const whose = id === undefined ? `it carries no ${tracking.annotation}` : owner === undefined ? `its ${tracking.annotation} is ${JSON.stringify(id.slice(0, 200))}` : `it belongs to application ${owner}`;
            return { ...resultOf(obj, 'Skipped', `not deleted: ${whose}, not this application's; left in place and dropped from the inventory`), droppedFromInventory: true };
          }
          preconditions = { uid: live.metadata?.uid, resourceVersion: live.metadata?.resourceVersion };
        }
        await this.client.request('DELETE', path, {
          body: { propagationPolicy: 'Background', ...(preconditions === undefined ? {} : { preconditions }) },
          query: { dryRun: this.dryRun ? 'All' : undefined },
          signal: this.signal,
        });
        return resultOf(obj, 'Pruned');
      } catch (error) {
        this.throwIfAborted();
        if (error instanceof KubeApiError && error.code === 404) return resultOf(obj, 'Pruned', 'already gone');
        // A failed precondition: the object changed (or was replaced) since it was read; look again.
        if (error instanceof KubeApiError && error.code === 409 && attempt < DELETE_ATTEMPTS) continue;
        return resultOf(obj, 'Failed', `failed to prune ${objectKey(obj)}: ${kubeErrorLine(error)}`);
      }
    }
  }

  /**
   * Waits until an applied CRD is Established. A CRD that does not become Established in time is
   * Failed (its custom resources could not be applied).
   */
  async awaitEstablished(crd: Manifest, entry: ResultEntry): Promise<ResultEntry> {
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
        last = kubeErrorLine(error);
      }
      if (Date.now() > deadline) return resultOf(crd, 'Failed', `failed to establish ${objectKey(crd)}: not Established after ${this.establishTimeoutMs} ms: ${last}`);
      await sleep(POLL_MS, this.signal);
    }
  }

  /**
   * The resource of an object's kind. A kind defined by a CRD of this sync may show in discovery a
   * moment after the CRD is Established: it is looked up again for a while. A kind the cluster
   * does not serve says so, and what to do.
   */
  async resolve(obj: Manifest): Promise<ResourceType> {
    const patient = !this.dryRun && this.crdKinds.has(`${apiGroup(obj.apiVersion)}/${obj.kind}`);
    const deadline = Date.now() + DISCOVERY_WAIT_MS;
    for (;;) {
      try {
        return await this.client.resourceFor(obj.apiVersion, obj.kind);
      } catch (error) {
        if (!patient || Date.now() > deadline) {
          const message = isKindGone(error) ? `kind ${obj.kind} (${obj.apiVersion}) is not served by ${this.where}; install its CRD` : kubeErrorLine(error);
          throw new Error(`failed to apply ${describeObject(obj)}: ${message}`, { cause: error });
        }
      }
      await sleep(POLL_MS, this.signal);
    }
  }

  /**
   * Runs one hook: creates it (a generated name: POST; a name: server-side apply, after deleting
   * the previous one with BeforeHookCreation, or when an immutable field refuses the apply), waits
   * until it completes (a Job or Pod succeeds or fails; other kinds as soon as they are healthy),
   * then deletes it as its policies say. Never throws (except on abort).
   */
  async runHook(obj: Manifest, phase: HookPhase, policies: readonly HookDeletePolicy[]): Promise<ResultEntry> {
    const hookResult = (status: SyncStatus, message: string, name?: string): ResultEntry => {
      const named = name === undefined ? obj : { ...obj, metadata: { ...obj.metadata, name } };
      const base = resultOf(named, status, `${phase} hook ${message}`);
      return { ...base, key: describeObject(named), name: named.metadata.name ?? '', hook: phase };
    };
    if (this.dryRun) return hookResult('Skipped', 'not run in a dry run');
    let resource: ResourceType;
    try {
      resource = await this.resolve(obj);
    } catch (error) {
      this.throwIfAborted();
      return hookResult('Failed', (error as Error).message);
    }
    const scope = scopeProblem(obj, resource);
    if (scope !== undefined) return hookResult('Failed', scope);
    const marked = this.markHook(obj);
    let name: string;
    try {
      if (hasGeneratedName(obj)) {
        const created = await this.client.request<{ metadata?: { name?: string } }>('POST', resourcePath(resource, { namespace: obj.metadata.namespace }), {
          body: marked,
          query: { fieldManager: this.fieldManager },
          signal: this.signal,
        });
        name = created.metadata?.name ?? '';
      } else {
        name = obj.metadata.name;
        if (policies.includes('BeforeHookCreation')) {
          const refusal = await this.deleteHook(resource, obj, true);
          if (refusal !== undefined) return hookResult('Failed', refusal);
        }
        try {
          await this.serverSideApply(resource, marked);
        } catch (error) {
          // A hook Job from an earlier sync whose template changed: Jobs are immutable, so the
          // new one replaces it (as BeforeHookCreation would have).
          if (!(error instanceof KubeApiError && error.code === 422 && IMMUTABLE.test(error.message))) throw error;
          const refusal = await this.deleteHook(resource, obj, true);
          if (refusal !== undefined) return hookResult('Failed', refusal);
          await this.serverSideApply(resource, marked);
        }
      }
    } catch (error) {
      this.throwIfAborted();
      return hookResult('Failed', `${describeObject(obj)} not created: ${kubeErrorLine(error)}`);
    }
    const outcome = await this.awaitHook(resource, obj, name);
    const deleteAfter = (outcome.succeeded && policies.includes('HookSucceeded')) || (!outcome.succeeded && policies.includes('HookFailed'));
    if (deleteAfter) await this.deleteHook(resource, { ...obj, metadata: { ...obj.metadata, name } }, false);
    return hookResult(outcome.succeeded ? 'Synced' : 'Failed', `${obj.kind} ${name} ${outcome.message}`, name);
  }

  /** A copy of a hook with this app's hook annotation (and no tracking id: hooks are not inventory). */
  markHook(obj: Manifest): Manifest {
    const metadata = obj.metadata as Manifest['metadata'] & { annotations?: Record<string, string> };
    const annotations: Record<string, string> = { ...metadata.annotations };
    if (this.tracking !== undefined) {
      delete annotations[this.tracking.annotation];
      annotations[HOOK_OWNER_ANNOTATION] = this.tracking.app;
    }
    return { ...obj, metadata: { ...metadata, annotations } };
  }

  /**
   * Deletes a named hook object and, with `wait`, waits until it is gone (a Job's pods go with it,
   * in the background). Refuses (returns why) to delete an object that is not a hook of this app.
   */
  async deleteHook(resource: ResourceType, obj: Manifest, wait: boolean): Promise<string | undefined> {
    const name = obj.metadata.name;
    const namespace = obj.metadata.namespace;
    const live = await this.client.get(resource, name, namespace, { signal: this.signal });
    if (live === undefined) return undefined;
    const owner = live.metadata?.annotations?.[HOOK_OWNER_ANNOTATION];
    if (this.tracking !== undefined && owner !== this.tracking.app) {
      return `${objectKey(obj)} exists and is not a hook of this application (${HOOK_OWNER_ANNOTATION}: ${owner ?? 'none'}); not replaced`;
    }
    try {
      await this.client.request('DELETE', resourcePath(resource, { namespace, name }), {
        body: { propagationPolicy: 'Background', preconditions: { uid: live.metadata?.uid } },
        signal: this.signal,
      });
    } catch (error) {
      this.throwIfAborted();
      if (!(error instanceof KubeApiError && (error.code === 404 || error.code === 409))) return `failed to delete the previous ${objectKey(obj)}: ${kubeErrorLine(error)}`;
    }
    if (!wait) return undefined;
    const deadline = Date.now() + this.hookTimeoutMs;
    while (Date.now() < deadline) {
      const current = await this.client.get(resource, name, namespace, { signal: this.signal });
      if (current === undefined || current.metadata?.uid !== live.metadata?.uid) return undefined;
      await sleep(HOOK_POLL_MS, this.signal);
    }
    return `the previous ${objectKey(obj)} was not gone after ${Math.round(this.hookTimeoutMs / 1000)} s`;
  }

  /** Polls a created hook until it completes or the hook timeout passes. */
  async awaitHook(resource: ResourceType, obj: Manifest, name: string): Promise<{ readonly succeeded: boolean; readonly message: string }> {
    const deadline = Date.now() + this.hookTimeoutMs;
    let last: string;
    for (;;) {
      this.throwIfAborted();
      try {
        const live = await this.client.get<Manifest & KubeObject>(resource, name, obj.metadata.namespace, { signal: this.signal });
        if (live === undefined) return { succeeded: false, message: 'was deleted before it completed' };
        const done = hookCompletion(live);
        if (done !== undefined) return done;
        last = objectHealth(live).message;
      } catch (error) {
        this.throwIfAborted();
        last = kubeErrorLine(error);
      }
      if (Date.now() > deadline) return { succeeded: false, message: `did not complete in ${Math.round(this.hookTimeoutMs / 1000)} s: ${last}` };
      await sleep(HOOK_POLL_MS, this.signal);
    }
  }

  /**
   * Waits until every object is healthy (Healthy or Suspended, or a kind without health rules),
   * for PostSync hooks. Returns why not, if one is Degraded or the wait times out.
   */
  async awaitHealthy(objects: readonly Manifest[], publishes: { readonly publishesAddresses?: boolean; readonly servesResourceMetrics?: boolean }): Promise<string | undefined> {
    const deadline = Date.now() + this.healthTimeoutMs;
    let pending = [...objects];
    let last = '';
    while (pending.length > 0) {
      this.throwIfAborted();
      const still: Manifest[] = [];
      for (const obj of pending) {
        let health;
        try {
          const resource = await this.client.resourceFor(obj.apiVersion, obj.kind);
          health = objectHealth(await this.client.get<Manifest & KubeObject>(resource, obj.metadata.name, obj.metadata.namespace, { signal: this.signal }), publishes);
        } catch (error) {
          this.throwIfAborted();
          health = { status: 'Unknown' as const, message: kubeErrorLine(error) };
        }
        if (health.status === 'Degraded') return `${objectKey(obj)} is Degraded: ${health.message}`;
        if (health.status !== 'Healthy' && health.status !== 'Suspended') {
          still.push(obj);
          last = `${objectKey(obj)} is ${health.status}${health.message === '' ? '' : `: ${health.message}`}`;
        }
      }
      pending = still;
      if (pending.length === 0) return undefined;
      if (Date.now() > deadline) return `not healthy after ${Math.round(this.healthTimeoutMs / 1000)} s: ${last}`;
      await sleep(HOOK_POLL_MS * 2, this.signal);
    }
    return undefined;
  }
}

/** Whether a hook is done: a Job complete or failed, a Pod succeeded or failed, anything else once healthy. */
function hookCompletion(live: Manifest): { readonly succeeded: boolean; readonly message: string } | undefined {
  if (live.kind === 'Pod' && apiGroup(live.apiVersion) === '') {
    const phase = (live.status as { phase?: unknown } | undefined)?.phase;
    if (phase === 'Succeeded') return { succeeded: true, message: 'succeeded' };
    if (phase === 'Failed') return { succeeded: false, message: 'failed' };
    return undefined;
  }
  const health = objectHealth(live);
  if (health.status === 'Healthy') return { succeeded: true, message: live.kind === 'Job' ? 'succeeded' : 'created' };
  if (health.status === 'Degraded') return { succeeded: false, message: `failed: ${health.message}` };
  return undefined;
}

interface CrdStatus extends KubeObject {
  readonly status?: { readonly conditions?: readonly { readonly type: string; readonly status: string; readonly message?: string }[] };
}

function scopeProblem(obj: Manifest, resource: ResourceType): string | undefined {
  const namespace = obj.metadata.namespace;
  if (resource.namespaced && (namespace === undefined || namespace === '')) return `${obj.kind} is namespaced but metadata.namespace is not set`;
  if (!resource.namespaced && namespace !== undefined && namespace !== '') return `${obj.kind} is cluster-scoped but metadata.namespace is set`;
  return undefined;
}

/** Whether an object is a Namespace. */
export function isNamespace(obj: Manifest): boolean {
  return obj.kind === 'Namespace' && apiGroup(obj.apiVersion) === '';
}

/** Whether an object is a CustomResourceDefinition. */
export function isCrd(obj: Manifest): boolean {
  return obj.kind === CRD_KIND && apiGroup(obj.apiVersion) === CRD_GROUP;
}

/** `group/kind` of the custom resources a CRD defines. */
function crdDefines(crd: Manifest): string | undefined {
  const spec = crd.spec as { readonly group?: unknown; readonly names?: { readonly kind?: unknown } } | undefined;
  return typeof spec?.group === 'string' && typeof spec.names?.kind === 'string' ? `${spec.group}/${spec.names.kind}` : undefined;
}

function isKindGone(error: unknown): boolean {
  if (error instanceof KubeApiError) return error.code === 404;
  return error instanceof Error && / is not served by /.test(error.message);
}

/** The result entry of an object. */
export function resultOf(obj: Manifest, status: SyncStatus, message?: string): ResultEntry {
  const namespace = obj.metadata.namespace;
  return {
    key: describeObject(obj),
    kind: obj.kind,
    name: obj.metadata.name ?? '',
    ...(namespace === undefined || namespace === '' ? {} : { namespace }),
    status,
    ...(message === undefined ? {} : { message }),
  };
}

/** Maps with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
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
