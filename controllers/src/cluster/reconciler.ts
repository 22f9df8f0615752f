import type { BinaryPaths } from '@beamline/binaries';
import type { Cluster, ClusterTemplate, NodeGroup } from '@beamline/api';
import {
  deleteKwokCluster,
  ensureKwokCluster,
  InvalidKubeconfigError,
  kwokClusterHealth,
  probeImportedCluster,
  UnsupportedClusterError,
  workloadKubeConfig,
} from '@beamline/providers';
import {
  addFinalizer,
  isDeleting,
  patchStatus,
  removeFinalizer,
  type ReconcileContext,
  type Reconciler,
  type Result,
} from '@beamline/reconcile';
import { CLUSTER_FINALIZER, CLUSTER_LABEL, KUBECONFIG_KEY, NODE_GROUPS_CREATED_ANNOTATION, RESOURCES } from '../resources.ts';
import { conditionSet } from '../conditions.ts';
import { groupNameOf, kubeconfigSecretName, nodeGroupObjectName, ownerReferenceTo } from '../naming.ts';
import { computeClusterStatus, CONTROL_PLANE_DOWN, type ClusterObservation } from './status.ts';

/** What the Cluster reconciler needs from its environment. */
export interface ClusterReconcilerOptions {
  /** `$BEAMLINE_HOME`: where kwok clusters keep their processes' folders. */
  readonly home: string;
  readonly binaries: BinaryPaths;
  /** The Kubernetes version the binaries are. */
  readonly kubernetesVersion: string;
  /** How often a ready cluster's control plane is checked. Default 5 s. */
  readonly healthCheckMs?: number;
}

/** The status fields the reconciler sets besides conditions. */
interface StatusFields {
  provider?: 'kwok' | 'imported';
  endpoint?: string;
  kubernetesVersion?: string;
  controlPlaneReplicas?: number;
  kubeconfigSecretRef?: { name: string; key: string };
}

async function writeStatus(context: ReconcileContext<Cluster>, cluster: Cluster, observed: ClusterObservation, fields: StatusFields): Promise<void> {
  const computed = computeClusterStatus(observed);
  const generation = cluster.metadata?.generation;
  const owned = conditionSet(cluster.status?.conditions, generation);
  for (const condition of computed.conditions) owned.set(condition.type, condition.status, condition.reason, condition.message);
  const conditions = owned.conditions();
  await patchStatus(context.kubeConfig, cluster, {
    ...(cluster.status ?? {}),
    ...fields,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    phase: computed.phase,
    conditions,
    nodes: computed.nodes,
    nodeGroups: observed.nodeGroups.map((group) => ({ name: group.name, replicas: group.replicas, readyReplicas: group.readyReplicas })),
  });
}

function nodeGroupsOf(context: ReconcileContext<Cluster>, cluster: Cluster): NodeGroup[] {
  return context.cache
    .list<NodeGroup>(RESOURCES.nodeGroup, cluster.metadata?.namespace)
    .filter((group) => group.spec.clusterName === cluster.metadata?.name && !isDeleting(group));
}

/** The cluster's node groups: the template's, each replaced by the Cluster's `spec.nodeGroups` entry of the same name, then the Cluster's other entries. */
export function desiredNodeGroups(cluster: Cluster, template: ClusterTemplate): NonNullable<ClusterTemplate['spec']['nodeGroups']> {
  const own = cluster.spec.nodeGroups ?? [];
  const fromTemplate = template.spec.nodeGroups ?? [];
  return [...fromTemplate.map((group) => own.find((o) => o.name === group.name) ?? group), ...own.filter((o) => !fromTemplate.some((group) => group.name === o.name))];
}

/** Creates the node groups (template and Cluster overrides) that do not exist yet, once per cluster. */
async function materialiseNodeGroups(context: ReconcileContext<Cluster>, cluster: Cluster, template: ClusterTemplate): Promise<Cluster> {
  if (cluster.metadata?.annotations?.[NODE_GROUPS_CREATED_ANNOTATION] === 'true') return cluster;
  const name = cluster.metadata?.name ?? '';
  const namespace = cluster.metadata?.namespace;
  for (const group of desiredNodeGroups(cluster, template)) {
    const objectName = nodeGroupObjectName(name, group.name);
    // Live read: a NodeGroup the CLI created a moment ago may not be in the cache yet.
    if ((await context.client.get(RESOURCES.nodeGroup, objectName, namespace)) !== undefined) continue;
    const { name: _short, ...spec } = group;
    // The template's labels go on every node of every group; a group's own labels win.
    const labels = { ...(template.spec.labels ?? {}), ...(group.labels ?? {}) };
    await context.client.create(RESOURCES.nodeGroup, {
      apiVersion: RESOURCES.nodeGroup.apiVersion,
      kind: 'NodeGroup',
      metadata: { name: objectName, namespace, labels: { [CLUSTER_LABEL]: name }, ownerReferences: [ownerReferenceTo(cluster)] },
      spec: { ...spec, ...(Object.keys(labels).length === 0 ? {} : { labels }), clusterName: name },
    });
  }
  return (
    (await context.client.patch<Cluster>(RESOURCES.cluster, name, namespace, { metadata: { annotations: { [NODE_GROUPS_CREATED_ANNOTATION]: 'true' } } }, 'merge')) ??
    cluster
  );
}

/** Writes (or refreshes) the `<cluster>-kubeconfig` Secret, owned by the cluster. */
async function writeKubeconfigSecret(context: ReconcileContext<Cluster>, cluster: Cluster, kubeconfig: string): Promise<{ name: string; key: string }> {
  const name = kubeconfigSecretName(cluster.metadata?.name ?? '');
  const namespace = cluster.metadata?.namespace;
  const value = Buffer.from(kubeconfig).toString('base64');
  const existing = await context.client.get<{ data?: Record<string, string> } & { metadata?: object; apiVersion?: string; kind?: string }>(RESOURCES.secret, name, namespace);
  if (existing?.data?.[KUBECONFIG_KEY] !== value) {
    await context.client.apply(RESOURCES.secret, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace, labels: { [CLUSTER_LABEL]: cluster.metadata?.name ?? '' }, ownerReferences: [ownerReferenceTo(cluster)] },
      type: 'cluster.x-k8s.io/secret',
      data: { [KUBECONFIG_KEY]: value },
    });
  }
  return { name, key: KUBECONFIG_KEY };
}

/**
 * Reconciles a Cluster: provisions its control plane through its provider, creates its template's
 * node groups, publishes its kubeconfig Secret and reports its state. Order: get → deletion (stop
 * the control plane, then the finalizer) → finalizer → template → provider → node groups → status.
 * A ready cluster is checked again every few seconds, so a dead control plane is noticed and restarted.
 */
export function clusterReconciler(options: ClusterReconcilerOptions): Reconciler<Cluster> {
  const healthCheckMs = options.healthCheckMs ?? 5_000;
  return {
    name: 'cluster',
    async reconcile(request, context): Promise<Result> {
      let cluster = context.root();
      if (cluster === undefined) return {};
      const namespace = cluster.metadata?.namespace ?? 'default';
      const name = cluster.metadata?.name ?? '';
      const groups = (): ClusterObservation['nodeGroups'] =>
        nodeGroupsOf(context, cluster as Cluster).map((group) => ({
          name: groupNameOf(group),
          replicas: group.spec.replicas,
          currentReplicas: group.status?.replicas ?? 0,
          readyReplicas: group.status?.readyReplicas ?? 0,
        }));

      if (isDeleting(cluster)) {
        await writeStatus(context, cluster, { deleting: true, nodeGroups: groups() }, {});
        if ((cluster.spec.provider ?? 'kwok') === 'kwok') await deleteKwokCluster(options.home, namespace, name);
        await removeFinalizer(context.kubeConfig, cluster, CLUSTER_FINALIZER);
        return {};
      }
      cluster = (await addFinalizer(context.kubeConfig, cluster, CLUSTER_FINALIZER)) ?? cluster;

      const template = context.cache.get<ClusterTemplate>(RESOURCES.clusterTemplate, cluster.spec.templateRef.name);
      if (template === undefined) {
        const stalled = { reason: 'TemplateNotFound', message: `ClusterTemplate "${cluster.spec.templateRef.name}" does not exist` };
        await writeStatus(context, cluster, { deleting: false, stalled, nodeGroups: groups() }, {});
        return {}; // the ClusterTemplate watch wakes us when it appears
      }
      const provider = cluster.spec.provider ?? template.spec.provider ?? 'kwok';

      if (provider === 'imported') {
        const ref = cluster.spec.imported?.kubeconfigSecretRef;
        const secret = ref === undefined ? undefined : await context.client.get<{ data?: Record<string, string> } & { metadata?: object }>(RESOURCES.secret, ref.name, namespace);
        const data = secret?.data?.[ref?.key ?? KUBECONFIG_KEY];
        if (ref === undefined || data === undefined) {
          const stalled = { reason: 'KubeconfigSecretNotFound', message: `Secret "${ref?.name ?? ''}" with key "${ref?.key ?? KUBECONFIG_KEY}" not found in namespace "${namespace}"` };
          await writeStatus(context, cluster, { deleting: false, stalled, nodeGroups: [] }, {});
          return { requeueAfterMs: 10_000 }; // Secrets are not watched: look again
        }
        try {
          const info = await probeImportedCluster(workloadKubeConfig(Buffer.from(data, 'base64').toString('utf8')));
          await writeStatus(
            context,
            cluster,
            {
              deleting: false,
              controlPlane: { ready: true, reason: 'ControlPlaneAvailable', message: `answering at ${info.endpoint}` },
              nodeGroups: [{ name: 'imported', replicas: info.nodes.total, readyReplicas: info.nodes.ready }],
            },
            { provider, endpoint: info.endpoint, kubernetesVersion: info.kubernetesVersion, kubeconfigSecretRef: { name: ref.name, key: ref.key ?? KUBECONFIG_KEY } },
          );
          return { requeueAfterMs: healthCheckMs * 6 };
        } catch (error) {
          if (error instanceof InvalidKubeconfigError) {
            const stalled = { reason: 'InvalidKubeconfig', message: error.message };
            await writeStatus(context, cluster, { deleting: false, stalled, nodeGroups: [] }, {});
            return { requeueAfterMs: 10_000 };
          }
          await writeStatus(
            context,
            cluster,
            { deleting: false, controlPlane: { ready: false, reason: CONTROL_PLANE_DOWN, message: `unreachable: ${(error as Error).message.split('\n')[0] ?? ''}` }, nodeGroups: [] },
            {},
          );
          throw error; // retried with backoff
        }
      }

      // A control plane that ran and died is reported before it is repaired, so the outage shows.
      const health = await kwokClusterHealth(options.home, namespace, name);
      if (health.provisioned && (!health.ready || health.dead.length > 0)) {
        const what = health.dead.length > 0 ? `${health.dead.join(', ')} not running` : 'the endpoint does not answer';
        await writeStatus(
          context,
          cluster,
          { deleting: false, controlPlane: { ready: false, reason: CONTROL_PLANE_DOWN, message: `${what}; restarting` }, nodeGroups: groups() },
          {},
        );
        context.logger.warn({ dead: health.dead }, 'control plane down; restarting it');
      }
      let state;
      try {
        state = await ensureKwokCluster({
          home: options.home,
          namespace,
          name,
          controlPlaneReplicas: template.spec.controlPlane.replicas === 3 ? 3 : 1,
          kubernetesVersion: template.spec.kubernetesVersion,
          availableVersion: options.kubernetesVersion,
          binaries: options.binaries,
        });
      } catch (error) {
        if (error instanceof UnsupportedClusterError) {
          await writeStatus(context, cluster, { deleting: false, stalled: { reason: error.reason, message: error.message }, nodeGroups: groups() }, {});
          return {};
        }
        await writeStatus(
          context,
          cluster,
          { deleting: false, controlPlane: { ready: false, reason: CONTROL_PLANE_DOWN, message: (error as Error).message.split('\n')[0] ?? '' }, nodeGroups: groups() },
          {},
        );
        throw error;
      }
      const secretRef = await writeKubeconfigSecret(context, cluster, state.kubeconfig);
      cluster = await materialiseNodeGroups(context, cluster, template);
      const existing = new Set(nodeGroupsOf(context, cluster).map(groupNameOf));
      const missing = desiredNodeGroups(cluster, template).map((group) => group.name).filter((group) => !existing.has(group));
      const fields: StatusFields = {
        provider,
        endpoint: state.endpoint,
        kubernetesVersion: options.kubernetesVersion,
        controlPlaneReplicas: template.spec.controlPlane.replicas,
        kubeconfigSecretRef: secretRef,
      };
      const observation: ClusterObservation = {
        deleting: false,
        controlPlane: { ready: state.ready, reason: state.ready ? 'ControlPlaneAvailable' : state.reason, message: state.message },
        nodeGroups: groups(),
        // Only the first time: after that a missing group was deleted on purpose.
        ...(missing.length > 0 && cluster.status?.observedGeneration === undefined ? { missingNodeGroups: missing } : {}),
      };
      await writeStatus(context, cluster, observation, fields);
      return { requeueAfterMs: computeClusterStatus(observation).phase === 'Running' ? healthCheckMs : 1_000 };
    },
  };
}
