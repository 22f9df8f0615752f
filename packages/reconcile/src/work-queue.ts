/** Time and timers, injectable so the queue's waiting can be tested without waiting. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  /** The first retry delay of a failing key; each further failure doubles it. Default 200 ms. */
  readonly baseDelayMs?: number;
  /** The longest retry delay. Default 60 s. */
  readonly maxDelayMs?: number;
  readonly clock?: Clock;
}

interface Waiting {
  readonly readyAt: number;
  readonly handle: unknown;
}

/**
 * The queue of keys a controller's workers take from, with client-go's workqueue guarantees:
 *
 * - a key is queued at most once (adding a queued key does nothing);
 * - a key is never handed out while it is being processed; added meanwhile, it is handed out once
 *   more after {@link WorkQueue.done};
 * - delayed adds ({@link WorkQueue.addAfter}) and per-key exponential backoff
 *   ({@link WorkQueue.addRateLimited}, reset by {@link WorkQueue.forget}).
 *
 * One difference: taking a key cancels its pending delayed add. The reconcile about to run decides
 * anew when the key is next due (its result, its error), so an older timer would only cause a
 * redundant pass, and would retry a terminal failure.
 */
export class WorkQueue {
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #clock: Clock;
  /** Keys ready to hand out, in order (a Set keeps insertion order). */
  readonly #ready = new Set<string>();
  /** Keys that need processing: queued, or added again while processing. */
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #waiting = new Map<string, Waiting>();
  readonly #failures = new Map<string, number>();
  readonly #getters: ((key: string | undefined) => void)[] = [];
  #shutDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.#baseDelayMs = options.baseDelayMs ?? 200;
    this.#maxDelayMs = options.maxDelayMs ?? 60_000;
    this.#clock = options.clock ?? systemClock;
  }

  /** Keys ready to be handed out (neither waiting for a timer nor being processed). */
  get depth(): number {
    return this.#ready.size;
  }

  /** Keys waiting for a delayed add. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /** Keys being processed. */
  get processing(): number {
    return this.#processing.size;
  }

  /** Whether {@link WorkQueue.shutDown} was called. */
  get isShutDown(): boolean {
    return this.#shutDown;
  }

  /** Queues `key` now. */
  add(key: string): void {
    if (this.#shutDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#ready.add(key);
    this.#dispatch();
  }

  /** Queues `key` after `delayMs`; an earlier pending add of the same key wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.#shutDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    // Already due for processing: that pass decides when the key is next due.
    if (this.#dirty.has(key)) return;
    const readyAt = this.#clock.now() + delayMs;
    const pending = this.#waiting.get(key);
    if (pending !== undefined) {
      if (pending.readyAt <= readyAt) return;
      this.#clock.clearTimeout(pending.handle);
    }
    const handle = this.#clock.setTimeout(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, delayMs);
    this.#waiting.set(key, { readyAt, handle });
  }

  /**
   * Queues `key` after its backoff delay: `baseDelayMs * 2^failures`, capped at `maxDelayMs`, and
   * counts one more failure. Returns the delay.
   */
  addRateLimited(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const delayMs = Math.min(this.#baseDelayMs * 2 ** failures, this.#maxDelayMs);
    this.addAfter(key, delayMs);
    return delayMs;
  }

  /** Resets the backoff of `key` (after a success). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** How many consecutive failures `key` has had. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /**
   * The next key to process, waiting until there is one. `undefined` once the queue is shut down
   * or `signal` aborts. The caller must call {@link WorkQueue.done} with the key when finished.
   */
  get(signal?: AbortSignal): Promise<string | undefined> {
    if (this.#shutDown || signal?.aborted === true) return Promise.resolve(undefined);
    const first = this.#ready.values().next();
    if (first.done !== true) return Promise.resolve(this.#take(first.value));
    return new Promise((resolve) => {
      const getter = (key: string | undefined): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(key);
      };
      const onAbort = (): void => {
        const index = this.#getters.indexOf(getter);
        if (index !== -1) this.#getters.splice(index, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#getters.push(getter);
    });
  }

  /** Marks `key` processed; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shutDown) {
      this.#ready.add(key);
      this.#dispatch();
    }
  }

  /** Stops handing out keys, cancels every timer and releases waiting {@link WorkQueue.get} calls. */
  shutDown(): void {
    this.#shutDown = true;
    for (const pending of this.#waiting.values()) this.#clock.clearTimeout(pending.handle);
    this.#waiting.clear();
    this.#ready.clear();
    this.#dirty.clear();
    for (const getter of this.#getters.splice(0)) getter(undefined);
  }

  #take(key: string): string {
    this.#ready.delete(key);
    this.#dirty.delete(key);
    this.#processing.add(key);
    const pending = this.#waiting.get(key);
    if (pending !== undefined) {
      this.#clock.clearTimeout(pending.handle);
      this.#waiting.delete(key);
    }
    return key;
  }

  #dispatch(): void {
    while (this.#getters.length > 0 && this.#ready.size > 0) {
      const key = this.#ready.values().next().value as string;
      const getter = this.#getters.shift() as (key: string | undefined) => void;
      getter(this.#take(key));
    }
  }
}
