import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1Node } from '@kubernetes/client-node';
import { desiredNode, nodeIndex, planNodes, type NodeGroupShape } from './node-plan.ts';

const small = { name: 'm1.small', cpu: '2', memory: '4Gi' };
const gpu = { name: 'g1.large', cpu: '8', memory: '32Gi', gpus: { count: 1, product: 'NVIDIA-A100-SXM4-40GB' } };
const shape = (over: Partial<NodeGroupShape> = {}): NodeGroupShape => ({ group: 'default', cluster: 'c1', flavor: small, replicas: 3, ...over });
const names = (nodes: readonly V1Node[]): string[] => nodes.map((node) => node.metadata?.name ?? '');

describe('desiredNode', () => {
  test('carries capacity from the flavor, the group, cluster, flavor and zone labels, the role and taints', () => {
    const node = desiredNode(
      shape({ zones: ['a', 'b'], role: 'compute', labels: { team: 'physics' }, taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] }),
      3,
    );
    assert.equal(node.metadata?.name, 'default-3');
    assert.deepEqual(node.status?.capacity, { cpu: '2', memory: '4Gi', pods: '110' });
    assert.deepEqual(node.status?.allocatable, node.status?.capacity);
    const labels = node.metadata?.labels ?? {};
    assert.equal(labels['beamline.dev/node-group'], 'default');
    assert.equal(labels['beamline.dev/cluster'], 'c1');
    assert.equal(labels['node.kubernetes.io/instance-type'], 'm1.small');
    assert.equal(labels['topology.kubernetes.io/zone'], 'b');
    assert.equal(labels['node-role.kubernetes.io/compute'], '');
    assert.equal(labels.team, 'physics');
    assert.equal(node.metadata?.annotations?.['kwok.x-k8s.io/node'], 'fake');
    assert.deepEqual(node.spec?.taints, [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }]);
  });

  test('a GPU flavor exposes nvidia.com/gpu and labels the product', () => {
    const node = desiredNode(shape({ group: 'gpu', flavor: gpu }), 0);
    assert.equal(node.status?.capacity?.['nvidia.com/gpu'], '1');
    assert.equal(node.metadata?.labels?.['nvidia.com/gpu.product'], 'NVIDIA-A100-SXM4-40GB');
  });

  test('nodes spread round-robin over the zones', () => {
    const zones = [0, 1, 2, 3, 4].map((i) => desiredNode(shape({ zones: ['a', 'b', 'c'] }), i).metadata?.labels?.['topology.kubernetes.io/zone']);
    assert.deepEqual(zones, ['a', 'b', 'c', 'a', 'b']);
  });
});

describe('planNodes', () => {
  test('creates what is missing, lowest index first', () => {
    const plan = planNodes(shape({ replicas: 3 }), [desiredNode(shape(), 1)]);
    assert.deepEqual(names(plan.create), ['default-0', 'default-2']);
    assert.deepEqual(plan.update, []);
    assert.deepEqual(plan.remove, []);
  });

  test('scaling down removes the highest indexes first', () => {
    const existing = [0, 1, 2, 3, 4].map((i) => desiredNode(shape(), i));
    const plan = planNodes(shape({ replicas: 2 }), existing);
    assert.deepEqual(plan.remove, ['default-4', 'default-3', 'default-2']);
    assert.deepEqual(plan.create, []);
  });

  test('scale to zero removes every node', () => {
    const plan = planNodes(shape({ replicas: 0 }), [desiredNode(shape(), 0), desiredNode(shape(), 1)]);
    assert.deepEqual(plan.remove, ['default-1', 'default-0']);
  });

  test('drifted labels or taints are updated; taints of the node lifecycle controller are not drift', () => {
    const current = desiredNode(shape(), 0);
    current.spec = { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' }] };
    assert.deepEqual(planNodes(shape({ replicas: 1 }), [current]).update, []);
    const relabelled = planNodes(shape({ replicas: 1, labels: { team: 'cms' } }), [current]);
    assert.deepEqual(names(relabelled.update), ['default-0']);
    const tainted = planNodes(shape({ replicas: 1, taints: [{ key: 'k', effect: 'NoExecute' }] }), [current]);
    assert.deepEqual(names(tainted.update), ['default-0']);
  });

  test('nodes with the group label but a foreign name are removed', () => {
    const stray = desiredNode(shape(), 0);
    stray.metadata = { ...stray.metadata, name: 'default-x' };
    assert.deepEqual(planNodes(shape({ replicas: 0 }), [stray]).remove, ['default-x']);
  });

  test('nodeIndex reads only <group>-<n>', () => {
    assert.equal(nodeIndex('gpu', 'gpu-12'), 12);
    assert.equal(nodeIndex('gpu', 'gpu-012'), undefined);
    assert.equal(nodeIndex('gpu', 'gpux-1'), undefined);
    assert.equal(nodeIndex('default', 'default-gpu-1'), undefined);
  });
});
