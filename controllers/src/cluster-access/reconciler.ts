/**
 * Workload-cluster access: once a Cluster is Running, Beamline writes its RBAC into it with the
 * admin kubeconfig: platform admins (PlatformConfig's admin groups) as cluster-admin everywhere,
 * and for a Cluster of a project, the members per role (owner → cluster-admin, member → edit,
 * viewer → view) and the project's delivery identity as cluster-admin. Every binding carries
 * `app.kubernetes.io/managed-by=beamline`; those no longer wanted are removed.
 */
import {
  PLATFORM_ADMINS_BINDING,
  PLATFORM_CONFIG_NAME,
  PROJECT_LABEL,
  PROJECT_ROLES,
  WORKLOAD_CLUSTER_ROLES,
  type Cluster,
  type PlatformConfig,
  type Project,
} from '@beamline/api';
import { isDeleting, type KubeClient } from '@beamline/kube';
import type { ReconcileContext, Reconciler, Result } from '@beamline/reconcile';
import { RESOURCES } from '../resources.ts';
import { DELIVERY_BINDING, deliveryBinding, memberBindings, platformAdminsBinding, roleBindingName, type Binding } from '../project/desired.ts';
import { MANAGED_BY, MANAGED_BY_LABEL, TENANCY_RESOURCES as R } from '../project/kinds.ts';
import type { WorkloadClients } from './workload-client.ts';

/** How often a Running cluster's bindings are written again, should someone have changed them there. */
const REFRESH_MS = 60_000;

/** The project a Cluster belongs to: its namespace's project label (labels decide, not names). */
async function projectOf(context: ReconcileContext<Cluster>, cluster: Cluster): Promise<Project | undefined> {
  const namespace = await context.client.get(R.namespace, cluster.metadata?.namespace ?? 'default');
  const name = namespace?.metadata?.labels?.[PROJECT_LABEL];
  if (name === undefined) return undefined;
  const project = context.cache.get<Project>(R.project, name);
  return project === undefined || isDeleting(project) ? undefined : project;
}

/** The ClusterRoleBindings a Cluster's apiserver should hold. */
export function desiredWorkloadBindings(platform: PlatformConfig | undefined, project: Project | undefined): Binding[] {
  const identity = platform?.spec.identity;
  const admins = platformAdminsBinding(identity);
  const bindings = admins === undefined ? [] : [admins];
  if (project !== undefined) {
    bindings.push(...memberBindings(project, identity, WORKLOAD_CLUSTER_ROLES));
    bindings.push(deliveryBinding(project.metadata?.name ?? '', 'cluster-admin'));
  }
  return bindings;
}

/**
 * Whether a ClusterRoleBinding is one this controller writes: by name as well as by label, so that
 * a cluster that is also the management cluster (imported) keeps Beamline's other bindings there
 * (the catalogue reader, the project readers).
 */
function isAccessBinding(name: string): boolean {
  return name === PLATFORM_ADMINS_BINDING || name === DELIVERY_BINDING || PROJECT_ROLES.some((role) => name === roleBindingName(role));
}

/** Applies `bindings` and removes the managed access ClusterRoleBindings not among them. */
export async function writeWorkloadBindings(client: KubeClient, bindings: readonly Binding[]): Promise<void> {
  for (const binding of bindings) await client.apply(R.clusterRoleBinding, binding);
  const wanted = new Set(bindings.map((binding) => binding.metadata.name));
  const existing = await client.list(R.clusterRoleBinding, { labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}` });
  for (const object of existing.items) {
    const name = object.metadata?.name ?? '';
    if (!wanted.has(name) && isAccessBinding(name)) await client.delete(R.clusterRoleBinding, name);
  }
}

/** Reconciles the RBAC Beamline writes into one Cluster's apiserver (see the file's comment). */
export function clusterAccessReconciler(clients: WorkloadClients): Reconciler<Cluster> {
  return {
    name: 'cluster-access',
    async reconcile(request, context): Promise<Result> {
      const cluster = context.root();
      if (cluster === undefined) {
        clients.forget(request.namespace ?? 'default', request.name);
        return {};
      }
      if (isDeleting(cluster)) return {};
      // Not Running yet: the Cluster's own status change wakes this controller.
      const client = await clients.clientOf(context.client, cluster);
      if (client === undefined) return {};
      const platform = context.cache.get<PlatformConfig>(RESOURCES.platformConfig, PLATFORM_CONFIG_NAME);
      await writeWorkloadBindings(client, desiredWorkloadBindings(platform, await projectOf(context, cluster)));
      return { requeueAfterMs: REFRESH_MS };
    },
  };
}
