import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { c as createTar } from 'tar';
import { BINARY_NAMES, BINARY_SPECS, type BinaryName } from './catalog.ts';
import { downloadFromMirror, mirrorArch, mirrorLayout } from './mirror.ts';
import { loadPins, type Pins } from './pins.ts';
import type { Progress } from './progress.ts';
import { checkBinaryVersion } from './verify.ts';

const pins = loadPins();
const arch = mirrorArch();

/** A `#!/bin/sh` stand-in for a release binary that prints what the version check expects. */
function fakeBinary(name: BinaryName, version = BINARY_SPECS[name].expectedVersion(pins)): string {
  return `#!/bin/sh\necho '${version}'\n`;
}

async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function write(file: string, body: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, body, { mode: 0o755 });
}

/** Packs `files` (relative path → content) into a gzipped tarball at `file`, as upstream releases do. */
async function tarball(file: string, files: Readonly<Record<string, string>>): Promise<void> {
  const staging = await mkdtemp(join(tmpdir(), 'beamline-mirror-tar-'));
  try {
    for (const [path, body] of Object.entries(files)) await write(join(staging, path), body);
    await mkdir(dirname(file), { recursive: true });
    await createTar({ gzip: true, file, cwd: staging, portable: true }, Object.keys(files));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Paths of a mirror's files, relative to its base, written out from the documented layout (not from `mirrorLayout`). */
function paths(p: Pins, a: string) {
  const k8s = `dl.k8s.io/release/v${p.kubernetes}/bin/linux/${a}`;
  const etcd = `github.com/etcd-io/etcd/releases/download/v${p.etcd}`;
  const kwok = `github.com/kubernetes-sigs/kwok/releases/download/v${p.kwok}`;
  return {
    kubernetes: (name: string) => `${k8s}/${name}`,
    etcdDir: etcd,
    etcdArchive: `${etcd}/etcd-v${p.etcd}-linux-${a}.tar.gz`,
    etcdSums: `${etcd}/SHA256SUMS`,
    kwok: (name: string) => `${kwok}/${name}-linux-${a}`,
    helmArchive: `get.helm.sh/helm-v${p.helm}-linux-${a}.tar.gz`,
  } as const;
}

/** Writes a complete, correct mirror for `pins` and `arch` under `root`. */
async function buildMirror(root: string): Promise<void> {
  const at = paths(pins, arch);
  for (const name of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'] as const) {
    const file = join(root, at.kubernetes(name));
    await write(file, fakeBinary(name));
    // dl.k8s.io publishes the bare digest; accept a trailing file name too.
    await writeFile(`${file}.sha256`, name === 'kubectl' ? `${await sha256File(file)}  kubectl\n` : await sha256File(file));
  }

  const etcdStem = `etcd-v${pins.etcd}-linux-${arch}`;
  await tarball(join(root, at.etcdArchive), {
    [`${etcdStem}/etcd`]: fakeBinary('etcd'),
    [`${etcdStem}/etcdctl`]: '#!/bin/sh\necho etcdctl\n',
    [`${etcdStem}/README.md`]: '# etcd\n',
  });
  const otherArch = arch === 'amd64' ? 'arm64' : 'amd64';
  await writeFile(
    join(root, at.etcdSums),
    [
      `${'1'.repeat(64)}  etcd-v${pins.etcd}-darwin-${arch}.zip`,
      `${await sha256File(join(root, at.etcdArchive))}  ${etcdStem}.tar.gz`,
      `${'2'.repeat(64)}  etcd-v${pins.etcd}-linux-${otherArch}.tar.gz`,
      '',
    ].join('\n'),
  );

  for (const name of ['kwok', 'kwokctl'] as const) {
    const file = join(root, at.kwok(name));
    await write(file, fakeBinary(name));
    await writeFile(`${file}.sha256`, `${await sha256File(file)}\n`);
  }

  const helm = join(root, at.helmArchive);
  await tarball(helm, {
    [`linux-${arch}/helm`]: fakeBinary('helm'),
    [`linux-${arch}/LICENSE`]: 'Apache-2.0\n',
    [`linux-${arch}/README.md`]: '# helm\n',
  });
  await writeFile(`${helm}.sha256sum`, `${await sha256File(helm)}  helm-v${pins.helm}-linux-${arch}.tar.gz\n`);
}

/** Serves the files under `root` read-only on 127.0.0.1; anything else is a 404. */
function serve(root: string): Promise<Server> {
  const server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    const file = resolve(root, `.${pathname}`);
    const notFound = () => {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    };
    if (request.method !== 'GET' || !file.startsWith(`${root}${sep}`)) return notFound();
    stat(file).then(
      (info) => {
        if (!info.isFile()) return notFound();
        response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': info.size });
        createReadStream(file).pipe(response);
      },
      notFound,
    );
  });
  return new Promise((resolveServer, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolveServer(server));
  });
}

function recorder(): Progress & { readonly lines: string[] } {
  const lines: string[] = [];
  return { lines, step: (message) => lines.push(message) };
}

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
  let server: Server | undefined;
  let origin = '';
  const at = paths(pins, arch);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'beamline-mirror-test-'));
    for (const name of ['good', 'tampered-helm', 'tampered-kubectl', 'missing-kwok', 'no-kwokctl-checksum']) {
      await buildMirror(join(root, 'srv', name));
    }
    // A helm archive swapped for another build after its checksum was published.
    await tarball(join(root, 'srv', 'tampered-helm', at.helmArchive), { [`linux-${arch}/helm`]: fakeBinary('helm', 'v0.0.0-evil') });
    await appendFile(join(root, 'srv', 'tampered-kubectl', at.kubernetes('kubectl')), 'echo pwned\n');
    await rm(join(root, 'srv', 'missing-kwok', at.kwok('kwok')));
    await rm(join(root, 'srv', 'no-kwokctl-checksum', `${at.kwok('kwokctl')}.sha256`));
    server = await serve(join(root, 'srv'));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    if (server !== undefined) {
      const closing = server;
      closing.closeAllConnections();
      await new Promise<void>((done) => closing.close(() => done()));
    }
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
