/**
 * GPUs in use, for the dashboard's "GPUs in use / in total": the `nvidia.com/gpu` that running
 * Pods of each workload cluster ask for. Only clusters with GPU nodes are asked (their NodeGroups'
 * flavors say so, from the fleet index), every {@link GPU_SAMPLE_INTERVAL_MS}, two at a time, each
 * bounded in time and pages, with the Cluster's admin kubeconfig (the one delivery reads). A
 * cluster that does not answer keeps its last count.
 */
import type { Cluster } from '@beamline/api';
import { RESOURCES, workloadClient } from '@beamline/controllers';
import type { KubeClient } from '@beamline/kube';
import type { Logger } from 'pino';
import type { FleetIndex } from './fleet.ts';

/** How often GPU clusters are asked: GPU use changes with jobs, at minutes' pace. */
export const GPU_SAMPLE_INTERVAL_MS = 30_000;
/** Pods read per page, and the most pages read per cluster (10,000 running Pods). */
export const GPU_POD_PAGE = 500;
export const GPU_POD_PAGES = 20;
/** How long one cluster's pages may take, together. */
export const GPU_CLUSTER_TIMEOUT_MS = 10_000;
/** Clusters asked at once. */
const CONCURRENCY = 2;
const GPU_RESOURCE = 'nvidia.com/gpu';

interface PodPage {
  readonly items?: readonly {
    readonly spec?: {
      readonly containers?: readonly { readonly resources?: { readonly requests?: Readonly<Record<string, string>>; readonly limits?: Readonly<Record<string, string>> } }[];
    };
  }[];
  readonly metadata?: { readonly continue?: string };
}

/**
 * The GPUs the Pods of a page ask for: each container's request, else its limit (Kubernetes
 * defaults an extended resource's request to its limit, and both must be equal). Not a whole
 * number: not counted.
 */
export function gpusRequested(page: PodPage): number {
  let total = 0;
  for (const pod of page.items ?? []) {
    for (const container of pod.spec?.containers ?? []) {
      const value = container.resources?.requests?.[GPU_RESOURCE] ?? container.resources?.limits?.[GPU_RESOURCE];
      if (value !== undefined && /^\d{1,6}$/.test(value)) total += Number(value);
    }
  }
  return total;
}

/** Reads one cluster's running Pods' GPU requests (at most {@link GPU_POD_PAGES} pages). */
export async function clusterGpusInUse(workload: KubeClient, signal: AbortSignal): Promise<number> {
  let total = 0;
  let next: string | undefined;
  for (let page = 0; page < GPU_POD_PAGES; page++) {
    const query: Record<string, string | number> = { fieldSelector: 'status.phase=Running', limit: GPU_POD_PAGE, ...(next === undefined ? {} : { continue: next }) };
    const list = await workload.request<PodPage>('GET', '/api/v1/pods', { query, signal });
    total += gpusRequested(list);
    next = list.metadata?.continue;
    if (next === undefined || next === '') break;
  }
  return total;
}

/** Samples GPU use into the fleet index while started. */
export class GpuUsageSampler {
  readonly #index: FleetIndex;
  readonly #client: KubeClient;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #sampling: Promise<void> | undefined;

  constructor(options: { readonly index: FleetIndex; readonly client: KubeClient; readonly logger: Logger }) {
    this.#index = options.index;
    this.#client = options.client;
    this.#logger = options.logger;
  }

  /** Samples now and every {@link GPU_SAMPLE_INTERVAL_MS} (once; the views' first request calls it). */
  start(): void {
    if (this.#timer !== undefined) return;
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), GPU_SAMPLE_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One pass over the GPU clusters; overlapping calls share one. */
  sample(): Promise<void> {
    this.#sampling ??= this.#sample().finally(() => (this.#sampling = undefined));
    return this.#sampling;
  }

  async #sample(): Promise<void> {
    const keys = this.#index.gpuClusters();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < keys.length) {
          const key = keys[next++] ?? '';
          const slash = key.indexOf('/');
          const namespace = key.slice(0, slash);
          const name = key.slice(slash + 1);
          try {
            const cluster = await this.#client.get<Cluster>(RESOURCES.cluster, name, namespace);
            if (cluster === undefined) continue;
            const workload = await workloadClient(this.#client, cluster);
            this.#index.setGpusInUse(key, await clusterGpusInUse(workload, AbortSignal.timeout(GPU_CLUSTER_TIMEOUT_MS)));
          } catch (error) {
            // Provisioning, stopped, or slow: its last count stays until it answers.
            this.#logger.debug({ err: (error as Error).message, cluster: key }, 'could not read the GPU use of a cluster');
          }
        }
      }),
    );
  }
}
