import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { API_VERSION, APPLICATION, CLUSTER, NODE_GROUP, PLATFORM_CONFIG, PROJECT, type KindNames } from '@beamline/api';
import { KubeClient, type KubeObject, type ResourceType } from '@beamline/kube';
import { Informer } from '@beamline/reconcile';
import { FleetIndex, type PortalKind } from './fleet.ts';

/** A change the portal's event stream reports. */
export interface PortalChange {
  readonly type: 'add' | 'update' | 'delete';
  readonly kind: 'Cluster' | 'Application' | 'Project';
  readonly namespace?: string;
  readonly name: string;
}

const beamline = (names: KindNames): ResourceType => ({ apiVersion: API_VERSION, kind: names.kind, plural: names.plural, namespaced: names.scope === 'Namespaced' });

const WATCHED: ReadonlyArray<readonly [PortalKind, ResourceType]> = [
  ['Cluster', beamline(CLUSTER)],
  ['NodeGroup', beamline(NODE_GROUP)],
  ['Application', beamline(APPLICATION)],
  ['Project', beamline(PROJECT)],
  ['PlatformConfig', beamline(PLATFORM_CONFIG)],
  ['Namespace', { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false }],
];

/**
 * The portal's own informers (Clusters, NodeGroups, Applications, Projects, the PlatformConfig,
 * Namespaces) feeding a {@link FleetIndex} and the event stream's listeners. Its own, not the
 * reconcile Manager's cache: that cache holds only what controllers watch and hands out copies,
 * where the views need small summaries kept up to date on every event.
 *
 * Only the PlatformConfig's (what login needs) starts with the manager. The others start on the
 * first request for a view: a manager nobody looks at through the portal (a CLI-only site, the
 * GitOps benchmark with 1000 apps) does not hold every object twice nor take every status
 * update twice (measured: 38 MiB and about 10% of the delivery time at 1000 Applications).
 */
export class PortalCache {
  /** The index the fleet and usage views read. */
  readonly index = new FleetIndex();
  readonly #informers: Informer[];
  /** The PlatformConfig's informer: started with the portal. */
  readonly #identityInformer: Informer;
  /** The views' informers: started by the first view asked for. */
  readonly #viewInformers: Informer[];
  readonly #listeners = new Set<(change: PortalChange) => void>();
  readonly #abort = new AbortController();
  #started = false;
  #viewsStarted = false;

  constructor(options: { readonly kubeConfig: KubeConfig; readonly logger: Logger; readonly namespace?: string }) {
    const client = new KubeClient(options.kubeConfig);
    this.#informers = WATCHED.map(([kind, resource]) => {
      const informer = new Informer({ kubeConfig: options.kubeConfig, client, resource, namespace: options.namespace, logger: options.logger.child({ component: 'portal' }) });
      informer.on((event, object) => this.#onEvent(kind, event, object));
      return informer;
    });
    const identityAt = WATCHED.findIndex(([kind]) => kind === 'PlatformConfig');
    this.#identityInformer = this.#informers[identityAt] as Informer;
    this.#viewInformers = this.#informers.filter((_, index) => index !== identityAt);
  }

  /** Whether every informer has listed once. */
  get synced(): boolean {
    return this.#informers.every((informer) => informer.synced);
  }

  /** Whether the PlatformConfig has been read (what login and `/api/auth/config` need). */
  get identitySynced(): boolean {
    return this.#identityInformer.synced;
  }

  /** Starts the PlatformConfig's informer (once); the views' start with {@link startViews}. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#identityInformer.start();
  }

  /** Starts the views' informers (once): called by every request for a view. */
  startViews(): void {
    this.start();
    if (this.#viewsStarted) return;
    this.#viewsStarted = true;
    for (const informer of this.#viewInformers) informer.start();
  }

  /** Starts everything and resolves once every informer synced (rejects if stopped first, or when `signal` aborts). */
  async whenSynced(signal?: AbortSignal): Promise<void> {
    this.startViews();
    const bounded = signal === undefined ? this.#abort.signal : AbortSignal.any([signal, this.#abort.signal]);
    await Promise.all(this.#informers.map((informer) => informer.whenSynced(bounded)));
  }

  /** Calls `listener` on every change of a Cluster, Application or Project; returns the unsubscribe. */
  subscribe(listener: (change: PortalChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the informers; listeners hear nothing more. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#listeners.clear();
    await Promise.all(this.#informers.map((informer) => informer.stop()));
  }

  #onEvent(kind: PortalKind, event: 'add' | 'update' | 'delete', object: KubeObject): void {
    this.index.apply(kind, event, object);
    if (kind !== 'Cluster' && kind !== 'Application' && kind !== 'Project') return;
    const name = object.metadata?.name;
    if (name === undefined) return;
    const change: PortalChange = { type: event, kind, name, ...(object.metadata?.namespace === undefined ? {} : { namespace: object.metadata.namespace }) };
    for (const listener of this.#listeners) listener(change);
  }
}
