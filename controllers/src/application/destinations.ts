import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ConditionType, IN_CLUSTER, TRACKING_ANNOTATION, trackedApplication, type Application, type Cluster } from '@beamline/api';
import { inventoryEntryOf, inventoryKey, type HealthOptions, type InventoryEntry, type Manifest } from '@beamline/gitops';
import { workloadKubeConfig } from '@beamline/providers';
import { KubeClient, type Impersonation, type KubeObject, type ResourceType } from '@beamline/kube';
import { Informer } from '@beamline/reconcile';
import { kubeconfigSecretName } from '../naming.ts';
import { KUBECONFIG_KEY, RESOURCES } from '../resources.ts';

/** How long to wait for a new watch of a destination kind to list its objects. */
const WATCH_SYNC_TIMEOUT_MS = 30_000;

/**
 * One cluster Applications deliver to, as one identity: a client that writes as that identity, and
 * a watch per kind the apps applied there, which maps every change of an object carrying the
 * tracking annotation to its Application.
 */
export class Destination {
  /** `in-cluster`, or `<namespace>/<cluster>@<endpoint>#<secret version>`, then `~<user>` when impersonating. */
  readonly key: string;
  readonly kubeConfig: KubeConfig;
  /**
   * Applies, prunes and deletes: as the project's delivery identity when there is one, so the
   * workload cluster's RBAC confines a tenant's manifests to what the project may do there.
   */
  readonly client: KubeClient;
  /** The identity {@link client} impersonates, if any. */
  readonly identity: Impersonation | undefined;
  /**
   * Discovery and the drift watches: the kubeconfig's own (admin) identity. They only read, and a
   * project identity confined to a few namespaces could not list a kind cluster-wide.
   */
  readonly #reader: KubeClient;
  /**
   * What the cluster offers that health rules depend on. A simulated (kwok) cluster has nothing
   * that publishes load-balancer or ingress addresses and serves no resource metrics.
   */
  readonly health: HealthOptions;
  readonly #logger: Logger;
  readonly #onTracked: (appKey: string) => void;
  readonly #watches = new Map<string, Informer>();
  readonly #abort = new AbortController();
  /** Per app (`namespace/name`): the objects carrying its tracking id, by inventory key. */
  readonly #tracked = new Map<string, Map<string, InventoryEntry>>();
  /** Per object (inventory key): the app its tracking id names. */
  readonly #owners = new Map<string, string>();

  constructor(key: string, kubeConfig: KubeConfig, logger: Logger, onTracked: (appKey: string) => void, simulated = false, identity?: Impersonation) {
    this.key = key;
    this.health = simulated ? { publishesAddresses: false, servesResourceMetrics: false } : {};
    this.kubeConfig = kubeConfig;
    this.identity = identity;
    this.#reader = new KubeClient(kubeConfig);
    this.client = identity === undefined ? this.#reader : new KubeClient(kubeConfig, { impersonate: identity });
    this.#logger = logger.child({ destination: key });
    this.#onTracked = onTracked;
  }

  /** The kind of an object through discovery (cached per destination). */
  resourceFor(apiVersion: string, kind: string): Promise<ResourceType> {
    return this.#reader.resourceFor(apiVersion, kind);
  }

  /**
   * Makes sure this kind is watched, and waits until its first list is in (a bounded wait).
   * Every object of the kind is cached: objects are found by name, and drift is seen as it happens.
   */
  async watch(resource: ResourceType, signal: AbortSignal): Promise<void> {
    const key = `${resource.plural}.${resource.apiVersion}`;
    let informer = this.#watches.get(key);
    if (informer === undefined) {
      informer = new Informer({ kubeConfig: this.kubeConfig, client: this.#reader, resource, logger: this.#logger });
      informer.on((event, object) => this.#track(event, object));
      this.#watches.set(key, informer);
      informer.start();
    }
    if (informer.synced) return;
    const bounded = AbortSignal.any([signal, this.#abort.signal, AbortSignal.timeout(WATCH_SYNC_TIMEOUT_MS)]);
    try {
      await informer.whenSynced(bounded);
    } catch (error) {
      throw new Error(`failed to watch ${key} in destination ${this.key}: ${informer.lastError ?? (error as Error).message}`, { cause: error });
    }
  }

  /** Whether the kind is watched and listed. */
  watching(resource: ResourceType): boolean {
    return this.#watches.get(`${resource.plural}.${resource.apiVersion}`)?.synced === true;
  }

  /** The live object from the watch cache (shared: read only); `undefined` when absent or the kind is not watched. */
  live(resource: ResourceType, name: string, namespace?: string): Readonly<KubeObject> | undefined {
    return this.#watches.get(`${resource.plural}.${resource.apiVersion}`)?.peek(name, resource.namespaced ? namespace : undefined);
  }

  /**
   * The objects of the watched kinds that carry the app's tracking id: what the app wrote, whether
   * or not its status lists it (a manager killed between writing objects and recording them).
   */
  trackedBy(appKey: string): InventoryEntry[] {
    return [...(this.#tracked.get(appKey)?.values() ?? [])];
  }

  /** Keeps the tracked-objects index and wakes the app an object belongs to. */
  #track(event: 'add' | 'update' | 'delete', object: KubeObject): void {
    if (object.apiVersion === undefined || object.kind === undefined || object.metadata?.name === undefined) return;
    const entry = inventoryEntryOf(object as Manifest);
    const key = inventoryKey(entry);
    const tracking = object.metadata.annotations?.[TRACKING_ANNOTATION];
    const app = tracking === undefined ? undefined : trackedApplication(tracking, entry);
    const previous = this.#owners.get(key);
    if (previous !== undefined && (previous !== app || event === 'delete')) {
      this.#tracked.get(previous)?.delete(key);
      this.#owners.delete(key);
      this.#onTracked(previous);
    }
    if (app === undefined || event === 'delete') {
      if (app !== undefined) this.#onTracked(app);
      return;
    }
    let objects = this.#tracked.get(app);
    if (objects === undefined) {
      objects = new Map();
      this.#tracked.set(app, objects);
    }
    objects.set(key, entry);
    this.#owners.set(key, app);
    this.#onTracked(app);
  }

  /** Stops every watch. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all([...this.#watches.values()].map((informer) => informer.stop()));
    this.#watches.clear();
  }
}

/** Finds a Cluster by namespace and name (the manager's cache, or the API). */
export type ClusterFinder = (namespace: string, name: string) => Cluster | undefined | Promise<Cluster | undefined>;

/** The kubeconfig text of a Cluster from its Secret, or why it cannot be had. */
export async function readClusterKubeconfig(
  client: KubeClient,
  cluster: Cluster,
): Promise<{ readonly ok: true; readonly text: string; readonly secret: KubeObject } | { readonly ok: false; readonly message: string }> {
  const namespace = cluster.metadata.namespace ?? 'default';
  const name = cluster.metadata.name ?? '';
  const ref = cluster.status?.kubeconfigSecretRef ?? { name: kubeconfigSecretName(name), key: KUBECONFIG_KEY };
  const secret = await client.get<KubeObject & { data?: Record<string, string> }>(RESOURCES.secret, ref.name, namespace);
  const encoded = secret?.data?.[ref.key];
  if (secret === undefined || encoded === undefined) return { ok: false, message: `Cluster ${namespace}/${name} has no kubeconfig yet (Secret ${ref.name}, key ${ref.key})` };
  return { ok: true, text: Buffer.from(encoded, 'base64').toString('utf8'), secret };
}

/** A destination, or why there is none yet. */
export type DestinationLookup = { readonly ready: true; readonly destination: Destination } | { readonly ready: false; readonly message: string };

/** Options of {@link DestinationRegistry}. */
export interface DestinationRegistryOptions {
  /** The management cluster (the `in-cluster` destination; Clusters and their Secrets are read here). */
  readonly kubeConfig: KubeConfig;
  readonly client: KubeClient;
  readonly logger: Logger;
  /** Called with `<namespace>/<name>` of the Application a changed destination object belongs to. */
  readonly onTracked: (appKey: string) => void;
}

/**
 * The destinations of every Application: one {@link Destination} per cluster, made from the
 * Cluster's kubeconfig Secret, remade when the Cluster's endpoint or kubeconfig changes (a
 * resumed control plane), dropped when the Cluster is gone.
 */
export class DestinationRegistry {
  readonly #options: DestinationRegistryOptions;
  readonly #destinations = new Map<string, Destination>();
  /** Per `<namespace>/<cluster>`: the key of its current destination. */
  readonly #current = new Map<string, string>();
  /** Per `<namespace>/<cluster>`: the Cluster's resourceVersion when its Secret was last read (no read while it stays). */
  readonly #seen = new Map<string, string>();

  constructor(options: DestinationRegistryOptions) {
    this.#options = options;
  }

  /**
   * The destination of an Application, when its Cluster exists, is Ready, and has a kubeconfig:
   * the Cluster of `destination.clusterNamespace` (a shared cluster) or of the app's namespace.
   * With an `identity`, the destination writes as that identity; each identity has a destination
   * of its own, so two projects never share a client.
   */
  async lookup(app: Application, findCluster: ClusterFinder, identity?: Impersonation): Promise<DestinationLookup> {
    const clusterName = app.spec.destination.cluster;
    const as = identity === undefined ? '' : `~${identity.user}`;
    if (clusterName === IN_CLUSTER) return { ready: true, destination: this.#get(`${IN_CLUSTER}${as}`, () => this.#options.kubeConfig, false, identity) };
    const namespace = app.spec.destination.clusterNamespace ?? app.metadata.namespace ?? 'default';
    const cluster = await findCluster(namespace, clusterName);
    const where = `Cluster ${namespace}/${clusterName}`;
    const clusterKey = `${namespace}/${clusterName}${as}`;
    if (cluster === undefined) {
      await this.#drop(clusterKey);
      return { ready: false, message: `${where} does not exist (yet)` };
    }
    const ready = cluster.status?.conditions?.find((condition) => condition.type === ConditionType.Ready);
    if (ready?.status !== 'True') return { ready: false, message: `${where} is not Ready${ready?.message === undefined ? '' : `: ${ready.message}`}` };
    const known = this.#current.get(clusterKey);
    const knownDestination = known === undefined ? undefined : this.#destinations.get(known);
    if (knownDestination !== undefined && this.#seen.get(clusterKey) === cluster.metadata?.resourceVersion) return { ready: true, destination: knownDestination };
    const found = await readClusterKubeconfig(this.#options.client, cluster);
    if (!found.ok) return { ready: false, message: found.message };
    const { secret, text } = found;
    const key = `${namespace}/${clusterName}@${cluster.status?.endpoint ?? ''}#${secret?.metadata?.resourceVersion ?? ''}${as}`;
    const current = this.#current.get(clusterKey);
    if (current !== undefined && current !== key) await this.#dropKey(current);
    this.#current.set(clusterKey, key);
    this.#seen.set(clusterKey, cluster.metadata?.resourceVersion ?? '');
    try {
      return {
        ready: true,
        destination: this.#get(
          key,
          () => workloadKubeConfig(text),
          cluster.status?.provider === 'kwok',
          identity,
        ),
      };
    } catch (error) {
      return { ready: false, message: `${where} has a kubeconfig that cannot be used: ${(error as Error).message}` };
    }
  }

  /** Stops every destination's watches. */
  async stop(): Promise<void> {
    await Promise.all([...this.#destinations.values()].map((destination) => destination.stop()));
    this.#destinations.clear();
    this.#current.clear();
  }

  #get(key: string, load: () => KubeConfig, simulated = false, identity?: Impersonation): Destination {
    let destination = this.#destinations.get(key);
    if (destination === undefined) {
      destination = new Destination(key, load(), this.#options.logger, this.#options.onTracked, simulated, identity);
      this.#destinations.set(key, destination);
    }
    return destination;
  }

  async #drop(clusterKey: string): Promise<void> {
    const key = this.#current.get(clusterKey);
    this.#current.delete(clusterKey);
    this.#seen.delete(clusterKey);
    if (key !== undefined) await this.#dropKey(key);
  }

  async #dropKey(key: string): Promise<void> {
    const destination = this.#destinations.get(key);
    this.#destinations.delete(key);
    await destination?.stop();
  }
}
