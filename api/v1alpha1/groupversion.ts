/**
 * The API group and version, each kind's names (as the CRDs register them) and the well-known
 * names the controllers and clients share: the PlatformConfig singleton, finalizers, labels and
 * annotations. No schema and no dependency: this module is also `@beamline/api/names`, which the
 * CLI loads at start-up without paying for TypeBox and the schemas (about 150 ms). Condition
 * types and reasons: each kind file has its own, `conditions.ts` the common ones and the union.
 */

/** The API group of every Beamline kind. */
export const GROUP = 'beamline.dev';
/** The version of this API. */
export const VERSION = 'v1alpha1';
/** `apiVersion` of every object of this API: `beamline.dev/v1alpha1`. */
export const API_VERSION = `${GROUP}/${VERSION}`;

/** How a kind is registered: its names (for URLs and kubectl) and its scope. */
export interface KindNames {
  readonly kind: string;
  readonly listKind: string;
  /** The resource name in URLs and RBAC rules. */
  readonly plural: string;
  readonly singular: string;
  /** kubectl abbreviations; none clashes with a built-in resource's. */
  readonly shortNames: readonly string[];
  readonly scope: 'Cluster' | 'Namespaced';
  /** `kubectl get beamline` lists every kind in the `beamline` category. */
  readonly categories: readonly string[];
}

/**
 * A column `kubectl get` prints for a kind (a CRD's `additionalPrinterColumns` entry). Every kind
 * also gets `Age`, which the generator appends.
 */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date';
  readonly jsonPath: string;
  readonly description: string;
  /** 1: shown by `-o wide` only. */
  readonly priority?: number;
}

/** A CRD's subresources: `status`, and `scale` for kinds `kubectl scale` works on. */
export interface KindSubresources {
  readonly status?: Record<string, never>;
  readonly scale?: { readonly specReplicasPath: string; readonly statusReplicasPath: string };
}

/**
 * Everything the generator needs of one kind, exported by its kind file and registered in
 * `kinds.ts`: names, the schema of a whole object, printer columns and subresources.
 */
export interface KindDefinition {
  readonly names: KindNames;
  /** The TypeBox schema of a whole object (see `kindSchema`). */
  readonly schema: {
    readonly description?: string;
    readonly required?: readonly string[];
    readonly properties: Readonly<Record<string, unknown>>;
  };
  readonly printerColumns: readonly PrinterColumn[];
  readonly subresources?: KindSubresources;
}

/** The `kubectl get <category>` that lists every Beamline kind. */
export const CATEGORY = 'beamline';

/** PlatformConfig: the cluster-scoped singleton of flavors and Kubernetes versions. */
export const PLATFORM_CONFIG = {
  kind: 'PlatformConfig',
  listKind: 'PlatformConfigList',
  plural: 'platformconfigs',
  singular: 'platformconfig',
  // `pc` is PriorityClass's.
  shortNames: ['pcfg'],
  scope: 'Cluster',
  categories: [CATEGORY],
} as const satisfies KindNames;

/** ClusterTemplate: cluster-scoped, immutable blueprints of clusters. */
export const CLUSTER_TEMPLATE = {
  kind: 'ClusterTemplate',
  listKind: 'ClusterTemplateList',
  plural: 'clustertemplates',
  singular: 'clustertemplate',
  shortNames: ['ct'],
  scope: 'Cluster',
  categories: [CATEGORY],
} as const satisfies KindNames;

/** Cluster: a namespaced workload cluster made from a template (or imported). */
export const CLUSTER = {
  kind: 'Cluster',
  listKind: 'ClusterList',
  plural: 'clusters',
  singular: 'cluster',
  // Cluster API's Cluster uses `cl` too; the two are not installed side by side.
  shortNames: ['cl'],
  scope: 'Namespaced',
  categories: [CATEGORY],
} as const satisfies KindNames;

/** NodeGroup: a namespaced group of identical nodes of one Cluster. */
export const NODE_GROUP = {
  kind: 'NodeGroup',
  listKind: 'NodeGroupList',
  plural: 'nodegroups',
  singular: 'nodegroup',
  shortNames: ['ng'],
  scope: 'Namespaced',
  categories: [CATEGORY],
} as const satisfies KindNames;

/** Application: a namespaced delivery of objects from git or a Helm repository to a cluster. */
export const APPLICATION = {
  kind: 'Application',
  listKind: 'ApplicationList',
  plural: 'applications',
  singular: 'application',
  // Not `app`/`apps`: Argo CD's Application has them, and sites migrating from it run both.
  shortNames: ['bapp'],
  scope: 'Namespaced',
  categories: [CATEGORY],
} as const satisfies KindNames;

/** The name of the one PlatformConfig (the CRD refuses any other). */
export const PLATFORM_CONFIG_NAME = 'beamline';

/** Finalizer the template controller holds on a ClusterTemplate while any Cluster references it. */
export const TEMPLATE_IN_USE_FINALIZER = 'beamline.dev/in-use';
/** Finalizer the cluster controller holds on a Cluster until its processes and folder are gone. */
export const CLUSTER_FINALIZER = 'beamline.dev/cluster';
/** Finalizer the node-group controller holds on a NodeGroup until its nodes are drained and deleted. */
export const NODE_GROUP_FINALIZER = 'beamline.dev/nodes';
/** Finalizer the application controller holds on an Application until its objects are deleted (or orphaned). */
export const APPLICATION_FINALIZER = 'beamline.dev/application-resources';
/** Annotation set on a Cluster once its template's node groups were created: they are created once. */
export const NODE_GROUPS_CREATED_ANNOTATION = 'beamline.dev/node-groups-created';
/**
 * Annotation that asks for a sync of an Application: a JSON {@link SyncRequest} (or any other
 * text, read as a request id with default options). Handled once per distinct `id`; the id
 * handled last is in `status.lastHandledSyncRequest`.
 */
export const SYNC_REQUEST_ANNOTATION = 'beamline.dev/sync-request';
/**
 * Annotation that asks for the source to be checked now (as a webhook does), like Flux's
 * `reconcile.fluxcd.io/requestedAt`: any new value; the last handled is `status.lastHandledRefresh`.
 */
export const REFRESH_ANNOTATION = 'beamline.dev/refresh-requested-at';
/**
 * Annotation on every object an Application applies: `<app namespace>/<app name>:<group>/<kind>:<namespace>/<name>`
 * (Argo CD's annotation tracking). Drift watches map an edited object back to its Application
 * with it; the object's own identity in it makes a copy of the object (same annotation, other
 * name) no part of the app.
 */
export const TRACKING_ANNOTATION = 'beamline.dev/tracking-id';

/** The tracking id of an object of an Application (see {@link TRACKING_ANNOTATION}). */
export function trackingId(appNamespace: string, appName: string, object: { readonly group: string; readonly kind: string; readonly namespace?: string; readonly name: string }): string {
  return `${appNamespace}/${appName}:${object.group}/${object.kind}:${object.namespace ?? ''}/${object.name}`;
}

/** The Application (`namespace/name`) a tracking id names, when it is well formed and names `object`; else `undefined`. */
export function trackedApplication(id: string, object: { readonly group: string; readonly kind: string; readonly namespace?: string; readonly name: string }): string | undefined {
  const colon = id.indexOf(':');
  if (colon === -1) return undefined;
  const app = id.slice(0, colon);
  if (!/^[a-z0-9-]+\/[a-z0-9.-]+$/.test(app)) return undefined;
  const [namespace, name] = app.split('/') as [string, string];
  return id === trackingId(namespace, name, object) ? app : undefined;
}
/** Label on the NodeGroups (and nodes) of a Cluster: the Cluster's name. */
export const CLUSTER_NAME_LABEL = 'beamline.dev/cluster';
/** Label on every node of a kwok Cluster: the short name of its node group (`gpu`, not `mycluster-gpu`). */
export const NODE_GROUP_NAME_LABEL = 'beamline.dev/node-group';
/** The key of the admin kubeconfig in the `<cluster>-kubeconfig` Secret (as Cluster API names it). */
export const KUBECONFIG_SECRET_KEY = 'value';

/** The Secret holding a kwok Cluster's admin kubeconfig: `<cluster>-kubeconfig`. */
export function kubeconfigSecretName(clusterName: string): string {
  return `${clusterName}-kubeconfig`;
}

/** The NodeGroup object materialised from a template's group: `<cluster>-<group>`. */
export function nodeGroupObjectName(clusterName: string, groupName: string): string {
  return `${clusterName}-${groupName}`;
}

/**
 * The group's short name (`gpu`) from a NodeGroup's object name (`mycluster-gpu`) and cluster
 * name, or `undefined` when the name is not `<cluster>-<group>`.
 */
export function nodeGroupShortName(objectName: string, clusterName: string): string | undefined {
  const prefix = `${clusterName}-`;
  return objectName.startsWith(prefix) && objectName.length > prefix.length ? objectName.slice(prefix.length) : undefined;
}

/** Project: a cluster-scoped tenant with members, roles, quotas and a namespace of its own. */
export const PROJECT = {
  kind: 'Project',
  listKind: 'ProjectList',
  plural: 'projects',
  singular: 'project',
  // `proj` only: `pr` reads as pull request in the review-environment commands to come.
  shortNames: ['proj'],
  scope: 'Cluster',
  categories: [CATEGORY],
} as const satisfies KindNames;

/**
 * Label on every namespace that belongs to a Project (its management namespace, its namespaces on
 * shared clusters): the project's name. Tenancy decisions read it; only Beamline sets it.
 */
export const PROJECT_LABEL = 'beamline.dev/project';
/** Finalizer the project controller holds on a Project until its namespaces and bindings are gone. */
export const PROJECT_FINALIZER = 'beamline.dev/project';
/** The longest Project name: `project-<name>` must stay a DNS label (63). */
export const PROJECT_NAME_MAX_LENGTH = 55;

/** The namespace of the management cluster a Project owns (its Clusters, NodeGroups, Applications, Secrets): `project-<name>`. */
export function projectNamespace(projectName: string): string {
  return `project-${projectName}`;
}

/** The Project a management namespace name belongs to by its name (`project-<name>`), or `undefined`. Labels decide; this is for messages. */
export function projectOfNamespaceName(namespace: string): string | undefined {
  return namespace.startsWith('project-') && namespace.length > 'project-'.length ? namespace.slice('project-'.length) : undefined;
}

/** A member's role in a Project. */
export type ProjectRole = 'owner' | 'member' | 'viewer';
/** Every project role, most powerful first. */
export const PROJECT_ROLES: readonly ProjectRole[] = ['owner', 'member', 'viewer'];

/** The ClusterRole of the management cluster each project role is bound to in the project's namespace. */
export const PROJECT_CLUSTER_ROLES: Readonly<Record<ProjectRole, string>> = {
  owner: 'beamline:project-owner',
  member: 'beamline:project-member',
  viewer: 'beamline:project-viewer',
};

/** The ClusterRole of a workload cluster each project role gets there (owner → cluster-admin, member → edit, viewer → view). */
export const WORKLOAD_CLUSTER_ROLES: Readonly<Record<ProjectRole, string>> = {
  owner: 'cluster-admin',
  member: 'edit',
  viewer: 'view',
};

/**
 * The identity Applications of a project apply as in their destination (impersonated): the user
 * `beamline:project:<name>` in group {@link PROJECT_DELIVERY_GROUP}. Beamline binds it to
 * cluster-admin in the project's own clusters and to `admin` in the project's namespaces of shared
 * clusters, so a tenant's manifests cannot write anywhere else.
 */
export function projectDeliveryUser(projectName: string): string {
  return `beamline:project:${projectName}`;
}
/** The group of every project delivery identity. */
export const PROJECT_DELIVERY_GROUP = 'beamline:projects';

/**
 * Label on a Cluster (in a namespace of no project) that the platform shares between projects:
 * `"true"`. Projects get namespaces on it through `Project.spec.sharedNamespaces`.
 */
export const SHARED_CLUSTER_LABEL = 'beamline.dev/shared';

/**
 * Annotation the admission webhook sets on every create and update of a Beamline object: the
 * user who made the change (as the apiserver authenticated it). Events and history read it.
 */
export const CHANGED_BY_ANNOTATION = 'beamline.dev/changed-by';

/** The ClusterRoleBinding (management and workload clusters) that makes PlatformConfig's admin groups cluster-admin. */
export const PLATFORM_ADMINS_BINDING = 'beamline:platform-admins';

/** The namespace of the manager: its Lease, webhook secrets, admission TLS. */
export const MANAGER_NAMESPACE = 'beamline-system';
