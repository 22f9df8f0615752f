/**
 * The shapes the app reads from the portal server and the management API: only the fields the
 * views show, all optional where the server may leave them out (a new object has no status yet).
 * The server's own types (apps/manager/src/portal/fleet.ts, api/v1alpha1) are the reference; they
 * are not imported because the browser bundle must not pull in server modules.
 */

/** `GET /api/session` when logged in. */
export interface SessionInfo {
  readonly authenticated?: true;
  readonly user: string;
  readonly groups: readonly string[];
  readonly csrfToken: string;
  readonly expiresAt: string | number;
}

/** Counts of one namespace, or the totals, in `GET /api/fleet`. */
export interface FleetCounts {
  readonly clusters: { readonly total: number; readonly byPhase: Readonly<Record<string, number>> };
  readonly nodes: { readonly total: number; readonly ready: number };
  /** GPUs of the nodes (their flavors). */
  readonly gpus: number;
  /** GPUs the running Pods ask for, as the server last sampled them. */
  readonly gpusInUse: number;
  readonly applications: { readonly total: number; readonly bySync: Readonly<Record<string, number>>; readonly byHealth: Readonly<Record<string, number>> };
}

/** `GET /api/fleet`. */
export interface FleetView {
  readonly totals: FleetCounts;
  readonly namespaces: readonly (FleetCounts & { readonly namespace: string; readonly project?: string })[];
}

/** A Project's quota; absent fields are unlimited. */
export interface ProjectQuota {
  readonly clusters?: number;
  readonly nodes?: number;
  readonly gpus?: number;
  readonly cpu?: string;
  readonly memory?: string;
}

/** What a Project uses. */
export interface ProjectUsage {
  readonly clusters: number;
  readonly nodes: number;
  readonly gpus: number;
  readonly cpu: string;
  readonly memory: string;
}

/** `GET /api/projects/usage`. */
export interface ProjectsUsage {
  readonly projects: readonly {
    readonly name: string;
    readonly displayName: string;
    readonly namespace: string;
    readonly quota: ProjectQuota | null;
    readonly usage: ProjectUsage | null;
  }[];
}

/** A condition of a Beamline object's status. */
export interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

/** A Cluster as the list shows it. */
export interface ClusterItem {
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly uid?: string };
  readonly spec?: { readonly templateRef?: { readonly name?: string } };
  readonly status?: {
    readonly phase?: string;
    readonly nodes?: { readonly total: number; readonly ready: number };
    readonly conditions?: readonly Condition[];
  };
}

/** A ClusterTemplate as the list shows it. */
export interface TemplateItem {
  readonly metadata: { readonly name: string; readonly uid?: string };
  readonly spec?: {
    readonly description?: string;
    readonly kubernetesVersion?: string;
    readonly provider?: string;
    readonly controlPlane?: { readonly replicas?: number };
    readonly nodeGroups?: readonly { readonly name: string }[];
  };
  readonly status?: { readonly clusters?: number };
}

/** A Project member: a user or group of the issuer (without the platform's prefix) and its role. */
export interface ProjectMember {
  readonly kind: 'User' | 'Group';
  readonly name: string;
  readonly role: string;
}

/** A Project as the Projects page reads it (its members). */
export interface ProjectItem {
  readonly metadata: { readonly name: string };
  readonly spec?: { readonly members?: readonly ProjectMember[] };
}

/** A Kubernetes list. */
export interface KubeList<T> {
  readonly items: readonly T[];
}

/** `GET /api/session`: logged in, or `{ authenticated: false }`. */
export type SessionAnswer = SessionInfo | { readonly authenticated: false };

/** One page of a server-side list: the rows, how many match in all, and counts per facet value. */
export interface ListPage<T, F extends string> {
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly items: readonly T[];
  readonly facets: Readonly<Record<F, Readonly<Record<string, number>>>>;
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
  readonly gpusInUse: number;
  readonly kubernetesVersion?: string;
  readonly endpoint?: string;
  readonly createdAt: string;
}

/** `GET /api/clusters?…`. */
export type ClusterPage = ListPage<ClusterRow, 'phase' | 'project'>;

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

/** `GET /api/applications?…`. */
export type AppPage = ListPage<AppRow, 'sync' | 'health' | 'project'>;

/** A flavor of the platform: the size of a node or control-plane member. */
export interface Flavor {
  readonly name: string;
  readonly cpu: string;
  readonly memory: string;
  readonly gpus: number;
  readonly gpuType?: string;
}

/** `GET /api/platform`: what clusters may be made of. */
export interface PlatformInfo {
  readonly flavors: readonly Flavor[];
  readonly kubernetesVersions: readonly string[];
}

/** A taint of a node or node group. */
export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** A Node of a workload cluster, `GET /api/clusters/:namespace/:name/nodes`. */
export interface NodeRow {
  readonly name: string;
  readonly nodeGroup?: string;
  readonly ready: boolean;
  readonly zone?: string;
  readonly flavor?: string;
  readonly gpus: number;
  readonly kubeletVersion?: string;
  readonly taints: readonly Taint[];
  readonly createdAt: string;
}

/** `GET /api/clusters/:namespace/:name/nodes`. */
export interface NodeList {
  readonly items: readonly NodeRow[];
  readonly truncated: boolean;
}

/** One object a sync would change, `GET /api/applications/:namespace/:name/preview`. */
export interface PreviewObject {
  readonly group: string;
  readonly version?: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly action: 'create' | 'update' | 'prune';
  /** A unified diff of the live object against the desired one (Secrets redacted); '' for a prune. */
  readonly diff: string;
}

/** `GET /api/applications/:namespace/:name/preview?prune=…`: what a sync would do. */
export interface SyncPreview {
  readonly revision: string;
  readonly changed: number;
  readonly objects: readonly PreviewObject[];
}

/** A kind's line of the reconciler panel. */
export interface ReconcilerKind {
  readonly kind: string;
  readonly total: number;
  readonly ready: number;
  readonly notReady: number;
  readonly reconciling: number;
  readonly stalled: number;
  readonly avgDurationS: number | null;
  readonly reconcilesPerMin: number | null;
}

/** `GET /api/reconcilers`: the dashboard's reconciler panel (Flux's cluster stats, for Beamline's kinds). */
export interface ReconcilerPanel {
  readonly kinds: readonly ReconcilerKind[];
  readonly failing: readonly { readonly kind: string; readonly namespace?: string; readonly name: string; readonly reason: string; readonly message: string; readonly since?: string }[];
  readonly sources: { readonly total: number; readonly git: number; readonly helm: number; readonly failing: number };
  readonly series: {
    readonly at: readonly string[];
    readonly kinds: Readonly<Record<string, { readonly ready: readonly number[]; readonly notReady: readonly number[]; readonly avgDurationS: readonly (number | null)[] }>>;
  };
}

/** A Kubernetes `Status` answer (an error from the apiserver through the proxy). */
export interface KubeStatus {
  readonly kind?: 'Status';
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: { readonly causes?: readonly { readonly field?: string; readonly message?: string; readonly reason?: string }[] };
}

/** A core/v1 Event as the detail pages show it. */
export interface KubeEvent {
  readonly metadata: { readonly name: string; readonly uid?: string };
  readonly type?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly count?: number;
  readonly lastTimestamp?: string | null;
  readonly eventTime?: string | null;
  readonly firstTimestamp?: string | null;
  readonly involvedObject?: { readonly kind?: string; readonly name?: string };
}
