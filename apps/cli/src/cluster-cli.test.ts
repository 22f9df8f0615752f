// `beamline cluster` run as a user runs it (a child process) against a real API server with the
// Beamline API installed, in the test's namespace. No controller runs: where a command waits for
// one, the test writes the status a controller would.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { type Cluster, type ClusterTemplate, type NodeGroup } from '@beamline/api';
import { defaultTemplates, installApi } from '@beamline/install';
import { expectCode, runNode, uniqueName, useTestEnv, waitFor, type NodeRun } from '@beamline/testenv';
import { parse } from 'yaml';

const env = useTestEnv('cluster-cli');
const CLI_BIN = fileURLToPath(new URL('../bin/beamline.js', import.meta.url));
const suffix = uniqueName('t').slice(2);
// Templates are cluster-scoped: this file's own copies of the defaults.
const template = (base: string): string => `${base}-${suffix}`;

let cliEnv: NodeJS.ProcessEnv = {};

function cli(...args: string[]): Promise<NodeRun> {
  return runNode(CLI_BIN, [...args, ...(args.includes('-n') ? [] : ['-n', env.namespace])], cliEnv);
}

const custom = (): CustomObjectsApi => env.kubeConfig.makeApiClient(CustomObjectsApi);
const base = (plural: string) => ({ group: 'beamline.dev', version: 'v1alpha1', plural, namespace: env.namespace });
const getCluster = async (name: string): Promise<Cluster> => (await custom().getNamespacedCustomObject({ ...base('clusters'), name })) as Cluster;
const nodeGroups = async (): Promise<NodeGroup[]> => ((await custom().listNamespacedCustomObject(base('nodegroups'))) as { items: NodeGroup[] }).items;

describe('beamline cluster', () => {
  before(async () => {
    const templates = defaultTemplates().map((t): ClusterTemplate => ({ ...t, metadata: { ...t.metadata, name: template(t.metadata.name ?? '') } }));
    await installApi(env.kubeConfig, { templates, probeNamespace: env.namespace });
    cliEnv = { ...process.env, KUBECONFIG: env.kubeconfigPath, BEAMLINE_HOME: `${env.kubeconfigPath}.home` };
  });
  after(async () => {
    for (const t of defaultTemplates()) await custom().deleteClusterCustomObject({ group: 'beamline.dev', version: 'v1alpha1', plural: 'clustertemplates', name: template(t.metadata.name ?? '') }).catch(() => undefined);
  });

  test('--node-group overrides are kept in the Cluster spec, so `get -o yaml` recreates the cluster', async () => {
    const run = expectCode(
      await cli('cluster', 'create', 'lab', '--template', template('gpu'), '--node-group', 'name=gpu,replicas=4', '--node-group', 'name=big,flavor=m1.large,replicas=2,zone=zone-a,label=team=cms'),
      0,
    );
    assert.equal(run.stdout, 'cluster/lab created\n');
    const cluster = await getCluster('lab');
    assert.deepEqual(cluster.spec.nodeGroups, [
      // The template's gpu group with the flag's replicas; its other fields from the template.
      { name: 'gpu', flavor: 'g1.large', replicas: 4, minReplicas: 0, labels: { 'beamline.dev/gpu': 'true' }, role: 'gpu' },
      // minReplicas and role: the API server's defaults.
      { name: 'big', flavor: 'm1.large', replicas: 2, minReplicas: 0, zones: ['zone-a'], labels: { team: 'cms' }, role: 'worker' },
    ]);
    assert.deepEqual(await nodeGroups(), [], 'the controller creates the NodeGroups from the spec, the CLI none');
    const yaml = parse(expectCode(await cli('cluster', 'get', 'lab', '-o', 'yaml'), 0).stdout) as Cluster;
    assert.deepEqual(yaml.spec, cluster.spec, 'the YAML holds everything the flags said');
    const changed = await custom()
      .patchNamespacedCustomObject({ ...base('clusters'), name: 'lab', body: { spec: { nodeGroups: [{ name: 'gpu', flavor: 'g1.large', replicas: 1 }] } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))
      .then(
        () => 'accepted',
        (error: { body?: string }) => String(error.body),
      );
    assert.match(changed, /nodeGroups is immutable/);
  });

  test('bad input: one clean line per mistake, what exists is listed, usage errors exit 2', async () => {
    const unknownTemplate = expectCode(await cli('cluster', 'create', 'x1', '--template', 'no-such-template'), 1);
    assert.match(unknownTemplate.stderr, new RegExp(`^error: cluster template "no-such-template": not found; templates: .*${template('gpu')}.*${template('small')}`, 'm'));
    const flavor = expectCode(await cli('cluster', 'create', 'x2', '--template', template('small'), '--node-group', 'name=extra,flavor=x9.huge,replicas=1'), 1);
    assert.match(flavor.stderr, /^error: failed to create node group "x2-extra": spec\.flavor: unknown flavor "x9\.huge"; PlatformConfig beamline offers: /m);
    assert.doesNotMatch(flavor.stderr, /ValidatingAdmissionPolicy|binding|is forbidden/);
    assert.equal(flavor.stderr.trimEnd().split('\n').length, 1, flavor.stderr);
    const minMax = expectCode(await cli('cluster', 'create', 'x3', '--template', template('small'), '--node-group', 'name=extra,flavor=m1.small,replicas=1,min=3,max=2'), 1);
    assert.deepEqual(minMax.stderr.trimEnd().split('\n'), [
      'error: failed to create node group "x3-extra":',
      '  spec.replicas: replicas must not be below minReplicas',
      '  spec.minReplicas: minReplicas must not exceed maxReplicas',
    ]);

    // A node group as the controller would have made it.
    await custom().createNamespacedCustomObject({
      ...base('nodegroups'),
      body: { apiVersion: 'beamline.dev/v1alpha1', kind: 'NodeGroup', metadata: { name: 'lab-default', namespace: env.namespace, labels: { 'beamline.dev/cluster': 'lab' } }, spec: { clusterName: 'lab', flavor: 'm1.small', replicas: 3 } },
    });
    const negative = expectCode(await cli('cluster', 'scale', 'lab', '--node-group', 'default', '--replicas', '-1'), 2);
    assert.match(negative.stderr, /^error: invalid value "-1" for --replicas: must be ≥ 0$/m);
    const unknownGroup = expectCode(await cli('cluster', 'scale', 'lab', '--node-group', 'gpus', '--replicas', '2'), 1);
    assert.match(unknownGroup.stderr, /^error: cluster "lab" has no node group "gpus": node groups: default$/m);
    expectCode(await cli('cluster', 'scale', 'lab', '--node-group', 'default', '--replicas', '2'), 0);

    const missing = `${env.namespace}-nope`;
    assert.match(expectCode(await cli('cluster', 'get', 'lab', '-n', missing), 1).stderr, new RegExp(`^error: namespace "${missing}" not found$`, 'm'));
    assert.match(expectCode(await cli('cluster', 'create', 'x4', '--template', template('small'), '-n', missing), 1).stderr, new RegExp(`^error: namespace "${missing}" not found$`, 'm'));
    for (const name of ['x1', 'x2', 'x3', 'x4']) assert.equal(await getCluster(name).then(() => true, () => false), false, `cluster ${name} not stored`);
  });

  test('create --wait ends at once on Stalled, with the reason', async () => {
    const running = cli('cluster', 'create', 'stalled', '--template', template('small'), '--wait', '--timeout', '3m');
    await waitFor(async () => getCluster('stalled').then(() => true, () => false), { what: 'the cluster' });
    const at = new Date().toISOString();
    await custom().patchNamespacedCustomObjectStatus(
      {
        ...base('clusters'),
        name: 'stalled',
        body: {
          status: {
            observedGeneration: 1,
            phase: 'Failed',
            conditions: [
              { type: 'Ready', status: 'False', reason: 'TemplateNotFound', message: 'ClusterTemplate "gone" does not exist', lastTransitionTime: at },
              { type: 'Stalled', status: 'True', reason: 'TemplateNotFound', message: 'ClusterTemplate "gone" does not exist', lastTransitionTime: at },
            ],
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const run = expectCode(await running, 1);
    assert.match(run.stderr, /^error: cluster "stalled" failed \(TemplateNotFound\): ClusterTemplate "gone" does not exist \(waiting longer will not help/m);
  });

  test('beamline kubectl runs the pinned kubectl on the management cluster, arguments and exit code passed through', async () => {
    const run = expectCode(await cli('kubectl', 'get', 'namespace', env.namespace, '-o', 'name'), 0);
    assert.equal(run.stdout, `namespace/${env.namespace}\n`);
    // kubectl's own flags (-o jsonpath) are not read by beamline.
    const clusters = expectCode(await cli('kubectl', 'get', 'clusters.beamline.dev', '-o', 'jsonpath={.items[*].metadata.name}'), 0);
    assert.match(clusters.stdout, /\blab\b/);
    const missing = await cli('kubectl', 'get', 'clusters.beamline.dev', 'no-such-cluster');
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /NotFound|not found/);
    assert.doesNotMatch(missing.stderr, /^error: $/m);
    // -n before "kubectl" is beamline's own option: passed on as --namespace.
    const inNamespace = expectCode(await cli('-n', env.namespace, 'kubectl', 'get', 'clusters.beamline.dev', '-o', 'name'), 0);
    assert.match(inNamespace.stdout, /^cluster\.beamline\.dev\/lab$/m);
    const help = expectCode(await cli('-n', env.namespace, 'kubectl', '--help'), 0);
    assert.match(help.stdout, /kubectl controls the Kubernetes cluster manager/, 'kubectl\'s help, not beamline\'s');
  });
});
