/**
 * The shapes the app reads from the portal server and the management API: only the fields the
 * views show, all optional where the server may leave them out (a new object has no status yet).
 * The server's own types (apps/manager/src/portal/fleet.ts, api/v1alpha1) are the reference; they
 * are not imported because the browser bundle must not pull in server modules.
 */

/** `GET /api/session`. */
export interface SessionInfo {
  readonly user: string;
  readonly groups: readonly string[];
  readonly csrfToken: string;
  readonly expiresAt: string | number;
}

/** Counts of one namespace, or the totals, in `GET /api/fleet`. */
export interface FleetCounts {
  readonly clusters: { readonly total: number; readonly byPhase: Readonly<Record<string, number>> };
  readonly nodes: { readonly total: number; readonly ready: number };
  readonly gpus: number;
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
