import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { KubeClient, KubeObject, ResourceType } from '@beamline/kube';
import {
  outcomeOf,
  ownerRequests,
  parseKey,
  requestKey,
  requestOf,
  type CacheReader,
  type Controller,
  type Outcome,
  type ReconcileContext,
  type ReconcileRequest,
  type Result,
} from './controller.ts';
import type { Informer, InformerEvent } from './informer.ts';
import type { ManagerMetrics } from './metrics.ts';
import { WorkQueue } from './work-queue.ts';

/** What a runner needs from its manager. */
export interface RunnerDeps {
  readonly kubeConfig: KubeConfig;
  readonly client: KubeClient;
  readonly cache: CacheReader;
  readonly logger: Logger;
  readonly metrics: ManagerMetrics;
  readonly informerFor: (resource: ResourceType) => Informer;
  /** How long stopping waits for reconciles in flight before giving up on them. */
  readonly gracefulShutdownMs: number;
}

interface Term {
  readonly queue: WorkQueue;
  readonly abort: AbortController;
  readonly workers: Promise<void>[];
  readonly resync: ReturnType<typeof setInterval> | undefined;
  readonly inFlight: Set<string>;
}

/**
 * Runs one {@link Controller}: maps informer events to keys, and while the manager leads, runs a
 * work queue and its workers. Each leadership term gets a fresh queue, filled with every root in
 * the cache, so nothing that happened while standing by is missed.
 */
export class ControllerRunner {
  readonly name: string;
  readonly #controller: Controller;
  readonly #deps: RunnerDeps;
  readonly #logger: Logger;
  readonly #rootInformer: Informer;
  /** The roots each child or watched object mapped to last time, per source: a change away from a root wakes it too. */
  readonly #lastMapped = new Map<string, Map<string, readonly string[]>>();
  /** Keys that failed terminally, with the root's resourceVersion then: resyncs skip them until it changes. */
  readonly #terminal = new Map<string, string | undefined>();
  #term: Term | undefined;

  constructor(controller: Controller, deps: RunnerDeps) {
    this.name = controller.reconciler.name;
    this.#controller = controller;
    this.#deps = deps;
    this.#logger = deps.logger.child({ controller: this.name });
    this.#rootInformer = deps.informerFor(controller.for);
    this.#rootInformer.on((event, object) => {
      const request = requestOf(object);
      if (request === undefined) return;
      const key = requestKey(request);
      if (event === 'delete') this.#terminal.delete(key);
      this.#enqueue(key);
    });
    controller.trigger?.attach((key, delayMs) => {
      const queue = this.#term?.queue;
      if (queue === undefined) return;
      if (delayMs > 0) queue.addAfter(key, delayMs);
      else queue.add(key);
    });
    for (const [index, owned] of (controller.owns ?? []).entries()) {
      const source = `owns:${index}`;
      deps.informerFor(owned).on((event, object) => this.#onMapped(source, event, object, (child) => ownerRequests(child, controller.for)));
    }
    for (const [index, watched] of (controller.watches ?? []).entries()) {
      const source = `watches:${index}`;
      deps.informerFor(watched).on((event, object) => this.#onMapped(source, event, object, (changed) => watched.map(changed)));
    }
  }

  /** Keys ready in the queue (0 while standing by). */
  get depth(): number {
    return this.#term?.queue.depth ?? 0;
  }

  /** Whether workers are running. */
  get running(): boolean {
    return this.#term !== undefined;
  }

  /** Starts a term: a fresh queue with every cached root, the workers, the resync timer. */
  startWorkers(): void {
    if (this.#term !== undefined) return;
    const queue = new WorkQueue(this.#controller.backoff);
    const abort = new AbortController();
    const resyncMs = this.#controller.resyncMs;
    const term: Term = {
      queue,
      abort,
      workers: [],
      inFlight: new Set(),
      resync: resyncMs === undefined || resyncMs <= 0 ? undefined : setInterval(() => this.#enqueueAll(), resyncMs),
    };
    this.#term = term;
    this.#enqueueAll();
    const concurrency = Math.max(1, this.#controller.concurrency ?? 1);
    for (let i = 0; i < concurrency; i++) term.workers.push(this.#work(term));
    this.#logger.info({ concurrency }, 'workers started');
  }

  /**
   * Ends the term: no more keys are handed out, reconciles in flight see their signal abort and
   * are waited for (up to the graceful shutdown bound), timers are cleared.
   */
  async stopWorkers(): Promise<void> {
    const term = this.#term;
    if (term === undefined) return;
    this.#term = undefined;
    if (term.resync !== undefined) clearInterval(term.resync);
    term.abort.abort();
    term.queue.shutDown();
    let bound: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      bound = setTimeout(() => resolve('timeout'), this.#deps.gracefulShutdownMs);
    });
    const settled = await Promise.race([Promise.all(term.workers).then(() => 'done' as const), timedOut]);
    clearTimeout(bound);
    if (settled === 'timeout') {
      this.#logger.warn({ keys: [...term.inFlight] }, 'reconciles still running after the graceful shutdown bound; leaving them');
    } else {
      this.#logger.info('workers stopped');
    }
  }

  #enqueue(key: string): void {
    this.#term?.queue.add(key);
  }

  #enqueueAll(): void {
    const term = this.#term;
    if (term === undefined) return;
    for (const object of this.#rootInformer.list()) {
      const request = requestOf(object);
      if (request === undefined) continue;
      const key = requestKey(request);
      if (this.#terminal.has(key) && this.#terminal.get(key) === object.metadata?.resourceVersion) continue;
      term.queue.add(key);
    }
  }

  #onMapped(source: string, event: InformerEvent, object: KubeObject, map: (object: KubeObject) => readonly ReconcileRequest[]): void {
    const id = requestOf(object);
    if (id === undefined) return;
    const objectKey = requestKey(id);
    let memory = this.#lastMapped.get(source);
    if (memory === undefined) {
      memory = new Map();
      this.#lastMapped.set(source, memory);
    }
    let keys: string[];
    try {
      keys = map(object).map(requestKey);
    } catch (error) {
      this.#logger.error({ err: error, source, object: objectKey }, 'mapping a watched object to its roots failed');
      keys = [];
    }
    const previous = memory.get(objectKey) ?? [];
    if (event === 'delete' || keys.length === 0) memory.delete(objectKey);
    else memory.set(objectKey, keys);
    for (const key of new Set([...previous, ...keys])) this.#enqueue(key);
  }

  async #work(term: Term): Promise<void> {
    for (;;) {
      const key = await term.queue.get();
      if (key === undefined) return;
      term.inFlight.add(key);
      try {
        await this.#reconcile(term, key);
      } finally {
        term.inFlight.delete(key);
        term.queue.done(key);
      }
    }
  }

  async #reconcile(term: Term, key: string): Promise<void> {
    const request = parseKey(key);
    const logger = this.#logger.child({ namespace: request.namespace, name: request.name });
    const controller = this.#controller;
    const cache = this.#deps.cache;
    const context: ReconcileContext<KubeObject> = {
      logger,
      kubeConfig: this.#deps.kubeConfig,
      client: this.#deps.client,
      cache,
      signal: term.abort.signal,
      root: () => cache.get(controller.for, request.name, request.namespace),
    };
    const { reconcileTotal, reconcileDuration } = this.#deps.metrics;
    const endTimer = reconcileDuration.startTimer({ controller: this.name });
    let outcome: Outcome;
    let failure: unknown;
    try {
      const result: Result | undefined = await controller.reconciler.reconcile(request, context);
      outcome = outcomeOf({ result });
    } catch (error) {
      failure = error;
      outcome = outcomeOf({ error });
    }
    endTimer();
    reconcileTotal.inc({ controller: this.name, result: outcome.result });

    if (outcome.result === 'terminal') this.#terminal.set(key, this.#rootInformer.get(request.name, request.namespace)?.metadata?.resourceVersion);
    else this.#terminal.delete(key);

    const queue = term.queue;
    switch (outcome.next.kind) {
      case 'forget':
        queue.forget(key);
        break;
      case 'after':
        queue.forget(key);
        queue.addAfter(key, outcome.next.delayMs);
        break;
      case 'backoff':
        break;
    }
    switch (outcome.result) {
      case 'success':
        logger.debug('reconciled');
        break;
      case 'requeue':
        logger.debug({ requeueAfterMs: outcome.next.kind === 'after' ? outcome.next.delayMs : undefined, reason: (failure as Error | undefined)?.message }, 'reconciled; waiting');
        break;
      case 'terminal':
        logger.error({ err: failure }, 'reconcile failed terminally; not retrying until the object or a child changes');
        break;
      case 'error': {
        if (term.abort.signal.aborted) {
          logger.info({ err: failure }, 'reconcile ended by stop');
          break;
        }
        const retryInMs = queue.addRateLimited(key);
        logger.error({ err: failure, failures: queue.failures(key), retryInMs }, 'reconcile failed; retrying with backoff');
        break;
      }
    }
  }
}
