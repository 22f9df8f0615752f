import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node, type V1Taint } from '@kubernetes/client-node';
import { mapLimit } from '../concurrency.ts';
import { NODE_GROUP_LABEL, CLUSTER_LABEL, planNodes, type NodeGroupShape } from './node-plan.ts';

/** What one sync of a node group did and found. */
export interface NodeSyncResult {
  readonly created: number;
  readonly updated: number;
  readonly removed: number;
  /** Nodes of the group after the sync. */
  readonly replicas: number;
  /** Of those, how many report Ready=True. */
  readonly readyReplicas: number;
}

/** Options of {@link syncNodeGroup}. */
export interface NodeSyncOptions {
  /** API calls in flight at once. Default 32: 1000 nodes in a few seconds, without flooding the apiserver. */
  readonly concurrency?: number;
  /** How long a removed node's pods may take to leave before the node is deleted anyway. Default 60 s. */
  readonly drainTimeoutMs?: number;
}

const statusCode = (error: unknown): number | undefined => (error as { code?: number }).code;

function isReady(node: V1Node): boolean {
  return node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') === true;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/**
 * Evicts every pod of a node through the Eviction API (so PodDisruptionBudgets are honoured) and
 * waits until they are gone or the timeout passes. The node is cordoned first so nothing new lands.
 */
export async function drainNode(core: CoreV1Api, name: string, timeoutMs: number): Promise<void> {
  await core.patchNode({ name, body: { spec: { unschedulable: true } } }, mergePatch);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pods = (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${name}` })).items.filter(
      // DaemonSet pods belong to the node; a mirror pod cannot be evicted.
      (pod) => !pod.metadata?.ownerReferences?.some((owner) => owner.kind === 'DaemonSet') && pod.metadata?.deletionTimestamp === undefined,
    );
    if (pods.length === 0 || Date.now() > deadline) return;
    await mapLimit(pods, 8, async (pod) => {
      const namespace = pod.metadata?.namespace ?? 'default';
      const podName = pod.metadata?.name ?? '';
      try {
        await core.createNamespacedPodEviction({ name: podName, namespace, body: { metadata: { name: podName, namespace } } });
      } catch (error) {
        // 404: already gone; 429: a disruption budget says not now, try again on the next round.
        if (statusCode(error) !== 404 && statusCode(error) !== 429) throw error;
      }
    });
    await sleep(200);
  }
}

/** The group's taints plus those the node lifecycle controller manages (kept as they are). */
function mergedTaints(desired: readonly V1Taint[], existing: readonly V1Taint[]): V1Taint[] {
  return [...desired, ...existing.filter((taint) => taint.key.startsWith('node.kubernetes.io/'))];
}

/**
 * Makes the nodes of one group in a workload cluster match the group's shape: creates missing
 * nodes, fixes drifted labels and taints, and for scale-down drains the highest-numbered nodes
 * before deleting them. Level-based and idempotent: run it again and it does only what is left.
 */
export async function syncNodeGroup(kubeConfig: KubeConfig, shape: NodeGroupShape, options: NodeSyncOptions = {}): Promise<NodeSyncResult> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const concurrency = options.concurrency ?? 32;
  const selector = `${NODE_GROUP_LABEL}=${shape.group},${CLUSTER_LABEL}=${shape.cluster}`;
  // resourceVersion 0: served from the apiserver's watch cache, not a quorum read of etcd; a
  // moment's staleness is harmless in a level-based loop that runs again.
  const existing = (await core.listNode({ labelSelector: selector, resourceVersion: '0' })).items;
  const plan = planNodes(shape, existing);
  const byName = new Map(existing.map((node) => [node.metadata?.name ?? '', node]));

  await mapLimit(plan.create, concurrency, async (node) => {
    try {
      await core.createNode({ body: node });
    } catch (error) {
      if (statusCode(error) !== 409) throw error; // created by an earlier, interrupted sync
    }
  });
  await mapLimit(plan.update, concurrency, async (node) => {
    const name = node.metadata?.name ?? '';
    const current = byName.get(name);
    const labels: Record<string, string | null> = { ...(node.metadata?.labels ?? {}) };
    // Labels the group no longer sets are removed (null in a merge patch), except system ones.
    for (const key of Object.keys(current?.metadata?.labels ?? {})) {
      if (!(key in labels) && !key.startsWith('kubernetes.io/') && !key.startsWith('node.kubernetes.io/')) labels[key] = null;
    }
    await core.patchNode(
      { name, body: { metadata: { labels }, spec: { taints: mergedTaints(node.spec?.taints ?? [], current?.spec?.taints ?? []) } } },
      mergePatch,
    );
  });
  await mapLimit(plan.remove, concurrency, async (name) => {
    await drainNode(core, name, options.drainTimeoutMs ?? 60_000);
    try {
      await core.deleteNode({ name });
    } catch (error) {
      if (statusCode(error) !== 404) throw error;
    }
  });

  const changed = plan.create.length + plan.update.length + plan.remove.length > 0;
  // With nothing changed, the first list already says how many nodes are ready; after a change,
  // a quorum read, so the result counts what this sync just did.
  const after = (changed ? (await core.listNode({ labelSelector: selector })).items : existing).filter(
    (node) => node.metadata?.deletionTimestamp === undefined,
  );
  return {
    created: plan.create.length,
    updated: plan.update.length,
    removed: plan.remove.length,
    replicas: after.length,
    readyReplicas: after.filter(isReady).length,
  };
}
