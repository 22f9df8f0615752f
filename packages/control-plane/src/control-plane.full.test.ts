// Full mode: kube-controller-manager, kube-scheduler and kwok make workloads run on simulated Nodes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppsV1Api, BatchV1Api, CoreV1Api, type V1Node } from '@kubernetes/client-node';
import { uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { KWOK_NODE_ANNOTATION } from './components.ts';

const env = useTestEnv('cp-full');
const nodeName = uniqueName('kwok-node');

/** A Node that kwok's controller plays the kubelet for. */
function kwokNode(name: string): V1Node {
  return {
    metadata: { name, annotations: { [KWOK_NODE_ANNOTATION]: 'fake' }, labels: { 'kubernetes.io/hostname': name, type: 'kwok' } },
    // Nodes are the one kind whose status may be set on create: the capacity the scheduler sees.
    status: {
      capacity: { cpu: '8', memory: '32Gi', pods: '110' },
      allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
    },
  };
}

describe('full mode', () => {
  env.onCleanup(() => env.kubeConfig.makeApiClient(CoreV1Api).deleteNode({ name: nodeName }));

  test('a kwok Node becomes Ready', async () => {
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNode({ body: kwokNode(nodeName) });
    const node = await waitFor(
      async () => {
        const current = await core.readNode({ name: nodeName });
        return current.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true ? current : undefined;
      },
      { what: `node ${nodeName} Ready` },
    );
    assert.equal(node.status?.allocatable?.cpu, '8');
  });

  test('a Deployment gets Pods that the scheduler places and kwok runs', async () => {
    const apps = env.kubeConfig.makeApiClient(AppsV1Api);
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const labels = { app: 'web' };
    await apps.createNamespacedDeployment({
      namespace: env.namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              nodeSelector: { 'kubernetes.io/hostname': nodeName },
              containers: [{ name: 'web', image: 'registry.invalid/web:1', resources: { requests: { cpu: '100m' } } }],
            },
          },
        },
      },
    });
    const pods = await waitFor(
      async () => {
        const list = await core.listNamespacedPod({ namespace: env.namespace, labelSelector: 'app=web' });
        const running = list.items.filter((pod) => pod.status?.phase === 'Running');
        return running.length === 2 ? running : undefined;
      },
      { what: 'two web pods Running' },
    );
    for (const pod of pods) assert.equal(pod.spec?.nodeName, nodeName);
    await waitFor(async () => (await apps.readNamespacedDeployment({ namespace: env.namespace, name: 'web' })).status?.availableReplicas === 2, {
      what: 'deployment web available',
    });
  });

  test('a Job completes', async () => {
    const batch = env.kubeConfig.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: env.namespace,
      body: {
        metadata: { name: 'once' },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              nodeSelector: { 'kubernetes.io/hostname': nodeName },
              containers: [{ name: 'once', image: 'registry.invalid/once:1' }],
            },
          },
        },
      },
    });
    const job = await waitFor(
      async () => {
        const current = await batch.readNamespacedJob({ namespace: env.namespace, name: 'once' });
        return current.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') === true ? current : undefined;
      },
      { what: 'job once Complete' },
    );
    assert.equal(job.status?.succeeded, 1);
  });
});
