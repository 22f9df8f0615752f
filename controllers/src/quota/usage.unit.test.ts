// Project usage (what status.usage shows and admission compares) and quota checks, as tables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NODE_GROUPS_CREATED_ANNOTATION, type Cluster, type ClusterTemplate, type Flavor, type NodeGroup, type ProjectUsage } from '@beamline/api';
import { checkQuota, computeProjectUsage } from './usage.ts';

const flavors: Flavor[] = [
  { name: 'm1.small', cpu: '2', memory: '4Gi' },
  { name: 'm1.half', cpu: '500m', memory: '1.5Gi' },
  { name: 'g1.large', cpu: '8', memory: '32Gi', gpus: { count: 4, product: 'NVIDIA-A100' } },
];

const template = (name: string, groups: NonNullable<ClusterTemplate['spec']['nodeGroups']>): ClusterTemplate => ({
  apiVersion: 'beamline.dev/v1alpha1',
  kind: 'ClusterTemplate',
  metadata: { name },
  spec: { kubernetesVersion: '1.36.0', controlPlane: { replicas: 3, flavor: 'm1.small' }, nodeGroups: groups },
});
const templates = [
  template('small', [{ name: 'default', flavor: 'm1.small', replicas: 2 }]),
  template('gpu', [
    { name: 'default', flavor: 'm1.small', replicas: 1 },
    { name: 'gpu', flavor: 'g1.large', replicas: 2 },
  ]),
];

const cluster = (name: string, templateName: string, extra: Partial<Cluster['spec']> = {}, created = false): Cluster => ({
  apiVersion: 'beamline.dev/v1alpha1',
  kind: 'Cluster',
  metadata: { name, namespace: 'project-physics', ...(created ? { annotations: { [NODE_GROUPS_CREATED_ANNOTATION]: 'true' } } : {}) },
  spec: { templateRef: { name: templateName }, ...extra },
});
const nodeGroup = (clusterName: string, group: string, flavor: string, replicas: number): NodeGroup => ({
  apiVersion: 'beamline.dev/v1alpha1',
  kind: 'NodeGroup',
  metadata: { name: `${clusterName}-${group}`, namespace: 'project-physics' },
  spec: { clusterName, flavor, replicas },
});

const usage = (clusters: number, nodes: number, gpus: number, cpu: string, memory: string): ProjectUsage => ({ clusters, nodes, gpus, cpu, memory });

test('computeProjectUsage', () => {
  const cases: { name: string; clusters: Cluster[]; nodeGroups: NodeGroup[]; want: ProjectUsage }[] = [
    { name: 'nothing', clusters: [], nodeGroups: [], want: usage(0, 0, 0, '0', '0') },
    { name: 'a new Cluster counts its template in full', clusters: [cluster('a', 'small')], nodeGroups: [], want: usage(1, 2, 0, '4', '8Gi') },
    {
      name: 'a NodeGroup created for a template group replaces it (not counted twice)',
      clusters: [cluster('a', 'small')],
      nodeGroups: [nodeGroup('a', 'default', 'm1.small', 3)],
      want: usage(1, 3, 0, '6', '12Gi'),
    },
    {
      name: 'spec.nodeGroups overrides and adds to the template',
      clusters: [cluster('a', 'gpu', { nodeGroups: [{ name: 'gpu', flavor: 'g1.large', replicas: 1 }, { name: 'extra', flavor: 'm1.half', replicas: 2 }] })],
      nodeGroups: [],
      want: usage(1, 4, 4, '11', '39Gi'),
    },
    {
      name: 'after creation only the objects count (a deleted group is not recreated)',
      clusters: [cluster('a', 'gpu', {}, true)],
      nodeGroups: [nodeGroup('a', 'default', 'm1.small', 1)],
      want: usage(1, 1, 0, '2', '4Gi'),
    },
    {
      name: 'an unknown template: the Cluster counts, its own groups only',
      clusters: [cluster('a', 'nope', { nodeGroups: [{ name: 'x', flavor: 'm1.small', replicas: 1 }] })],
      nodeGroups: [],
      want: usage(1, 1, 0, '2', '4Gi'),
    },
    {
      name: 'an unknown flavor counts nodes only',
      clusters: [],
      nodeGroups: [nodeGroup('a', 'x', 'z9.huge', 3)],
      want: usage(0, 3, 0, '0', '0'),
    },
    {
      name: 'milli-cpu and fractional memory add exactly',
      clusters: [],
      nodeGroups: [nodeGroup('a', 'x', 'm1.half', 3)],
      want: usage(0, 3, 0, '1500m', '4608Mi'),
    },
    {
      name: "a NodeGroup of another cluster does not replace this cluster's group",
      clusters: [cluster('a', 'small')],
      nodeGroups: [nodeGroup('b', 'default', 'm1.small', 1)],
      want: usage(1, 3, 0, '6', '12Gi'),
    },
  ];
  for (const { name, clusters, nodeGroups, want } of cases) {
    assert.deepEqual(computeProjectUsage({ clusters, nodeGroups, templates, flavors }), want, name);
  }
});

test('checkQuota', () => {
  const cases: { name: string; quota: Parameters<typeof checkQuota>[0]; before: ProjectUsage; after: ProjectUsage; want: string[] }[] = [
    { name: 'no quota', quota: undefined, before: usage(0, 0, 0, '0', '0'), after: usage(9, 99, 9, '99', '99Gi'), want: [] },
    { name: 'within', quota: { nodes: 10, clusters: 2 }, before: usage(1, 8, 0, '0', '0'), after: usage(2, 10, 0, '0', '0'), want: [] },
    {
      name: 'nodes over',
      quota: { nodes: 10 },
      before: usage(1, 8, 0, '0', '0'),
      after: usage(1, 13, 0, '0', '0'),
      want: ['exceeds the nodes quota of project physics: needs 5 more, 2 left (8 of 10 used)'],
    },
    {
      name: 'clusters over',
      quota: { clusters: 1 },
      before: usage(1, 2, 0, '0', '0'),
      after: usage(2, 4, 0, '0', '0'),
      want: ['exceeds the clusters quota of project physics: needs 1 more, 0 left (1 of 1 used)'],
    },
    {
      name: 'cpu and memory in their units, gpus',
      quota: { cpu: '8', memory: '16Gi', gpus: 4 },
      before: usage(1, 2, 2, '6500m', '12Gi'),
      after: usage(1, 3, 6, '8500m', '20Gi'),
      want: [
        'exceeds the gpus quota of project physics: needs 4 more, 2 left (2 of 4 used)',
        'exceeds the cpu quota of project physics: needs 2 more, 1500m left (6500m of 8 used)',
        'exceeds the memory quota of project physics: needs 8Gi more, 4Gi left (12Gi of 16Gi used)',
      ],
    },
    { name: 'scaling down while over is allowed', quota: { nodes: 2 }, before: usage(1, 8, 0, '0', '0'), after: usage(1, 5, 0, '0', '0'), want: [] },
    {
      name: 'growing while already over: nothing left',
      quota: { nodes: 2 },
      before: usage(1, 3, 0, '0', '0'),
      after: usage(1, 4, 0, '0', '0'),
      want: ['exceeds the nodes quota of project physics: needs 1 more, 0 left (3 of 2 used)'],
    },
    { name: 'exactly at the limit', quota: { cpu: '1' }, before: usage(0, 0, 0, '300m', '0'), after: usage(0, 0, 0, '1', '0'), want: [] },
    { name: 'a zero quota refuses any growth', quota: { clusters: 0 }, before: usage(0, 0, 0, '0', '0'), after: usage(1, 0, 0, '0', '0'), want: ['exceeds the clusters quota of project physics: needs 1 more, 0 left (0 of 0 used)'] },
  ];
  for (const { name, quota, before, after, want } of cases) {
    assert.deepEqual(
      checkQuota(quota, before, after, 'physics').map((violation) => violation.message),
      want,
      name,
    );
  }
});

test('a limit that is not a quantity refuses growth, and says so; a flavor that is not one counts no cpu or memory', () => {
  assert.deepEqual(
    checkQuota({ cpu: '1e1.5' }, usage(0, 0, 0, '1', '0'), usage(0, 0, 0, '2', '0'), 'physics').map((violation) => violation.message),
    ['exceeds the cpu quota of project physics: its limit "1e1.5" is not a quantity (needs 1 more)'],
  );
  assert.deepEqual(checkQuota({ cpu: '1e1.5' }, usage(0, 0, 0, '2', '0'), usage(0, 0, 0, '1', '0')), []);
  const odd: Flavor[] = [{ name: 'odd', cpu: '1e1.5', memory: '4Gi' }];
  assert.deepEqual(computeProjectUsage({ clusters: [], nodeGroups: [nodeGroup('a', 'x', 'odd', 2)], templates, flavors: odd }), usage(0, 2, 0, '0', '8Gi'));
});

test('checkQuota without a project name and the violation fields', () => {
  const [violation] = checkQuota({ nodes: 10 }, usage(0, 8, 0, '0', '0'), usage(0, 13, 0, '0', '0'));
  assert.deepEqual(violation, { quota: 'nodes', limit: '10', used: '8', needs: '5', left: '2', message: 'exceeds the nodes quota: needs 5 more, 2 left (8 of 10 used)' });
});
