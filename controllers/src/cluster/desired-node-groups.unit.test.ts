// The node groups a Cluster starts with: its template's, with the Cluster's own `spec.nodeGroups`
// (what `beamline cluster create --node-group` writes) replacing or adding groups by name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Cluster, ClusterTemplate } from '@beamline/api';
import { desiredNodeGroups } from './node-groups.ts';

const template: ClusterTemplate = {
  apiVersion: 'beamline.dev/v1alpha1',
  kind: 'ClusterTemplate',
  metadata: { name: 'gpu' },
  spec: {
    kubernetesVersion: '1.36.0',
    controlPlane: { replicas: 1, flavor: 'm1.medium' },
    nodeGroups: [
      { name: 'default', flavor: 'm1.small', replicas: 3 },
      { name: 'gpu', flavor: 'g1.large', replicas: 2 },
    ],
  },
};

const cluster = (nodeGroups?: Cluster['spec']['nodeGroups']): Cluster => ({
  apiVersion: 'beamline.dev/v1alpha1',
  kind: 'Cluster',
  metadata: { name: 'lab', namespace: 'physics' },
  spec: { templateRef: { name: 'gpu' }, ...(nodeGroups === undefined ? {} : { nodeGroups }) },
});

test("without overrides: the template's groups", () => {
  assert.deepEqual(desiredNodeGroups(cluster(), template), template.spec.nodeGroups);
});

test("a Cluster's group replaces the template's of the same name, in place; new names are added after", () => {
  const groups = desiredNodeGroups(cluster([{ name: 'big', flavor: 'm1.large', replicas: 2, zones: ['zone-a'] }, { name: 'gpu', flavor: 'g1.large', replicas: 5 }]), template);
  assert.deepEqual(groups, [
    { name: 'default', flavor: 'm1.small', replicas: 3 },
    { name: 'gpu', flavor: 'g1.large', replicas: 5 },
    { name: 'big', flavor: 'm1.large', replicas: 2, zones: ['zone-a'] },
  ]);
});
