/**
 * Test fixtures shared by the mirror and ensure tests: a fake download mirror (the upstream release
 * layout, with `#!/bin/sh` stand-ins for the binaries that print the pinned versions, tarballs and
 * checksum files) and a read-only file server on 127.0.0.1 that counts the requests it gets.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { c as createTar } from 'tar';
import { BINARY_SPECS, type BinaryName } from '../catalog.ts';
import type { Pins } from '../pins.ts';
import type { Progress } from '../progress.ts';

/** A `#!/bin/sh` stand-in for a release binary that prints `version` (by default what the version check expects). */
export function fakeBinary(name: BinaryName, pins: Pins, version = BINARY_SPECS[name].expectedVersion(pins)): string {
  return `#!/bin/sh\necho '${version}'\n`;
}

/** The sha256 of a file, in hex. */
export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/** Writes `body` to `file` with mode 0755, creating its folder. */
export async function writeExecutable(file: string, body: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, body, { mode: 0o755 });
}

/** Packs `files` (relative path → content) into a gzipped tarball at `file`, as upstream releases do. */
export async function tarball(file: string, files: Readonly<Record<string, string>>): Promise<void> {
  const staging = await mkdtemp(join(tmpdir(), 'beamline-mirror-tar-'));
  try {
    for (const [path, body] of Object.entries(files)) await writeExecutable(join(staging, path), body);
    await mkdir(dirname(file), { recursive: true });
    await createTar({ gzip: true, file, cwd: staging, portable: true }, Object.keys(files));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Paths of a mirror's files relative to its base, written out from the documented layout (not from `mirrorLayout`). */
export interface MirrorPaths {
  /** A Kubernetes binary; its checksum is `<path>.sha256`. */
  kubernetes(name: string): string;
  readonly etcdDir: string;
  readonly etcdArchive: string;
  readonly etcdSums: string;
  /** A kwok binary; its checksum is `<path>.sha256`. */
  kwok(name: string): string;
  /** The helm tarball; its checksum is `<path>.sha256sum`. */
  readonly helmArchive: string;
  /** Every file a client fetches to install the eight binaries: artifacts and checksums. */
  readonly all: readonly string[];
}

/** The {@link MirrorPaths} of `pins` for `arch` (`amd64` or `arm64`). */
export function mirrorPaths(pins: Pins, arch: string): MirrorPaths {
  const k8s = `dl.k8s.io/release/v${pins.kubernetes}/bin/linux/${arch}`;
  const etcd = `github.com/etcd-io/etcd/releases/download/v${pins.etcd}`;
  const kwokDir = `github.com/kubernetes-sigs/kwok/releases/download/v${pins.kwok}`;
  const kubernetes = (name: string): string => `${k8s}/${name}`;
  const kwok = (name: string): string => `${kwokDir}/${name}-linux-${arch}`;
  const etcdArchive = `${etcd}/etcd-v${pins.etcd}-linux-${arch}.tar.gz`;
  const etcdSums = `${etcd}/SHA256SUMS`;
  const helmArchive = `get.helm.sh/helm-v${pins.helm}-linux-${arch}.tar.gz`;
  const all = [
    etcdArchive,
    etcdSums,
    ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'].flatMap((name) => [kubernetes(name), `${kubernetes(name)}.sha256`]),
    ...['kwok', 'kwokctl'].flatMap((name) => [kwok(name), `${kwok(name)}.sha256`]),
    helmArchive,
    `${helmArchive}.sha256sum`,
  ];
  return { kubernetes, etcdDir: etcd, etcdArchive, etcdSums, kwok, helmArchive, all };
}

/** Writes a complete, correct mirror for `pins` and `arch` under `root`. */
export async function buildMirror(root: string, pins: Pins, arch: string): Promise<void> {
  const at = mirrorPaths(pins, arch);
  for (const name of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubectl'] as const) {
    const file = join(root, at.kubernetes(name));
    await writeExecutable(file, fakeBinary(name, pins));
    // dl.k8s.io publishes the bare digest; accept a trailing file name too.
    await writeFile(`${file}.sha256`, name === 'kubectl' ? `${await sha256File(file)}  kubectl\n` : await sha256File(file));
  }

  const etcdStem = `etcd-v${pins.etcd}-linux-${arch}`;
  await tarball(join(root, at.etcdArchive), {
    [`${etcdStem}/etcd`]: fakeBinary('etcd', pins),
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
    await writeExecutable(file, fakeBinary(name, pins));
    await writeFile(`${file}.sha256`, `${await sha256File(file)}\n`);
  }

  const helm = join(root, at.helmArchive);
  await tarball(helm, {
    [`linux-${arch}/helm`]: fakeBinary('helm', pins),
    [`linux-${arch}/LICENSE`]: 'Apache-2.0\n',
    [`linux-${arch}/README.md`]: '# helm\n',
  });
  await writeFile(`${helm}.sha256sum`, `${await sha256File(helm)}  helm-v${pins.helm}-linux-${arch}.tar.gz\n`);
}

/** A running {@link serveDirectory} server. */
export interface FileServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** The decoded path of every request received, in order (e.g. `/good/get.helm.sh/...`). */
  readonly requests: readonly string[];
  /** Stops the server, dropping keep-alive connections. */
  close(): Promise<void>;
}

/** Serves the files under `root` read-only on 127.0.0.1, on a free port; anything else is a 404. */
export function serveDirectory(root: string): Promise<FileServer> {
  const base = resolve(root);
  const requests: string[] = [];
  const server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    requests.push(pathname);
    const file = resolve(base, `.${pathname}`);
    const notFound = (): void => {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    };
    if (request.method !== 'GET' || !file.startsWith(`${base}${sep}`)) return notFound();
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
    server.listen(0, '127.0.0.1', () => {
      resolveServer({
        origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A {@link Progress} that keeps every line, optionally calling `onStep` on each. */
export function recorder(onStep?: (message: string) => void): Progress & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    step: (message) => {
      lines.push(message);
      onStep?.(message);
    },
  };
}
