/**
 * The Project controller: the project's namespace of the management cluster (labelled, owned,
 * never adopted), its members' RoleBindings there, its namespace defaults, the ClusterRoles that
 * let members read the Project and owners update it, its namespaces on shared clusters, and
 * `status.usage`. On delete: the shared namespaces, then the project namespace (and with it its
 * Clusters and Applications), then the finalizer.
 */
import {
  API_VERSION,
  ConditionReason,
  ConditionType,
  PLATFORM_CONFIG_NAME,
  PROJECT,
  PROJECT_CLUSTER_ROLES,
  PROJECT_FINALIZER,
  PROJECT_LABEL,
  ProjectConditionReason,
  projectNamespace,
  type Cluster,
  type ClusterTemplate,
  type NodeGroup,
  type PlatformConfig,
  type Project,
  type ProjectStatus,
} from '@beamline/api';
import { addFinalizer, isDeleting, patchStatus, removeFinalizer, type KubeClient, type KubeObject, type OwnerReference } from '@beamline/kube';
import { RequeueError, type ReconcileContext, type Reconciler, type Result } from '@beamline/reconcile';
import { conditionSet } from '../conditions.ts';
import { RESOURCES } from '../resources.ts';
import { computeProjectUsage } from '../quota/usage.ts';
import type { WorkloadClients } from '../cluster-access/workload-client.ts';
import { memberBindings, namespaceDefaultObjects, projectOwnerRole, projectOwnerRoleName, projectReader, projectReaderName } from './desired.ts';
import { MANAGED_BY, MANAGED_BY_LABEL, TENANCY_RESOURCES as R } from './kinds.ts';
import { ensureSharedNamespace, notShareable, pruneSharedNamespaces, sharedClusterKey, type SharedNamespaceOutcome } from './shared-namespaces.ts';

type SharedStatus = NonNullable<ProjectStatus['sharedNamespaces']>[number];

/** What one pass found, written to status once at its end. */
interface Observation {
  conflict?: string;
  sharedConflict?: string;
  sharedNotReady?: string;
  deleting?: string;
  /** The pass failed (retried with backoff): not Ready, still reconciling. */
  failed?: string;
  namespace?: string;
  shared?: SharedStatus[];
}

/** An ownerReference to a Project (controller: true, so garbage collection follows it). */
export function projectOwnerReference(project: Project): OwnerReference {
  return { apiVersion: API_VERSION, kind: PROJECT.kind, name: project.metadata?.name ?? '', uid: project.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true };
}

/** Applies `desired` in the project namespace and deletes the objects of `resource` there with the project's labels that are not desired. */
async function applyAndPrune(client: KubeClient, resource: (typeof R)[keyof typeof R], namespace: string, projectName: string, desired: readonly KubeObject[]): Promise<void> {
  for (const object of desired) await client.apply(resource, object);
  const wanted = new Set(desired.map((object) => object.metadata?.name));
  const existing = await client.list(resource, { namespace, labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY},${PROJECT_LABEL}=${projectName}` });
  for (const object of existing.items) {
    if (!wanted.has(object.metadata?.name)) await client.delete(resource, object.metadata?.name ?? '', namespace);
  }
}

/** The management namespace: created labelled and owned, or a conflict message when it belongs to something else. */
async function ensureNamespace(context: ReconcileContext<Project>, project: Project, namespace: string): Promise<string | undefined> {
  const name = project.metadata?.name ?? '';
  const existing = await context.client.get(R.namespace, namespace);
  const label = existing?.metadata?.labels?.[PROJECT_LABEL];
  if (existing !== undefined && label !== name) {
    return `namespace ${namespace} exists and belongs to ${label === undefined ? 'no project' : `project ${label}`}; Beamline does not adopt it`;
  }
  // A project deleted and made again while its old namespace still terminates: nothing can be created in it yet.
  if (existing?.metadata?.deletionTimestamp !== undefined) throw new RequeueError(2_000, `namespace ${namespace} is still being deleted`);
  await context.client.apply(R.namespace, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: namespace, labels: { [PROJECT_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY }, ownerReferences: [projectOwnerReference(project)] },
  });
  return undefined;
}

/** The shared namespaces: each entry made right in its cluster, and the project's namespaces no entry names removed. */
async function reconcileShared(context: ReconcileContext<Project>, project: Project, platform: PlatformConfig | undefined, clients: WorkloadClients, observation: Observation): Promise<void> {
  const name = project.metadata?.name ?? '';
  const entries = project.spec.sharedNamespaces ?? [];
  const shared: SharedStatus[] = [];
  const clusterKeys = new Set([...entries.map(sharedClusterKey), ...(project.status?.sharedNamespaces ?? []).map((entry) => entry.cluster)]);
  for (const key of clusterKeys) {
    const [clusterNamespace = '', clusterName = ''] = key.split('/');
    const cluster = context.cache.get<Cluster>(RESOURCES.cluster, clusterName, clusterNamespace);
    const mine = entries.filter((entry) => sharedClusterKey(entry) === key);
    let why = notShareable(cluster, key);
    let client: KubeClient | undefined;
    if (why === undefined && cluster !== undefined) {
      // One shared cluster's unusable kubeconfig is that cluster's entries' problem, not the whole project's.
      try {
        client = await clients.clientOf(context.client, cluster);
      } catch (error) {
        why = `shared cluster ${key}: ${(error as Error).message.split('\n')[0] ?? ''}`;
      }
    }
    if (client === undefined) {
      const message = why ?? `shared cluster ${key} has no kubeconfig yet`;
      for (const entry of mine) shared.push({ cluster: key, namespace: entry.namespace, ready: false, message });
      if (mine.length > 0) observation.sharedNotReady ??= message;
      continue;
    }
    for (const entry of mine) {
      let outcome: SharedNamespaceOutcome;
      try {
        outcome = await ensureSharedNamespace(client, project, platform?.spec.identity, entry.namespace);
      } catch (error) {
        outcome = { ready: false, message: `${key}: ${(error as Error).message.split('\n')[0] ?? ''}` };
        observation.sharedNotReady ??= outcome.message;
      }
      shared.push({ cluster: key, namespace: entry.namespace, ready: outcome.ready, ...(outcome.message === undefined ? {} : { message: outcome.message }) });
      if (outcome.conflict === true) observation.sharedConflict ??= `${key}: ${outcome.message ?? ''}`;
      else if (!outcome.ready) observation.sharedNotReady ??= `${key}: ${outcome.message ?? ''}`;
    }
    await pruneSharedNamespaces(client, name, new Set(mine.map((entry) => entry.namespace)));
  }
  observation.shared = shared;
}

/** Deletion: shared namespaces, then the project namespace (its Clusters' finalizers run first), then the finalizer. */
async function reconcileDelete(context: ReconcileContext<Project>, project: Project, clients: WorkloadClients, observation: Observation): Promise<Result> {
  const name = project.metadata?.name ?? '';
  const namespace = projectNamespace(name);
  observation.deleting = 'removing the shared namespaces, then the project namespace';
  const keys = new Set([...(project.spec.sharedNamespaces ?? []).map(sharedClusterKey), ...(project.status?.sharedNamespaces ?? []).map((entry) => entry.cluster)]);
  for (const key of keys) {
    const [clusterNamespace = '', clusterName = ''] = key.split('/');
    const cluster = context.cache.get<Cluster>(RESOURCES.cluster, clusterName, clusterNamespace);
    // A shared cluster that is gone or not running holds nothing to remove now.
    const client = cluster === undefined ? undefined : await clients.clientOf(context.client, cluster).catch(() => undefined);
    if (client !== undefined) await pruneSharedNamespaces(client, name, new Set());
  }
  const existing = await context.client.get(R.namespace, namespace);
  if (existing !== undefined && existing.metadata?.labels?.[PROJECT_LABEL] === name) {
    if (existing.metadata.deletionTimestamp === undefined) await context.client.delete(R.namespace, namespace, undefined, { propagationPolicy: 'Background' });
    observation.deleting = `waiting for namespace ${namespace} (its Clusters and Applications) to be deleted`;
    return { requeueAfterMs: 2_000 };
  }
  const reader = projectReaderName(name);
  await context.client.delete(R.clusterRoleBinding, reader);
  await context.client.delete(R.clusterRole, reader);
  const ownerRole = projectOwnerRoleName(name);
  await context.client.delete(R.clusterRoleBinding, ownerRole);
  await context.client.delete(R.clusterRole, ownerRole);
  await removeFinalizer(context.kubeConfig, project, PROJECT_FINALIZER);
  observation.deleting = undefined;
  return {};
}

async function writeStatus(context: ReconcileContext<Project>, project: Project, observation: Observation, usage: ProjectStatus['usage']): Promise<void> {
  const generation = project.metadata?.generation;
  const owned = conditionSet(project.status?.conditions, generation);
  const conflict = observation.conflict ?? observation.sharedConflict;
  if (observation.deleting !== undefined) {
    owned.set(ConditionType.Ready, 'False', ConditionReason.Deleting, observation.deleting);
    owned.set(ConditionType.Reconciling, 'True', ConditionReason.Deleting, observation.deleting);
    owned.set(ConditionType.Stalled, 'False', ConditionReason.Deleting, observation.deleting);
  } else if (observation.failed !== undefined) {
    owned.set(ConditionType.Ready, 'False', ConditionReason.Progressing, observation.failed);
    owned.set(ConditionType.Reconciling, 'True', ConditionReason.Progressing, observation.failed);
  } else if (conflict !== undefined) {
    owned.set(ConditionType.Ready, 'False', ProjectConditionReason.NamespaceConflict, conflict);
    owned.set(ConditionType.Reconciling, 'False', ProjectConditionReason.NamespaceConflict, conflict);
    owned.set(ConditionType.Stalled, 'True', ProjectConditionReason.NamespaceConflict, conflict);
  } else if (observation.sharedNotReady !== undefined) {
    owned.set(ConditionType.Ready, 'False', ProjectConditionReason.SharedClusterNotReady, observation.sharedNotReady);
    owned.set(ConditionType.Reconciling, 'True', ProjectConditionReason.SharedClusterNotReady, observation.sharedNotReady);
    owned.set(ConditionType.Stalled, 'False', ProjectConditionReason.SharedClusterNotReady, observation.sharedNotReady);
  } else {
    const message = 'the namespace, bindings, quotas and shared namespaces are in place';
    owned.set(ConditionType.Ready, 'True', ProjectConditionReason.ProjectReady, message);
    owned.set(ConditionType.Reconciling, 'False', ProjectConditionReason.ProjectReady, message);
    owned.set(ConditionType.Stalled, 'False', ProjectConditionReason.ProjectReady, message);
  }
  const status: ProjectStatus = {
    ...(project.status ?? {}),
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    conditions: owned.conditions(),
    ...(observation.namespace === undefined ? {} : { namespace: observation.namespace }),
    ...(usage === undefined ? {} : { usage }),
    ...(observation.shared === undefined ? {} : { sharedNamespaces: observation.shared }),
  };
  await patchStatus(context.kubeConfig, project, status);
}

/** Namespace → members' RoleBindings → namespace defaults → project reader and owner roles → shared namespaces. */
async function reconcileNormal(context: ReconcileContext<Project>, project: Project, clients: WorkloadClients, observation: Observation): Promise<Result> {
  const name = project.metadata?.name ?? '';
  const namespace = projectNamespace(name);
  const platform = context.cache.get<PlatformConfig>(RESOURCES.platformConfig, PLATFORM_CONFIG_NAME);
  const identity = platform?.spec.identity;
  const conflict = await ensureNamespace(context, project, namespace);
  if (conflict !== undefined) {
    observation.conflict = conflict;
    // Waiting on the namespace's owner to remove it: the Namespace watch wakes this project.
    return { requeueAfterMs: 30_000 };
  }
  observation.namespace = namespace;
  await applyAndPrune(context.client, R.roleBinding, namespace, name, memberBindings(project, identity, PROJECT_CLUSTER_ROLES, namespace));
  const defaults = namespaceDefaultObjects(name, namespace, project.spec.namespaceDefaults);
  await applyAndPrune(context.client, R.resourceQuota, namespace, name, defaults.quota === undefined ? [] : [defaults.quota]);
  await applyAndPrune(context.client, R.limitRange, namespace, name, defaults.limitRange === undefined ? [] : [defaults.limitRange]);
  const reader = projectReader(project, identity, projectOwnerReference(project));
  await context.client.apply(R.clusterRole, reader.role);
  if (reader.binding === undefined) await context.client.delete(R.clusterRoleBinding, projectReaderName(name));
  else await context.client.apply(R.clusterRoleBinding, reader.binding);
  // Owners update the Project itself; what they may change in it is admission's (admission/project-review.ts).
  const owners = projectOwnerRole(project, identity, projectOwnerReference(project));
  await context.client.apply(R.clusterRole, owners.role);
  if (owners.binding === undefined) await context.client.delete(R.clusterRoleBinding, projectOwnerRoleName(name));
  else await context.client.apply(R.clusterRoleBinding, owners.binding);
  await reconcileShared(context, project, platform, clients, observation);
  // A shared cluster still starting is looked at again; its Cluster's changes also wake the project.
  return observation.sharedNotReady === undefined ? {} : { requeueAfterMs: 5_000 };
}

/** The usage of the project's namespace, from the cache (see `computeProjectUsage`). */
function usageOf(context: ReconcileContext<Project>, namespace: string): ProjectStatus['usage'] {
  const platform = context.cache.get<PlatformConfig>(RESOURCES.platformConfig, PLATFORM_CONFIG_NAME);
  return computeProjectUsage({
    clusters: context.cache.list<Cluster>(RESOURCES.cluster, namespace),
    nodeGroups: context.cache.list<NodeGroup>(RESOURCES.nodeGroup, namespace),
    templates: context.cache.list<ClusterTemplate>(RESOURCES.clusterTemplate),
    flavors: platform?.spec.flavors ?? [],
  });
}

/**
 * Reconciles a Project. Order: get → try/finally that writes status once → deletion → finalizer
 * → the pass of {@link reconcileNormal}. A namespace conflict is Stalled (never adopted); a shared
 * cluster that is not running yet is Reconciling and looked at again.
 */
export function projectReconciler(clients: WorkloadClients): Reconciler<Project> {
  return {
    name: 'project',
    async reconcile(_request, context): Promise<Result> {
      const found = context.root();
      if (found === undefined) return {};
      let project = found;
      const observation: Observation = {};
      let write = true;
      try {
        if (isDeleting(project)) {
          const result = await reconcileDelete(context, project, clients, observation);
          write = observation.deleting !== undefined;
          return result;
        }
        project = (await addFinalizer(context.kubeConfig, project, PROJECT_FINALIZER)) ?? project;
        return await reconcileNormal(context, project, clients, observation);
      } catch (error) {
        observation.failed = (error as Error).message.split('\n')[0] ?? 'failed';
        throw error;
      } finally {
        if (write) await writeStatus(context, project, observation, observation.conflict === undefined ? usageOf(context, projectNamespace(project.metadata?.name ?? '')) : undefined);
      }
    },
  };
}
