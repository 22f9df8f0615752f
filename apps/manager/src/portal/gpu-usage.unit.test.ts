// GPUs in use: what running Pods ask for, and how the fleet index keeps it per cluster.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeObject } from '@beamline/kube';
import { FleetIndex } from './fleet.ts';
import { gpusRequested } from './gpu-usage.ts';

const object = (kind: string, namespace: string | undefined, name: string, rest: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'beamline.dev/v1alpha1', kind, metadata: { name, ...(namespace === undefined ? {} : { namespace }) }, ...rest });

describe('GPUs in use', () => {
  test("a Pod's containers count their request, else their limit; other resources and odd values do not count", () => {
    const container = (resources: Record<string, Record<string, string>>) => ({ resources });
    assert.equal(
      gpusRequested({
        items: [
          { spec: { containers: [container({ requests: { 'nvidia.com/gpu': '2' } }), container({ limits: { 'nvidia.com/gpu': '1' } })] } },
          { spec: { containers: [container({ requests: { cpu: '4' } }), container({ requests: { 'nvidia.com/gpu': '0.5' } }), container({})] } },
          {},
        ],
      }),
      3,
    );
    assert.equal(gpusRequested({}), 0);
  });

  test('the index asks only clusters with GPU nodes, and sums what was sampled per project and in total', () => {
    const index = new FleetIndex();
    index.apply('PlatformConfig', 'add', object('PlatformConfig', undefined, 'beamline', { spec: { flavors: [{ name: 'g1.large', cpu: '8', memory: '32Gi', gpus: { count: 2 } }, { name: 'm1.small', cpu: '1', memory: '2Gi' }] } }));
    for (const [namespace, name] of [['a', 'lab'], ['a', 'cpu'], ['b', 'big']] as const) index.apply('Cluster', 'add', object('Cluster', namespace, name, { spec: { templateRef: { name: 'gpu' } } }));
    index.apply('NodeGroup', 'add', object('NodeGroup', 'a', 'lab-gpu', { spec: { clusterName: 'lab', flavor: 'g1.large', replicas: 2 } }));
    index.apply('NodeGroup', 'add', object('NodeGroup', 'a', 'cpu-default', { spec: { clusterName: 'cpu', flavor: 'm1.small', replicas: 3 } }));
    index.apply('NodeGroup', 'add', object('NodeGroup', 'b', 'big-gpu', { spec: { clusterName: 'big', flavor: 'g1.large', replicas: 1 } }));
    // A GPU group scaled to zero has no GPU to be in use.
    index.apply('NodeGroup', 'add', object('NodeGroup', 'a', 'cpu-gpu', { spec: { clusterName: 'cpu', flavor: 'g1.large', replicas: 0 } }));
    assert.deepEqual(index.gpuClusters(), ['a/lab', 'b/big']);

    const before = index.version;
    index.setGpusInUse('a/lab', 3);
    index.setGpusInUse('b/big', 1);
    assert.ok(index.version > before, 'a new count is a new version of the views');
    const unchanged = index.version;
    index.setGpusInUse('b/big', 1);
    assert.equal(index.version, unchanged, 'the same count is no change');

    const all = index.fleet({ clusters: () => true, applications: () => true });
    assert.equal(all.totals.gpus, 6);
    assert.equal(all.totals.gpusInUse, 4);
    assert.deepEqual(all.namespaces.map((row) => [row.namespace, row.gpus, row.gpusInUse]), [['a', 4, 3], ['b', 2, 1]]);
    assert.equal(index.clusterRows().find((row) => row.name === 'lab')?.gpusInUse, 3);
    // Only what the user may see counts.
    const onlyB = index.fleet({ clusters: (namespace) => namespace === 'b', applications: () => false });
    assert.equal(onlyB.totals.gpusInUse, 1);

    index.apply('Cluster', 'delete', object('Cluster', 'a', 'lab'));
    assert.equal(index.fleet({ clusters: () => true, applications: () => true }).totals.gpusInUse, 1, "a deleted cluster's GPUs are not in use any more");
  });
});
