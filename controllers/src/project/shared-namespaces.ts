/**
 * A project's namespaces on shared clusters (Rancher's model): in the workload cluster, the
 * namespace labelled with the project, its members' RoleBindings, the delivery identity as admin,
 * the namespace defaults and, with network isolation, NetworkPolicies that accept ingress only from
 * namespaces of the same project. A namespace that exists unlabelled or for another project is
 * never adopted.
 */
import { PROJECT_LABEL, SHARED_CLUSTER_LABEL, projectOfNamespaceName, type Cluster, type Identity, type Project, type SharedNamespace } from '@beamline/api';
import type { KubeClient, KubeObject } from '@beamline/kube';
import { deliveryBinding, isolationPolicies, managedLabels, memberBindings, namespaceDefaultObjects, NETWORK_POLICY_NAMES, PROJECT_DEFAULTS } from './desired.ts';
import { MANAGED_BY, MANAGED_BY_LABEL, TENANCY_RESOURCES as R } from './kinds.ts';

/** The ClusterRoles of a shared cluster each project role gets in the project's namespace there. */
export const SHARED_NAMESPACE_ROLES = { owner: 'admin', member: 'edit', viewer: 'view' } as const;

/** The outcome for one shared namespace. */
export interface SharedNamespaceOutcome {
  readonly ready: boolean;
  readonly message?: string;
  /** The namespace belongs to something else (Ready=False NamespaceConflict). */
  readonly conflict?: boolean;
  /** The shared cluster is missing, not shared or not running (Ready=False SharedClusterNotReady). */
  readonly clusterNotReady?: boolean;
}

/** `<namespace>/<name>` of an entry's shared Cluster. */
export function sharedClusterKey(entry: SharedNamespace): string {
  return `${entry.cluster.namespace}/${entry.cluster.name}`;
}

/** Why a Cluster cannot hold shared namespaces, or undefined when it can. */
export function notShareable(cluster: Cluster | undefined, key: string): string | undefined {
  if (cluster === undefined) return `shared cluster ${key} does not exist`;
  if (cluster.metadata?.labels?.[SHARED_CLUSTER_LABEL] !== 'true') return `cluster ${key} is not shared (label ${SHARED_CLUSTER_LABEL}=true)`;
  if (projectOfNamespaceName(cluster.metadata?.namespace ?? '') !== undefined) return `cluster ${key} belongs to a project; shared clusters live in a namespace of no project`;
  if (cluster.status?.phase !== 'Running') return `shared cluster ${key} is not running yet`;
  return undefined;
}

/** The label value a namespace carries, or undefined. */
function projectLabel(object: KubeObject | undefined): string | undefined {
  return object?.metadata?.labels?.[PROJECT_LABEL];
}

/** Applies `desired` and deletes the objects of `resource` in `namespace` that carry the project's labels and are not desired. */
async function applyAndPrune(client: KubeClient, resource: (typeof R)[keyof typeof R], namespace: string, projectName: string, desired: readonly KubeObject[]): Promise<void> {
  for (const object of desired) await client.apply(resource, object);
  const wanted = new Set(desired.map((object) => object.metadata?.name));
  const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY},${PROJECT_LABEL}=${projectName}`;
  const existing = await client.list(resource, { namespace, labelSelector: selector });
  for (const object of existing.items) {
    if (!wanted.has(object.metadata?.name)) await client.delete(resource, object.metadata?.name ?? '', namespace);
  }
}

/** Makes one namespace of the project on a shared cluster right. */
export async function ensureSharedNamespace(client: KubeClient, project: Project, identity: Identity | undefined, namespace: string): Promise<SharedNamespaceOutcome> {
  const name = project.metadata?.name ?? '';
  const existing = await client.get(R.namespace, namespace);
  const owner = projectLabel(existing);
  if (existing !== undefined && owner !== name) {
    return { ready: false, conflict: true, message: `namespace ${namespace} exists and belongs to ${owner === undefined ? 'no project' : `project ${owner}`}; it is not adopted` };
  }
  if (existing?.metadata?.deletionTimestamp !== undefined) return { ready: false, message: `namespace ${namespace} is being deleted; it will be recreated` };
  await client.apply(R.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: managedLabels(name) } });
  const bindings = [...memberBindings(project, identity, SHARED_NAMESPACE_ROLES, namespace), deliveryBinding(name, 'admin', namespace)];
  await applyAndPrune(client, R.roleBinding, namespace, name, bindings);
  const defaults = namespaceDefaultObjects(name, namespace, project.spec.namespaceDefaults);
  await applyAndPrune(client, R.resourceQuota, namespace, name, defaults.quota === undefined ? [] : [defaults.quota]);
  await applyAndPrune(client, R.limitRange, namespace, name, defaults.limitRange === undefined ? [] : [defaults.limitRange]);
  const isolate = project.spec.networkIsolation !== false;
  await applyAndPrune(client, R.networkPolicy, namespace, name, isolate ? isolationPolicies(name, namespace) : []);
  return { ready: true };
}

/** The namespaces of a shared cluster labelled with the project. */
export async function projectNamespacesIn(client: KubeClient, projectName: string): Promise<string[]> {
  const list = await client.list(R.namespace, { labelSelector: `${PROJECT_LABEL}=${projectName}` });
  return list.items.map((object) => object.metadata?.name ?? '').filter((name) => name !== '');
}

/** Deletes the project's namespaces of a shared cluster that are not in `keep` (only those labelled with the project). */
export async function pruneSharedNamespaces(client: KubeClient, projectName: string, keep: ReadonlySet<string>): Promise<void> {
  for (const namespace of await projectNamespacesIn(client, projectName)) {
    if (!keep.has(namespace)) await client.delete(R.namespace, namespace);
  }
}

export { NETWORK_POLICY_NAMES, PROJECT_DEFAULTS };
