import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BINARY_NAMES } from './catalog.ts';
import { downloadFromMirror, mirrorArch, mirrorLayout } from './mirror.ts';
import { loadPins, type Pins } from './pins.ts';
import { buildMirror, fakeBinary, mirrorPaths, recorder, serveDirectory, sha256File, tarball, type FileServer } from './testing/fake-mirror.ts';
import { checkBinaryVersion } from './verify.ts';

const pins = loadPins();
const arch = mirrorArch();

describe('mirrorLayout', () => {
  const fixed: Pins = { kubernetes: '1.36.3', etcd: '3.6.16', kwok: '0.8.0', helm: '3.21.4' };

  test('lays out every binary in its upstream layout under the mirror base', () => {
    const layout = mirrorLayout('http://127.0.0.1:8080/mirror/', fixed, 'arm64');
    const m = 'http://127.0.0.1:8080/mirror';
    assert.deepEqual(
      layout.map((asset) => [asset.name, asset.url, asset.checksumUrl, asset.archiveMember]),
      [
        ['etcd', `${m}/github.com/etcd-io/etcd/releases/download/v3.6.16/etcd-v3.6.16-linux-arm64.tar.gz`, `${m}/github.com/etcd-io/etcd/releases/download/v3.6.16/SHA256SUMS`, 'etcd-v3.6.16-linux-arm64/etcd'],
        ['kube-apiserver', `${m}/dl.k8s.io/release/v1.36.3/bin/linux/arm64/kube-apiserver`, `${m}/dl.k8s.io/release/v1.36.3/bin/linux/arm64/kube-apiserver.sha256`, undefined],
        ['kube-controller-manager', `${m}/dl.k8s.io/release/v1.36.3/bin/linux/arm64/kube-controller-manager`, `${m}/dl.k8s.io/release/v1.36.3/bin/linux/arm64/kube-controller-manager.sha256`, undefined],
        ['kube-scheduler', `${m}/dl.k8s.io/release/v1.36.3/bin/linux/arm64/kube-scheduler`, `${m}/dl.k8s.io/release/v1.36.3/bin/linux/arm64/kube-scheduler.sha256`, undefined],
        ['kubectl', `${m}/dl.k8s.io/release/v1.36.3/bin/linux/arm64/kubectl`, `${m}/dl.k8s.io/release/v1.36.3/bin/linux/arm64/kubectl.sha256`, undefined],
        ['kwok', `${m}/github.com/kubernetes-sigs/kwok/releases/download/v0.8.0/kwok-linux-arm64`, `${m}/github.com/kubernetes-sigs/kwok/releases/download/v0.8.0/kwok-linux-arm64.sha256`, undefined],
        ['kwokctl', `${m}/github.com/kubernetes-sigs/kwok/releases/download/v0.8.0/kwokctl-linux-arm64`, `${m}/github.com/kubernetes-sigs/kwok/releases/download/v0.8.0/kwokctl-linux-arm64.sha256`, undefined],
        ['helm', `${m}/get.helm.sh/helm-v3.21.4-linux-arm64.tar.gz`, `${m}/get.helm.sh/helm-v3.21.4-linux-arm64.tar.gz.sha256sum`, 'linux-arm64/helm'],
      ],
    );
  });

  test('rejects an unknown architecture and a mirror that is not an http(s) URL', () => {
    assert.throws(() => mirrorLayout('http://127.0.0.1:8080', fixed, 'riscv64'), /unsupported architecture "riscv64"/);
    assert.throws(() => mirrorLayout('not a url', fixed, 'amd64'), /failed to parse download mirror "not a url" \(BEAMLINE_DOWNLOAD_MIRROR\)/);
    assert.throws(() => mirrorLayout('file:///srv/mirror', fixed, 'amd64'), /expected an http or https URL/);
  });

  test('maps Node architectures to release architectures', () => {
    assert.equal(mirrorArch('x64'), 'amd64');
    assert.equal(mirrorArch('arm64'), 'arm64');
    assert.throws(() => mirrorArch('ia32'), /unsupported architecture "ia32"/);
  });
});

describe('downloadFromMirror', () => {
  let root = '';
  let server: FileServer | undefined;
  let origin = '';
  const at = mirrorPaths(pins, arch);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'beamline-mirror-test-'));
    for (const name of ['good', 'tampered-helm', 'tampered-kubectl', 'missing-kwok', 'no-kwokctl-checksum']) {
      await buildMirror(join(root, 'srv', name), pins, arch);
    }
    // A helm archive swapped for another build after its checksum was published.
    await tarball(join(root, 'srv', 'tampered-helm', at.helmArchive), { [`linux-${arch}/helm`]: fakeBinary('helm', pins, 'v0.0.0-evil') });
    await appendFile(join(root, 'srv', 'tampered-kubectl', at.kubernetes('kubectl')), 'echo pwned\n');
    await rm(join(root, 'srv', 'missing-kwok', at.kwok('kwok')));
    await rm(join(root, 'srv', 'no-kwokctl-checksum', `${at.kwok('kwokctl')}.sha256`));
    server = await serveDirectory(join(root, 'srv'));
    origin = server.origin;
  });

  after(async () => {
    await server?.close();
    if (root !== '') await rm(root, { recursive: true, force: true });
  });

  async function stagingDir(): Promise<string> {
    const dir = join(root, 'staging', String(Math.random()).slice(2));
    await mkdir(dir, { recursive: true });
    return dir;
  }

  test('installs all eight binaries from a good mirror, executable and at the pinned versions', async () => {
    const targetDir = await stagingDir();
    const progress = recorder();
    await downloadFromMirror({ mirror: `${origin}/good`, pins, targetDir, progress });

    assert.deepEqual((await readdir(targetDir)).sort(), [...BINARY_NAMES].sort());
    for (const name of BINARY_NAMES) {
      const path = join(targetDir, name);
      assert.equal((await stat(path)).mode & 0o777, 0o755, `${name} mode`);
      const check = await checkBinaryVersion(name, path, pins);
      assert.ok(check.ok, `${name}: expected ${check.expected}, got ${check.reported}`);
    }
    assert.ok(progress.lines.includes(`downloading kube-apiserver (2/8) from ${origin}/good/${at.kubernetes('kube-apiserver')}`), progress.lines.join('\n'));
    assert.equal(progress.lines.filter((line) => line.startsWith('downloaded ')).length, 8);
  });

  for (const [mirror, name, path] of [
    ['tampered-helm', 'helm', at.helmArchive],
    ['tampered-kubectl', 'kubectl', at.kubernetes('kubectl')],
  ] as const) {
    test(`rejects a tampered ${name} before installing it, naming the URL and both hashes`, async () => {
      const targetDir = await stagingDir();
      const served = join(root, 'srv', mirror, path);
      const published = (await readFile(join(root, 'srv', 'good', path === at.helmArchive ? `${path}.sha256sum` : `${path}.sha256`), 'utf8')).split(/\s+/)[0] ?? '';
      const actual = await sha256File(served);
      assert.notEqual(published, actual);
      const url = `${origin}/${mirror}/${path}`;

      await assert.rejects(downloadFromMirror({ mirror: `${origin}/${mirror}`, pins, targetDir, progress: recorder(), arch }), (error: Error) => {
        assert.match(error.message, /^failed to verify /);
        assert.ok(error.message.includes(url), error.message);
        assert.ok(error.message.includes(`expected ${published}`), error.message);
        assert.ok(error.message.includes(`got ${actual}`), error.message);
        return true;
      });
      const left = await readdir(targetDir);
      assert.ok(!left.includes(name), `${name} must not be installed: ${left.join(', ')}`);
      assert.deepEqual(left.filter((file) => file.startsWith('.') || file.startsWith('linux-')), [], 'no temporary or extracted files left');
    });
  }

  test('rejects a missing asset, naming the URL and the 404', async () => {
    const targetDir = await stagingDir();
    const url = `${origin}/missing-kwok/${at.kwok('kwok')}`;
    await assert.rejects(downloadFromMirror({ mirror: `${origin}/missing-kwok`, pins, targetDir, progress: recorder(), arch }), (error: Error) => {
      assert.match(error.message, /^failed to download kwok from /);
      assert.ok(error.message.includes(url), error.message);
      assert.match(error.message, /HTTP 404/);
      return true;
    });
    const left = await readdir(targetDir);
    assert.ok(!left.includes('kwok'));
    assert.deepEqual(left.filter((file) => file.startsWith('.')), []);
  });

  test('rejects a kwok binary without the .sha256 the mirror must serve beside it', async () => {
    const targetDir = await stagingDir();
    const url = `${origin}/no-kwokctl-checksum/${at.kwok('kwokctl')}.sha256`;
    await assert.rejects(downloadFromMirror({ mirror: `${origin}/no-kwokctl-checksum`, pins, targetDir, progress: recorder(), arch }), (error: Error) => {
      assert.ok(error.message.includes(`failed to fetch the checksum of kwokctl from ${url}: server answered HTTP 404`), error.message);
      assert.match(error.message, /kwok publishes no checksums/);
      return true;
    });
    assert.ok(!(await readdir(targetDir)).includes('kwokctl'));
  });
});
