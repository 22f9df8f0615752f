import type { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import type { Metric, Registry } from 'prom-client';
import type { Application } from '@beamline/api';
import { normaliseSourcePath } from '@beamline/gitops';
import { KubeClient, type KubeObject } from '@beamline/kube';
import { ExternalTrigger, parseKey, type CacheReader, type Controller, type ReconcileRequest } from '@beamline/reconcile';
import { RESOURCES } from '../resources.ts';
import { DestinationRegistry } from './destinations.ts';
import { applicationEvents } from './events.ts';
import { createGitopsMetrics } from './metrics.ts';
import { applicationReconciler, type ApplicationReconciler } from './reconciler.ts';
import { decodeSecretData } from './source-credentials.ts';
import { SourceLoader } from './source-loader.ts';
import { appsOfNamespace, appsOfProject, NAMESPACES, PROJECTS } from './tenancy-facts.ts';
import { pushMatchesSource, type PushEvent } from './webhook/index.ts';

/** How long apps a push did not change wait behind the ones it did. */
const UNCHANGED_REFRESH_DELAY_MS = 1_000;

/** Options of {@link ApplicationController}. */
export interface ApplicationControllerOptions {
  /** The management cluster: Applications, Clusters and their Secrets live there; also the `in-cluster` destination. */
  readonly kubeConfig: KubeConfig;
  /**
   * A folder of this process alone for git mirrors, exports and charts; stable across restarts so
   * mirrors are reused (see `claimGitopsWorkDir`).
   */
  readonly workDir: string;
  /** The pinned helm and kubectl (kustomize). */
  readonly binaries: { readonly helm: string; readonly kubectl: string };
  /** The Kubernetes version charts are rendered for (`.Capabilities.KubeVersion`). */
  readonly kubernetesVersion: string;
  readonly logger?: Logger;
  /** Workers reconciling different apps at once. Default 16: a pass mostly waits on the API servers and git, not on this process's CPU. */
  readonly concurrency?: number;
}

/** What a push (webhook) refreshed. */
export interface RefreshResult {
  readonly refreshed: number;
  /** `<namespace>/<name>` of each app refreshed. */
  readonly applications: string[];
}

/**
 * The GitOps controller: the Application reconciler with what it shares across apps (the source
 * loader with its mirrors and render cache, the destinations with their drift watches, the
 * events, the metrics) and the hooks the manager process wires up: a trigger for watches of
 * other clusters and webhooks, metrics for `/metrics`.
 */
export class ApplicationController {
  readonly controller: Controller<Application>;
  readonly loader: SourceLoader;
  readonly destinations: DestinationRegistry;
  readonly trigger = new ExternalTrigger();
  readonly #reconciler: ApplicationReconciler;
  readonly #metrics: Metric[];
  #cache: CacheReader | undefined;

  constructor(options: ApplicationControllerOptions) {
    const logger = options.logger ?? pino({ level: process.env.BEAMLINE_LOG_LEVEL ?? 'info' });
    const client = new KubeClient(options.kubeConfig);
    const { metrics } = createGitopsMetrics();
    this.#metrics = [metrics.stageDuration, metrics.syncTotal, metrics.sourceTotal, metrics.rendersTotal];
    this.loader = new SourceLoader({
      workDir: options.workDir,
      tools: options.binaries,
      kubeVersion: options.kubernetesVersion,
      // credentialsSecretRef: read live (not cached), so a rotated token is used at the next fetch.
      readSecret: async (namespace, name) => {
        const secret = await client.get<KubeObject & { data?: Record<string, string> }>(RESOURCES.secret, name, namespace);
        return secret === undefined ? undefined : decodeSecretData(secret.data);
      },
    });
    this.loader.onRender = () => metrics.rendersTotal.inc();
    this.destinations = new DestinationRegistry({
      kubeConfig: options.kubeConfig,
      client,
      logger,
      // Only well-formed ids reach here (trackedApplication): the annotation is user-editable.
      onTracked: (appKey) => this.trigger.enqueue(parseKey(appKey)),
    });
    this.#reconciler = applicationReconciler({ loader: this.loader, destinations: this.destinations, events: applicationEvents(client, logger), metrics });
    this.controller = {
      reconciler: this.#reconciler,
      for: RESOURCES.application,
      // Namespaces and Projects decide tenancy (a project label, spec.sharedNamespaces): a change
      // re-checks the apps it concerns at once, rather than at the next periodic pass.
      watches: [
        { ...RESOURCES.cluster, map: (cluster) => this.#appsOnCluster(cluster) },
        { ...NAMESPACES, map: (namespace) => requestsOf(this.#cache === undefined ? [] : appsOfNamespace(this.#cache, namespace.metadata?.name ?? '')) },
        { ...PROJECTS, map: (project) => requestsOf(this.#cache === undefined ? [] : appsOfProject(this.#cache, project.metadata?.name ?? '')) },
      ],
      trigger: this.trigger,
      concurrency: options.concurrency ?? 16,
    };
  }

  /** Gives the controller the manager's cache (to map Clusters and pushes to apps) and merges its metrics into the manager's registry. */
  attach(manager: { readonly cache: CacheReader; readonly registry: Registry }): void {
    this.#cache = manager.cache;
    for (const metric of this.#metrics) manager.registry.registerMetric(metric);
  }

  /**
   * Marks every app whose source `matches` for a refresh and queues it; a webhook calls this.
   * Resolved revisions of the repository are forgotten, so the apps see the push at once. Apps
   * whose folder the new commit changed are queued first: with a thousand apps on one branch,
   * the one a push concerns is not served after the 999 it left alone (those refresh too, to
   * record the new revision, but find their render in the cache).
   */
  async refresh(matches: (app: Application) => boolean): Promise<RefreshResult> {
    const apps = (this.#cache?.list<Application>(RESOURCES.application) ?? []).filter(matches);
    for (const repo of new Set(apps.map((app) => app.spec.source.repoURL))) this.loader.invalidate(repo);
    const changed: ReconcileRequest[] = [];
    const unchanged: ReconcileRequest[] = [];
    const treesByTarget = new Map<string, Promise<ReadonlyMap<string, string> | undefined>>();
    for (const app of apps) {
      const request: ReconcileRequest = { namespace: app.metadata.namespace ?? 'default', name: app.metadata.name ?? '' };
      this.#reconciler.markForRefresh(request);
      const source = app.spec.source;
      const loadedTree = this.#reconciler.loadedTree(request);
      const folder = source.chart === undefined ? normaliseSourcePath(source.path ?? '.') : undefined;
      // Apps with credentials are not compared: the comparison reads without them.
      if (loadedTree === undefined || folder === undefined || source.credentialsSecretRef !== undefined) {
        changed.push(request);
        continue;
      }
      const target = `${source.repoURL}#${source.targetRevision ?? 'HEAD'}`;
      let trees = treesByTarget.get(target);
      if (trees === undefined) {
        trees = this.loader.treesNow(source.repoURL, source.targetRevision ?? 'HEAD').then(
          (now) => now.trees,
          () => undefined,
        );
        treesByTarget.set(target, trees);
      }
      const tree = (await trees)?.get(folder);
      (tree === loadedTree ? unchanged : changed).push(request);
    }
    for (const request of changed) this.trigger.enqueue(request);
    // The rest only record the new revision: a moment later, so the apps the push changed have the
    // workers and the API servers to themselves first.
    for (const request of unchanged) this.trigger.enqueue(request, changed.length === 0 ? 0 : UNCHANGED_REFRESH_DELAY_MS);
    const applications = [...changed, ...unchanged].map((request) => `${request.namespace ?? 'default'}/${request.name}`);
    return { refreshed: applications.length, applications };
  }

  /**
   * Refreshes the apps a verified push concerns: same repository (normalised URL) and a
   * `targetRevision` the pushed ref moves ({@link pushMatchesSource}).
   */
  refreshForPush(push: PushEvent): Promise<RefreshResult> {
    return this.refresh((app) => pushMatchesSource(push, app.spec.source));
  }

  /** Stops the destinations' watches (after the manager stopped). */
  async stop(): Promise<void> {
    this.trigger.detach();
    await this.destinations.stop();
  }

  /** The apps delivering to a Cluster: of its namespace, or naming its namespace in `destination.clusterNamespace` (a shared cluster). */
  #appsOnCluster(cluster: KubeObject): ReconcileRequest[] {
    const namespace = cluster.metadata?.namespace ?? 'default';
    const name = cluster.metadata?.name;
    return requestsOf(
      (this.#cache?.list<Application>(RESOURCES.application) ?? []).filter(
        (app) => app.spec.destination.cluster === name && (app.spec.destination.clusterNamespace ?? app.metadata.namespace) === namespace,
      ),
    );
  }
}

/** The reconcile requests of apps. */
function requestsOf(apps: readonly Application[]): ReconcileRequest[] {
  return apps.map((app) => ({ namespace: app.metadata.namespace ?? 'default', name: app.metadata.name ?? '' }));
}
