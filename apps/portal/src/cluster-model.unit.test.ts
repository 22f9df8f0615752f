// The Clusters pages' pure parts (apps/portal/web/pages/cluster-model.ts) in Node: the node-group
// editor's local checks, where the apiserver's causes show in the form, and the downloaded
// kubeconfig, which must be the CLI's `beamline cluster kubeconfig` with a `beamline token` plugin.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { execKubeconfig, EXEC_API_VERSION } from '../../cli/src/identity/exec-credential.ts';
import { checkDraft, clusterBody, clusterNameProblems, draftOf, kubeconfigOf, serverProblemsOf, type NodeGroupDraft } from '../web/pages/cluster-model.ts';
import type { Flavor } from '../web/types.ts';

const FLAVORS: readonly Flavor[] = [
  { name: 'm1.small', cpu: '2', memory: '4Gi', gpus: 0 },
  { name: 'g1.large', cpu: '8', memory: '32Gi', gpus: 1, gpuType: 'A100' },
];

function draft(change: Partial<NodeGroupDraft> = {}): NodeGroupDraft {
  return { ...draftOf({ name: 'default', flavor: 'm1.small', replicas: 3, zones: ['zone-a', 'zone-b'] }, true), ...change };
}

test('a template group round-trips through its draft unchanged, labels, taints and role included', () => {
  const group = {
    name: 'gpu',
    flavor: 'g1.large',
    replicas: 2,
    minReplicas: 1,
    maxReplicas: 4,
    zones: ['zone-a'],
    labels: { 'beamline.dev/gpu': 'true', tier: 'a' },
    taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' as const }, { key: 'dedicated', effect: 'NoExecute' as const }],
    role: 'gpu',
  };
  const checked = checkDraft(draftOf(group, true), ['gpu'], FLAVORS);
  assert.deepEqual(checked.problems, {});
  assert.deepEqual(checked.group, group);
});

test('replicas outside min and max, min above max, and numbers out of 0–1000 are problems at their field', () => {
  assert.deepEqual(checkDraft(draft({ replicas: '5', max: '4' }), ['default'], FLAVORS).problems, { replicas: ['replicas must not exceed maxReplicas'] });
  assert.deepEqual(checkDraft(draft({ replicas: '1', min: '2' }), ['default'], FLAVORS).problems, { replicas: ['replicas must not be below minReplicas'] });
  assert.deepEqual(checkDraft(draft({ replicas: '3', min: '5', max: '4' }), ['default'], FLAVORS).problems, {
    replicas: ['replicas must not be below minReplicas'],
    min: ['minReplicas must not exceed maxReplicas'],
  });
  assert.deepEqual(checkDraft(draft({ replicas: '6', min: '5', max: '4' }), ['default'], FLAVORS).problems, {
    replicas: ['replicas must not exceed maxReplicas'],
    min: ['minReplicas must not exceed maxReplicas'],
  });
  assert.deepEqual(checkDraft(draft({ replicas: '1001' }), ['default'], FLAVORS).problems, { replicas: ['at most 1000'] });
  assert.deepEqual(checkDraft(draft({ replicas: '-1' }), ['default'], FLAVORS).problems, { replicas: ['a whole number from 0 to 1000'] });
  assert.deepEqual(checkDraft(draft({ replicas: '' }), ['default'], FLAVORS).problems, { replicas: ['required'] });
  // Empty min and max are absent, not 0.
  const open = checkDraft(draft({ min: '', max: '' }), ['default'], FLAVORS).group;
  assert.equal('minReplicas' in open, false);
  assert.equal('maxReplicas' in open, false);
});

test('names, flavors, zones, labels and taints are checked as the CRD checks them', () => {
  assert.deepEqual(Object.keys(checkDraft(draft({ name: 'Default' }), ['Default'], FLAVORS).problems), ['name']);
  assert.deepEqual(checkDraft(draft({ name: 'a' }), ['a', 'a'], FLAVORS).problems, { name: ['node group names must be unique'] });
  assert.deepEqual(checkDraft(draft({ flavor: 'x9' }), ['default'], FLAVORS).problems, { flavor: ['x9 is not a flavor of this platform'] });
  // Flavors not loaded yet: not judged.
  assert.deepEqual(checkDraft(draft({ flavor: 'x9' }), ['default'], undefined).problems, {});
  assert.deepEqual(Object.keys(checkDraft(draft({ zones: 'zone-a, zone a' }), ['default'], FLAVORS).problems), ['zones']);
  assert.deepEqual(checkDraft(draft({ zones: 'zone-a, zone-a' }), ['default'], FLAVORS).problems, { zones: ['a zone is given twice'] });
  assert.deepEqual(checkDraft(draft({ labels: 'tier' }), ['default'], FLAVORS).problems, { labels: ['"tier" is not key=value'] });
  assert.equal(checkDraft(draft({ labels: 'bad key=x' }), ['default'], FLAVORS).problems.labels?.length, 1);
  assert.equal(checkDraft(draft({ labels: 'a=b\na=c' }), ['default'], FLAVORS).problems.labels?.[0], '"a" is given twice');
  assert.deepEqual(checkDraft(draft({ labels: 'example.org/tier = gold\n\n' }), ['default'], FLAVORS).group.labels, { 'example.org/tier': 'gold' });
  assert.equal(checkDraft(draft({ taints: 'gpu=yes' }), ['default'], FLAVORS).problems.taints?.length, 1);
  assert.equal(checkDraft(draft({ taints: 'gpu=yes:Sometimes' }), ['default'], FLAVORS).problems.taints?.length, 1);
  assert.deepEqual(checkDraft(draft({ taints: 'gpu:NoSchedule\ngpu=other:NoSchedule' }), ['default'], FLAVORS).problems, {
    taints: ['"gpu:NoSchedule" is given twice (taints are unique by key and effect)'],
  });
  assert.deepEqual(checkDraft(draft({ taints: 'gpu:NoSchedule\ngpu:NoExecute' }), ['default'], FLAVORS).group.taints, [
    { key: 'gpu', effect: 'NoSchedule' },
    { key: 'gpu', effect: 'NoExecute' },
  ]);
});

test('a cluster name is a DNS label of at most 63 characters; empty is not yet a problem', () => {
  assert.deepEqual(clusterNameProblems(''), []);
  assert.deepEqual(clusterNameProblems('lab-1'), []);
  for (const bad of ['Lab', '-lab', 'lab-', 'la_b', 'a'.repeat(64)]) assert.equal(clusterNameProblems(bad).length, 1, bad);
});

test("the apiserver's causes land at their group's field, the name, the template, or over the form", () => {
  const refusal = Object.assign(new Error('Cluster.beamline.dev "x" is invalid'), {
    fields: [
      { field: 'spec.nodeGroups[1].replicas', message: 'replicas must not exceed maxReplicas' },
      { field: 'spec.nodeGroups[1].minReplicas', message: 'minReplicas must not exceed maxReplicas' },
      { field: 'spec.nodeGroups[0]', message: 'group-level' },
      { field: 'spec.nodeGroups[0].taints[2].key', message: 'bad key' },
      { field: 'metadata.name', message: 'a DNS label' },
      { field: 'spec.templateRef', message: 'templateRef is immutable' },
      { field: 'spec.nodeGroups', message: 'node group names must be unique' },
    ],
  });
  const problems = serverProblemsOf(refusal);
  assert.deepEqual(problems.groups[1], { replicas: ['replicas must not exceed maxReplicas'], min: ['minReplicas must not exceed maxReplicas'] });
  assert.deepEqual(problems.groups[0], { group: ['group-level'], taints: ['bad key'] });
  assert.deepEqual(problems.name, ['a DNS label']);
  assert.deepEqual(problems.template, ['templateRef is immutable']);
  assert.deepEqual(problems.form, ['spec.nodeGroups: node group names must be unique']);
  // A webhook's refusal names no field: its message over the form.
  assert.deepEqual(serverProblemsOf(Object.assign(new Error('exceeds the nodes quota of project physics: needs 1 more, 0 left (6 of 6 used)'), { fields: [] })).form, [
    'exceeds the nodes quota of project physics: needs 1 more, 0 left (6 of 6 used)',
  ]);
  assert.deepEqual(serverProblemsOf(undefined), { name: [], template: [], groups: [], form: [] });
});

test('the Cluster the form sends names its template and carries the groups only when there are some', () => {
  assert.deepEqual(clusterBody('project-a', 'lab', 'small', []), {
    apiVersion: 'beamline.dev/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'lab', namespace: 'project-a' },
    spec: { templateRef: { name: 'small' } },
  });
  const group = { name: 'default', flavor: 'm1.small', replicas: 2 };
  assert.deepEqual((clusterBody('project-a', 'lab', 'small', [group]) as { spec: unknown }).spec, { templateRef: { name: 'small' }, nodeGroups: [group] });
});

test("the downloaded kubeconfig is the CLI's exec kubeconfig with `beamline token`, and holds no credential", () => {
  const ca = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const exec = { apiVersion: EXEC_API_VERSION, command: 'beamline', args: ['token'], env: null, interactiveMode: 'Never', provideClusterInfo: false } as const;
  for (const certificateAuthority of [ca, undefined]) {
    const ours = parse(kubeconfigOf('project-a-lab', 'https://127.0.0.1:41235', certificateAuthority)) as unknown;
    const cli = parse(execKubeconfig({ name: 'project-a-lab', server: 'https://127.0.0.1:41235', ...(certificateAuthority === undefined ? {} : { certificateAuthority }), exec })) as unknown;
    assert.deepEqual(ours, cli);
  }
  // Quoted scalars: a hostile endpoint cannot add YAML keys.
  const hostile = parse(kubeconfigOf('n-x', 'https://a\n    token: stolen', undefined)) as { clusters: { cluster: Record<string, string> }[]; users: { user: Record<string, unknown> }[] };
  assert.deepEqual(Object.keys(hostile.clusters[0]?.cluster ?? {}), ['server']);
  assert.deepEqual(Object.keys(hostile.users[0]?.user ?? {}), ['exec']);
});
