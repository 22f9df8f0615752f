// How a plane started before etcd had TLS is brought up to date on resume (the pure part), and the
// certificates etcd gets.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { needsEtcdTls, withEtcdTls, writeEtcdPki } from './etcd-tls.ts';
import { layoutOf } from './layout.ts';
import type { ComponentSpec } from './state.ts';

const layout = layoutOf('/planes/old');

/** The etcd member and apiserver of an HA plane as the launcher planned them before etcd had TLS. */
const oldMember: ComponentSpec = {
  name: 'etcd-0',
  binaryName: 'etcd',
  binary: '/opt/bin/etcd',
  args: [
    '--name=etcd-0',
    '--data-dir=/planes/old/etcd-0',
    '--listen-client-urls=http://127.0.0.1:2379',
    '--advertise-client-urls=http://127.0.0.1:2379',
    '--listen-peer-urls=http://127.0.0.1:2380',
    '--initial-advertise-peer-urls=http://127.0.0.1:2380',
    '--initial-cluster=etcd-0=http://127.0.0.1:2380,etcd-1=http://127.0.0.1:2382,etcd-2=http://127.0.0.1:2384',
    '--initial-cluster-state=new',
    '--log-level=warn',
  ],
  stage: 0,
  probe: { url: 'http://127.0.0.1:2379/health', tls: 'none' },
};
const oldApiServer: ComponentSpec = {
  name: 'kube-apiserver-0',
  binaryName: 'kube-apiserver',
  binary: '/opt/bin/kube-apiserver',
  args: ['--secure-port=7001', '--etcd-servers=http://127.0.0.1:2379,http://127.0.0.1:2381,http://127.0.0.1:2383', '--v=1'],
  stage: 1,
  probe: { url: 'https://127.0.0.1:7001/readyz', tls: 'cluster-ca' },
};
const kwok: ComponentSpec = { name: 'kwok', binaryName: 'kwok', binary: '/opt/bin/kwok', args: ['--server-address=127.0.0.1:10247'], stage: 3, probe: { url: 'http://127.0.0.1:10247/healthz', tls: 'none' } };

describe('withEtcdTls', () => {
  test('etcd serves clients over TLS with client-certificate auth; its peers keep the URLs its membership records', () => {
    const [member, apiServer, other] = withEtcdTls([oldMember, oldApiServer, kwok], layout.pki);
    assert.ok(member !== undefined && apiServer !== undefined);
    assert.ok(member.args.includes('--listen-client-urls=https://127.0.0.1:2379'));
    assert.ok(member.args.includes('--advertise-client-urls=https://127.0.0.1:2379'));
    assert.ok(member.args.includes('--client-cert-auth=true'));
    assert.ok(member.args.includes('--trusted-ca-file=/planes/old/pki/etcd-ca.crt'));
    assert.ok(member.args.includes('--listen-peer-urls=http://127.0.0.1:2380'), 'peer URLs unchanged');
    assert.ok(member.args.includes('--initial-cluster=etcd-0=http://127.0.0.1:2380,etcd-1=http://127.0.0.1:2382,etcd-2=http://127.0.0.1:2384'));
    assert.deepEqual(member.probe, { url: 'https://127.0.0.1:2379/health', tls: 'etcd-client' });
    assert.ok(apiServer.args.includes('--etcd-servers=https://127.0.0.1:2379,https://127.0.0.1:2381,https://127.0.0.1:2383'));
    assert.ok(apiServer.args.includes('--etcd-certfile=/planes/old/pki/apiserver-etcd-client.crt'));
    assert.deepEqual(other, kwok);
  });

  test('is idempotent, and needsEtcdTls tells old planes from new ones', () => {
    assert.equal(needsEtcdTls([oldMember, oldApiServer]), true);
    const once = withEtcdTls([oldMember, oldApiServer], layout.pki);
    assert.equal(needsEtcdTls(once), false);
    assert.deepEqual(withEtcdTls(once, layout.pki), once);
  });
});

describe('writeEtcdPki', () => {
  test('an etcd CA of its own, a member certificate for 127.0.0.1 serving and dialling peers, a client certificate; keys 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'beamline-etcd-pki-'));
    try {
      const { pki, pkiDir } = layoutOf(dir);
      await mkdir(pkiDir);
      await writeEtcdPki(layoutOf(dir), 'p');
      const ca = new X509Certificate(await readFile(pki.etcdCaCert));
      const member = new X509Certificate(await readFile(pki.etcdCert));
      const client = new X509Certificate(await readFile(pki.apiServerEtcdClientCert));
      assert.match(ca.subject, /p-etcd-ca/);
      assert.ok(member.verify(ca.publicKey) && client.verify(ca.publicKey));
      assert.ok(member.checkIP('127.0.0.1') !== undefined && member.checkHost('localhost') !== undefined);
      assert.match(member.toLegacyObject().ext_key_usage?.join(' ') ?? '', /1\.3\.6\.1\.5\.5\.7\.3\.1.*1\.3\.6\.1\.5\.5\.7\.3\.2/);
      for (const key of [pki.etcdCaKey, pki.etcdKey, pki.apiServerEtcdClientKey]) assert.equal((await stat(key)).mode & 0o777, 0o600, key);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
