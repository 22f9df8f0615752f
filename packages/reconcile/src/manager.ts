import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { KubeClient, type KubeObject, type ResourceType } from '@beamline/kube';
import { ControllerRunner } from './controller-runner.ts';
import type { CacheReader, Controller } from './controller.ts';
import { Informer } from './informer.ts';
import { LeaderElector, type LeaderElectionOptions } from './leader-election.ts';
import { createManagerMetrics, RECONCILE_RESULTS, type ManagerMetrics } from './metrics.ts';

/** Options of {@link Manager}. */
export interface ManagerOptions {
  readonly kubeConfig: KubeConfig;
  /** The root logger; controllers log through children carrying `controller`, `namespace`, `name`. */
  readonly logger: Logger;
  /** Campaign for a Lease and run workers only while leading. Without it, the manager always leads. */
  readonly leaderElection?: LeaderElectionOptions;
  /** Watch namespaced kinds in this namespace only (cluster-scoped kinds are watched whole). */
  readonly namespace?: string;
  /** The `identity` label of `beamline_leader` without leader election. Default `<hostname>-<pid>`. */
  readonly identity?: string;
  /** How long stopping waits for reconciles in flight. Default 30 s. */
  readonly gracefulShutdownMs?: number;
}

/** Whether the manager can serve: `notReady` says what is missing, for `/readyz`. */
export interface Readiness {
  readonly ready: boolean;
  readonly notReady: readonly string[];
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * Runs controllers: one shared informer per kind (and namespace), one work queue per controller,
 * workers only while leading, and the metrics in a registry of its own.
 *
 * `start()` starts the informers and resolves once their caches have synced (or rejects if
 * `stop()` comes first), then campaigns for leadership (or leads at once without leader
 * election). `stop()` ends everything: workers (waiting for reconciles in flight), the Lease
 * (released so a standby takes over at once), the informers, every timer.
 */
export class Manager {
  /** The manager's metrics registry: serve it on `/metrics`. */
  readonly registry = new Registry();
  readonly kubeConfig: KubeConfig;
  /** The manager's API client. */
  readonly client: KubeClient;
  /** Reads from the informer caches. */
  readonly cache: CacheReader;
  /** The `identity` this process leads as. */
  readonly identity: string;
  readonly #logger: Logger;
  readonly #namespace: string | undefined;
  readonly #gracefulShutdownMs: number;
  readonly #metrics: ManagerMetrics;
  readonly #informers = new Map<string, Informer>();
  readonly #runners: ControllerRunner[] = [];
  readonly #controllers: Controller[] = [];
  readonly #elector: LeaderElector | undefined;
  readonly #abort = new AbortController();
  #state: State = 'new';
  #leading = false;
  #stopping: Promise<void> | undefined;

  constructor(options: ManagerOptions) {
    this.kubeConfig = options.kubeConfig;
    this.client = new KubeClient(options.kubeConfig);
    this.#logger = options.logger;
    this.#namespace = options.namespace;
    this.#gracefulShutdownMs = options.gracefulShutdownMs ?? 30_000;
    this.identity = options.leaderElection?.identity ?? options.identity ?? `${hostname()}-${process.pid}`;
    this.#elector = options.leaderElection === undefined ? undefined : new LeaderElector(options.kubeConfig, options.leaderElection, options.logger);
    this.#metrics = createManagerMetrics(this.registry, () => this.#runners.map((runner) => [runner.name, runner.depth] as const));
    this.#metrics.leader.set({ identity: this.identity }, 0);
    this.cache = {
      get: <O extends KubeObject>(resource: ResourceType, name: string, namespace?: string): O | undefined => this.#cached(resource, 'read').get<O>(name, namespace),
      list: <O extends KubeObject>(resource: ResourceType, namespace?: string): O[] => this.#cached(resource, 'list').list<O>(namespace),
    };
  }

  /** Adds a controller; only before {@link Manager.start}. */
  add<T extends KubeObject>(controller: Controller<T>): void {
    if (this.#state !== 'new') throw new Error(`failed to add controller ${controller.reconciler.name}: the manager has already started; add controllers before start()`);
    const name = controller.reconciler.name;
    if (this.#controllers.some((existing) => existing.reconciler.name === name)) {
      throw new Error(`failed to add controller ${name}: a controller of that name is already added; names label metrics and logs and must be unique`);
    }
    this.#controllers.push(controller);
  }

  /** Whether this process leads now (always, once started, without leader election). */
  isLeader(): boolean {
    return this.#leading;
  }

  /** Whether the caches have synced, and if not, which. */
  readiness(): Readiness {
    if (this.#state === 'new') return { ready: false, notReady: ['manager: not started'] };
    if (this.#state === 'stopping' || this.#state === 'stopped') return { ready: false, notReady: ['manager: stopping'] };
    const notReady = [...this.#informers.values()]
      .filter((informer) => !informer.synced)
      .map((informer) => `cache ${informer.describe()}: not synced${informer.lastError === undefined ? '' : ` (${informer.lastError})`}`);
    return { ready: notReady.length === 0, notReady };
  }

  /**
   * Starts the informers, waits for their caches to sync, then campaigns for leadership (or leads).
   * Rejects when {@link Manager.stop} is called before the caches synced.
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error('failed to start manager: it was already started; make a new Manager');
    this.#state = 'starting';
    const deps = {
      kubeConfig: this.kubeConfig,
      client: this.client,
      cache: this.cache,
      logger: this.#logger,
      metrics: this.#metrics,
      informerFor: (resource: ResourceType) => this.#informerFor(resource),
      gracefulShutdownMs: this.#gracefulShutdownMs,
    };
    for (const controller of this.#controllers) {
      const runner = new ControllerRunner(controller, deps);
      this.#runners.push(runner);
      for (const result of RECONCILE_RESULTS) this.#metrics.reconcileTotal.inc({ controller: runner.name, result }, 0);
    }
    for (const informer of this.#informers.values()) informer.start();
    try {
      await Promise.all([...this.#informers.values()].map((informer) => informer.whenSynced(this.#abort.signal)));
    } catch (error) {
      throw new Error(`failed to start manager: ${(error as Error).message}`, { cause: error });
    }
    if (this.#abort.signal.aborted) throw new Error('failed to start manager: stopped while starting');
    this.#state = 'running';
    this.#logger.info({ controllers: this.#runners.map((runner) => runner.name), informers: this.#informers.size }, 'caches synced');
    if (this.#elector === undefined) {
      this.#startLeading();
    } else {
      this.#elector.start({ onStartedLeading: () => this.#startLeading(), onStoppedLeading: () => this.#stopLeading() });
    }
  }

  /** Stops workers (waiting for reconciles in flight), releases the Lease, stops the informers. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const wasStarted = this.#state !== 'new';
    this.#state = 'stopping';
    this.#abort.abort();
    if (this.#elector !== undefined) await this.#elector.stop();
    await this.#stopLeading();
    await Promise.all([...this.#informers.values()].map((informer) => informer.stop()));
    this.#state = 'stopped';
    if (wasStarted) this.#logger.info('manager stopped');
  }

  #startLeading(): void {
    if (this.#abort.signal.aborted) return;
    this.#leading = true;
    this.#metrics.leader.set({ identity: this.identity }, 1);
    for (const runner of this.#runners) runner.startWorkers();
  }

  async #stopLeading(): Promise<void> {
    this.#leading = false;
    this.#metrics.leader.set({ identity: this.identity }, 0);
    await Promise.all(this.#runners.map((runner) => runner.stopWorkers()));
  }

  #informerFor(resource: ResourceType): Informer {
    const key = informerKey(resource);
    let informer = this.#informers.get(key);
    if (informer === undefined) {
      informer = new Informer({ kubeConfig: this.kubeConfig, client: this.client, resource, namespace: this.#namespace, logger: this.#logger });
      this.#informers.set(key, informer);
    }
    return informer;
  }

  #cached(resource: ResourceType, verb: string): Informer {
    const informer = this.#informers.get(informerKey(resource));
    if (informer === undefined) {
      throw new Error(
        `failed to ${verb} ${resource.plural}.${resource.apiVersion} from the cache: no controller watches that kind; add it to a controller's owns or watches, or use the client`,
      );
    }
    return informer;
  }
}

function informerKey(resource: ResourceType): string {
  return `${resource.plural}.${resource.apiVersion}`;
}
