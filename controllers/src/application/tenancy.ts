/**
 * Delivery tenancy: where an Application may deliver, and as whom (Argo CD's AppProject
 * destinations, Flux's `serviceAccountName`). Pure: the facts are read by the caller (the
 * manager's caches) and the rules are decided here, so that every rule has a table test.
 *
 * An Application's project is the {@link PROJECT_LABEL} of its namespace in the management
 * cluster (the label, not the namespace's name: only Beamline sets it). A namespace of no
 * project is the platform admins' space, where everything is allowed, as before projects.
 */
import { IN_CLUSTER, PROJECT_DELIVERY_GROUP, PROJECT_LABEL, projectDeliveryUser, SHARED_CLUSTER_LABEL, type ApplicationDestination, type SharedNamespace } from '@beamline/api';
import type { Impersonation } from '@beamline/kube';

/** What the tenancy rules read about one Application and its destination. */
export interface TenancyFacts {
  /** The Application's namespace. */
  readonly appNamespace: string;
  /** `spec.source.repoURL`: where the source is read from. */
  readonly repoURL: string;
  readonly destination: ApplicationDestination;
  /** The labels of the Application's namespace (`undefined`: not found, read as no project). */
  readonly appNamespaceLabels: Readonly<Record<string, string>> | undefined;
  /**
   * Only when `destination.clusterNamespace` is another namespace: the labels of that namespace
   * (`undefined`: not found), the destination Cluster's labels (`undefined`: no such Cluster) and
   * the spec of the app's Project (`undefined`: no such Project).
   */
  readonly clusterNamespaceLabels?: Readonly<Record<string, string>> | undefined;
  readonly clusterLabels?: Readonly<Record<string, string>> | undefined;
  readonly projectSpec?: { readonly sharedNamespaces?: readonly SharedNamespace[] } | undefined;
}

/** Where a project's Application delivers. */
export type DeliveryScope =
  /** A namespace of no project: anywhere, as the manager's own identity. */
  | { readonly kind: 'admin' }
  /** A Cluster of the project's own namespace: anything, as the project's identity (cluster-admin there). */
  | { readonly kind: 'project-cluster'; readonly project: string; readonly identity: Impersonation }
  /** A shared cluster: only namespaced objects in `namespaces`, as the project's identity (admin there only). */
  | { readonly kind: 'shared'; readonly project: string; readonly identity: Impersonation; readonly cluster: string; readonly namespaces: readonly string[] };

/** The decision of {@link deliveryPermission}. */
export type DeliveryPermission = { readonly allowed: true; readonly scope: DeliveryScope } | { readonly allowed: false; readonly message: string };

/** The project of a management namespace by its labels; `undefined` for none (an empty label is none). */
export function projectOf(labels: Readonly<Record<string, string>> | undefined): string | undefined {
  const project = labels?.[PROJECT_LABEL];
  return project === undefined || project === '' ? undefined : project;
}

/** The identity the Applications of a project deliver as. */
export function deliveryIdentity(project: string): Impersonation {
  return { user: projectDeliveryUser(project), group: PROJECT_DELIVERY_GROUP };
}

/** Whether `destination.clusterNamespace` names a namespace other than the app's (a shared cluster). */
export function isOtherClusterNamespace(appNamespace: string, destination: ApplicationDestination): destination is ApplicationDestination & { clusterNamespace: string } {
  return destination.clusterNamespace !== undefined && destination.clusterNamespace !== appNamespace;
}

/**
 * Whether an Application may deliver to its destination, and in which scope:
 * - no project: allowed, no impersonation;
 * - a `file://` source: refused (it is read on the manager's machine, where other tenants' mirrors
 *   and the manager's own files are: only platform admins may point there);
 * - `in-cluster`: refused (the management cluster is the platform admins');
 * - a Cluster of the app's namespace: allowed, as the project's identity;
 * - a Cluster of another namespace: only a shared cluster (labelled {@link SHARED_CLUSTER_LABEL},
 *   in a namespace of no project) on which the Project lists `destination.namespace` in
 *   `spec.sharedNamespaces`; then only into the namespaces it lists there.
 * The messages name the rule, and say the same of a Cluster that does not exist as of one that is
 * not shared: a tenant learns nothing of other namespaces' Clusters.
 */
export function deliveryPermission(facts: TenancyFacts): DeliveryPermission {
  const project = projectOf(facts.appNamespaceLabels);
  if (project === undefined) return { allowed: true, scope: { kind: 'admin' } };
  const { destination } = facts;
  const identity = deliveryIdentity(project);
  if (/^file:/i.test(facts.repoURL.trim())) {
    return {
      allowed: false,
      message: `project ${project} may not read a file:// repository: it is a path on the manager's machine, and only platform admins' Applications (namespaces of no project) may read there; serve the repository over https, http or ssh`,
    };
  }
  if (destination.cluster === IN_CLUSTER) {
    return { allowed: false, message: `project ${project} may not deliver to ${IN_CLUSTER}: only platform admins' Applications (namespaces of no project) may` };
  }
  if (!isOtherClusterNamespace(facts.appNamespace, destination)) return { allowed: true, scope: { kind: 'project-cluster', project, identity } };
  const cluster = `${destination.clusterNamespace}/${destination.cluster}`;
  const owner = projectOf(facts.clusterNamespaceLabels);
  if (owner !== undefined) {
    return {
      allowed: false,
      message: `project ${project} may not deliver to Cluster ${cluster}: its namespace belongs to project ${owner}; a project delivers to the Clusters of its own namespace and to shared clusters`,
    };
  }
  if (facts.clusterLabels?.[SHARED_CLUSTER_LABEL] !== 'true') {
    return { allowed: false, message: `project ${project} may not deliver to Cluster ${cluster}: it is not a shared cluster (labelled ${SHARED_CLUSTER_LABEL}=true)` };
  }
  if (facts.projectSpec === undefined) return { allowed: false, message: `project ${project} may not deliver to shared cluster ${cluster}: Project ${project} does not exist` };
  const namespaces = (facts.projectSpec.sharedNamespaces ?? [])
    .filter((entry) => entry.cluster.namespace === destination.clusterNamespace && entry.cluster.name === destination.cluster)
    .map((entry) => entry.namespace);
  if (!namespaces.includes(destination.namespace)) {
    return {
      allowed: false,
      message: `project ${project} may not deliver to namespace ${destination.namespace} of shared cluster ${cluster}: its namespaces there (Project spec.sharedNamespaces) are ${namespaces.length === 0 ? 'none' : namespaces.join(', ')}`,
    };
  }
  return { allowed: true, scope: { kind: 'shared', project, identity, cluster, namespaces } };
}

/** A desired object as the object check needs it: `namespaced` from discovery (or its CRD in the app). */
export interface ScopedObject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly namespaced: boolean;
}

/**
 * Why the objects may not be delivered in this scope, or `undefined` when they may. Only a shared
 * cluster restricts objects: a cluster-scoped object (a Namespace, a ClusterRole, a CRD) is refused
 * there, as Argo CD's AppProject with an empty `clusterResourceWhitelist` does, and a namespaced one
 * must go to a namespace the project owns on that cluster. Checked before anything is applied; the
 * project's RBAC in the workload cluster refuses the same even if a check here were missed.
 */
export function objectsOutsideScope(scope: DeliveryScope, objects: readonly ScopedObject[]): string | undefined {
  if (scope.kind !== 'shared') return undefined;
  const where = `shared cluster ${scope.cluster}`;
  const clusterScoped = objects.filter((object) => !object.namespaced);
  const outside = objects.filter((object) => object.namespaced && (object.namespace === undefined || !scope.namespaces.includes(object.namespace)));
  if (clusterScoped.length === 0 && outside.length === 0) return undefined;
  const parts: string[] = [];
  if (clusterScoped.length > 0) parts.push(`cluster-scoped objects are not allowed there (${list(clusterScoped.map((object) => `${object.kind} ${object.name}`))})`);
  if (outside.length > 0) {
    parts.push(`objects outside its namespaces there (${scope.namespaces.join(', ')}): ${list(outside.map((object) => `${object.kind} ${object.namespace ?? ''}/${object.name}`))}`);
  }
  return `project ${scope.project} may not deliver to ${where}: ${parts.join('; ')}`;
}

/** The first few names, and how many more. */
function list(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}

/**
 * Whether a sync result's message is the destination's RBAC refusing the request (403). An app
 * writing as its project's identity gets it for objects outside the project's rights: an apply
 * that was refused still entered the inventory first (crash safety), and deleting it is refused
 * too, so such entries are left with an event rather than retried forever.
 */
export function isForbidden(message: string | undefined): boolean {
  return /\b403 Forbidden\b/.test(message ?? '');
}

/** The longest `changedBy` kept: a user name of the identity provider with its prefix. */
const CHANGED_BY_MAX = 256;

/**
 * The user of the changed-by annotation, fit for status and Events: control characters taken out
 * and cut to {@link CHANGED_BY_MAX}; `undefined` when absent or empty. The admission webhook
 * stamps it, but an annotation is still text anyone with write access to the app could have set.
 */
export function changedByOf(annotations: Readonly<Record<string, string>> | undefined, key: string): string | undefined {
  const raw = annotations?.[key];
  if (raw === undefined) return undefined;
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const clean = raw.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, CHANGED_BY_MAX);
  return clean === '' ? undefined : clean;
}
