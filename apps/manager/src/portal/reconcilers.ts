/**
 * `GET /api/reconcilers`: the dashboard's reconciler panel (Flux's cluster stats dashboard, for
 * Beamline's kinds). Counts by kstatus come from the {@link FleetIndex}; reconcile durations and
 * rates from the manager's own prom-client metrics (platform-wide, nameless aggregates); a series
 * of the last hour is sampled every 15 s per namespace, so that each user's series sums only the
 * namespaces (and Projects) they may see.
 */
import type { Registry } from 'prom-client';
import { RECONCILED_KINDS, type FailingObject, type FleetIndex, type KindCounts, type ReconciledKind } from './fleet.ts';

/** How often the sampler samples. */
export const SAMPLE_INTERVAL_MS = 15_000;
/** Samples kept: one hour at 15 s. */
export const SAMPLES_KEPT = 240;
/** The most namespaces (and Projects) a series is kept for: bounds the sampler's memory (see the design note). */
export const MAX_SERIES_KEYS = 2000;
/** Failing objects listed at most. */
export const MAX_FAILING = 50;
/** The window of `avgDurationS` and `reconcilesPerMin` in `kinds`: the last 5 minutes of samples. */
const RATE_WINDOW_SAMPLES = 20;

/** The controller label of `beamline_reconcile_*` for each kind (the reconcilers' names). */
const CONTROLLER_OF: Readonly<Record<ReconciledKind, string>> = { Cluster: 'cluster', NodeGroup: 'nodegroup', Application: 'application', Project: 'project' };
/** Kinds counted per namespace (Projects are cluster-scoped: counted per Project). */
const NAMESPACED_KINDS = ['Cluster', 'NodeGroup', 'Application'] as const;

/** Cumulative reconcile metrics of one controller. */
export interface ControllerTotals {
  readonly durationSum: number;
  readonly durationCount: number;
  readonly total: number;
}

/** Reads the cumulative reconcile metrics, by controller name. */
export type ReconcileMetricsReader = () => Promise<ReadonlyMap<string, ControllerTotals>>;

/** A {@link ReconcileMetricsReader} of the manager's registry (`beamline_reconcile_duration_seconds`, `beamline_reconcile_total`). */
export function registryReader(registry: Registry): ReconcileMetricsReader {
  return async () => {
    const totals = new Map<string, { durationSum: number; durationCount: number; total: number }>();
    const of = (controller: string): { durationSum: number; durationCount: number; total: number } => {
      let entry = totals.get(controller);
      if (entry === undefined) {
        entry = { durationSum: 0, durationCount: 0, total: 0 };
        totals.set(controller, entry);
      }
      return entry;
    };
    const duration = await registry.getSingleMetric('beamline_reconcile_duration_seconds')?.get();
    for (const value of duration?.values ?? []) {
      const controller = value.labels.controller;
      if (typeof controller !== 'string') continue;
      const name = (value as { metricName?: string }).metricName ?? '';
      if (name.endsWith('_sum')) of(controller).durationSum += value.value;
      else if (name.endsWith('_count')) of(controller).durationCount += value.value;
    }
    const total = await registry.getSingleMetric('beamline_reconcile_total')?.get();
    for (const value of total?.values ?? []) {
      const controller = value.labels.controller;
      if (typeof controller === 'string') of(controller).total += value.value;
    }
    return totals;
  };
}

/** One kind's row of the panel. */
export interface KindPanel extends KindCounts {
  readonly kind: ReconciledKind;
  readonly avgDurationS: number | null;
  readonly reconcilesPerMin: number | null;
}

/** `GET /api/reconcilers`. */
export interface ReconcilersView {
  readonly kinds: readonly KindPanel[];
  readonly failing: readonly FailingObject[];
  readonly sources: { readonly total: number; readonly git: number; readonly helm: number; readonly failing: number };
  readonly series: {
    readonly at: readonly string[];
    readonly kinds: Readonly<Record<string, { readonly ready: readonly number[]; readonly notReady: readonly number[]; readonly avgDurationS: readonly (number | null)[] }>>;
  };
}

/** What the user may see: per namespaced kind, whether a namespace is visible; per Project, whether it is. */
export interface ReconcileVisibility {
  readonly namespace: (kind: (typeof NAMESPACED_KINDS)[number], namespace: string) => boolean;
  readonly project: (name: string) => boolean;
  /** A stable key of the above: users with the same key get the same series. */
  readonly key: string;
}

/**
 * Ring buffers of ready / not-ready counts. Per namespace: 3 kinds × 2 counts × 240 samples of
 * 32 bits (5.6 KiB); per Project: 2 × 240 (1.9 KiB). At most {@link MAX_SERIES_KEYS} of each.
 */
class Rings {
  readonly #width: number;
  readonly #byKey = new Map<string, Uint32Array>();

  constructor(width: number) {
    this.#width = width;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Writes the sample at `slot` for every key: `values(key)` for known keys, 0 for keys gone; drops keys whose ring is all zero. */
  write(slot: number, keys: ReadonlyMap<string, readonly number[]>): void {
    for (const [key, values] of keys) {
      let ring = this.#byKey.get(key);
      if (ring === undefined) {
        if (this.#byKey.size >= MAX_SERIES_KEYS) continue;
        ring = new Uint32Array(this.#width * SAMPLES_KEPT);
        this.#byKey.set(key, ring);
      }
      for (let at = 0; at < this.#width; at++) ring[at * SAMPLES_KEPT + slot] = values[at] ?? 0;
    }
    for (const [key, ring] of this.#byKey) {
      if (keys.has(key)) continue;
      for (let at = 0; at < this.#width; at++) ring[at * SAMPLES_KEPT + slot] = 0;
      if (ring.every((value) => value === 0)) this.#byKey.delete(key);
    }
  }

  entries(): IterableIterator<[string, Uint32Array]> {
    return this.#byKey.entries();
  }
}

/**
 * Samples the index and the metrics every {@link SAMPLE_INTERVAL_MS} while started, keeping
 * {@link SAMPLES_KEPT}; and answers the panel for one user's visibility.
 */
export class ReconcileSampler {
  readonly #index: FleetIndex;
  readonly #metrics: ReconcileMetricsReader | undefined;
  readonly #now: () => number;
  readonly #namespaces = new Rings(NAMESPACED_KINDS.length * 2);
  readonly #projects = new Rings(2);
  readonly #at = new Float64Array(SAMPLES_KEPT);
  /** Per kind, the cumulative metrics at each sample (NaN: not read). */
  readonly #sums = Object.fromEntries(RECONCILED_KINDS.map((kind) => [kind, new Float64Array(SAMPLES_KEPT * 3).fill(Number.NaN)])) as Record<ReconciledKind, Float64Array>;
  #samples = 0;
  #timer: NodeJS.Timeout | undefined;
  #sampling: Promise<void> | undefined;
  #seriesCache = new Map<string, ReconcilersView['series']>();
  #seriesCacheAt = -1;

  constructor(options: { readonly index: FleetIndex; readonly metrics?: ReconcileMetricsReader; readonly now?: () => number }) {
    this.#index = options.index;
    this.#metrics = options.metrics;
    this.#now = options.now ?? Date.now;
  }

  /** Samples now and every {@link SAMPLE_INTERVAL_MS} (once; the views' first request calls it). */
  start(): void {
    if (this.#timer !== undefined) return;
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS);
    this.#timer.unref();
  }

  /** Stops sampling. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** How many samples were taken. */
  get samples(): number {
    return this.#samples;
  }

  /** Takes one sample (the timer's; tests call it with a fake clock). Overlapping calls share one. */
  sample(): Promise<void> {
    this.#sampling ??= this.#sample().finally(() => (this.#sampling = undefined));
    return this.#sampling;
  }

  async #sample(): Promise<void> {
    let totals: ReadonlyMap<string, ControllerTotals> | undefined;
    try {
      totals = await this.#metrics?.();
    } catch {
      // No metrics this time: the counts are still worth a sample.
    }
    const slot = this.#samples % SAMPLES_KEPT;
    this.#at[slot] = this.#now();
    const namespaces = new Map<string, number[]>();
    for (const [namespace, entry] of this.#index.reconcileByNamespace()) {
      namespaces.set(
        namespace,
        NAMESPACED_KINDS.flatMap((kind) => [entry.counts[kind]?.ready ?? 0, entry.counts[kind]?.notReady ?? 0]),
      );
    }
    this.#namespaces.write(slot, namespaces);
    const projects = new Map<string, number[]>();
    for (const [name, state] of this.#index.projectStates()) projects.set(name, state.ready === 'True' ? [1, 0] : [0, 1]);
    this.#projects.write(slot, projects);
    for (const kind of RECONCILED_KINDS) {
      const metrics = totals?.get(CONTROLLER_OF[kind]);
      const sums = this.#sums[kind];
      sums[slot * 3] = metrics?.durationSum ?? Number.NaN;
      sums[slot * 3 + 1] = metrics?.durationCount ?? Number.NaN;
      sums[slot * 3 + 2] = metrics?.total ?? Number.NaN;
    }
    this.#samples++;
  }

  /** The slots of the kept samples, oldest first. */
  #slots(): number[] {
    const count = Math.min(this.#samples, SAMPLES_KEPT);
    return Array.from({ length: count }, (_, at) => (this.#samples - count + at) % SAMPLES_KEPT);
  }

  /** Mean reconcile duration between two samples' cumulative metrics; null without reconciles or metrics. */
  #average(kind: ReconciledKind, from: number, to: number): number | null {
    const sums = this.#sums[kind];
    const count = (sums[to * 3 + 1] ?? Number.NaN) - (sums[from * 3 + 1] ?? Number.NaN);
    const sum = (sums[to * 3] ?? Number.NaN) - (sums[from * 3] ?? Number.NaN);
    return Number.isFinite(count) && Number.isFinite(sum) && count > 0 ? sum / count : null;
  }

  /** Reconciles a minute between two samples; null without metrics. */
  #rate(kind: ReconciledKind, from: number, to: number): number | null {
    const sums = this.#sums[kind];
    const total = (sums[to * 3 + 2] ?? Number.NaN) - (sums[from * 3 + 2] ?? Number.NaN);
    const minutes = ((this.#at[to] ?? 0) - (this.#at[from] ?? 0)) / 60_000;
    return Number.isFinite(total) && minutes > 0 ? total / minutes : null;
  }

  /** The panel over what `visibility` allows. */
  view(visibility: ReconcileVisibility): ReconcilersView {
    const index = this.#index;
    const kinds = Object.fromEntries(RECONCILED_KINDS.map((kind) => [kind, { total: 0, ready: 0, notReady: 0, reconciling: 0, stalled: 0 }])) as Record<ReconciledKind, KindCounts>;
    const repos = new Map<string, { helm: boolean; failing: boolean }>();
    for (const [namespace, entry] of index.reconcileByNamespace()) {
      for (const kind of NAMESPACED_KINDS) {
        const counts = entry.counts[kind];
        if (counts === undefined || !visibility.namespace(kind, namespace)) continue;
        const into = kinds[kind];
        into.total += counts.total;
        into.ready += counts.ready;
        into.notReady += counts.notReady;
        into.reconciling += counts.reconciling;
        into.stalled += counts.stalled;
      }
      if (visibility.namespace('Application', namespace)) {
        for (const [repo, source] of entry.sources) {
          const known = repos.get(repo) ?? { helm: false, failing: false };
          known.helm ||= source.helm;
          known.failing ||= source.failing;
          repos.set(repo, known);
        }
      }
    }
    for (const [name, state] of index.projectStates()) {
      if (!visibility.project(name)) continue;
      const into = kinds.Project;
      into.total++;
      if (state.ready === 'True') into.ready++;
      else into.notReady++;
      if (state.reconciling) into.reconciling++;
      if (state.stalled) into.stalled++;
    }
    const failing: FailingObject[] = [];
    for (const object of index.failing()) {
      if (failing.length >= MAX_FAILING) break;
      const visible = object.kind === 'Project' ? visibility.project(object.name) : visibility.namespace(object.kind, object.namespace ?? '');
      if (visible) failing.push(object);
    }
    const slots = this.#slots();
    const last = slots.at(-1);
    const first = slots.at(-Math.min(slots.length, RATE_WINDOW_SAMPLES + 1));
    const sources = [...repos.values()];
    return {
      kinds: RECONCILED_KINDS.map((kind) => ({
        kind,
        ...kinds[kind],
        avgDurationS: last === undefined || first === undefined || first === last ? null : this.#average(kind, first, last),
        reconcilesPerMin: last === undefined || first === undefined || first === last ? null : this.#rate(kind, first, last),
      })),
      failing,
      sources: { total: sources.length, git: sources.filter((source) => !source.helm).length, helm: sources.filter((source) => source.helm).length, failing: sources.filter((source) => source.failing).length },
      series: this.#series(visibility, slots),
    };
  }

  /** The series over the visible namespaces and Projects: summed once per sample and visibility. */
  #series(visibility: ReconcileVisibility, slots: readonly number[]): ReconcilersView['series'] {
    if (this.#seriesCacheAt !== this.#samples) {
      this.#seriesCacheAt = this.#samples;
      this.#seriesCache = new Map();
    }
    const cached = this.#seriesCache.get(visibility.key);
    if (cached !== undefined) return cached;
    const length = slots.length;
    const sums = Object.fromEntries(RECONCILED_KINDS.map((kind) => [kind, { ready: new Array<number>(length).fill(0), notReady: new Array<number>(length).fill(0) }])) as Record<
      ReconciledKind,
      { ready: number[]; notReady: number[] }
    >;
    for (const [namespace, ring] of this.#namespaces.entries()) {
      NAMESPACED_KINDS.forEach((kind, at) => {
        if (!visibility.namespace(kind, namespace)) return;
        const into = sums[kind];
        slots.forEach((slot, sample) => {
          into.ready[sample] = (into.ready[sample] ?? 0) + (ring[2 * at * SAMPLES_KEPT + slot] ?? 0);
          into.notReady[sample] = (into.notReady[sample] ?? 0) + (ring[(2 * at + 1) * SAMPLES_KEPT + slot] ?? 0);
        });
      });
    }
    for (const [name, ring] of this.#projects.entries()) {
      if (!visibility.project(name)) continue;
      slots.forEach((slot, sample) => {
        sums.Project.ready[sample] = (sums.Project.ready[sample] ?? 0) + (ring[slot] ?? 0);
        sums.Project.notReady[sample] = (sums.Project.notReady[sample] ?? 0) + (ring[SAMPLES_KEPT + slot] ?? 0);
      });
    }
    const series: ReconcilersView['series'] = {
      at: slots.map((slot) => new Date(this.#at[slot] ?? 0).toISOString()),
      kinds: Object.fromEntries(
        RECONCILED_KINDS.map((kind) => [
          kind,
          { ...sums[kind], avgDurationS: slots.map((slot, sample) => (sample === 0 ? null : this.#average(kind, slots[sample - 1] ?? slot, slot))) },
        ]),
      ),
    };
    if (this.#seriesCache.size >= 1000) this.#seriesCache.clear();
    this.#seriesCache.set(visibility.key, series);
    return series;
  }
}
