// Clusters end to end: the real `beamline manager` process reconciling on the run's shared control
// plane (as the management cluster), driven through the real CLI; workload clusters are real kwok
// control planes under a temporary $BEAMLINE_HOME.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, VersionApi, type V1Pod } from '@kubernetes/client-node';
import { type Cluster, type ClusterTemplate } from '@beamline/api';
import { defaultTemplates, installApi } from '@beamline/install';
import { destroyControlPlane, probeStatus, readStateIfAny } from '@beamline/control-plane';
import { processesMentioning, uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { runCli, type CliRun } from './testing/cli.ts';
import { startManagerProcess, type ManagerProcess } from './testing/manager-process.ts';

const env = useTestEnv('clusters');
const suffix = uniqueName('t').slice(2);
const template = (base: string): string => `${base}-${suffix}`;

describe('clusters end to end', () => {
  let home: string;
  let manager: ManagerProcess | undefined;
  let cliEnv: NodeJS.ProcessEnv;
  const cli = (...args: string[]): Promise<CliRun> => runCli([...args, '-n', env.namespace], cliEnv);
  const clusterDir = (name: string): string => join(home, 'clusters', env.namespace, name);
  const custom = (): CustomObjectsApi => env.kubeConfig.makeApiClient(CustomObjectsApi);
  const getCluster = async (name: string): Promise<Cluster> =>
    (await custom().getNamespacedCustomObject({ group: 'beamline.dev', version: 'v1alpha1', plural: 'clusters', namespace: env.namespace, name })) as Cluster;
  const ready = (cluster: Cluster): boolean => cluster.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
  const workload = async (name: string): Promise<KubeConfig> => {
    const run = await cli('cluster', 'kubeconfig', name);
    assert.equal(run.code, 0, run.stderr);
    const config = new KubeConfig();
    config.loadFromString(run.stdout);
    return config;
  };
  const expectOk = (run: CliRun): void => assert.equal(run.code, 0, `exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  const startManager = async (): Promise<ManagerProcess> =>
    startManagerProcess({ kubeconfigPath: env.kubeconfigPath, home, leaseNamespace: env.namespace, logFile: join(home, 'manager.log') });

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'beamline-e2e-'));
    // Templates are cluster-scoped: this run's own copies of the defaults.
    const templates = defaultTemplates().map((t): ClusterTemplate => ({ ...t, metadata: { ...t.metadata, name: template(t.metadata.name ?? '') } }));
    await installApi(env.kubeConfig, { templates, probeNamespace: env.namespace });
    cliEnv = { ...process.env, KUBECONFIG: env.kubeconfigPath, BEAMLINE_HOME: home };
    manager = await startManager();
  });

  after(async () => {
    await manager?.stop();
    // Whatever a failing test left: every cluster's processes and folders, then the templates.
    const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const noFinalizers = { metadata: { finalizers: [] } };
    for (const name of ['small', 'gpu', 'ha', 'resumed', 'imported']) {
      await destroyControlPlane(clusterDir(name)).catch(() => undefined);
      await custom()
        .patchNamespacedCustomObject({ group: 'beamline.dev', version: 'v1alpha1', plural: 'clusters', namespace: env.namespace, name, body: noFinalizers }, mergePatch)
        .catch(() => undefined);
    }
    for (const base of ['small', 'gpu', 'ha']) {
      await custom()
        .patchClusterCustomObject({ group: 'beamline.dev', version: 'v1alpha1', plural: 'clustertemplates', name: template(base), body: noFinalizers }, mergePatch)
        .catch(() => undefined);
      await custom().deleteClusterCustomObject({ group: 'beamline.dev', version: 'v1alpha1', plural: 'clustertemplates', name: template(base) }).catch(() => undefined);
    }
    if (home !== undefined) {
      assert.deepEqual(await processesMentioning(home), [], 'no process of the test home is left');
      await rm(home, { recursive: true, force: true });
    }
  });

  test('a cluster from the small template becomes Ready: 3 nodes with flavor capacity, spread over zones', async () => {
    expectOk(await cli('cluster', 'create', 'small', '--template', template('small'), '--wait', '--timeout', '2m'));
    const cluster = await getCluster('small');
    assert.equal(cluster.status?.phase, 'Running');
    assert.equal(cluster.status?.kubernetesVersion, (await env.kubeConfig.makeApiClient(VersionApi).getCode()).gitVersion.slice(1));
    assert.match(cluster.status?.endpoint ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(cluster.status?.nodes, { total: 3, ready: 3 });
    const nodes = (await (await workload('small')).makeApiClient(CoreV1Api).listNode()).items;
    assert.deepEqual(nodes.map((n) => n.metadata?.name).sort(), ['default-0', 'default-1', 'default-2']);
    assert.deepEqual(nodes.map((n) => n.metadata?.labels?.['topology.kubernetes.io/zone']).sort(), ['zone-a', 'zone-b', 'zone-c']);
    for (const node of nodes) {
      assert.equal(node.metadata?.labels?.['node.kubernetes.io/instance-type'], 'm1.small');
      assert.equal(node.metadata?.labels?.['beamline.dev/node-group'], 'default');
      assert.equal(node.status?.allocatable?.cpu, '2');
      assert.equal(node.status?.allocatable?.memory, '4Gi');
    }
    const list = await cli('cluster', 'list');
    expectOk(list);
    assert.match(list.stdout, /^small\s+small-\S+\s+kwok\s+Running\s+\S+\s+3\/3\s+https:/m);
  });

  test('scaling a node group adds nodes and removes the newest first', async () => {
    expectOk(await cli('cluster', 'scale', 'small', '--node-group', 'default', '--replicas', '5', '--wait', '--timeout', '2m'));
    const core = (await workload('small')).makeApiClient(CoreV1Api);
    assert.equal((await core.listNode()).items.length, 5);
    expectOk(await cli('cluster', 'scale', 'small', '--node-group', 'default', '--replicas', '1', '--wait', '--timeout', '2m'));
    assert.deepEqual((await core.listNode()).items.map((n) => n.metadata?.name), ['default-0']);
    await waitFor(async () => (await getCluster('small')).status?.nodes?.total === 1, { what: 'cluster status counts 1 node' });
  });

  test('a killed workload control plane is reported down, then restarted by the manager', async () => {
    const pidFile = join(clusterDir('small'), 'pids', 'kube-apiserver.pid');
    const before = (JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number }).pid;
    const seen: string[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const ready = (await getCluster('small').catch(() => undefined))?.status?.conditions?.find((c) => c.type === 'Ready');
        if (ready !== undefined) seen.push(`${ready.status}/${ready.reason}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    process.kill(before, 'SIGKILL');
    try {
      await waitFor(
        async () => {
          const after = (JSON.parse(await readFile(pidFile, 'utf8')) as { pid: number }).pid;
          return after !== before && ready(await getCluster('small')) ? after : undefined;
        },
        { what: 'kube-apiserver restarted and the cluster Ready again', timeoutMs: 60_000 },
      );
    } finally {
      polling = false;
      await poller;
    }
    assert.ok(seen.includes('False/ControlPlaneDown'), `Ready went False with reason ControlPlaneDown; saw ${[...new Set(seen)].join(', ')}`);
    // The data survived the restart: the node is still there.
    assert.equal((await (await workload('small')).makeApiClient(CoreV1Api).listNode()).items.length, 1);
  });

  test('the gpu template: a pod asking for a GPU lands on a GPU node, one more than there are GPUs stays Pending', async () => {
    expectOk(await cli('cluster', 'create', 'gpu', '--template', template('gpu'), '--wait', '--timeout', '2m'));
    const core = (await workload('gpu')).makeApiClient(CoreV1Api);
    const gpuNodes = (await core.listNode({ labelSelector: 'beamline.dev/node-group=gpu' })).items;
    assert.equal(gpuNodes.length, 2);
    for (const node of gpuNodes) {
      assert.equal(node.status?.allocatable?.['nvidia.com/gpu'], '1');
      assert.equal(node.metadata?.labels?.['nvidia.com/gpu.product'], 'NVIDIA-A100-SXM4-40GB');
    }
    await core.createNamespace({ body: { metadata: { name: 'ml' } } });
    const pod = (name: string): V1Pod => ({
      metadata: { name },
      spec: { containers: [{ name: 'train', image: 'registry.invalid/train:1', resources: { limits: { 'nvidia.com/gpu': '1' } } }] },
    });
    for (const name of ['train-a', 'train-b', 'train-c']) await core.createNamespacedPod({ namespace: 'ml', body: pod(name) });
    const pods = await waitFor(
      async () => {
        const items = (await core.listNamespacedPod({ namespace: 'ml' })).items;
        const running = items.filter((p) => p.status?.phase === 'Running');
        const pending = items.filter((p) => p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'));
        return running.length === 2 && pending.length === 1 ? { running, pending } : undefined;
      },
      { what: '2 GPU pods running, 1 unschedulable' },
    );
    assert.deepEqual(pods.running.map((p) => p.spec?.nodeName).sort(), ['gpu-0', 'gpu-1']);
  });

  test('an HA cluster keeps answering through its endpoint with one apiserver killed', async () => {
    expectOk(await cli('cluster', 'create', 'ha', '--template', template('ha'), '--wait', '--timeout', '3m'));
    const cluster = await getCluster('ha');
    assert.equal(cluster.status?.controlPlaneReplicas, 3);
    const state = await readStateIfAny(clusterDir('ha'));
    const apiservers = (state?.components ?? []).filter((c) => c.name.startsWith('kube-apiserver'));
    assert.equal(apiservers.length, 3);
    const victim = JSON.parse(readFileSync(join(clusterDir('ha'), 'pids', `${apiservers[0]?.name ?? ''}.pid`), 'utf8')) as { pid: number };
    process.kill(victim.pid, 'SIGKILL');
    const core = (await workload('ha')).makeApiClient(CoreV1Api);
    for (let i = 0; i < 20; i++) assert.equal((await core.listNode()).items.length, 3);
  });

  test('a manager killed in the middle of provisioning resumes on restart, without duplicate processes', async () => {
    expectOk(await cli('cluster', 'create', 'resumed', '--template', template('small')));
    // Kill the manager as soon as the cluster's folder exists: its control plane is half-started.
    await waitFor(() => existsSync(join(clusterDir('resumed'), 'state.json')), { what: 'provisioning started', intervalMs: 10 });
    await manager?.kill();
    manager = await startManager();
    await waitFor(async () => ready(await getCluster('resumed')), { what: 'cluster resumed Ready', timeoutMs: 90_000 });
    const state = await readStateIfAny(clusterDir('resumed'));
    assert.equal((await processesMentioning(clusterDir('resumed'))).length, state?.components.length, 'one process per component');
  });

  test('an imported cluster reports its version and nodes', async () => {
    const kubeconfig = (await cli('cluster', 'kubeconfig', 'small')).stdout;
    await env.kubeConfig.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace: env.namespace,
      body: { metadata: { name: 'imported-kubeconfig' }, stringData: { value: kubeconfig } },
    });
    expectOk(await cli('cluster', 'create', 'imported', '--template', template('small'), '--provider', 'imported', '--kubeconfig-secret', 'imported-kubeconfig', '--wait', '--timeout', '1m'));
    const cluster = await getCluster('imported');
    assert.equal(cluster.status?.provider, 'imported');
    assert.deepEqual(cluster.status?.nodes, { total: 1, ready: 1 });
    assert.equal(cluster.status?.endpoint, (await getCluster('small')).status?.endpoint);
    assert.equal(existsSync(clusterDir('imported')), false, 'nothing is provisioned for an imported cluster');
  });

  test('bad input: clear messages, non-zero exit codes, nothing stored', async () => {
    const unknownTemplate = await cli('cluster', 'create', 'x1', '--template', 'no-such-template');
    assert.equal(unknownTemplate.code, 1);
    assert.match(unknownTemplate.stderr, /cluster template "no-such-template": not found/);
    const badFlag = await cli('cluster', 'create', 'x2', '--template', template('small'), '--node-group', 'name=extra,replicas=many');
    assert.equal(badFlag.code, 2);
    assert.match(badFlag.stderr, /replicas must be a whole number/);
    const minMax = await cli('cluster', 'create', 'x3', '--template', template('small'), '--node-group', 'name=extra,flavor=m1.small,replicas=1,min=3,max=2');
    assert.equal(minMax.code, 1);
    assert.match(minMax.stderr, /minReplicas/);
    const flavor = await cli('cluster', 'create', 'x4', '--template', template('small'), '--node-group', 'name=extra,flavor=x9.huge,replicas=1');
    assert.equal(flavor.code, 1);
    assert.match(flavor.stderr, /spec\.flavor: unknown flavor "x9\.huge"/);
    const missing = await cli('cluster', 'scale', 'no-such-cluster', '--node-group', 'default', '--replicas', '2');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /not found/);
    const output = await cli('cluster', 'list', '-o', 'xml');
    assert.equal(output.code, 2);
    assert.match(output.stderr, /-o\/--output/);
    // Nothing of the refused creates was stored.
    const names = ((await custom().listNamespacedCustomObject({ group: 'beamline.dev', version: 'v1alpha1', plural: 'nodegroups', namespace: env.namespace })) as { items: Cluster[] }).items.map((g) => g.metadata?.name);
    assert.ok(!names.some((name) => name?.startsWith('x')), `no node group of a refused cluster: ${names.join(', ')}`);
    for (const name of ['x1', 'x2', 'x3', 'x4']) assert.equal((await getCluster(name).catch(() => undefined)) === undefined, true, `cluster ${name} not stored`);
  });

  test('template apply: a new version is created, an unchanged one re-applies, a changed spec is refused', async () => {
    const file = join(home, 'templates.yaml');
    const name = template('small-v2');
    const version = (await getCluster('small')).status?.kubernetesVersion ?? '';
    const manifest = (replicas: number): string =>
      [
        'apiVersion: beamline.dev/v1alpha1',
        'kind: ClusterTemplate',
        'metadata:',
        `  name: ${name}`,
        'spec:',
        '  description: small, with more nodes',
        `  kubernetesVersion: "${version}"`,
        '  controlPlane: { replicas: 1, flavor: m1.medium }',
        `  nodeGroups: [{ name: default, flavor: m1.small, replicas: ${replicas} }]`,
      ].join('\n');
    await writeFile(file, manifest(5));
    const applied = await runCli(['template', 'apply', '-f', file], cliEnv);
    expectOk(applied);
    assert.match(applied.stdout, new RegExp(`clustertemplate/${name} applied`));
    expectOk(await runCli(['template', 'apply', '-f', file], cliEnv));
    const got = await runCli(['template', 'get', name, '-o', 'json'], cliEnv);
    expectOk(got);
    assert.equal((JSON.parse(got.stdout) as ClusterTemplate).spec.nodeGroups?.[0]?.replicas, 5);
    await writeFile(file, manifest(7));
    const changed = await runCli(['template', 'apply', '-f', file], cliEnv);
    assert.equal(changed.code, 1);
    assert.match(changed.stderr, /templates are versioned/);
    await writeFile(file, 'kind: Cluster\napiVersion: beamline.dev/v1alpha1\nmetadata: { name: nope }\n');
    const wrongKind = await runCli(['template', 'apply', '-f', file], cliEnv);
    assert.equal(wrongKind.code, 1);
    assert.match(wrongKind.stderr, /document 1 is beamline\.dev\/v1alpha1 Cluster/);
    await custom().deleteClusterCustomObject({ group: 'beamline.dev', version: 'v1alpha1', plural: 'clustertemplates', name });
  });

  test('a template in use cannot be deleted; deleting a cluster leaves no process, port or file', async () => {
    const templates = { group: 'beamline.dev', version: 'v1alpha1', plural: 'clustertemplates' };
    await custom().deleteClusterCustomObject({ ...templates, name: template('small') });
    const held = (await custom().getClusterCustomObject({ ...templates, name: template('small') })) as ClusterTemplate;
    assert.ok(held.metadata.finalizers?.includes('beamline.dev/in-use'), 'the in-use finalizer holds the template');

    const endpoint = (await getCluster('small')).status?.endpoint ?? '';
    for (const name of ['imported', 'resumed', 'small']) expectOk(await cli('cluster', 'delete', name, '--wait', '--timeout', '2m'));
    assert.equal(existsSync(clusterDir('small')), false);
    assert.deepEqual(await processesMentioning(clusterDir('small')), []);
    assert.equal(await probeStatus(`${endpoint}/livez`, { insecure: true }), 0, 'the endpoint port is closed');
    // The secret the cluster owned went with it.
    await waitFor(async () => (await env.kubeConfig.makeApiClient(CoreV1Api).listNamespacedSecret({ namespace: env.namespace, labelSelector: 'beamline.dev/cluster=small' })).items.length === 0, {
      what: 'kubeconfig Secret garbage-collected',
    });
    // With no cluster left using it, the template goes.
    await waitFor(
      async () =>
        (await custom()
          .getClusterCustomObject({ ...templates, name: template('small') })
          .then(() => false)
          .catch((error: { code?: number }) => error.code === 404)) || undefined,
      { what: 'template deleted once unused' },
    );
  });
});
