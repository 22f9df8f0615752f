import { setTimeout as delay } from 'node:timers/promises';
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { resourcePath, type KubeClient, type KubeObject, type ResourceType } from '@beamline/kube';

/** What happened to an object in an informer's cache. */
export type InformerEvent = 'add' | 'update' | 'delete';

/** Called for every change the informer's cache sees. */
export type InformerHandler = (event: InformerEvent, object: KubeObject) => void;

const FIRST_RESTART_DELAY_MS = 1_000;
const MAX_RESTART_DELAY_MS = 30_000;

/**
 * client-node's `Watch`, made stoppable for good. `ListWatch.stop()` aborts the current request,
 * but a list that was in flight goes on to open a watch afterwards, and a reconnect may do the same
 * after its delay: those would keep the process alive. Once stopped, this opens nothing, and
 * aborts a watch that was being opened when stop came.
 */
class StoppableWatch extends Watch {
  #stopped = false;
  #current: AbortController | undefined;

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    if (this.#stopped) {
      const aborted = new AbortController();
      aborted.abort();
      return aborted;
    }
    // Bookmarks keep the resourceVersion fresh on quiet kinds, so a reconnect resumes instead of
    // hitting 410 Gone and listing everything again.
    const controller = await super.watch(path, { ...queryParams, allowWatchBookmarks: true }, callback, done);
    if (this.#stopped) controller.abort();
    else this.#current = controller;
    return controller;
  }

  stop(): void {
    this.#stopped = true;
    this.#current?.abort();
    this.#current = undefined;
  }
}

/** Options of {@link Informer}. */
export interface InformerOptions {
  readonly kubeConfig: KubeConfig;
  readonly client: KubeClient;
  readonly resource: ResourceType;
  /** Watch only this namespace (namespaced kinds). */
  readonly namespace?: string;
  readonly logger: Logger;
}

/**
 * A list+watch cache of one kind on client-node's `ListWatch`, with what a long-running manager
 * needs on top: restart with backoff after errors (`ListWatch` stops for good on any error but
 * 410 Gone), a sync signal, copies out of the cache, and a stop that leaves no request or timer.
 * Objects are plain JSON, each with `apiVersion` and `kind`.
 */
export class Informer {
  readonly resource: ResourceType;
  readonly namespace: string | undefined;
  readonly #client: KubeClient;
  readonly #logger: Logger;
  readonly #watch: StoppableWatch;
  readonly #listWatch: ListWatch<KubernetesObject>;
  readonly #handlers: InformerHandler[] = [];
  readonly #abort = new AbortController();
  #synced = false;
  #listedThisStart = false;
  #lastError: string | undefined;
  #lastErrorAt = 0;
  #restartDelayMs = FIRST_RESTART_DELAY_MS;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #syncWaiters: (() => void)[] = [];
  #started = false;

  constructor(options: InformerOptions) {
    this.resource = options.resource;
    this.namespace = options.resource.namespaced ? options.namespace : undefined;
    this.#client = options.client;
    this.#logger = options.logger.child({ resource: `${options.resource.plural}.${options.resource.apiVersion}`, namespace: this.namespace });
    this.#watch = new StoppableWatch(options.kubeConfig);
    const path = resourcePath(this.resource, { namespace: this.namespace });
    const listFn = async (): Promise<KubernetesListObject<KubernetesObject>> => {
      const list = await this.#client.list(this.resource, { namespace: this.namespace, signal: this.#abort.signal });
      this.#listedThisStart = true;
      return list as unknown as KubernetesListObject<KubernetesObject>;
    };
    // Reconnect delays end at stop; the reconnect then never happens (the promise stays pending
    // and holds no timer), because ListWatch does not look at its stopped flag after the delay.
    const delayFn = (ms: number): Promise<void> => delay(ms, undefined, { signal: this.#abort.signal }).catch(() => new Promise<void>(() => undefined));
    this.#listWatch = new ListWatch<KubernetesObject>(path, this.#watch, listFn, false, undefined, undefined, { delayFn });
    this.#listWatch.on('add', (object) => this.#emit('add', object));
    this.#listWatch.on('update', (object) => this.#emit('update', object));
    this.#listWatch.on('delete', (object) => this.#emit('delete', object));
    this.#listWatch.on('error', (error: unknown) => this.#onError(error));
  }

  /** Whether the first list has filled the cache. */
  get synced(): boolean {
    return this.#synced;
  }

  /** The last list or watch error, while the informer is not synced or restarting. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Adds a handler; register before {@link Informer.start} to see the initial list as adds. */
  on(handler: InformerHandler): void {
    this.#handlers.push(handler);
  }

  /** Starts listing and watching, in the background. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#run();
  }

  /** Resolves once synced; rejects when `signal` aborts first. */
  whenSynced(signal: AbortSignal): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new Error(`stopped before the cache of ${this.describe()} synced`));
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** A copy of the cached object, if any. */
  get<T extends KubeObject>(name: string, namespace?: string): T | undefined {
    const object = this.#listWatch.get(name, this.resource.namespaced ? namespace : undefined);
    return object === undefined ? undefined : (structuredClone(object) as unknown as T);
  }

  /**
   * The cached object itself, not a copy: for hot read-only paths (comparing thousands of objects).
   * Never change it: the cache and every other reader share it.
   */
  peek<T extends KubeObject>(name: string, namespace?: string): Readonly<T> | undefined {
    return this.#listWatch.get(name, this.resource.namespaced ? namespace : undefined) as unknown as Readonly<T> | undefined;
  }

  /** Copies of the cached objects, in one namespace or all. */
  list<T extends KubeObject>(namespace?: string): T[] {
    return this.#listWatch.list(namespace).map((object) => structuredClone(object) as unknown as T);
  }

  /** `configmaps.v1 in namespace x`, for messages. */
  describe(): string {
    const what = `${this.resource.plural}.${this.resource.apiVersion}`;
    return this.namespace === undefined ? what : `${what} in namespace ${this.namespace}`;
  }

  /** Stops watching and cancels every pending restart. */
  async stop(): Promise<void> {
    this.#abort.abort();
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    await this.#listWatch.stop();
    this.#watch.stop();
  }

  #run(): void {
    this.#listedThisStart = false;
    this.#listWatch.start().then(
      () => {
        if (!this.#listedThisStart || this.#abort.signal.aborted) return;
        this.#lastError = undefined;
        if (!this.#synced) {
          this.#synced = true;
          for (const waiter of this.#syncWaiters.splice(0)) waiter();
        }
      },
      (error: unknown) => this.#onError(error),
    );
  }

  #onError(error: unknown): void {
    // Aborting the watch at stop reports an AbortError through the same callback.
    if (this.#abort.signal.aborted) return;
    const now = Date.now();
    // A quick run of failures backs off; a failure after a quiet spell starts over.
    this.#restartDelayMs = now - this.#lastErrorAt > MAX_RESTART_DELAY_MS ? FIRST_RESTART_DELAY_MS : Math.min(this.#restartDelayMs * 2, MAX_RESTART_DELAY_MS);
    this.#lastErrorAt = now;
    this.#lastError = (error as Error | undefined)?.message ?? String(error);
    this.#logger.warn({ err: this.#lastError, retryInMs: this.#restartDelayMs }, 'list or watch failed; restarting');
    if (this.#restartTimer !== undefined) clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (!this.#abort.signal.aborted) this.#run();
    }, this.#restartDelayMs);
  }

  #emit(event: InformerEvent, object: KubernetesObject): void {
    for (const handler of this.#handlers) {
      try {
        handler(event, object as unknown as KubeObject);
      } catch (error) {
        this.#logger.error({ err: error }, 'informer event handler failed');
      }
    }
  }
}
