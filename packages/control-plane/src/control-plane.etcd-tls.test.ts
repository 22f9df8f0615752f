// etcd of every plane serves its clients over TLS and only to holders of a certificate of the
// plane's etcd CA: a plain-HTTP request, a TLS client without a certificate and one with a
// certificate of the cluster CA are all refused, while the apiserver works. A plane started before
// etcd had TLS (its state.json and etcd data made with the old flags) gets it on resume, its data
// kept, whether its processes were stopped or still running, with one member or three (whose peers
// keep the plain-HTTP URLs etcd recorded).
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ensureBinaries, type BinaryPaths } from '@beamline/binaries';
import { killProcessesMentioning } from '@beamline/testenv';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { destroyControlPlane } from './destroy.ts';
import { layoutOf } from './layout.ts';
import { readPidRecord, isSameProcessAlive } from './processes.ts';
import { probeStatus } from './readiness.ts';
import { resumeControlPlane } from './resume.ts';
import { bringUp, stopInStages, withStages } from './running.ts';
import { readState, writeState, type ComponentSpec, type ControlPlaneState } from './state.ts';

let binaries: BinaryPaths;
let root: string;

before(async () => {
  binaries = (await ensureBinaries()).paths;
  root = await mkdtemp(join(tmpdir(), 'beamline-etcd-tls-'));
});

after(async () => {
  for (const name of ['old-stopped', 'old-running', 'old-ha']) await destroyControlPlane(join(root, name)).catch(() => undefined);
  await killProcessesMentioning(root);
  await rm(root, { recursive: true, force: true });
});

/** What a TLS handshake with this client material ends in: `ok`, or the error's code. */
function handshake(port: number, options: { ca: string; cert?: string; key?: string }): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...options });
    socket.setTimeout(5_000, () => socket.destroy(new Error('timeout')));
    // TLS 1.3: the server checks the client certificate after the client's Finished, so a refusal
    // shows on the first read, not in the handshake callback. A request makes it read.
    socket.on('secureConnect', () => socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('end', () => resolve(/^HTTP\/1\.1 200/.test(answer) ? 'ok' : `answered: ${answer.split('\r\n')[0] ?? ''}`));
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** A member's client port from its flags. */
const clientPort = (spec: ComponentSpec | undefined): number => Number(/--listen-client-urls=https?:\/\/127\.0\.0\.1:(\d+)/.exec(spec?.args.join(' ') ?? '')?.[1]);

describe('etcd with client TLS', () => {
  let plane: ControlPlane;
  before(async () => {
    plane = await startControlPlane({ binaries, name: 'etcd-tls' });
  });
  after(async () => plane?.stop());

  test('refuses plain HTTP, TLS without a client certificate and a certificate of the cluster CA; the apiserver works', async () => {
    const state = await readState(plane.dir);
    const port = state.ports.etcd[0]?.client ?? 0;
    const { pki } = layoutOf(plane.dir);
    const etcdCa = await readFile(pki.etcdCaCert, 'utf8');

    // Plain HTTP: the v3 gateway's range over every key is not served.
    const plain = await fetch(`http://127.0.0.1:${port}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'AA==', range_end: 'AA==' }) }).then(
      async (response) => `${response.status} ${await response.text()}`,
      (error: Error) => error.message,
    );
    assert.doesNotMatch(plain, /^200/, 'no answer over plain HTTP');
    assert.doesNotMatch(plain, /"kvs"/);

    assert.notEqual(await handshake(port, { ca: etcdCa }), 'ok', 'a TLS client without a certificate is refused');
    const user = await plane.kubeconfigYamlFor({ name: 'beamline-admin', groups: ['system:masters'] });
    const userConfig = new KubeConfig();
    userConfig.loadFromString(user);
    const admin = userConfig.getCurrentUser();
    const clusterCaCert = Buffer.from(admin?.certData ?? '', 'base64').toString();
    const clusterCaKey = Buffer.from(admin?.keyData ?? '', 'base64').toString();
    assert.notEqual(await handshake(port, { ca: etcdCa, cert: clusterCaCert, key: clusterCaKey }), 'ok', 'a certificate of the cluster CA is refused');
    // The positive control: the apiservers' own client certificate gets in.
    const cert = await readFile(pki.apiServerEtcdClientCert, 'utf8');
    const key = await readFile(pki.apiServerEtcdClientKey, 'utf8');
    assert.equal(await handshake(port, { ca: etcdCa, cert, key }), 'ok');
    assert.equal(await probeStatus(`https://127.0.0.1:${port}/health`, { ca: etcdCa, cert, key }), 200);

    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'through-the-apiserver' }, stringData: { value: 'kept' } } });
    const read = await core.readNamespacedSecret({ namespace: 'default', name: 'through-the-apiserver' });
    assert.equal(Buffer.from(read.data?.value ?? '', 'base64').toString(), 'kept');
  });
});

/**
 * A detached plane as the launcher made it before etcd had TLS: started with the current code,
 * stopped, its etcd data and etcd certificates removed and its state.json rewritten with the old
 * flags, then started once with those flags (etcd's data is made by the old flags) and a Secret
 * written. `keepRunning` leaves that old-flag plane running, as a manager restart finds kwok clusters.
 */
async function oldPlane(name: string, keepRunning: boolean, replicas: 1 | 3 = 1): Promise<{ dir: string; state: ControlPlaneState }> {
  const dir = join(root, name);
  const plane = await startControlPlane({ binaries, name, dir, lifetime: 'detached', controlPlaneReplicas: replicas });
  await plane.stop();
  const layout = layoutOf(dir);
  const fresh = await readState(dir);
  const old = (spec: ComponentSpec): ComponentSpec => {
    if (spec.binaryName === 'etcd') {
      const args = spec.args.filter((arg) => !/^--(peer-)?(cert-file|key-file|client-cert-auth|trusted-ca-file)=/.test(arg)).map((arg) => arg.replaceAll('https://', 'http://'));
      return { ...spec, args, probe: { url: spec.probe.url.replace('https://', 'http://'), tls: 'none' } };
    }
    if (spec.binaryName === 'kube-apiserver') {
      const args = spec.args.filter((arg) => !/^--etcd-(cafile|certfile|keyfile)=/.test(arg)).map((arg) => (arg.startsWith('--etcd-servers=') ? arg.replaceAll('https://', 'http://') : arg));
      return { ...spec, args };
    }
    return spec;
  };
  const state: ControlPlaneState = { ...fresh, components: fresh.components.map(old) };
  for (const member of ['etcd', 'etcd-0', 'etcd-1', 'etcd-2']) await rm(join(dir, member), { recursive: true, force: true });
  await Promise.all([layout.pki.etcdCaCert, layout.pki.etcdCaKey, layout.pki.etcdCert, layout.pki.etcdKey, layout.pki.apiServerEtcdClientCert, layout.pki.apiServerEtcdClientKey].map((file) => rm(file)));
  await writeState(dir, state);
  const started = await bringUp({ dir, state, timeoutMs: 60_000, adopt: false, started: [] });
  const config = new KubeConfig();
  config.loadFromFile(layout.adminKubeconfig);
  await config.makeApiClient(CoreV1Api).createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'from-before' }, stringData: { value: 'kept' } } });
  if (!keepRunning) await stopInStages(withStages(state.components, started));
  return { dir, state };
}

describe('a plane made before etcd had TLS', () => {
  const cases = [
    { name: 'old-stopped', keepRunning: false, replicas: 1 },
    { name: 'old-running', keepRunning: true, replicas: 1 },
    { name: 'old-ha', keepRunning: false, replicas: 3 },
  ] as const;
  for (const { name, keepRunning, replicas } of cases) {
    test(`gets client TLS on resume, its data kept (${replicas} member(s), old processes ${keepRunning ? 'still running' : 'stopped'})`, async () => {
      const { dir, state: before } = await oldPlane(name, keepRunning, replicas);
      const memberName = replicas === 1 ? 'etcd' : 'etcd-0';
      const oldEtcdPid = readPidRecord(layoutOf(dir).pidDir, memberName);
      const plane = await resumeControlPlane(dir, { binaries });
      try {
        const after = await readState(dir);
        const member = after.components.find((spec) => spec.name === memberName);
        assert.ok(member !== undefined && member.args.includes('--client-cert-auth=true'), 'state.json has the TLS flags');
        assert.ok(member.args.includes(`--listen-peer-urls=http://127.0.0.1:${before.ports.etcd[0]?.peer ?? 0}`), 'peer URLs stay what etcd recorded');
        if (oldEtcdPid !== undefined) assert.equal(isSameProcessAlive(oldEtcdPid), false, 'the old etcd was replaced');
        const port = clientPort(member);
        const plain = await fetch(`http://127.0.0.1:${port}/health`).then((response) => response.status, () => 0);
        assert.notEqual(plain, 200, 'no answer over plain HTTP');
        const { pki } = layoutOf(dir);
        assert.notEqual(await handshake(port, { ca: await readFile(pki.etcdCaCert, 'utf8') }), 'ok', 'a TLS client without a certificate is refused');
        const read = await plane.kubeConfig.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace: 'default', name: 'from-before' });
        assert.equal(Buffer.from(read.data?.value ?? '', 'base64').toString(), 'kept');
      } finally {
        await plane.stop();
      }
    });
  }
});
