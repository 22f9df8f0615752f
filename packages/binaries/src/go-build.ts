import { execFile, spawn } from 'node:child_process';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BINARY_SPECS, type BinaryName } from './catalog.ts';
import { TOOLS_DIR, type Pins } from './pins.ts';
import { formatDuration, withHeartbeat, type Progress } from './progress.ts';

const execFileAsync = promisify(execFile);

/** The Go release the wrapper modules declare (`go 1.26.0` in tools/k8s/<module>/go.mod). */
export const REQUIRED_GO = { major: 1, minor: 26 } as const;

/** Thrown when a tool the setup needs is not installed; the message says what to install. */
export class MissingToolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingToolError';
  }
}

const HOW_TO_AVOID_GO =
  'or set BEAMLINE_BIN_DIR to a folder holding etcd, kube-apiserver, kube-controller-manager, kube-scheduler, ' +
  'kubectl, kwok, kwokctl and helm, or BEAMLINE_DOWNLOAD_MIRROR to a mirror of their release downloads';

/** Checks that `go` is on PATH and new enough; returns its version line. */
export async function checkGo(goBinary = 'go'): Promise<string> {
  let output: string;
  try {
    ({ stdout: output } = await execFileAsync(goBinary, ['version'], { env: { ...process.env, GOTOOLCHAIN: 'local' } }));
  } catch {
    throw new MissingToolError(
      `go ${REQUIRED_GO.major}.${REQUIRED_GO.minor} or newer is needed to build the Kubernetes binaries and was not found on PATH: ` +
        `install Go (https://go.dev/doc/install; on Debian/Ubuntu the golang-${REQUIRED_GO.major}.${REQUIRED_GO.minor} package where available), ${HOW_TO_AVOID_GO}`,
    );
  }
  const match = /go(\d+)\.(\d+)/.exec(output);
  const major = Number(match?.[1] ?? 0);
  const minor = Number(match?.[2] ?? 0);
  if (major < REQUIRED_GO.major || (major === REQUIRED_GO.major && minor < REQUIRED_GO.minor)) {
    throw new MissingToolError(
      `go ${REQUIRED_GO.major}.${REQUIRED_GO.minor} or newer is needed to build the Kubernetes binaries, found "${output.trim()}": upgrade Go, ${HOW_TO_AVOID_GO}`,
    );
  }
  return output.trim();
}

/** The `go build` arguments for one binary (exported for tests and for people reproducing a build). */
export function goBuildArgs(name: BinaryName, pins: Pins, output: string): string[] {
  const spec = BINARY_SPECS[name];
  const stamps = spec.ldflagsX(pins).map((assignment) => `-X ${assignment}`);
  // -s -w: no symbol table or DWARF, which halves the binaries; nothing here is debugged with delve.
  return ['build', '-trimpath', '-ldflags', ['-s', '-w', ...stamps].join(' '), '-o', output, spec.goPackage];
}

function runGo(args: readonly string[], cwd: string, logTail: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, {
      cwd,
      // GOFLAGS cleared so a user's -mod=mod cannot rewrite the committed go.mod/go.sum;
      // GOTOOLCHAIN=local so Go never tries to download another toolchain (no network for it here).
      env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer): void => {
      logTail.push(...chunk.toString().split('\n').filter((line) => line !== ''));
      logTail.splice(0, Math.max(0, logTail.length - 40));
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`go ${args[0] ?? ''} exited with ${signal ?? `code ${String(code)}`}`));
    });
  });
}

/** Options of {@link buildFromGoModules}. */
export interface GoBuildOptions {
  readonly pins: Pins;
  /** Existing folder the binaries are written into. */
  readonly targetDir: string;
  /** Which binaries to build, in this order. */
  readonly names: readonly BinaryName[];
  readonly progress: Progress;
}

/**
 * Builds binaries from the upstream Go modules through the wrapper modules in `tools/k8s/`. Each
 * binary is linked to a temporary name and renamed into place, so an interrupted build never
 * leaves a half-written binary behind.
 */
export async function buildFromGoModules(options: GoBuildOptions): Promise<void> {
  const { pins, targetDir, names, progress } = options;
  const goVersion = await checkGo();
  progress.step(
    `building ${names.length} binaries from their Go modules with ${goVersion}; a cold build (empty Go cache) ` +
      'takes about 12 minutes on 2 cores (kube-apiserver alone 4) and ~6 GB of Go caches; later builds reuse them',
  );
  for (const [index, name] of names.entries()) {
    const spec = BINARY_SPECS[name];
    const output = join(targetDir, name);
    const partial = `${output}.partial`;
    const started = Date.now();
    progress.step(`building ${name} (${index + 1}/${names.length}) from ${spec.goPackage}`);
    const logTail: string[] = [];
    try {
      await withHeartbeat(progress, `building ${name}`, () => runGo(goBuildArgs(name, pins, partial), join(TOOLS_DIR, spec.module), logTail));
    } catch (error) {
      await rm(partial, { force: true });
      throw new Error(`failed to build ${name}: ${(error as Error).message}\n${logTail.join('\n')}`, { cause: error });
    }
    await rename(partial, output);
    progress.step(`built ${name} in ${formatDuration(Date.now() - started)}`);
  }
}
