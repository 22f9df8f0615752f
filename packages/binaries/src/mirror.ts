import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { x as extractTar } from 'tar';
import { BINARY_NAMES, type BinaryName } from './catalog.ts';
import type { Pins } from './pins.ts';
import { formatDuration, withHeartbeat, type Progress } from './progress.ts';

/** The environment variable naming the base URL of a download mirror, e.g. `http://127.0.0.1:8080/mirror`. */
export const MIRROR_ENV = 'BEAMLINE_DOWNLOAD_MIRROR';

/** How an asset's published checksum file is laid out. */
export type ChecksumFormat =
  /** One digest for this one file: `<hex>` or `<hex>  <filename>`; the first token is the digest. */
  | 'single'
  /** A `SHA256SUMS` list: one `<hex>  <filename>` line per file of the release. */
  | 'list';

/** Where one binary comes from on the mirror, and how to check and unpack it. */
export interface MirrorAsset {
  /** The binary this asset provides. */
  readonly name: BinaryName;
  /** The URL of the release artifact (a plain binary or a `.tar.gz`). */
  readonly url: string;
  /** The upstream file name of the artifact: the key to look up in a `list` checksum file. */
  readonly fileName: string;
  /** The URL of the published sha256 checksum. */
  readonly checksumUrl: string;
  /** How the checksum file is laid out. */
  readonly checksumFormat: ChecksumFormat;
  /** For a `.tar.gz`, the path of the binary inside it; `undefined` when the artifact is the binary itself. */
  readonly archiveMember: string | undefined;
}

/** What {@link downloadFromMirror} needs. */
export interface MirrorDownloadOptions {
  /** Base URL of the mirror, usually from {@link MIRROR_ENV}, e.g. `http://127.0.0.1:8080/mirror`. */
  readonly mirror: string;
  /** The versions to download. */
  readonly pins: Pins;
  /** An existing, empty staging directory: the binaries are written here as `<name>`, mode 0755. */
  readonly targetDir: string;
  /** Receives one line when each download starts and ends. */
  readonly progress: Progress;
  /** `amd64` or `arm64`; defaults to the architecture Node runs on (see {@link mirrorArch}). */
  readonly arch?: string;
}

const SUPPORTED_ARCHES = ['amd64', 'arm64'] as const;
const NODE_TO_RELEASE_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64' };
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;
const CHECKSUM_TIMEOUT_MS = 60_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The release architecture name (`amd64`, `arm64`) of a Node `process.arch` value; throws for any
 * other architecture, since upstream publishes Linux binaries for these two only in Beamline's use.
 */
export function mirrorArch(nodeArch: string = process.arch): string {
  const arch = NODE_TO_RELEASE_ARCH[nodeArch];
  if (arch === undefined) {
    throw new Error(`unsupported architecture "${nodeArch}": the download mirror serves linux binaries for x64 (amd64) and arm64 only`);
  }
  return arch;
}

/**
 * The URLs of every binary and its checksum on the mirror, in {@link BINARY_NAMES} order. The mirror
 * serves the official release artifacts in their upstream layout, with each upstream host as the
 * first path segment under the mirror base. Throws if `mirror` is not an http(s) URL or `arch` is
 * not `amd64` or `arm64`.
 */
export function mirrorLayout(mirror: string, pins: Pins, arch: string): readonly MirrorAsset[] {
  const base = mirrorBase(mirror);
  checkArch(arch);
  const k8s = `${base}/dl.k8s.io/release/v${pins.kubernetes}/bin/linux/${arch}`;
  const etcdDir = `${base}/github.com/etcd-io/etcd/releases/download/v${pins.etcd}`;
  const etcdStem = `etcd-v${pins.etcd}-linux-${arch}`;
  const kwokDir = `${base}/github.com/kubernetes-sigs/kwok/releases/download/v${pins.kwok}`;
  const helmFile = `helm-v${pins.helm}-linux-${arch}.tar.gz`;

  const kubernetes = (name: BinaryName): MirrorAsset => ({
    name,
    url: `${k8s}/${name}`,
    fileName: name,
    checksumUrl: `${k8s}/${name}.sha256`,
    checksumFormat: 'single',
    archiveMember: undefined,
  });
  // Upstream kwok publishes no checksum files: the mirror must serve `<binary>.sha256` beside each.
  const kwok = (name: 'kwok' | 'kwokctl'): MirrorAsset => ({
    name,
    url: `${kwokDir}/${name}-linux-${arch}`,
    fileName: `${name}-linux-${arch}`,
    checksumUrl: `${kwokDir}/${name}-linux-${arch}.sha256`,
    checksumFormat: 'single',
    archiveMember: undefined,
  });
  const assets: Readonly<Record<BinaryName, MirrorAsset>> = {
    etcd: {
      name: 'etcd',
      url: `${etcdDir}/${etcdStem}.tar.gz`,
      fileName: `${etcdStem}.tar.gz`,
      checksumUrl: `${etcdDir}/SHA256SUMS`,
      checksumFormat: 'list',
      archiveMember: `${etcdStem}/etcd`,
    },
    'kube-apiserver': kubernetes('kube-apiserver'),
    'kube-controller-manager': kubernetes('kube-controller-manager'),
    'kube-scheduler': kubernetes('kube-scheduler'),
    kubectl: kubernetes('kubectl'),
    kwok: kwok('kwok'),
    kwokctl: kwok('kwokctl'),
    helm: {
      name: 'helm',
      url: `${base}/get.helm.sh/${helmFile}`,
      fileName: helmFile,
      checksumUrl: `${base}/get.helm.sh/${helmFile}.sha256sum`,
      checksumFormat: 'single',
      archiveMember: `linux-${arch}/helm`,
    },
  };
  return BINARY_NAMES.map((name) => assets[name]);
}

/**
 * Downloads the eight pinned binaries from a mirror into `targetDir`, one at a time. Each artifact
 * is streamed to a temporary file in `targetDir` while it is hashed, and compared with the published
 * sha256 before anything is unpacked or installed. On any error the files of the failing binary are
 * removed and the error is thrown; binaries installed before it stay, so the caller should discard
 * the staging directory on failure.
 */
export async function downloadFromMirror(options: MirrorDownloadOptions): Promise<void> {
  const { mirror, pins, targetDir, progress } = options;
  const arch = options.arch ?? mirrorArch();
  const assets = mirrorLayout(mirror, pins, arch);
  for (const [index, asset] of assets.entries()) {
    progress.step(`downloading ${asset.name} (${index + 1}/${assets.length}) from ${asset.url}`);
    const started = Date.now();
    const size = await withHeartbeat(progress, `downloading ${asset.name}`, () => installAsset(asset, targetDir));
    progress.step(`downloaded ${asset.name}: ${formatBytes(size)} in ${formatDuration(Date.now() - started)}, sha256 ok`);
  }
}

function mirrorBase(mirror: string): string {
  let url: URL;
  try {
    url = new URL(mirror);
  } catch (error) {
    throw new Error(`failed to parse download mirror "${mirror}" (${MIRROR_ENV}): ${(error as Error).message}`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`failed to parse download mirror "${mirror}" (${MIRROR_ENV}): expected an http or https URL`);
  }
  return mirror.replace(/\/+$/, '');
}

function checkArch(arch: string): void {
  if (!(SUPPORTED_ARCHES as readonly string[]).includes(arch)) {
    throw new Error(`unsupported architecture "${arch}": expected one of ${SUPPORTED_ARCHES.join(', ')}`);
  }
}

/** Downloads, verifies and installs one asset; returns the artifact's size in bytes. */
async function installAsset(asset: MirrorAsset, targetDir: string): Promise<number> {
  const expected = await fetchChecksum(asset);
  // A private work folder inside targetDir: same file system, so the final rename is atomic, and
  // one `rm` removes everything this asset wrote, whatever step failed.
  const workDir = await mkdtemp(join(targetDir, `.${asset.name}-`));
  try {
    const download = join(workDir, 'download');
    const { sha256, size } = await downloadTo(asset, download);
    if (sha256 !== expected) {
      throw new Error(`failed to verify ${asset.name} downloaded from ${asset.url}: sha256 mismatch, expected ${expected} (from ${asset.checksumUrl}), got ${sha256}`);
    }
    const binary = asset.archiveMember === undefined ? download : await extractMember(asset, asset.archiveMember, download, workDir);
    await chmod(binary, 0o755);
    await rename(binary, join(targetDir, asset.name));
    return size;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function fetchChecksum(asset: MirrorAsset): Promise<string> {
  const what = `failed to fetch the checksum of ${asset.name} from ${asset.checksumUrl}`;
  const hint = asset.name === 'kwok' || asset.name === 'kwokctl' ? ' (kwok publishes no checksums: the mirror must serve <binary>.sha256 beside each binary, see docs/design/download-mirror.md)' : '';
  const response = await get(asset.checksumUrl, CHECKSUM_TIMEOUT_MS, what, hint);
  let body: string;
  try {
    body = await response.text();
  } catch (error) {
    throw new Error(`${what}: ${describe(error, CHECKSUM_TIMEOUT_MS)}`, { cause: error });
  }
  const digest = parseChecksum(body, asset);
  if (digest === undefined) {
    const expectation = asset.checksumFormat === 'list' ? `a "<sha256>  ${asset.fileName}" line` : 'a sha256 hex digest';
    throw new Error(`${what}: expected ${expectation}, got ${JSON.stringify(body.slice(0, 80))}`);
  }
  return digest;
}

function parseChecksum(body: string, asset: MirrorAsset): string | undefined {
  if (asset.checksumFormat === 'single') {
    const first = body.trim().split(/\s+/)[0]?.toLowerCase();
    return first !== undefined && SHA256_HEX.test(first) ? first : undefined;
  }
  for (const line of body.split('\n')) {
    const [digest, file] = line.trim().split(/\s+/);
    // sha256sum marks binary-mode entries with a leading `*`.
    if (digest !== undefined && file?.replace(/^\*/, '') === asset.fileName && SHA256_HEX.test(digest.toLowerCase())) {
      return digest.toLowerCase();
    }
  }
  return undefined;
}

async function downloadTo(asset: MirrorAsset, file: string): Promise<{ readonly sha256: string; readonly size: number }> {
  const what = `failed to download ${asset.name} from ${asset.url}`;
  const response = await get(asset.url, DOWNLOAD_TIMEOUT_MS, what, '');
  if (response.body === null) throw new Error(`${what}: the response has no body`);
  const hash = createHash('sha256');
  let size = 0;
  try {
    await pipeline(
      Readable.fromWeb(response.body),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(file, { flags: 'wx' }),
    );
  } catch (error) {
    throw new Error(`${what}: ${describe(error, DOWNLOAD_TIMEOUT_MS)}`, { cause: error });
  }
  return { sha256: hash.digest('hex'), size };
}

/** GETs `url`; throws `<what>: <reason><hint>` for network errors, timeouts and non-2xx answers. */
async function get(url: string, timeoutMs: number, what: string, hint: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (error) {
    throw new Error(`${what}: ${describe(error, timeoutMs)}`, { cause: error });
  }
  if (!response.ok) {
    // Release the connection: the body of an error page is not needed.
    await response.body?.cancel().catch(() => undefined);
    throw new Error(`${what}: server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${hint}`);
  }
  return response;
}

/** Extracts only `member` of the verified archive `archive` into `workDir`; returns its path. */
async function extractMember(asset: MirrorAsset, member: string, archive: string, workDir: string): Promise<string> {
  const what = `failed to extract ${member} from ${asset.url}`;
  const outDir = join(workDir, 'extracted');
  let found = false;
  try {
    await mkdir(outDir);
    await extractTar({
      file: archive,
      cwd: outDir,
      preservePaths: false,
      strict: true,
      // Only the one regular file: never links or other members of the release.
      filter: (path, entry) => {
        const match = path.replace(/^(\.\/)+/, '') === member && 'type' in entry && (entry.type === 'File' || entry.type === 'OldFile' || entry.type === 'ContiguousFile');
        found ||= match;
        return match;
      },
    });
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
  }
  const path = join(outDir, member);
  if (!found || !(await lstat(path).catch(() => undefined))?.isFile()) {
    throw new Error(`${what}: the archive has no regular file ${member}`);
  }
  return path;
}

function describe(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `timed out after ${formatDuration(timeoutMs)}`;
  const message = error instanceof Error ? error.message : String(error);
  // undici's `fetch failed` hides the useful part (ECONNREFUSED, ENOTFOUND, ...) in its cause.
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${message}${cause}`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
