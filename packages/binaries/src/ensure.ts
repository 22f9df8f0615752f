import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { lock } from 'proper-lockfile';
import { BINARY_NAMES, type BinaryName, type BinaryPaths } from './catalog.ts';
import { binaryPathsIn, COMPLETE_MARKER, pinnedBinDir } from './cache.ts';
import { buildFromGoModules } from './go-build.ts';
import { downloadFromMirror } from './mirror.ts';
import { loadPins, parsePins, pinsHash, type Pins } from './pins.ts';
import { silentProgress, type Progress } from './progress.ts';
import { BinaryVersionError, checkBinaryVersion } from './verify.ts';

/** Where the binaries came from. */
export type BinarySource = 'BEAMLINE_BIN_DIR' | 'cache' | 'mirror' | 'go-build';

/** The binaries to run, and where they came from. */
export interface ResolvedBinaries {
  readonly dir: string;
  readonly paths: BinaryPaths;
  readonly source: BinarySource;
  readonly pins: Pins;
}

/** Options of {@link ensureBinaries} and {@link findBinaries}. */
export interface EnsureOptions {
  readonly pins?: Pins;
  readonly env?: NodeJS.ProcessEnv;
  readonly progress?: Progress;
}

async function checkAll(dir: string, pins: Pins): Promise<void> {
  const paths = binaryPathsIn(dir);
  const checks = await Promise.all(BINARY_NAMES.map((name) => checkBinaryVersion(name, paths[name], pins)));
  const bad = checks.filter((check) => !check.ok);
  if (bad.length > 0) throw new BinaryVersionError(dir, bad);
}

async function isComplete(dir: string, pins: Pins): Promise<boolean> {
  try {
    const marker = JSON.parse(await readFile(`${dir}/${COMPLETE_MARKER}`, 'utf8')) as { pins?: unknown };
    return pinsHash(parsePins(marker.pins)) === pinsHash(pins);
  } catch {
    return false;
  }
}

/**
 * Finds the binaries without installing anything: `BEAMLINE_BIN_DIR` (checked) or a complete cache
 * folder. Returns `undefined` when setup still has to run.
 */
export async function findBinaries(options: EnsureOptions = {}): Promise<ResolvedBinaries | undefined> {
  const env = options.env ?? process.env;
  const pins = options.pins ?? loadPins();
  const fromEnv = env.BEAMLINE_BIN_DIR;
  if (fromEnv !== undefined && fromEnv !== '') {
    // Checked, never copied: the user owns that folder.
    await checkAll(fromEnv, pins);
    return { dir: fromEnv, paths: binaryPathsIn(fromEnv), source: 'BEAMLINE_BIN_DIR', pins };
  }
  const dir = pinnedBinDir(pins, env);
  if (await isComplete(dir, pins)) return { dir, paths: binaryPathsIn(dir), source: 'cache', pins };
  return undefined;
}

async function missingIn(dir: string, pins: Pins): Promise<BinaryName[]> {
  const paths = binaryPathsIn(dir);
  const checks = await Promise.all(BINARY_NAMES.map((name) => checkBinaryVersion(name, paths[name], pins)));
  return checks.filter((check) => !check.ok).map((check) => check.name);
}

/**
 * Makes sure every pinned binary is available and returns their paths. In order:
 * 1. `BEAMLINE_BIN_DIR`: use the binaries there, after checking each `--version`;
 * 2. the cache folder `${XDG_CACHE_HOME:-~/.cache}/beamline/bin/<hash of the pins>`, when complete;
 * 3. `BEAMLINE_DOWNLOAD_MIRROR`: download the release artifacts, verify their sha256, unpack;
 * 4. otherwise build them from their Go modules.
 *
 * Idempotent and safe to run from several processes at once: installing holds a lock on the cache
 * folder, works in `<folder>.partial` (binaries that are already there and right are kept, so an
 * interrupted build resumes) and renames it into place only when every version checks out.
 */
export async function ensureBinaries(options: EnsureOptions = {}): Promise<ResolvedBinaries> {
  const env = options.env ?? process.env;
  const pins = options.pins ?? loadPins();
  const progress = options.progress ?? silentProgress;
  const found = await findBinaries({ pins, env });
  if (found !== undefined) return found;

  const dir = pinnedBinDir(pins, env);
  const partial = `${dir}.partial`;
  await mkdir(dirname(dir), { recursive: true });
  progress.step(`installing Kubernetes ${pins.kubernetes}, etcd ${pins.etcd}, kwok ${pins.kwok}, helm ${pins.helm} into ${dir}`);
  const release = await lock(partial, {
    lockfilePath: `${dir}.lock`,
    // The lock is the lock file alone: `.partial` may not exist yet, or be renamed away by the
    // setup that held the lock before us.
    realpath: false,
    stale: 60_000,
    update: 10_000,
    // Another setup may be in the middle of a cold build: wait for it (up to ~2 hours).
    retries: { retries: 1500, minTimeout: 2_000, maxTimeout: 5_000, factor: 1.2 },
    onCompromised: (error) => progress.step(`warning: setup lock compromised: ${error.message}`),
  }).catch((error: unknown) => {
    throw new Error(`failed to lock ${dir}.lock: ${(error as Error).message}`, { cause: error });
  });
  try {
    // Someone else may have finished while we waited for the lock.
    if (await isComplete(dir, pins)) return { dir, paths: binaryPathsIn(dir), source: 'cache', pins };
    // Only the lock holder creates or touches `.partial`.
    await mkdir(partial, { recursive: true });
    const missing = await missingIn(partial, pins);
    const mirror = env.BEAMLINE_DOWNLOAD_MIRROR;
    let source: BinarySource;
    if (mirror !== undefined && mirror !== '') {
      source = 'mirror';
      await downloadFromMirror({ mirror, pins, targetDir: partial, progress });
    } else {
      source = 'go-build';
      if (missing.length < BINARY_NAMES.length) progress.step(`resuming: ${BINARY_NAMES.length - missing.length} binaries already built`);
      if (missing.length > 0) await buildFromGoModules({ pins, targetDir: partial, names: missing, progress });
    }
    progress.step('checking the version of every binary');
    await checkAll(partial, pins);
    await writeFile(`${partial}/${COMPLETE_MARKER}`, `${JSON.stringify({ pins, source, at: new Date().toISOString() }, undefined, 2)}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(partial, dir);
    progress.step(`ready: ${dir}`);
    return { dir, paths: binaryPathsIn(dir), source, pins };
  } finally {
    await release();
  }
}
