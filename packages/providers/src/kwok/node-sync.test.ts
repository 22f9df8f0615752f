// Node groups on a real control plane with kube-scheduler and kwok: readiness, GPU scheduling,
// zones, scale up and down with evictions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppsV1Api, CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { CLUSTER_LABEL, GPU_RESOURCE, ZONE_LABEL, type NodeGroupShape } from './node-plan.ts';
import { syncNodeGroup } from './node-sync.ts';

const env = useTestEnv('nodes');
// The shared plane is one workload "cluster" for every test file: a unique cluster label keeps
// these nodes (and the pods pinned to them) apart from other files'.
const cluster = uniqueName('c');
const group = (name: string): string => `${name}${cluster.slice(2)}`;
const small = { name: 'm1.small', cpu: '2', memory: '4Gi' };
const gpuFlavor = { name: 'g1.large', cpu: '8', memory: '32Gi', gpus: { count: 1, product: 'NVIDIA-A100-SXM4-40GB' } };

env.onCleanup(async () => {
  const core = env.kubeConfig.makeApiClient(CoreV1Api);
  const nodes = await core.listNode({ labelSelector: `${CLUSTER_LABEL}=${cluster}` });
  await Promise.all(nodes.items.map((node) => core.deleteNode({ name: node.metadata?.name ?? '' }).catch(() => undefined)));
});

async function readyCount(shape: NodeGroupShape): Promise<number> {
  return (await syncNodeGroup(env.kubeConfig, shape)).readyReplicas;
}

function podOn(name: string, requests: Record<string, string>): V1Pod {
  return {
    metadata: { name },
    spec: {
      nodeSelector: { [CLUSTER_LABEL]: cluster },
      tolerations: [{ operator: 'Exists' }],
      containers: [{ name: 'c', image: 'registry.invalid/job:1', resources: { requests, limits: requests } }],
    },
  };
}

describe('syncNodeGroup', () => {
  test('nodes of a group become Ready, spread over the zones', async () => {
    const shape: NodeGroupShape = { group: group('cpu'), cluster, flavor: small, replicas: 3, zones: ['zone-a', 'zone-b', 'zone-c'] };
    await waitFor(async () => (await readyCount(shape)) === 3, { what: '3 ready cpu nodes' });
    const nodes = (await env.kubeConfig.makeApiClient(CoreV1Api).listNode({ labelSelector: `beamline.dev/node-group=${shape.group}` })).items;
    assert.deepEqual(nodes.map((node) => node.metadata?.labels?.[ZONE_LABEL]).sort(), ['zone-a', 'zone-b', 'zone-c']);
    assert.ok(nodes.every((node) => node.status?.allocatable?.cpu === '2'));
  });

  test('a pod asking for a GPU lands on a GPU node; one more than there are GPUs stays Pending', async () => {
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const shape: NodeGroupShape = { group: group('gpu'), cluster, flavor: gpuFlavor, replicas: 2, role: 'gpu' };
    await waitFor(async () => (await readyCount(shape)) === 2, { what: '2 ready gpu nodes' });
    for (const name of ['gpu-a', 'gpu-b', 'gpu-c']) {
      await core.createNamespacedPod({ namespace: env.namespace, body: podOn(name, { [GPU_RESOURCE]: '1' }) });
    }
    const placed = await waitFor(
      async () => {
        const pods = (await core.listNamespacedPod({ namespace: env.namespace })).items.filter((pod) => pod.metadata?.name?.startsWith('gpu-'));
        const running = pods.filter((pod) => pod.status?.phase === 'Running');
        const unschedulable = pods.filter((pod) => pod.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'));
        return running.length === 2 && unschedulable.length === 1 ? { running, unschedulable } : undefined;
      },
      { what: '2 GPU pods running and 1 unschedulable' },
    );
    const gpuNodes = new Set(placed.running.map((pod) => pod.spec?.nodeName));
    assert.deepEqual([...gpuNodes].sort(), [`${shape.group}-0`, `${shape.group}-1`]);
    assert.match(placed.unschedulable[0]?.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message ?? '', /nvidia\.com\/gpu/);
    await Promise.all(['gpu-a', 'gpu-b', 'gpu-c'].map((name) => core.deleteNamespacedPod({ namespace: env.namespace, name, gracePeriodSeconds: 0 })));
  });

  test('scaling down drains the removed nodes first: their pods move to the remaining ones', async () => {
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const apps = env.kubeConfig.makeApiClient(AppsV1Api);
    const shape: NodeGroupShape = { group: group('scale'), cluster, flavor: small, replicas: 4 };
    await waitFor(async () => (await readyCount(shape)) === 4, { what: '4 ready nodes' });
    const labels = { app: 'spread' };
    await apps.createNamespacedDeployment({
      namespace: env.namespace,
      body: {
        metadata: { name: 'spread' },
        spec: {
          replicas: 4,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              nodeSelector: { 'beamline.dev/node-group': shape.group },
              // One pod per node, so every node has something to evict.
              topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } }],
              containers: [{ name: 'c', image: 'registry.invalid/web:1', resources: { requests: { cpu: '100m' } } }],
            },
          },
        },
      },
    });
    const runningPods = async (): Promise<V1Pod[]> =>
      (await core.listNamespacedPod({ namespace: env.namespace, labelSelector: 'app=spread' })).items.filter(
        (pod) => pod.status?.phase === 'Running' && pod.metadata?.deletionTimestamp === undefined,
      );
    await waitFor(async () => new Set((await runningPods()).map((pod) => pod.spec?.nodeName)).size === 4, { what: 'one pod on each of 4 nodes' });

    const result = await syncNodeGroup(env.kubeConfig, { ...shape, replicas: 2 });
    assert.equal(result.removed, 2);
    assert.equal(result.replicas, 2);
    const remaining = [`${shape.group}-0`, `${shape.group}-1`];
    // The evicted pods were recreated by their ReplicaSet on the nodes that are left (maxSkew 1 over 2 nodes).
    await waitFor(
      async () => {
        const pods = await runningPods();
        return pods.length === 4 && pods.every((pod) => remaining.includes(pod.spec?.nodeName ?? '')) ? pods : undefined;
      },
      { what: 'all 4 pods running on the 2 remaining nodes' },
    );
    const nodes = (await core.listNode({ labelSelector: `beamline.dev/node-group=${shape.group}` })).items.map((node) => node.metadata?.name).sort();
    assert.deepEqual(nodes, remaining);

    assert.equal((await syncNodeGroup(env.kubeConfig, { ...shape, replicas: 0 })).replicas, 0);
  });

  test('labels and taints follow the group', async () => {
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const shape: NodeGroupShape = { group: group('lbl'), cluster, flavor: small, replicas: 1, labels: { team: 'cms' } };
    await syncNodeGroup(env.kubeConfig, shape);
    const changed = { ...shape, labels: { team: 'atlas' }, taints: [{ key: 'dedicated', value: 'atlas', effect: 'NoSchedule' }] };
    assert.equal((await syncNodeGroup(env.kubeConfig, changed)).updated, 1);
    const node = await core.readNode({ name: `${shape.group}-0` });
    assert.equal(node.metadata?.labels?.team, 'atlas');
    assert.ok(node.spec?.taints?.some((taint) => taint.key === 'dedicated' && taint.value === 'atlas'));
    assert.equal((await syncNodeGroup(env.kubeConfig, changed)).updated, 0);
  });
});
