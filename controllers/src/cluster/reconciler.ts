import type { BinaryPaths } from '@beamline/binaries';
import { ConditionReason, ConditionType, PLATFORM_CONFIG_NAME, type Cluster, type ClusterTemplate, type PlatformConfig } from '@beamline/api';
import { ClusterStalledError, defaultProviders, jwtIssuersOf, type ClusterProvider, type ClusterRequest, type ProviderRegistry } from '@beamline/providers';
import { addFinalizer, isDeleting, patchStatus, removeFinalizer } from '@beamline/kube';
import type { ReconcileContext, Reconciler, Result } from '@beamline/reconcile';
import { CLUSTER_FINALIZER, RESOURCES } from '../resources.ts';
import { conditionSet } from '../conditions.ts';
import { groupNameOf } from '../naming.ts';
import { readSecretKey, writeKubeconfigSecret } from './kubeconfig-secret.ts';
import { desiredNodeGroups, materialiseNodeGroups, nodeGroupsOf } from './node-groups.ts';
import { providerNameOf } from './provider-name.ts';
import { certificateAuthorityOf, computeClusterStatus, type ClusterObservation } from './status.ts';

export { desiredNodeGroups } from './node-groups.ts';

/** What the Cluster reconciler needs from its environment. */
export interface ClusterReconcilerOptions {
  /** `$BEAMLINE_HOME`: where kwok clusters keep their processes' folders. */
  readonly home: string;
  readonly binaries: BinaryPaths;
  /** The Kubernetes version the binaries are. */
  readonly kubernetesVersion: string;
  /** How often a ready cluster's control plane is checked. Default 5 s. */
  readonly healthCheckMs?: number;
  /** The providers, keyed by `spec.provider`. Default: kwok and imported ({@link defaultProviders}) built from the options above. */
  readonly providers?: ProviderRegistry;
}

/** The status fields the reconciler sets besides conditions. */
interface StatusFields {
  provider?: NonNullable<Cluster['status']>['provider'];
  endpoint?: string;
  certificateAuthority?: string;
  kubernetesVersion?: string;
  controlPlaneReplicas?: number;
  kubeconfigSecretRef?: { name: string; key: string };
}

/**
 * One reconcile pass of one Cluster: what the phases read and what they found. The status is
 * written once, from `observation`, when the pass ends; a pass that observed nothing (it failed
 * before knowing anything) leaves the status as it was.
 */
interface ClusterScope {
  readonly context: ReconcileContext<Cluster>;
  cluster: Cluster;
  readonly namespace: string;
  readonly name: string;
  /** What goes into status when the pass ends; undefined = write nothing. */
  observation?: ClusterObservation;
  fields: StatusFields;
}

/** The cluster's NodeGroups as {@link computeClusterStatus} counts them. */
function groupsOf(scope: ClusterScope): ClusterObservation['nodeGroups'] {
  return nodeGroupsOf(scope.context, scope.cluster).map((group) => ({
    name: groupNameOf(group),
    replicas: group.spec.replicas,
    currentReplicas: group.status?.replicas ?? 0,
    readyReplicas: group.status?.readyReplicas ?? 0,
  }));
}

/** The node groups to count when the provider reported nothing: NodeGroups if it manages them, else none. */
function fallbackGroups(scope: ClusterScope, provider: ClusterProvider | undefined): ClusterObservation['nodeGroups'] {
  return provider !== undefined && provider.nodeGroups === undefined ? [] : groupsOf(scope);
}

async function writeStatus(scope: ClusterScope, observed: ClusterObservation): Promise<void> {
  const { cluster } = scope;
  const computed = computeClusterStatus(observed);
  const generation = cluster.metadata?.generation;
  const owned = conditionSet(cluster.status?.conditions, generation);
  for (const condition of computed.conditions) owned.set(condition.type, condition.status, condition.reason, condition.message);
  await patchStatus(scope.context.kubeConfig, cluster, {
    ...(cluster.status ?? {}),
    ...scope.fields,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    phase: computed.phase,
    conditions: owned.conditions(),
    nodes: computed.nodes,
    nodeGroups: observed.nodeGroups.map((group) => ({ name: group.name, replicas: group.replicas, readyReplicas: group.readyReplicas })),
  });
}

/** The stored reason of a condition, as the last pass wrote it. */
function storedReason(cluster: Cluster, type: string): string | undefined {
  return cluster.status?.conditions?.find((condition) => condition.type === type)?.reason;
}

/**
 * Deletion: report Deleting first (one pass), then have the provider remove the cluster and drop
 * the finalizer (the next pass), so the state shows while the provider works.
 */
async function reconcileDelete(scope: ClusterScope, providers: ProviderRegistry): Promise<Result> {
  const { context, cluster } = scope;
  if (cluster.status?.phase !== 'Deleting') {
    scope.observation = { deleting: true, nodeGroups: groupsOf(scope) };
    return { requeueAfterMs: 0 };
  }
  const template = context.cache.get<ClusterTemplate>(RESOURCES.clusterTemplate, cluster.spec.templateRef.name);
  // A provider that is not registered ran nothing here: nothing to remove.
  await providers.get(providerNameOf(cluster, template))?.delete({ namespace: scope.namespace, name: scope.name });
  await removeFinalizer(context.kubeConfig, cluster, CLUSTER_FINALIZER);
  scope.observation = undefined; // the Cluster is gone: nothing to report on
  return {};
}

/** What a stalled pass returns: look again only when the provider asked to (references nobody watches). */
function stalled(scope: ClusterScope, error: ClusterStalledError, nodeGroups: ClusterObservation['nodeGroups']): Result {
  scope.observation = { deleting: false, stalled: { reason: error.reason, message: error.message }, nodeGroups };
  return error.recheckAfterMs === undefined ? {} : { requeueAfterMs: error.recheckAfterMs };
}

/** Template → provider → outage report → ensure → kubeconfig → node groups → observation. */
async function reconcileNormal(scope: ClusterScope, providers: ProviderRegistry, healthCheckMs: number): Promise<Result> {
  const { context } = scope;
  const template = context.cache.get<ClusterTemplate>(RESOURCES.clusterTemplate, scope.cluster.spec.templateRef.name);
  if (template === undefined) {
    const message = `ClusterTemplate "${scope.cluster.spec.templateRef.name}" does not exist`;
    return stalled(scope, new ClusterStalledError(ConditionReason.TemplateNotFound, message), groupsOf(scope));
  }

  let provider: ClusterProvider;
  try {
    provider = providers.resolve(providerNameOf(scope.cluster, template));
  } catch (error) {
    if (!(error instanceof ClusterStalledError)) throw error;
    return stalled(scope, error, groupsOf(scope));
  }
  const request: ClusterRequest = {
    namespace: scope.namespace,
    name: scope.name,
    cluster: scope.cluster,
    template,
    readSecret: (name, key) => readSecretKey(context.client, scope.namespace, name, key),
    // Read at every pass (health checks included), so an identity set later reaches running clusters.
    trust: jwtIssuersOf(context.cache.get<PlatformConfig>(RESOURCES.platformConfig, PLATFORM_CONFIG_NAME)?.spec.identity),
  };

  // A control plane that ran and died is reported (this pass) before it is repaired (the next), so the outage shows.
  const observed = await provider.observe(request);
  if (observed !== undefined && !observed.ready && storedReason(scope.cluster, ConditionType.ControlPlaneReady) !== ConditionReason.ControlPlaneDown) {
    scope.observation = {
      deleting: false,
      controlPlane: { ready: false, reason: ConditionReason.ControlPlaneDown, message: `${observed.message}; restarting` },
      nodeGroups: fallbackGroups(scope, provider),
    };
    context.logger.warn({ reason: observed.message }, 'control plane down; restarting it');
    return { requeueAfterMs: 0 };
  }

  let state;
  try {
    state = await provider.ensure(request);
  } catch (error) {
    if (error instanceof ClusterStalledError) return stalled(scope, error, fallbackGroups(scope, provider));
    const message = (error as Error).message.split('\n')[0] ?? '';
    scope.observation = { deleting: false, controlPlane: { ready: false, reason: ConditionReason.ControlPlaneDown, message }, nodeGroups: fallbackGroups(scope, provider) };
    throw error; // retried with backoff
  }

  const secretRef = 'publish' in state.kubeconfig ? await writeKubeconfigSecret(context, scope.cluster, state.kubeconfig.publish) : state.kubeconfig.secretRef;
  // The cluster CA, public, for kubeconfigs of users who may not read the admin kubeconfig Secret.
  const kubeconfigYaml = 'publish' in state.kubeconfig ? state.kubeconfig.publish : await readSecretKey(context.client, scope.namespace, secretRef.name, secretRef.key).catch(() => undefined);
  const certificateAuthority = kubeconfigYaml === undefined ? undefined : certificateAuthorityOf(kubeconfigYaml);
  let nodeGroups: ClusterObservation['nodeGroups'];
  let missing: string[] = [];
  if (state.nodeGroups !== undefined) {
    nodeGroups = state.nodeGroups;
  } else {
    scope.cluster = await materialiseNodeGroups(context, scope.cluster, template);
    nodeGroups = groupsOf(scope);
    const existing = new Set(nodeGroups.map((group) => group.name));
    missing = desiredNodeGroups(scope.cluster, template).map((group) => group.name).filter((group) => !existing.has(group));
  }
  scope.fields = {
    provider: provider.name as StatusFields['provider'],
    endpoint: state.endpoint,
    ...(certificateAuthority === undefined ? {} : { certificateAuthority }),
    kubernetesVersion: state.kubernetesVersion,
    ...(state.controlPlaneReplicas === undefined ? {} : { controlPlaneReplicas: state.controlPlaneReplicas }),
    kubeconfigSecretRef: secretRef,
  };
  scope.observation = {
    deleting: false,
    controlPlane: {
      ready: state.controlPlane.ready,
      reason: state.controlPlane.ready ? ConditionReason.ControlPlaneAvailable : state.controlPlane.reason,
      message: state.controlPlane.message,
    },
    nodeGroups,
    // Only the first time: after that a missing group was deleted on purpose.
    ...(missing.length > 0 && scope.cluster.status?.observedGeneration === undefined ? { missingNodeGroups: missing } : {}),
  };
  // Converging (nodes Beamline manages not there yet): look again soon; otherwise at the health-check pace.
  const converging = computeClusterStatus(scope.observation).phase !== 'Running' && provider.nodeGroups !== undefined;
  return { requeueAfterMs: converging ? 1_000 : healthCheckMs * (provider.healthCheckPeriods ?? 1) };
}

/**
 * Reconciles a Cluster through its provider (looked up by `spec.provider`, else the template's):
 * provisions or connects to its control plane, creates its node groups, publishes its kubeconfig
 * Secret and reports its state. Order: get → try/finally that writes status once → deletion
 * (Deleting reported, then the provider removes the cluster, then the finalizer) → finalizer →
 * template → provider → node groups. A ready cluster is checked again every few seconds, so a dead
 * control plane is noticed and restarted.
 *
 * Stalled states (template or provider missing, a kubeconfig Secret missing or unusable, a version
 * the provider cannot run) are reported as Stalled=True and not thrown as TerminalError: their
 * fixes (a new template, a Secret) are not watched by this controller, and the runtime's resync
 * skips keys that failed terminally.
 */
export function clusterReconciler(options: ClusterReconcilerOptions): Reconciler<Cluster> {
  const healthCheckMs = options.healthCheckMs ?? 5_000;
  const providers = options.providers ?? defaultProviders(options);
  return {
    name: 'cluster',
    async reconcile(_request, context): Promise<Result> {
      const cluster = context.root();
      if (cluster === undefined) return {};
      const scope: ClusterScope = { context, cluster, namespace: cluster.metadata?.namespace ?? 'default', name: cluster.metadata?.name ?? '', fields: {} };
      try {
        if (isDeleting(cluster)) return await reconcileDelete(scope, providers);
        scope.cluster = (await addFinalizer(context.kubeConfig, cluster, CLUSTER_FINALIZER)) ?? cluster;
        return await reconcileNormal(scope, providers, healthCheckMs);
      } finally {
        if (scope.observation !== undefined) await writeStatus(scope, scope.observation);
      }
    },
  };
}
