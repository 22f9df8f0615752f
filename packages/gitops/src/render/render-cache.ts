import { createHash } from 'node:crypto';
import type { RenderParams, RenderResult } from './render.ts';

/** What keys a render besides the source's tree: its parameters and, for repository charts, where from. */
export interface RenderCacheKeyParams extends RenderParams {
  /** For a chart from a Helm repository or OCI registry: the repository URL. */
  readonly repoUrl?: string;
  /** For a chart from a Helm repository or OCI registry: the chart's name. */
  readonly chart?: string;
  /** For a chart from a Helm repository or OCI registry: the version pulled (not a constraint). */
  readonly chartVersion?: string;
}

// Fields that may ride along (a RenderSource, RenderTools spread in) but do not change the output;
// `dir` above all: every export lands in a new folder, and keying on it would never hit.
const NOT_KEYED = new Set(['dir', 'helm', 'kubectl', 'timeoutMs', 'signal']);

/** JSON with object keys sorted at every depth: equal values give equal text whatever their key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, nested: unknown) => {
    if (typeof nested !== 'object' || nested === null || Array.isArray(nested)) return nested;
    const record = nested as Record<string, unknown>;
    return Object.fromEntries(Object.keys(record).sort().map((key) => [key, record[key]]));
  });
}

/**
 * The cache key of a render: `sha256(treeId, canonical JSON of the parameters)`. `treeId` is the
 * git tree id of the app's source path, which changes exactly when a file under it changes, so a
 * commit that does not touch an app keeps its key and renders nothing for it. For a chart from a
 * Helm repository, pass `helm:<repoUrl>#<chart>@<version>` (and the same in the params): published
 * chart versions are immutable. The folder path (`dir`) and the tools are not part of the key.
 */
export function renderCacheKey(treeId: string, params: RenderCacheKeyParams): string {
  const keyed = Object.fromEntries(Object.entries(params).filter(([name, value]) => !NOT_KEYED.has(name) && value !== undefined));
  return createHash('sha256').update(treeId).update('\0').update(canonicalJson(keyed)).digest('hex');
}

/** Options of {@link RenderCache}. */
export interface RenderCacheOptions {
  /** How many renders to keep; the least recently used goes first (default 5000). */
  readonly maxEntries?: number;
}

/** Counters of a {@link RenderCache}, for metrics. */
export interface RenderCacheStats {
  /** Calls answered from the cache. */
  readonly hits: number;
  /** Calls that started a render. */
  readonly misses: number;
  /** Calls that joined a render already running for the same key. */
  readonly coalesced: number;
  /** Renders kept now. */
  readonly size: number;
  /** Renders running now. */
  readonly inFlight: number;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const nested of Object.values(value)) deepFreeze(nested);
  }
  return value;
}

/**
 * An in-memory LRU of render results by {@link renderCacheKey}, with single flight: callers asking
 * for a key that is rendering share that render. Failed renders are not kept (the next call tries
 * again). Results are deep-frozen, as every caller shares them: clone an object before changing it.
 */
export class RenderCache {
  /** The most renders kept. */
  readonly maxEntries: number;
  readonly #entries = new Map<string, RenderResult>();
  readonly #inFlight = new Map<string, Promise<RenderResult>>();
  #generation = 0;
  #hits = 0;
  #misses = 0;
  #coalesced = 0;

  constructor(options: RenderCacheOptions = {}) {
    const maxEntries = options.maxEntries ?? 5000;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`failed to create render cache: maxEntries must be a positive integer, not ${maxEntries}`);
    this.maxEntries = maxEntries;
  }

  /**
   * The result kept for `key`; else the result of the render running for it; else runs `render`,
   * keeps its result and returns it. `render` runs at most once at a time per key.
   */
  getOrRender(key: string, render: () => Promise<RenderResult>): Promise<RenderResult> {
    const kept = this.#entries.get(key);
    if (kept !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, kept);
      this.#hits += 1;
      return Promise.resolve(kept);
    }
    const running = this.#inFlight.get(key);
    if (running !== undefined) {
      this.#coalesced += 1;
      return running;
    }
    this.#misses += 1;
    const generation = this.#generation;
    // Started on the next microtask, so the in-flight entry is there before `render` can settle.
    const rendering = Promise.resolve()
      .then(render)
      .then((result) => {
        const frozen = deepFreeze(result);
        if (generation === this.#generation) this.#keep(key, frozen);
        return frozen;
      })
      .finally(() => {
        if (this.#inFlight.get(key) === rendering) this.#inFlight.delete(key);
      });
    this.#inFlight.set(key, rendering);
    return rendering;
  }

  /** Forgets every kept render (renders running now are not kept either). */
  clear(): void {
    this.#entries.clear();
    this.#inFlight.clear();
    this.#generation += 1;
  }

  /** Calls answered from the cache. */
  get hits(): number {
    return this.#hits;
  }

  /** Calls that started a render. */
  get misses(): number {
    return this.#misses;
  }

  /** The counters and sizes. */
  get stats(): RenderCacheStats {
    return { hits: this.#hits, misses: this.#misses, coalesced: this.#coalesced, size: this.#entries.size, inFlight: this.#inFlight.size };
  }

  #keep(key: string, result: RenderResult): void {
    this.#entries.set(key, result);
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }
}
