import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { certificateAuthorityOf, computeClusterStatus, type ClusterObservation } from './status.ts';

const condition = (result: ReturnType<typeof computeClusterStatus>, type: string): string => {
  const found = result.conditions.find((c) => c.type === type);
  return `${found?.status ?? '-'}/${found?.reason ?? '-'}`;
};

const ready = { ready: true, reason: 'ControlPlaneAvailable', message: 'answering' };
const cases: readonly { name: string; observed: ClusterObservation; phase: string; ready: string; controlPlane: string; nodes: string; stalled: string; reconciling: string }[] = [
  {
    name: 'nothing provisioned yet',
    observed: { deleting: false, nodeGroups: [{ name: 'default', replicas: 3, readyReplicas: 0 }] },
    phase: 'Provisioning',
    ready: 'False/Provisioning',
    controlPlane: 'False/Provisioning',
    nodes: 'False/Scaling',
    stalled: 'False/Progressing',
    reconciling: 'True/Provisioning',
  },
  {
    name: 'control plane up, nodes coming',
    observed: { deleting: false, controlPlane: ready, nodeGroups: [{ name: 'default', replicas: 3, readyReplicas: 1 }] },
    phase: 'Provisioning',
    ready: 'False/Scaling',
    controlPlane: 'True/ControlPlaneAvailable',
    nodes: 'False/Scaling',
    stalled: 'False/Progressing',
    reconciling: 'True/Scaling',
  },
  {
    name: 'everything ready',
    observed: {
      deleting: false,
      controlPlane: ready,
      nodeGroups: [
        { name: 'default', replicas: 3, readyReplicas: 3 },
        { name: 'gpu', replicas: 2, readyReplicas: 2 },
      ],
    },
    phase: 'Running',
    ready: 'True/Available',
    controlPlane: 'True/ControlPlaneAvailable',
    nodes: 'True/AllNodesReady',
    stalled: 'False/Available',
    reconciling: 'False/Available',
  },
  {
    name: 'a group scaled to zero is ready',
    observed: { deleting: false, controlPlane: ready, nodeGroups: [{ name: 'gpu', replicas: 0, readyReplicas: 0 }] },
    phase: 'Running',
    ready: 'True/Available',
    controlPlane: 'True/ControlPlaneAvailable',
    nodes: 'True/AllNodesReady',
    stalled: 'False/Available',
    reconciling: 'False/Available',
  },
  {
    name: 'the control plane died',
    observed: {
      deleting: false,
      controlPlane: { ready: false, reason: 'ControlPlaneDown', message: 'kube-apiserver not running; restarting' },
      nodeGroups: [{ name: 'default', replicas: 3, readyReplicas: 3 }],
    },
    phase: 'Unhealthy',
    ready: 'False/ControlPlaneDown',
    controlPlane: 'False/ControlPlaneDown',
    nodes: 'True/AllNodesReady',
    stalled: 'False/Progressing',
    reconciling: 'True/ControlPlaneDown',
  },
  {
    name: 'template missing',
    observed: { deleting: false, stalled: { reason: 'TemplateNotFound', message: 'ClusterTemplate "nope" not found' }, nodeGroups: [] },
    phase: 'Failed',
    ready: 'False/TemplateNotFound',
    controlPlane: 'Unknown/TemplateNotFound',
    nodes: 'Unknown/TemplateNotFound',
    stalled: 'True/TemplateNotFound',
    reconciling: 'False/TemplateNotFound',
  },
  {
    name: 'node groups not created yet',
    observed: { deleting: false, controlPlane: ready, nodeGroups: [], missingNodeGroups: ['default'] },
    phase: 'Provisioning',
    ready: 'False/NodeGroupsPending',
    controlPlane: 'True/ControlPlaneAvailable',
    nodes: 'False/NodeGroupsPending',
    stalled: 'False/Progressing',
    reconciling: 'True/NodeGroupsPending',
  },
  {
    name: 'deleting',
    observed: { deleting: true, controlPlane: ready, nodeGroups: [] },
    phase: 'Deleting',
    ready: 'False/Deleting',
    controlPlane: 'False/Deleting',
    nodes: 'False/Deleting',
    stalled: 'False/Deleting',
    reconciling: 'True/Deleting',
  },
];

describe('computeClusterStatus', () => {
  for (const c of cases) {
    test(c.name, () => {
      const result = computeClusterStatus(c.observed);
      assert.equal(result.phase, c.phase);
      assert.equal(condition(result, 'Ready'), c.ready);
      assert.equal(condition(result, 'ControlPlaneReady'), c.controlPlane);
      assert.equal(condition(result, 'NodesReady'), c.nodes);
      assert.equal(condition(result, 'Stalled'), c.stalled);
      assert.equal(condition(result, 'Reconciling'), c.reconciling);
      // Every owned condition, every time, with a reason.
      assert.deepEqual(result.conditions.map((x) => x.type).sort(), ['ControlPlaneReady', 'NodesReady', 'Ready', 'Reconciling', 'Stalled']);
      assert.ok(result.conditions.every((x) => x.reason !== ''));
    });
  }
});

describe('certificateAuthorityOf', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const kubeconfig = (cluster: Record<string, string>): string =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:6443', ...cluster } }],
      users: [{ name: 'admin', user: { 'client-key-data': Buffer.from('PRIVATE').toString('base64') } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'admin' } }],
      'current-context': 'c',
    });

  test('reads the current cluster\'s embedded CA, and nothing of the credentials', () => {
    assert.equal(certificateAuthorityOf(kubeconfig({ 'certificate-authority-data': Buffer.from(pem).toString('base64') })), pem);
  });

  test('is undefined without an embedded CA, for data that is no certificate, and for garbage', () => {
    assert.equal(certificateAuthorityOf(kubeconfig({})), undefined);
    assert.equal(certificateAuthorityOf(kubeconfig({ 'certificate-authority-data': Buffer.from('not a cert').toString('base64') })), undefined);
    assert.equal(certificateAuthorityOf(': not yaml ['), undefined);
  });
});
