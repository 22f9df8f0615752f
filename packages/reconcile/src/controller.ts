import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { groupOf, type KubeClient, type KubeObject, type ResourceType } from '@beamline/kube';
import { RequeueError, TerminalError } from './errors.ts';
import type { ExternalTrigger } from './external-trigger.ts';
import type { ReconcileResultLabel } from './metrics.ts';

/** Which object to reconcile: a namespace (for namespaced kinds) and a name. */
export interface ReconcileRequest {
  readonly namespace?: string;
  readonly name: string;
}

/** What a reconcile asks for next. `requeueAfterMs`: look again after that long (waiting, not failing). */
export interface Result {
  readonly requeueAfterMs?: number;
}

/** Reads from the manager's informer caches. Objects are copies: change them freely. */
export interface CacheReader {
  /** The cached object, or `undefined`. Throws when the kind is not watched by any controller. */
  get<O extends KubeObject>(resource: ResourceType, name: string, namespace?: string): O | undefined;
  /** The cached objects of a kind, in one namespace or all. */
  list<O extends KubeObject>(resource: ResourceType, namespace?: string): O[];
}

/** What a reconciler gets besides the request. */
export interface ReconcileContext<T extends KubeObject> {
  /** Carries `controller`, `namespace` and `name`. */
  readonly logger: Logger;
  readonly kubeConfig: KubeConfig;
  /** A live client: reads that must not be stale, and every write. */
  readonly client: KubeClient;
  /** The informer caches of every kind the manager's controllers watch. */
  readonly cache: CacheReader;
  /** Aborted when the manager stops or loses leadership: long waits should end early. */
  readonly signal: AbortSignal;
  /** The root object from the cache (a copy); `undefined` when it is gone, which usually means done. */
  root(): T | undefined;
}

/**
 * Makes one root object right. Level-based: it reads the world (cache, API) and acts on what it
 * finds, never on which event woke it. A plain throw retries with per-key exponential backoff;
 * {@link TerminalError} stops retrying until the object (or a child) changes; {@link RequeueError}
 * or `{ requeueAfterMs }` waits without counting as a failure.
 */
export interface Reconciler<T extends KubeObject = KubeObject> {
  /** The controller's name: the `controller` label of metrics and logs. Unique per manager. */
  readonly name: string;
  reconcile(request: ReconcileRequest, context: ReconcileContext<T>): Promise<Result>;
}

/** A kind whose changes are mapped to root requests by a function. */
export interface WatchedKind extends ResourceType {
  /** The roots an object of this kind concerns (e.g. a NodeGroup → its Cluster via `spec.clusterName`). */
  map(object: KubeObject): readonly ReconcileRequest[];
}

/** A reconciler and what wakes it. */
export interface Controller<T extends KubeObject = KubeObject> {
  readonly reconciler: Reconciler<T>;
  /** The root kind: every change of a root object queues it. */
  readonly for: ResourceType;
  /** Child kinds: a change of a child queues the roots named in its ownerReferences of the root kind. */
  readonly owns?: readonly ResourceType[];
  /** Other kinds, mapped to roots by their own function. */
  readonly watches?: readonly WatchedKind[];
  /** Roots queued from outside the informers (other clusters' watches, webhooks). */
  readonly trigger?: ExternalTrigger;
  /** Workers reconciling different keys at once. Default 1. */
  readonly concurrency?: number;
  /** Queue every root again this often (a safety net, not a substitute for watches). Default: never. */
  readonly resyncMs?: number;
  /** The retry backoff of failing keys. Default 200 ms doubling to 60 s. */
  readonly backoff?: { readonly baseDelayMs?: number; readonly maxDelayMs?: number };
}

/** The work-queue key of a request: `namespace/name`, or `name` for cluster-scoped objects. */
export function requestKey(request: ReconcileRequest): string {
  return request.namespace === undefined || request.namespace === '' ? request.name : `${request.namespace}/${request.name}`;
}

/** The request of a work-queue key (names never contain `/`). */
export function parseKey(key: string): ReconcileRequest {
  const slash = key.indexOf('/');
  return slash === -1 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The request of an object itself. */
export function requestOf(object: KubeObject): ReconcileRequest | undefined {
  const name = object.metadata?.name;
  if (name === undefined) return undefined;
  const namespace = object.metadata?.namespace;
  return namespace === undefined || namespace === '' ? { name } : { namespace, name };
}

/**
 * The roots a child belongs to: its ownerReferences of the owner's kind and API group (any
 * version, as ownerReferences may name another served version). A namespaced owner lives in the
 * child's namespace, the only place Kubernetes allows it.
 */
export function ownerRequests(child: KubeObject, owner: ResourceType): ReconcileRequest[] {
  const group = groupOf(owner.apiVersion);
  const namespace = child.metadata?.namespace;
  return (child.metadata?.ownerReferences ?? [])
    .filter((ref) => ref.kind === owner.kind && groupOf(ref.apiVersion) === group)
    .map((ref) => (owner.namespaced && namespace !== undefined ? { namespace, name: ref.name } : { name: ref.name }));
}

/** What the work queue does with a key after a reconcile. */
export type NextStep =
  | { readonly kind: 'forget' }
  | { readonly kind: 'after'; readonly delayMs: number }
  | { readonly kind: 'backoff' };

/** How a reconcile ended: its metric label and what happens to its key next. */
export interface Outcome {
  readonly result: ReconcileResultLabel;
  readonly next: NextStep;
}

/**
 * Turns how a reconcile settled into its outcome. Success and waiting reset the key's backoff;
 * terminal failures drop the key until an event queues it again; other errors back off.
 */
export function outcomeOf(settled: { readonly result: Result | undefined } | { readonly error: unknown }): Outcome {
  if ('error' in settled) {
    const error = settled.error;
    if (error instanceof TerminalError) return { result: 'terminal', next: { kind: 'forget' } };
    if (error instanceof RequeueError) return { result: 'requeue', next: { kind: 'after', delayMs: Math.max(0, error.requeueAfterMs) } };
    return { result: 'error', next: { kind: 'backoff' } };
  }
  const after = settled.result?.requeueAfterMs;
  if (after !== undefined) return { result: 'requeue', next: { kind: 'after', delayMs: Math.max(0, after) } };
  return { result: 'success', next: { kind: 'forget' } };
}
