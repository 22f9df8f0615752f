/**
 * The product the `clusters` suite measures, set up as `beamline up` does it but throw-away: a
 * management control plane (etcd, kube-apiserver, kube-controller-manager for garbage collection),
 * the API installed with the default templates, and the real `beamline manager` as a child
 * process whose `--home` is a temporary folder, where it starts the kwok clusters (detached).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoordinationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { defaultTemplates, installApi } from '@beamline/install';
import { ensureBinaries, stderrProgress, type BinaryPaths } from '@beamline/binaries';
import {
  destroyControlPlane,
  freePort,
  isSameProcessAlive,
  probeStatus,
  readPidRecords,
  startControlPlane,
  startProcess,
  stopProcess,
  type ControlPlane,
  type PidRecord,
} from '@beamline/control-plane';
import type { ProcessRef } from './cpu.ts';
import { MANAGER_NODE_FLAGS } from '@beamline/cli';

/** The CLI entry point; the manager runs as `beamline manager`, as `beamline up` starts it. */
const CLI_BIN = fileURLToPath(new URL('../../../apps/cli/bin/beamline.js', import.meta.url));

/** Namespace of the manager's leader-election Lease. */
const LEASE_NAMESPACE = 'beamline-system';
/** The Lease `beamline manager` takes (apps/manager DEFAULT_LEASE_NAME). */
const LEASE_NAME = 'beamline-manager';

/** How long each setup step took, in seconds (for the notes). */
export interface SetupTimings {
  readonly managementPlaneS: number;
  readonly installApiS: number;
  readonly managerReadyS: number;
}

/** A running management plane with the manager, and where its clusters live. */
export interface BenchEnvironment {
  /** `$BEAMLINE_HOME` of the manager: kwok clusters are in `<home>/clusters/<namespace>/<name>/`. */
  readonly home: string;
  /** Admin access to the management cluster. */
  readonly kubeConfig: KubeConfig;
  readonly binaries: BinaryPaths;
  /** The manager's log (JSON lines), for error messages. */
  readonly managerLog: string;
  /** The manager's HTTP server (`/metrics`, `/api/webhook`). */
  readonly managerUrl: string;
  /** The manager's process id. */
  readonly managerPid: number;
  readonly setup: SetupTimings;
  /** True while the manager process runs. */
  managerAlive(): boolean;
  /** The manager, the management plane's components (`mgmt-*`) and this process (`bench`), for CPU accounting. */
  processes(): readonly ProcessRef[];
  /** Stops the manager, destroys every cluster left in `home`, stops the management plane, removes the folders. */
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every cluster folder under `<home>/clusters/<namespace>/<name>`. */
async function clusterDirs(home: string): Promise<string[]> {
  const root = join(home, 'clusters');
  const dirs: string[] = [];
  for (const namespace of await readdir(root).catch(() => [] as string[])) {
    for (const name of await readdir(join(root, namespace)).catch(() => [] as string[])) dirs.push(join(root, namespace, name));
  }
  return dirs;
}

/** Same as {@link clusterDirs}, synchronously (for the exit hook). */
function clusterDirsSync(home: string): string[] {
  const root = join(home, 'clusters');
  const list = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);
  return list(root).flatMap((namespace) => list(join(root, namespace)).map((name) => join(root, namespace, name)));
}

function killGroupNow(record: Pick<PidRecord, 'pid' | 'startTicks'>): void {
  if (!isSameProcessAlive(record)) return;
  try {
    process.kill(-record.pid, 'SIGKILL');
  } catch {
    try {
      process.kill(record.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

async function createNamespace(kubeConfig: KubeConfig, name: string): Promise<void> {
  try {
    await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw error;
  }
}

async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').slice(-lines).join('\n');
}

/**
 * Starts the management plane (`minimal` + kube-controller-manager, `owned`), installs the API
 * with {@link defaultTemplates}, creates the namespaces `namespaces`, and starts `beamline manager`
 * (`--home` a temporary folder); returns once the manager answers `/readyz` and holds its Lease.
 * Whatever fails on the way, everything started so far is stopped again. An exit hook kills the
 * manager and the clusters' processes if this Node process ends without {@link BenchEnvironment.close}.
 */
export async function startEnvironment(namespaces: readonly string[]): Promise<BenchEnvironment> {
  const binaries = (await ensureBinaries({ progress: stderrProgress('setup') })).paths;
  const root = await mkdtemp(join(tmpdir(), 'beamline-bench-clusters-'));
  const home = join(root, 'home');
  const pidDir = join(root, 'pids');
  const managerLog = join(root, 'manager.log');
  let plane: ControlPlane | undefined;
  let manager: PidRecord | undefined;

  const killNow = (): void => {
    if (manager !== undefined) killGroupNow(manager);
    for (const dir of clusterDirsSync(home)) for (const record of readPidRecords(join(dir, 'pids'))) killGroupNow(record);
    rmSync(root, { recursive: true, force: true });
    // The management plane is `owned`: @beamline/control-plane kills it and removes its folder on exit.
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    killNow();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('exit', killNow);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const close = async (): Promise<void> => {
    const errors: unknown[] = [];
    const attempt = async (step: () => Promise<void>): Promise<void> => {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    };
    // The manager first: it would start a cluster again whose folder went away under it.
    if (manager !== undefined) {
      const record = manager;
      await attempt(() => stopProcess(record, 10_000));
    }
    for (const dir of await clusterDirs(home)) await attempt(() => destroyControlPlane(dir));
    if (plane !== undefined) {
      const running = plane;
      await attempt(() => running.stop());
    }
    // BEAMLINE_BENCH_KEEP_LOG=<file>: keep the manager's log there (for looking into a slow run).
    const keepLog = process.env.BEAMLINE_BENCH_KEEP_LOG;
    if (keepLog !== undefined && keepLog !== '') await attempt(() => copyFile(managerLog, keepLog));
    await attempt(() => rm(root, { recursive: true, force: true }));
    process.off('exit', killNow);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (errors.length > 0) throw new Error(`failed to clean up the clusters bench: ${errors.map((e) => (e as Error).message).join('; ')}`);
  };

  try {
    let started = performance.now();
    plane = await startControlPlane({
      binaries,
      mode: 'minimal',
      controllerManager: true,
      lifetime: 'owned',
      dir: join(root, 'management'),
      name: 'bench-management',
    });
    const managementPlaneS = (performance.now() - started) / 1000;

    started = performance.now();
    await installApi(plane.kubeConfig, { templates: defaultTemplates() });
    for (const namespace of [LEASE_NAMESPACE, ...namespaces]) await createNamespace(plane.kubeConfig, namespace);
    const installApiS = (performance.now() - started) / 1000;

    started = performance.now();
    await mkdir(pidDir, { recursive: true });
    await mkdir(home, { recursive: true });
    const port = await freePort();
    const child = startProcess({
      name: 'manager',
      binary: process.execPath,
      // As `beamline up` starts it (MANAGER_NODE_FLAGS), plus BEAMLINE_BENCH_MANAGER_NODE_ARGS
      // (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) for profiling.
      args: [...MANAGER_NODE_FLAGS, ...(process.env.BEAMLINE_BENCH_MANAGER_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== ''), CLI_BIN, 'manager', '--kubeconfig', plane.kubeconfigPath, '--home', home, '--port', String(port), '--lease-namespace', LEASE_NAMESPACE],
      logFile: managerLog,
      pidDir,
      env: { ...process.env, BEAMLINE_HOME: home },
    });
    manager = { name: 'manager', pid: child.pid, startTicks: child.startTicks, binary: process.execPath };
    const leases = plane.kubeConfig.makeApiClient(CoordinationV1Api);
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (!child.isRunning()) throw new Error(`the manager exited while starting\n--- ${managerLog} ---\n${await tail(managerLog)}`);
      if ((await probeStatus(`http://127.0.0.1:${port}/readyz`)) === 200) {
        const lease = await leases.readNamespacedLease({ name: LEASE_NAME, namespace: LEASE_NAMESPACE }).catch(() => undefined);
        if ((lease?.spec?.holderIdentity ?? '') !== '') break;
      }
      if (Date.now() > deadline) throw new Error(`the manager was not ready and leading after 120 s\n--- ${managerLog} ---\n${await tail(managerLog)}`);
      await sleep(100);
    }
    const managerReadyS = (performance.now() - started) / 1000;

    const kubeConfig = plane.kubeConfig;
    const management = plane.components.map((component) => ({ name: `mgmt-${component.name}`, pid: component.pid }));
    return {
      home,
      kubeConfig,
      binaries,
      managerLog,
      managerUrl: `http://127.0.0.1:${port}`,
      managerPid: child.pid,
      setup: { managementPlaneS, installApiS, managerReadyS },
      managerAlive: () => child.isRunning(),
      processes: () => [{ name: 'manager', pid: child.pid }, ...management, { name: 'bench', pid: process.pid }],
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/** The last lines of the manager's log, for error messages. */
export function managerLogTail(environment: Pick<BenchEnvironment, 'managerLog'>, lines = 30): Promise<string> {
  return tail(environment.managerLog, lines);
}
