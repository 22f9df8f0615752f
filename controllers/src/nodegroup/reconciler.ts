import type { KubeConfig } from '@kubernetes/client-node';
import { ConditionReason, ConditionType, type Cluster, type ClusterTemplate, type NodeGroup, type PlatformConfig } from '@beamline/api';
import { InvalidKubeconfigError, PROVIDER_NOT_FOUND, workloadKubeConfig, type NodeFlavor, type ProviderRegistry } from '@beamline/providers';
import { addFinalizer, isDeleting, patchStatus, removeFinalizer, type Condition } from '@beamline/kube';
import type { ReconcileContext, Reconciler, Result } from '@beamline/reconcile';
import { CLUSTER_LABEL, KUBECONFIG_KEY, NODE_GROUP_FINALIZER, PLATFORM_CONFIG_NAME, RESOURCES } from '../resources.ts';
import { conditionSet } from '../conditions.ts';
import { groupNameOf, ownerReferenceTo } from '../naming.ts';
import { readSecretKey } from '../cluster/kubeconfig-secret.ts';
import { providerNameOf } from '../cluster/provider-name.ts';

interface Observed {
  readonly replicas?: number;
  readonly readyReplicas?: number;
  readonly ready: { readonly status: 'True' | 'False' | 'Unknown'; readonly reason: string; readonly message: string };
  readonly stalled?: { readonly reason: string; readonly message: string };
}

function conditionsOf(group: NodeGroup, observed: Observed): Condition[] {
  const owned = conditionSet(group.status?.conditions, group.metadata?.generation);
  owned.set(ConditionType.Ready, observed.ready.status, observed.ready.reason, observed.ready.message);
  owned.set(ConditionType.Stalled, observed.stalled === undefined ? 'False' : 'True', observed.stalled?.reason ?? ConditionReason.Progressing, observed.stalled?.message ?? '');
  const done = observed.ready.status === 'True' || observed.stalled !== undefined;
  owned.set(ConditionType.Reconciling, done ? 'False' : 'True', observed.ready.reason, done ? '' : observed.ready.message);
  return owned.conditions();
}

async function writeStatus(context: ReconcileContext<NodeGroup>, group: NodeGroup, observed: Observed): Promise<void> {
  await patchStatus(context.kubeConfig, group, {
    ...(group.metadata?.generation === undefined ? {} : { observedGeneration: group.metadata.generation }),
    ...(observed.replicas === undefined ? {} : { replicas: observed.replicas }),
    ...(observed.readyReplicas === undefined ? {} : { readyReplicas: observed.readyReplicas }),
    conditions: conditionsOf(group, observed),
  });
}

/** The kubeconfig of a provisioned cluster, from its kubeconfig Secret; undefined until it exists. */
async function clusterKubeConfig(context: ReconcileContext<NodeGroup>, cluster: Cluster): Promise<KubeConfig | undefined> {
  const ref = cluster.status?.kubeconfigSecretRef;
  if (ref?.name === undefined) return undefined;
  const text = await readSecretKey(context.client, cluster.metadata?.namespace, ref.name, ref.key ?? KUBECONFIG_KEY);
  // The Secret lives in the tenant's namespace: read like any kubeconfig given by a tenant.
  return text === undefined ? undefined : workloadKubeConfig(text);
}

/**
 * Reconciles a NodeGroup: has its cluster's provider make the group's nodes match it, and reports
 * replicas and readiness. Order: get → deletion (drain and remove the nodes, then the finalizer)
 * → finalizer → owner reference to the Cluster → provider manages nodes? → flavor → cluster
 * ready? → sync nodes → status. `providers` is the Cluster reconciler's registry: a provider
 * without `nodeGroups` (an existing cluster's) leaves its groups `NotManaged`.
 *
 * Stalled states are reported, not thrown as TerminalError: a flavor added to PlatformConfig is
 * picked up by the resync, which skips keys that failed terminally.
 */
export function nodeGroupReconciler(providers: ProviderRegistry): Reconciler<NodeGroup> {
  return {
    name: 'nodegroup',
    async reconcile(request, context): Promise<Result> {
      let group = context.root();
      if (group === undefined) return {};
      const namespace = group.metadata?.namespace;
      const cluster = context.cache.get<Cluster>(RESOURCES.cluster, group.spec.clusterName, namespace);
      const shortName = groupNameOf(group);
      const template = cluster === undefined ? undefined : context.cache.get<ClusterTemplate>(RESOURCES.clusterTemplate, cluster.spec.templateRef.name);
      const provider = cluster === undefined ? undefined : providers.get(providerNameOf(cluster, template));

      if (isDeleting(group)) {
        // The cluster going too (or gone) takes its nodes with it: nothing to drain.
        // Nor for a provider that does not manage nodes.
        const nodes = provider?.nodeGroups;
        if (cluster !== undefined && !isDeleting(cluster) && nodes !== undefined) {
          const workload = await clusterKubeConfig(context, cluster).catch((error: unknown) => {
            // A kubeconfig that cannot be used cannot drain either: the group goes, its nodes stay with the cluster.
            if (!(error instanceof InvalidKubeconfigError)) throw error;
            context.logger.warn({ reason: error.message }, 'not draining: the cluster kubeconfig cannot be used');
            return undefined;
          });
          if (workload !== undefined) await nodes.remove(workload, { group: shortName, cluster: cluster.metadata?.name ?? '' });
        }
        await removeFinalizer(context.kubeConfig, group, NODE_GROUP_FINALIZER);
        return {};
      }
      group = (await addFinalizer(context.kubeConfig, group, NODE_GROUP_FINALIZER)) ?? group;

      if (cluster === undefined) {
        await writeStatus(context, group, { ready: { status: 'False', reason: ConditionReason.ClusterNotFound, message: `cluster "${group.spec.clusterName}" does not exist (yet)` } });
        return { requeueAfterMs: 2_000 };
      }
      // Owned by its Cluster: deleting the cluster deletes its node groups.
      const hasOwner = group.metadata?.ownerReferences?.some((ref) => ref.kind === 'Cluster' && ref.name === cluster.metadata?.name) === true;
      if (!hasOwner || group.metadata?.labels?.[CLUSTER_LABEL] !== cluster.metadata?.name) {
        group =
          (await context.client.patch<NodeGroup>(
            RESOURCES.nodeGroup,
            group.metadata?.name ?? '',
            namespace,
            {
              metadata: {
                labels: { ...(group.metadata?.labels ?? {}), [CLUSTER_LABEL]: cluster.metadata?.name ?? '' },
                ownerReferences: [...(group.metadata?.ownerReferences ?? []).filter((ref) => ref.kind !== 'Cluster'), ownerReferenceTo(cluster)],
              },
            },
            'merge',
          )) ?? group;
      }
      if (provider === undefined) {
        const stalled = { reason: PROVIDER_NOT_FOUND, message: `cluster "${cluster.metadata?.name ?? ''}" has a provider this manager does not run` };
        await writeStatus(context, group, { ready: { status: 'False', ...stalled }, stalled });
        return {};
      }
      const nodes = provider.nodeGroups;
      if (nodes === undefined) {
        const stalled = { reason: ConditionReason.NotManaged, message: `the nodes of ${provider.name} clusters are managed by whoever runs them` };
        await writeStatus(context, group, { ready: { status: 'False', ...stalled }, stalled });
        return {};
      }
      const platform = context.cache.get<PlatformConfig>(RESOURCES.platformConfig, PLATFORM_CONFIG_NAME);
      const flavor = platform?.spec.flavors.find((candidate) => candidate.name === group.spec.flavor);
      if (flavor === undefined) {
        const stalled = { reason: ConditionReason.FlavorNotFound, message: `flavor "${group.spec.flavor}" is not in PlatformConfig "${PLATFORM_CONFIG_NAME}"` };
        await writeStatus(context, group, { ready: { status: 'False', ...stalled }, stalled });
        return {}; // the resync looks again; a new flavor needs no hurry
      }
      let workload: KubeConfig | undefined;
      try {
        workload = await clusterKubeConfig(context, cluster);
      } catch (error) {
        if (!(error instanceof InvalidKubeconfigError)) throw error;
        const stalled = { reason: ConditionReason.InvalidKubeconfig, message: `the kubeconfig of cluster "${cluster.metadata?.name ?? ''}" cannot be used: ${error.message}` };
        await writeStatus(context, group, { ready: { status: 'False', ...stalled }, stalled });
        return { requeueAfterMs: 10_000 }; // Secrets are not watched: look again
      }
      const controlPlaneReady = cluster.status?.conditions?.some((c) => c.type === ConditionType.ControlPlaneReady && c.status === 'True') === true;
      if (workload === undefined || !controlPlaneReady) {
        await writeStatus(context, group, { ready: { status: 'False', reason: ConditionReason.WaitingForControlPlane, message: `cluster "${cluster.metadata?.name ?? ''}" has no control plane ready yet` } });
        return { requeueAfterMs: 1_000 };
      }
      const nodeFlavor: NodeFlavor = { name: flavor.name, cpu: flavor.cpu, memory: flavor.memory, ...(flavor.gpus === undefined ? {} : { gpus: flavor.gpus }) };
      const result = await nodes.sync(workload, {
        group: shortName,
        cluster: cluster.metadata?.name ?? '',
        flavor: nodeFlavor,
        replicas: group.spec.replicas,
        ...(group.spec.labels === undefined ? {} : { labels: group.spec.labels }),
        ...(group.spec.taints === undefined ? {} : { taints: group.spec.taints.map((t) => ({ key: t.key, effect: t.effect, ...(t.value === undefined ? {} : { value: t.value }) })) }),
        ...(group.spec.zones === undefined ? {} : { zones: group.spec.zones }),
        ...(group.spec.role === undefined ? {} : { role: group.spec.role }),
      });
      const ready = result.readyReplicas === group.spec.replicas && result.replicas === group.spec.replicas;
      await writeStatus(context, group, {
        replicas: result.replicas,
        readyReplicas: result.readyReplicas,
        ready: ready
          ? { status: 'True', reason: ConditionReason.Available, message: `${result.readyReplicas}/${group.spec.replicas} nodes ready` }
          : { status: 'False', reason: ConditionReason.Scaling, message: `${result.readyReplicas}/${group.spec.replicas} nodes ready` },
      });
      // Simulated nodes report Ready within moments: look again shortly instead of watching the workload cluster.
      return ready ? {} : { requeueAfterMs: 500 };
    },
  };
}
