import { PLATFORM_CONFIG_NAME, PROJECT_LABEL, projectOfNamespaceName, type Application, type Cluster, type Identity, type NodeGroup, type PlatformConfig, type Project } from '@beamline/api';
import type { KubeObject } from '@beamline/kube';

/** The kinds the portal's views and events read. */
export type PortalKind = 'Cluster' | 'NodeGroup' | 'Application' | 'Project' | 'Namespace' | 'PlatformConfig';

/** Counts of one namespace (or the sum of several). */
export interface FleetCounts {
  clusters: { total: number; byPhase: Record<string, number> };
  nodes: { total: number; ready: number };
  /** GPUs of the clusters' nodes (their flavors). */
  gpus: number;
  /** GPUs the running Pods ask for (sampled: gpu-usage.ts). */
  gpusInUse: number;
  applications: { total: number; bySync: Record<string, number>; byHealth: Record<string, number> };
}

/** The fleet view's counts of one namespace of the management cluster, and its Project. */
export interface NamespaceFleet extends FleetCounts {
  readonly namespace: string;
  /** The Project the namespace belongs to (its `beamline.dev/project` label), if any. */
  readonly project?: string;
}

/** `GET /api/fleet`: the totals over what the user may see, and each namespace's. */
export interface FleetView {
  readonly totals: FleetCounts;
  readonly namespaces: readonly NamespaceFleet[];
}

/** `GET /api/platform`: PlatformConfig's catalogue (never its identity settings). */
export interface PlatformView {
  readonly flavors: readonly { readonly name: string; readonly cpu: string; readonly memory: string; readonly gpus: number; readonly gpuType?: string }[];
  readonly kubernetesVersions: readonly string[];
}

/** One Project's quota and usage, for `GET /api/projects/usage`. */
export interface ProjectUsageView {
  readonly name: string;
  readonly displayName: string;
  readonly namespace: string;
  readonly quota: NonNullable<Project['spec']>['quota'] | null;
  readonly usage: NonNullable<Project['status']>['usage'] | null;
}

/** A row of `GET /api/clusters`. */
export interface ClusterRow {
  readonly namespace: string;
  readonly name: string;
  readonly project?: string;
  readonly template: string;
  readonly provider: string;
  readonly phase: string;
  readonly ready: 'True' | 'False' | 'Unknown';
  readonly readyReason?: string;
  readonly readyMessage?: string;
  readonly nodes: { readonly total: number; readonly ready: number };
  readonly gpus: number;
  /** GPUs the cluster's running Pods ask for, as last sampled; 0 for clusters without GPU nodes. */
  readonly gpusInUse: number;
  readonly kubernetesVersion?: string;
  readonly endpoint?: string;
  readonly createdAt: string;
}

/** A row of `GET /api/applications`. */
export interface AppRow {
  readonly namespace: string;
  readonly name: string;
  readonly project?: string;
  readonly repoURL: string;
  readonly path?: string;
  readonly chart?: string;
  readonly chartVersion?: string;
  readonly targetRevision?: string;
  readonly revision?: string;
  readonly destination: { readonly cluster: string; readonly clusterNamespace?: string; readonly namespace: string };
  readonly sync: string;
  readonly health: string;
  readonly healthMessage?: string;
  readonly readyReason?: string;
  readonly readyMessage?: string;
  readonly operationPhase?: string;
  readonly autoSync: boolean;
  readonly createdAt: string;
}

/** An object's kstatus conditions, as the reconciler panel counts them. */
export interface ReconcileState {
  readonly ready: 'True' | 'False' | 'Unknown';
  readonly reconciling: boolean;
  readonly stalled: boolean;
  readonly reason?: string;
  readonly message?: string;
  /** When Ready last changed. */
  readonly since?: string;
}

interface ClusterSummary {
  readonly phase: string;
  readonly nodesTotal: number;
  readonly nodesReady: number;
  /** The row without `project` and `gpus`, which come from Namespaces and NodeGroups. */
  readonly row: Omit<ClusterRow, 'project' | 'gpus' | 'gpusInUse'>;
  readonly state: ReconcileState;
}
interface NodeGroupSummary {
  readonly cluster: string;
  readonly flavor: string;
  readonly replicas: number;
  readonly state: ReconcileState;
}
interface ApplicationSummary {
  readonly sync: string;
  readonly health: string;
  /** The row without `project`. */
  readonly row: Omit<AppRow, 'project'>;
  readonly state: ReconcileState;
}

/** The longest condition or health message kept in the index: a row is a line of a table, and 10,000 of them stay small. */
const MESSAGE_MAX = 1024;

function clip(text: string | undefined): string | undefined {
  return text === undefined || text.length <= MESSAGE_MAX ? text : `${text.slice(0, MESSAGE_MAX)}…`;
}

interface ConditionLike {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
}

/** The kstatus conditions of an object's status. */
export function reconcileStateOf(conditions: readonly ConditionLike[] | undefined): ReconcileState {
  const find = (type: string): ConditionLike | undefined => conditions?.find((condition) => condition.type === type);
  const ready = find('Ready');
  const status = ready?.status === 'True' || ready?.status === 'False' ? ready.status : 'Unknown';
  const message = clip(ready?.message);
  return {
    ready: status,
    reconciling: find('Reconciling')?.status === 'True',
    stalled: find('Stalled')?.status === 'True',
    ...(ready?.reason === undefined || ready.reason === '' ? {} : { reason: ready.reason }),
    ...(message === undefined || message === '' ? {} : { message }),
    ...(ready?.lastTransitionTime === undefined ? {} : { since: ready.lastTransitionTime }),
  };
}

function readyFields(state: ReconcileState): { ready: ReconcileState['ready']; readyReason?: string; readyMessage?: string } {
  return { ready: state.ready, ...(state.reason === undefined ? {} : { readyReason: state.reason }), ...(state.message === undefined ? {} : { readyMessage: state.message }) };
}

/** The objects of one kind in one namespace (or cluster-wide for Projects), by kstatus. */
export interface KindCounts {
  total: number;
  ready: number;
  notReady: number;
  reconciling: number;
  stalled: number;
}

/** The kinds the reconciler panel counts. */
export const RECONCILED_KINDS = ['Cluster', 'NodeGroup', 'Application', 'Project'] as const;

/** One of {@link RECONCILED_KINDS}. */
export type ReconciledKind = (typeof RECONCILED_KINDS)[number];

/** An object that is not Ready for a reason (Ready=False, or Stalled). */
export interface FailingObject {
  readonly kind: ReconciledKind;
  readonly namespace?: string;
  readonly name: string;
  readonly reason: string;
  readonly message: string;
  readonly since?: string;
}

/** The sources of one namespace's Applications: per repoURL, whether it is a Helm repository and whether a fetch from it fails. */
export type NamespaceSources = Map<string, { helm: boolean; failing: boolean }>;

/** What the reconciler panel reads of one namespace, computed once per index version. */
export interface NamespaceReconcile {
  readonly counts: Partial<Record<ReconciledKind, KindCounts>>;
  readonly sources: NamespaceSources;
}

function emptyKindCounts(): KindCounts {
  return { total: 0, ready: 0, notReady: 0, reconciling: 0, stalled: 0 };
}

function countState(counts: KindCounts, state: ReconcileState): void {
  counts.total++;
  if (state.ready === 'True') counts.ready++;
  else counts.notReady++;
  if (state.reconciling) counts.reconciling++;
  if (state.stalled) counts.stalled++;
}

function isFailing(state: ReconcileState): boolean {
  return state.stalled || (state.ready === 'False' && !state.reconciling);
}

/** `<namespace>/<name>`. */
function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function emptyCounts(): FleetCounts {
  return { clusters: { total: 0, byPhase: {} }, nodes: { total: 0, ready: 0 }, gpus: 0, gpusInUse: 0, applications: { total: 0, bySync: {}, byHealth: {} } };
}

function addTo(record: Record<string, number>, key: string, count = 1): void {
  record[key] = (record[key] ?? 0) + count;
}

function addCounts(into: FleetCounts, from: FleetCounts): void {
  into.clusters.total += from.clusters.total;
  for (const [phase, count] of Object.entries(from.clusters.byPhase)) addTo(into.clusters.byPhase, phase, count);
  into.nodes.total += from.nodes.total;
  into.nodes.ready += from.nodes.ready;
  into.gpus += from.gpus;
  into.gpusInUse += from.gpusInUse;
  into.applications.total += from.applications.total;
  for (const [sync, count] of Object.entries(from.applications.bySync)) addTo(into.applications.bySync, sync, count);
  for (const [health, count] of Object.entries(from.applications.byHealth)) addTo(into.applications.byHealth, health, count);
}

interface DerivedViews {
  readonly clusterRows: ClusterRow[];
  readonly appRows: AppRow[];
  readonly reconcile: Map<string, NamespaceReconcile>;
  readonly failing: FailingObject[];
}

/**
 * The portal's index of the fleet: a small summary of every Cluster, NodeGroup, Application,
 * Project and Namespace, kept from informer events (not copies of the objects), and the
 * per-namespace counts computed from it once per change rather than once per request: the fleet
 * view is read hundreds of times a second and changes far less often.
 */
export class FleetIndex {
  readonly #clusters = new Map<string, ClusterSummary>();
  readonly #nodeGroups = new Map<string, NodeGroupSummary>();
  readonly #applications = new Map<string, ApplicationSummary>();
  readonly #projects = new Map<string, ProjectUsageView>();
  readonly #projectStates = new Map<string, ReconcileState>();
  readonly #namespaceProjects = new Map<string, string>();
  #flavorGpus = new Map<string, number>();
  /** Cluster key → GPUs its running Pods ask for, as last sampled. */
  readonly #gpusInUse = new Map<string, number>();
  #identity: Identity | undefined;
  #platform: PlatformView = { flavors: [], kubernetesVersions: [] };
  #byNamespace: Map<string, NamespaceFleet> | undefined;
  #derived: DerivedViews | undefined;
  #version = 0;

  /** Increases with every event applied: views computed at the same version are the same. */
  get version(): number {
    return this.#version;
  }

  /** Applies one informer event to the index. */
  apply(kind: PortalKind, event: 'add' | 'update' | 'delete', object: KubeObject): void {
    const name = object.metadata?.name;
    if (name === undefined) return;
    const key = keyOf(object.metadata?.namespace, name);
    const deleted = event === 'delete';
    switch (kind) {
      case 'Cluster': {
        const cluster = object as unknown as Cluster;
        if (deleted) {
          this.#clusters.delete(key);
          this.#gpusInUse.delete(key);
          break;
        }
        const state = reconcileStateOf(cluster.status?.conditions);
        const phase = cluster.status?.phase ?? 'Pending';
        const nodes = { total: cluster.status?.nodes?.total ?? 0, ready: cluster.status?.nodes?.ready ?? 0 };
        this.#clusters.set(key, {
          phase,
          nodesTotal: nodes.total,
          nodesReady: nodes.ready,
          state,
          row: {
            namespace: object.metadata?.namespace ?? '',
            name,
            template: cluster.spec?.templateRef?.name ?? '',
            provider: cluster.status?.provider ?? cluster.spec?.provider ?? '',
            phase,
            ...readyFields(state),
            nodes,
            ...(cluster.status?.kubernetesVersion === undefined ? {} : { kubernetesVersion: cluster.status.kubernetesVersion }),
            ...(cluster.status?.endpoint === undefined ? {} : { endpoint: cluster.status.endpoint }),
            createdAt: object.metadata?.creationTimestamp ?? '',
          },
        });
        break;
      }
      case 'NodeGroup': {
        const group = object as unknown as NodeGroup;
        if (deleted || group.spec === undefined) this.#nodeGroups.delete(key);
        else
          this.#nodeGroups.set(key, {
            cluster: keyOf(object.metadata?.namespace, group.spec.clusterName),
            flavor: group.spec.flavor,
            replicas: group.status?.replicas ?? group.spec.replicas,
            state: reconcileStateOf(group.status?.conditions),
          });
        break;
      }
      case 'Application': {
        const app = object as unknown as Application;
        if (deleted) {
          this.#applications.delete(key);
          break;
        }
        const state = reconcileStateOf(app.status?.conditions);
        const sync = app.status?.sync?.status ?? 'Unknown';
        const health = app.status?.health?.status ?? 'Unknown';
        // An object read before admission defaulted it may lack a spec: it still counts, with empty fields.
        const source: Partial<Application['spec']['source']> = app.spec?.source ?? {};
        const destination: Partial<Application['spec']['destination']> = app.spec?.destination ?? {};
        const healthMessage = clip(app.status?.health?.message);
        this.#applications.set(key, {
          sync,
          health,
          state,
          row: {
            namespace: object.metadata?.namespace ?? '',
            name,
            repoURL: source.repoURL ?? '',
            ...(source.path === undefined ? {} : { path: source.path }),
            ...(source.chart === undefined ? {} : { chart: source.chart }),
            ...(source.chartVersion === undefined ? {} : { chartVersion: source.chartVersion }),
            ...(source.targetRevision === undefined ? {} : { targetRevision: source.targetRevision }),
            ...(app.status?.sync?.revision === undefined ? {} : { revision: app.status.sync.revision }),
            destination: {
              cluster: destination.cluster ?? '',
              ...(destination.clusterNamespace === undefined ? {} : { clusterNamespace: destination.clusterNamespace }),
              namespace: destination.namespace ?? '',
            },
            sync,
            health,
            ...(healthMessage === undefined ? {} : { healthMessage }),
            ...(state.reason === undefined ? {} : { readyReason: state.reason }),
            ...(state.message === undefined ? {} : { readyMessage: state.message }),
            ...(app.status?.operationState?.phase === undefined ? {} : { operationPhase: app.status.operationState.phase }),
            autoSync: app.spec?.syncPolicy?.automated !== undefined,
            createdAt: object.metadata?.creationTimestamp ?? '',
          },
        });
        break;
      }
      case 'Project': {
        const project = object as unknown as Project;
        if (deleted) this.#projectStates.delete(name);
        else this.#projectStates.set(name, reconcileStateOf(project.status?.conditions));
        if (deleted) this.#projects.delete(name);
        else
          this.#projects.set(name, {
            name,
            displayName: project.spec?.displayName ?? name,
            namespace: project.status?.namespace ?? `project-${name}`,
            quota: project.spec?.quota ?? null,
            usage: project.status?.usage ?? null,
          });
        break;
      }
      case 'Namespace': {
        const project = object.metadata?.labels?.[PROJECT_LABEL];
        if (deleted || project === undefined) this.#namespaceProjects.delete(name);
        else this.#namespaceProjects.set(name, project);
        break;
      }
      case 'PlatformConfig': {
        if (name !== PLATFORM_CONFIG_NAME) return;
        const spec = deleted ? undefined : (object as unknown as PlatformConfig).spec;
        this.#flavorGpus = new Map((spec?.flavors ?? []).map((flavor) => [flavor.name, flavor.gpus?.count ?? 0]));
        this.#identity = spec?.identity;
        // Copied field by field: the catalogue only, so nothing of the identity's settings can reach a view.
        this.#platform = {
          flavors: (spec?.flavors ?? []).map((flavor) => ({
            name: flavor.name,
            cpu: flavor.cpu,
            memory: flavor.memory,
            gpus: flavor.gpus?.count ?? 0,
            ...(flavor.gpus === undefined ? {} : { gpuType: flavor.gpus.product }),
          })),
          kubernetesVersions: [...(spec?.kubernetesVersions ?? [])],
        };
        break;
      }
    }
    this.#byNamespace = undefined;
    this.#derived = undefined;
    this.#version++;
  }

  /** PlatformConfig `spec.identity`: the OIDC issuer, if one is configured. */
  identity(): Identity | undefined {
    return this.#identity;
  }

  /** PlatformConfig's flavors and Kubernetes versions. */
  platform(): PlatformView {
    return this.#platform;
  }

  /** The namespaces holding Clusters or Applications. */
  namespaces(): string[] {
    return [...this.#fleetByNamespace().keys()];
  }

  /** The fleet view over the namespaces `visible` says yes to (clusters and applications may differ). */
  fleet(visible: { readonly clusters: (namespace: string) => boolean; readonly applications: (namespace: string) => boolean }): FleetView {
    const totals = emptyCounts();
    const namespaces: NamespaceFleet[] = [];
    for (const [namespace, counts] of this.#fleetByNamespace()) {
      const seeClusters = visible.clusters(namespace);
      const seeApps = visible.applications(namespace);
      if (!seeClusters && !seeApps) continue;
      const shown: NamespaceFleet = {
        namespace,
        ...(counts.project === undefined ? {} : { project: counts.project }),
        clusters: seeClusters ? counts.clusters : { total: 0, byPhase: {} },
        nodes: seeClusters ? counts.nodes : { total: 0, ready: 0 },
        gpus: seeClusters ? counts.gpus : 0,
        gpusInUse: seeClusters ? counts.gpusInUse : 0,
        applications: seeApps ? counts.applications : { total: 0, bySync: {}, byHealth: {} },
      };
      addCounts(totals, shown);
      namespaces.push(shown);
    }
    return { totals, namespaces };
  }

  /** The Clusters (keys `<namespace>/<name>`) with GPU nodes: the ones whose GPU use is worth asking. */
  gpuClusters(): string[] {
    const keys = new Set<string>();
    for (const group of this.#nodeGroups.values()) if (group.replicas > 0 && (this.#flavorGpus.get(group.flavor) ?? 0) > 0 && this.#clusters.has(group.cluster)) keys.add(group.cluster);
    return [...keys].sort();
  }

  /** Records a cluster's GPUs in use (the sampler's); a change is a new version of the views. */
  setGpusInUse(key: string, count: number): void {
    if (this.#gpusInUse.get(key) === count) return;
    this.#gpusInUse.set(key, count);
    this.#byNamespace = undefined;
    this.#derived = undefined;
    this.#version++;
  }

  /** Every Project's quota and usage (the caller filters by what the user may see). */
  projects(): ProjectUsageView[] {
    return [...this.#projects.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Every Cluster's row, sorted by namespace then name (the same array until the next change: read only). */
  clusterRows(): readonly ClusterRow[] {
    return this.#derive().clusterRows;
  }

  /** Every Application's row, sorted by namespace then name (the same array until the next change: read only). */
  applicationRows(): readonly AppRow[] {
    return this.#derive().appRows;
  }

  /** Per namespace: Clusters, NodeGroups and Applications by kstatus, and the Applications' sources. */
  reconcileByNamespace(): ReadonlyMap<string, NamespaceReconcile> {
    return this.#derive().reconcile;
  }

  /** Every Project's kstatus conditions, by name (cluster-scoped: the caller asks which the user may get). */
  projectStates(): ReadonlyMap<string, ReconcileState> {
    return this.#projectStates;
  }

  /** Objects that are failing (Ready=False and not working on it, or Stalled), newest first. */
  failing(): readonly FailingObject[] {
    return this.#derive().failing;
  }

  /** The namespaces holding any Cluster, NodeGroup or Application. */
  reconcileNamespaces(): string[] {
    return [...this.#derive().reconcile.keys()];
  }

  #projectOfNamespace(namespace: string): string | undefined {
    const candidate = projectOfNamespaceName(namespace);
    return this.#namespaceProjects.get(namespace) ?? (candidate !== undefined && this.#projects.has(candidate) ? candidate : undefined);
  }

  /** Rows, per-namespace reconcile counts and the failing list: computed once per version, on first use. */
  #derive(): DerivedViews {
    if (this.#derived !== undefined) return this.#derived;
    const gpus = new Map<string, number>();
    for (const group of this.#nodeGroups.values()) gpus.set(group.cluster, (gpus.get(group.cluster) ?? 0) + group.replicas * (this.#flavorGpus.get(group.flavor) ?? 0));
    const byKey = (a: { namespace: string; name: string }, b: { namespace: string; name: string }): number =>
      a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    const withProject = <T extends { namespace: string }>(row: T): T & { project?: string } => {
      const project = this.#projectOfNamespace(row.namespace);
      return project === undefined ? row : { ...row, project };
    };
    const clusterRows = [...this.#clusters.entries()].map(([key, cluster]) => ({ ...withProject(cluster.row), gpus: gpus.get(key) ?? 0, gpusInUse: this.#gpusInUse.get(key) ?? 0 })).sort(byKey);
    const appRows = [...this.#applications.values()].map((app) => withProject(app.row)).sort(byKey);

    const reconcile = new Map<string, NamespaceReconcile>();
    const of = (namespace: string): NamespaceReconcile => {
      let entry = reconcile.get(namespace);
      if (entry === undefined) {
        entry = { counts: {}, sources: new Map() };
        reconcile.set(namespace, entry);
      }
      return entry;
    };
    const failing: FailingObject[] = [];
    const note = (kind: ReconciledKind, key: string, state: ReconcileState): void => {
      const slash = key.indexOf('/');
      const namespace = key.slice(0, slash);
      const entry = of(namespace);
      countState((entry.counts[kind] ??= emptyKindCounts()), state);
      if (isFailing(state)) {
        failing.push({ kind, namespace, name: key.slice(slash + 1), reason: state.reason ?? (state.stalled ? 'Stalled' : 'NotReady'), message: state.message ?? '', ...(state.since === undefined ? {} : { since: state.since }) });
      }
    };
    for (const [key, cluster] of this.#clusters) note('Cluster', key, cluster.state);
    for (const [key, group] of this.#nodeGroups) note('NodeGroup', key, group.state);
    for (const [key, app] of this.#applications) {
      note('Application', key, app.state);
      const sources = of(app.row.namespace).sources;
      const known = sources.get(app.row.repoURL) ?? { helm: false, failing: false };
      if (app.row.chart !== undefined) known.helm = true;
      if (app.state.reason === 'FetchFailed') known.failing = true;
      sources.set(app.row.repoURL, known);
    }
    for (const [name, state] of this.#projectStates) {
      if (isFailing(state)) failing.push({ kind: 'Project', name, reason: state.reason ?? (state.stalled ? 'Stalled' : 'NotReady'), message: state.message ?? '', ...(state.since === undefined ? {} : { since: state.since }) });
    }
    // Newest first; those without a time last.
    failing.sort((a, b) => (b.since ?? '').localeCompare(a.since ?? ''));
    this.#derived = { clusterRows, appRows, reconcile, failing };
    return this.#derived;
  }

  #fleetByNamespace(): Map<string, NamespaceFleet> {
    if (this.#byNamespace !== undefined) return this.#byNamespace;
    const byNamespace = new Map<string, NamespaceFleet>();
    const of = (namespace: string): NamespaceFleet => {
      let entry = byNamespace.get(namespace);
      if (entry === undefined) {
        const project = this.#namespaceProjects.get(namespace) ?? (this.#projects.has(projectOfNamespaceName(namespace) ?? '') ? projectOfNamespaceName(namespace) : undefined);
        entry = { namespace, ...(project === undefined ? {} : { project }), ...emptyCounts() };
        byNamespace.set(namespace, entry);
      }
      return entry;
    };
    const namespaceOf = (key: string): string => key.slice(0, key.indexOf('/'));
    for (const [key, cluster] of this.#clusters) {
      const entry = of(namespaceOf(key));
      entry.clusters.total++;
      addTo(entry.clusters.byPhase, cluster.phase);
      entry.nodes.total += cluster.nodesTotal;
      entry.nodes.ready += cluster.nodesReady;
      entry.gpusInUse += this.#gpusInUse.get(key) ?? 0;
    }
    for (const group of this.#nodeGroups.values()) {
      // GPUs of node groups whose Cluster is gone are not the fleet's any more.
      if (!this.#clusters.has(group.cluster)) continue;
      of(namespaceOf(group.cluster)).gpus += group.replicas * (this.#flavorGpus.get(group.flavor) ?? 0);
    }
    for (const [key, app] of this.#applications) {
      const entry = of(namespaceOf(key));
      entry.applications.total++;
      addTo(entry.applications.bySync, app.sync);
      addTo(entry.applications.byHealth, app.health);
    }
    this.#byNamespace = new Map([...byNamespace.entries()].sort(([a], [b]) => a.localeCompare(b)));
    return this.#byNamespace;
  }
}
