// An HA control plane (3 etcd members, 3 apiservers, a TCP load balancer): it keeps answering
// through its endpoint when an apiserver and an etcd member die, and a resume restarts them.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ensureBinaries, type BinaryPaths } from '@beamline/binaries';
import { KWOK_NODE_ANNOTATION } from './components.ts';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { destroyControlPlane } from './destroy.ts';
import { probeStatus } from './readiness.ts';
import { resumeControlPlane } from './resume.ts';
import { readProbeMaterial } from './running.ts';
import type { ControlPlaneState } from './state.ts';
import { controlPlaneStatus } from './status.ts';
import { alive, killProcessesMentioning, processesMentioning, waitFor } from '@beamline/testenv';

let binaries: BinaryPaths;
let root: string;
let dir: string;
let plane: ControlPlane;
let resumed: ControlPlane | undefined;
let etcdVictim = 'etcd-0';

before(async () => {
  binaries = (await ensureBinaries()).paths;
  root = await mkdtemp(join(tmpdir(), 'beamline-ha-'));
  dir = join(root, 'ha');
  plane = await startControlPlane({ binaries, dir, lifetime: 'detached', mode: 'full', controlPlaneReplicas: 3, name: 'ha' });
});

after(async () => {
  // Whatever a failed test left: the plane, then any process that still names its folder.
  await destroyControlPlane(dir).catch(() => undefined);
  await killProcessesMentioning(root);
  await rm(root, { recursive: true, force: true });
});

const pidOf = (p: ControlPlane, name: string): number => {
  const component = p.components.find((c) => c.name === name);
  assert.ok(component, `component ${name}`);
  return component.pid;
};

/** Lists namespaces `times` times through the endpoint; returns the failures. */
async function listNamespaces(kubeConfig: KubeConfig, times: number): Promise<string[]> {
  const failures: string[] = [];
  for (let i = 0; i < times; i++) {
    try {
      const list = await kubeConfig.makeApiClient(CoreV1Api).listNamespace();
      assert.ok(list.items.some((ns) => ns.metadata?.name === 'default'));
    } catch (error) {
      failures.push(`${i}: ${(error as Error).message}`);
    }
  }
  return failures;
}

/** The TLS material etcd asks of its clients (it serves nobody else, `/metrics` included). */
async function etcdClientTls(): Promise<{ ca: string; cert: string; key: string }> {
  const { etcd } = await readProbeMaterial(dir);
  assert.ok(etcd !== undefined, 'the plane has etcd client certificates');
  return { ca: etcd.caPem, cert: etcd.certPem, key: etcd.keyPem };
}

/** GETs a path of an etcd member over TLS with the apiservers' client certificate; the body. */
async function etcdGet(port: number, path: string): Promise<string> {
  const tls = await etcdClientTls();
  return new Promise((resolve, reject) => {
    const req = httpsGet({ host: '127.0.0.1', port, path, servername: 'localhost', ...tls }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}

/** The name of the etcd member that leads (from its `etcd_server_is_leader` metric). */
async function etcdLeader(): Promise<string> {
  const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
  for (const [i, member] of state.ports.etcd.entries()) {
    const metrics = await etcdGet(member.client, '/metrics');
    if (/^etcd_server_is_leader 1$/m.test(metrics)) return `etcd-${i}`;
  }
  throw new Error('failed to find the etcd leader');
}

/** The admin kubeconfig, pointed at one apiserver's own port instead of the endpoint. */
function directTo(kubeConfig: KubeConfig, port: number): KubeConfig {
  const direct = new KubeConfig();
  direct.loadFromOptions({
    clusters: kubeConfig.clusters.map((cluster) => ({ ...cluster, server: `https://127.0.0.1:${port}` })),
    users: kubeConfig.users,
    contexts: kubeConfig.contexts,
    currentContext: kubeConfig.currentContext,
  });
  return direct;
}

describe('HA control plane', () => {
  test('serves through the load balancer, and the controllers talk to it', async () => {
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
    assert.deepEqual(
      plane.components.map((c) => c.name),
      ['etcd-0', 'etcd-1', 'etcd-2', 'kube-apiserver-0', 'kube-apiserver-1', 'kube-apiserver-2', 'load-balancer', 'kube-controller-manager', 'kube-scheduler', 'kwok'],
    );
    assert.equal(state.ready, true);
    assert.equal(plane.replicas, 3);
    assert.equal(plane.server, `https://127.0.0.1:${state.ports.endpoint}`);
    assert.ok(!state.ports.apiServers.includes(state.ports.endpoint));
    for (const component of ['kube-controller-manager', 'kube-scheduler', 'kwok']) {
      assert.match(await readFile(join(dir, `${component}.kubeconfig`), 'utf8'), new RegExp(`server: ${plane.server}\\n`));
    }
    // Each apiserver names every etcd member.
    const etcdServers = state.ports.etcd.map((m) => `https://127.0.0.1:${m.client}`).join(',');
    for (const spec of state.components.filter((c) => c.binaryName === 'kube-apiserver')) {
      assert.ok(spec.args.includes(`--etcd-servers=${etcdServers}`));
    }
    // The members talk to each other over mutual TLS.
    for (const spec of state.components.filter((c) => c.binaryName === 'etcd')) {
      assert.ok(spec.args.includes('--peer-client-cert-auth=true') && spec.args.some((arg) => arg.startsWith('--initial-cluster=etcd-0=https://')), spec.name);
    }
    assert.deepEqual(await listNamespaces(plane.kubeConfig, 3), []);

    // kwok and the controller-manager, through the load balancer, make a simulated Node Ready.
    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNode({
      body: {
        metadata: { name: 'ha-node', annotations: { [KWOK_NODE_ANNOTATION]: 'fake' } },
        status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' }, allocatable: { cpu: '4', memory: '8Gi', pods: '110' } },
      },
    });
    await waitFor(
      async () => (await core.readNode({ name: 'ha-node' })).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
      { what: 'node ha-node Ready', timeoutMs: 30_000 },
    );
  });

  test('one kube-apiserver killed: the API keeps answering through the same endpoint', async () => {
    const victim = pidOf(plane, 'kube-apiserver-0');
    process.kill(victim, 'SIGKILL');
    await waitFor(() => !alive(victim), { what: 'kube-apiserver-0 gone', timeoutMs: 10_000 });
    assert.deepEqual(await listNamespaces(plane.kubeConfig, 20), []);
    await plane.kubeConfig.makeApiClient(CoreV1Api).createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'after-apiserver-loss' }, data: { ok: 'yes' } },
    });
  });

  test('the etcd leader killed too: the API still answers (2 of 3 members are a quorum)', async () => {
    // The leader is the hard case: the survivors must elect a new one first.
    etcdVictim = await etcdLeader();
    const victim = pidOf(plane, etcdVictim);
    process.kill(victim, 'SIGKILL');
    await waitFor(() => !alive(victim), { what: `${etcdVictim} gone`, timeoutMs: 10_000 });
    assert.deepEqual(await listNamespaces(plane.kubeConfig, 20), []);
    await plane.kubeConfig.makeApiClient(CoreV1Api).createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'after-etcd-loss' }, data: { ok: 'yes' } },
    });
    const status = await controlPlaneStatus(dir);
    assert.equal(status.ready, true);
    assert.deepEqual(
      status.components.filter((c) => !c.alive).map((c) => c.name),
      [etcdVictim, 'kube-apiserver-0'],
    );
  });

  test('resume restarts the dead members and adopts the rest', async () => {
    resumed = await resumeControlPlane(dir, { binaries });
    assert.equal(resumed.server, plane.server);
    const restarted = [etcdVictim, 'kube-apiserver-0'];
    for (const name of restarted) {
      assert.notEqual(pidOf(resumed, name), pidOf(plane, name), `${name} has a new process`);
    }
    for (const component of resumed.components) {
      assert.ok(alive(component.pid), `${component.name} runs`);
      if (!restarted.includes(component.name)) {
        assert.equal(component.pid, pidOf(plane, component.name), `${component.name} adopted as it was`);
      }
    }
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
    for (const port of state.ports.apiServers) {
      assert.equal(await probeStatus(`https://127.0.0.1:${port}/readyz`, { ca: resumed.caPem }), 200, `apiserver on ${port} ready`);
      const configMap = await directTo(resumed.kubeConfig, port).makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace: 'default', name: 'after-etcd-loss' });
      assert.equal(configMap.data?.ok, 'yes');
    }
    const tls = await etcdClientTls();
    for (const member of state.ports.etcd) assert.equal(await probeStatus(`https://127.0.0.1:${member.client}/health`, tls), 200);
    assert.deepEqual(await listNamespaces(resumed.kubeConfig, 5), []);
  });

  test('destroy stops every process and removes the folder', async () => {
    const pids = (resumed ?? plane).components.map((c) => c.pid);
    await destroyControlPlane(dir);
    assert.deepEqual(pids.filter(alive), []);
    assert.deepEqual(await processesMentioning(dir), []);
    assert.equal(existsSync(dir), false);
    assert.equal(await probeStatus(`${plane.server}/readyz`, { insecure: true }), 0);
  });
});
