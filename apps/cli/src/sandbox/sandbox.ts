import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { defaultTemplates, installApi } from '@beamline/install';
import { ensureBinaries, type Progress } from '@beamline/binaries';
import {
  controlPlaneStatus,
  destroyControlPlane,
  ensureAuthenticationConfig,
  freePort,
  isSameProcessAlive,
  probeStatus,
  readPidRecords,
  readStateIfAny,
  resumeControlPlane,
  startControlPlane,
  startProcess,
  stopProcess,
} from '@beamline/control-plane';
import { stopIdentityProvider } from '@beamline/oidc-provider';
import { ensurePortalBuilt } from '@beamline/portal';
import { jwtIssuersOf } from '@beamline/providers';
import type { Identity } from '@beamline/api';
import { MANAGER_NODE_FLAGS } from '../manager-flags.ts';
import { applyIdentity, ensureDemoProjects, ensureIdentityProvider, identityProviderDir, sandboxIdentity } from './identity.ts';
import { chooseManagerPort, isPortFree } from './manager-port.ts';
import { ensurePrivateDir, ensurePrivateFile, PRIVATE_FILE_MODE } from './private-files.ts';

/** The CLI entry point, which the sandbox runs again as `beamline manager` in its own process. */
const CLI_BIN = fileURLToPath(new URL('../../bin/beamline.js', import.meta.url));

/** Where everything of the sandbox lives under `$BEAMLINE_HOME`. */
export interface SandboxLayout {
  readonly home: string;
  readonly managementDir: string;
  readonly kubeconfigPath: string;
  readonly clustersDir: string;
  readonly logDir: string;
  readonly pidDir: string;
  readonly managerFile: string;
}

/** The sandbox's folders and files. */
export function sandboxLayout(home: string): SandboxLayout {
  return {
    home,
    managementDir: join(home, 'management'),
    kubeconfigPath: join(home, 'management', 'admin.kubeconfig'),
    clustersDir: join(home, 'clusters'),
    logDir: join(home, 'logs'),
    pidDir: join(home, 'pids'),
    managerFile: join(home, 'manager.json'),
  };
}

/** What `beamline up` reports. */
export interface SandboxInfo {
  readonly kubeconfigPath: string;
  readonly managerUrl: string;
  readonly managerLog: string;
  /** True when the management plane was already running (a second `up`). */
  readonly alreadyRunning: boolean;
  /** Said when the manager's port is not the one asked for or used before (its webhook URL changed). */
  readonly portNotice?: string;
  /** The embedded OIDC provider every apiserver trusts (its demo users are printed). */
  readonly issuer: string;
}

/** Options of {@link sandboxUp}. */
export interface SandboxUpOptions {
  /** `beamline up --port`: the manager's port (default: the one used before, else 8090). */
  readonly port?: number;
}

interface ManagerRecord {
  readonly pid: number;
  readonly startTicks: string | undefined;
  readonly url: string;
}

async function readManager(layout: SandboxLayout): Promise<ManagerRecord | undefined> {
  try {
    return JSON.parse(await readFile(layout.managerFile, 'utf8')) as ManagerRecord;
  } catch {
    return undefined;
  }
}

/** The port of a recorded manager URL (`http://127.0.0.1:8090`). */
function portOf(record: ManagerRecord | undefined): number | undefined {
  const port = record === undefined ? undefined : Number(new URL(record.url).port);
  return port === undefined || !Number.isInteger(port) || port <= 0 ? undefined : port;
}

/** Starts the management control plane, or resumes it (same ports, data and PKI) after `down`. */
async function ensureManagementPlane(layout: SandboxLayout, progress: Progress, identity: Identity): Promise<boolean> {
  const binaries = (await ensureBinaries({ progress })).paths;
  const trust = jwtIssuersOf(identity);
  const state = await readStateIfAny(layout.managementDir);
  if (state?.ready === true) {
    // An issuer that moved: the apiserver reloads the file. (A plane started before Beamline wrote
    // one runs without --authentication-config and trusts no issuer until it is made anew.)
    await ensureAuthenticationConfig(layout.managementDir, trust);
    const status = await controlPlaneStatus(layout.managementDir);
    if (status.ready && status.components.every((component) => component.alive)) return true;
    progress.step('resuming the management control plane');
    await resumeControlPlane(layout.managementDir, { binaries });
    return false;
  }
  progress.step('starting the management control plane (etcd, kube-apiserver, kube-controller-manager)');
  await startControlPlane({
    binaries,
    mode: 'minimal',
    // The controller-manager's garbage collector removes what a deleted Cluster owned.
    controllerManager: true,
    lifetime: 'detached',
    dir: layout.managementDir,
    name: 'beamline-management',
    // Every apiserver of the platform trusts the identity provider; who changed what is audited.
    authentication: trust,
    auditLog: true,
  });
  return false;
}

/**
 * Starts `beamline manager` as a detached process unless it already runs; waits for its /readyz.
 * Its port is stable across `up` (see {@link chooseManagerPort}), so webhook URLs keep working.
 */
/** The manager's port, decided before anything starts (the identity provider allows its callback): the running manager's, or a chosen one. */
type ManagerPlan = { readonly running: ManagerRecord; readonly port: number } | { readonly running?: undefined; readonly port: number; readonly notice?: string };

async function planManager(layout: SandboxLayout, requestedPort: number | undefined): Promise<ManagerPlan> {
  const existing = await readManager(layout);
  if (existing !== undefined && isSameProcessAlive(existing) && (await probeStatus(`${existing.url}/healthz`)) === 200) {
    if (requestedPort !== undefined && portOf(existing) !== requestedPort) {
      throw new Error(`the manager already runs at ${existing.url}: \`beamline down\` first to move it to port ${requestedPort}`);
    }
    return { running: existing, port: portOf(existing) ?? 0 };
  }
  const choice = await chooseManagerPort({ requested: requestedPort, remembered: portOf(existing), isFree: isPortFree, anyFreePort: freePort });
  return { port: choice.port, ...(choice.notice === undefined ? {} : { notice: choice.notice }) };
}

/**
 * Builds the portal web app the manager serves at `/` when it is missing or stale. Not fatal: the
 * API, the CLI and the controllers work without it, and the manager then answers 503 at `/`
 * saying how to build it, which is what we say here too.
 */
async function ensurePortalApp(progress: Progress): Promise<void> {
  try {
    await ensurePortalBuilt({ progress: (message) => progress.step(message) });
  } catch (error) {
    progress.step(`the portal web app could not be built (${(error as Error).message}); the manager answers 503 at / until \`npm run build:portal\` succeeds`);
  }
}

async function ensureManager(layout: SandboxLayout, progress: Progress, plan: ManagerPlan): Promise<{ record: ManagerRecord; notice?: string }> {
  await ensurePrivateDir(layout.logDir);
  await ensurePrivateDir(layout.pidDir);
  const logFile = join(layout.logDir, 'manager.log');
  // Also tightens a log an older Beamline left world-readable.
  await ensurePrivateFile(logFile);
  if (plan.running !== undefined) return { record: plan.running };
  await ensurePortalApp(progress);
  const port = plan.port;
  const url = `http://127.0.0.1:${port}`;
  progress.step(`starting the manager on port ${port} (log: ${logFile})`);
  const child = startProcess({
    name: 'manager',
    binary: process.execPath,
    args: [...MANAGER_NODE_FLAGS, CLI_BIN, 'manager', '--kubeconfig', layout.kubeconfigPath, '--home', layout.home, '--port', String(port)],
    logFile,
    pidDir: layout.pidDir,
    env: { ...process.env, BEAMLINE_HOME: layout.home },
  });
  const record: ManagerRecord = { pid: child.pid, startTicks: readPidRecords(layout.pidDir).find((r) => r.name === 'manager')?.startTicks, url };
  await writeFile(layout.managerFile, `${JSON.stringify(record, undefined, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  const deadline = Date.now() + 120_000;
  while ((await probeStatus(`${url}/readyz`)) !== 200) {
    if (!child.isRunning()) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`failed to start the manager: it exited\n--- last lines of ${logFile} ---\n${log.split('\n').slice(-20).join('\n')}`);
    }
    if (Date.now() > deadline) throw new Error(`failed to start the manager: not ready after 120 s (see ${logFile})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { record, ...(plan.notice === undefined ? {} : { notice: plan.notice }) };
}

/**
 * `beamline up`: a persistent local Beamline. Starts (or resumes) the management control plane
 * under `$BEAMLINE_HOME/management`, installs the CRDs, admission policies, the PlatformConfig and
 * the default templates (small, gpu, ha), and starts the manager, which adopts or restarts the
 * workload clusters it finds. Idempotent: a second `up` finds everything again.
 */
export async function sandboxUp(home: string, progress: Progress, options: SandboxUpOptions = {}): Promise<SandboxInfo> {
  const layout = sandboxLayout(home);
  // 0700, and an existing home is tightened: the admin kubeconfig, PKI and etcd data are inside.
  await ensurePrivateDir(home);
  const plan = await planManager(layout, options.port);
  progress.step('starting the identity provider (OIDC, with demo users)');
  const provider = await ensureIdentityProvider(home, plan.port);
  const identity = sandboxIdentity(provider);
  const firstStart = (await readStateIfAny(layout.managementDir))?.ready !== true;
  const alreadyRunning = await ensureManagementPlane(layout, progress, identity);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(layout.kubeconfigPath);
  progress.step('installing the API (CRDs, admission policies, roles, PlatformConfig, default templates)');
  await installApi(kubeConfig, { templates: defaultTemplates() });
  await applyIdentity(kubeConfig, identity);
  await ensureDemoProjects(kubeConfig, firstStart);
  const manager = await ensureManager(layout, progress, plan);
  return {
    kubeconfigPath: layout.kubeconfigPath,
    managerUrl: manager.record.url,
    managerLog: join(layout.logDir, 'manager.log'),
    alreadyRunning,
    ...(manager.notice === undefined ? {} : { portNotice: manager.notice }),
    issuer: provider.issuer,
  };
}

/** The folders of every workload cluster: `<home>/clusters/<namespace>/<name>`. */
async function clusterDirs(layout: SandboxLayout): Promise<string[]> {
  const dirs: string[] = [];
  for (const namespace of await readdir(layout.clustersDir).catch(() => [] as string[])) {
    for (const name of await readdir(join(layout.clustersDir, namespace)).catch(() => [] as string[])) dirs.push(join(layout.clustersDir, namespace, name));
  }
  return dirs;
}

/** Stops every process of a detached plane (reverse start order), keeping its folder. */
async function stopPlane(dir: string): Promise<number> {
  const records = readPidRecords(join(dir, 'pids')).filter((record) => isSameProcessAlive(record));
  for (const record of records.reverse()) await stopProcess(record);
  return records.length;
}

/**
 * `beamline down`: stops the manager, every workload cluster's processes and the management plane.
 * Their folders stay, so the next `up` finds the same clusters; `purge` removes everything.
 */
export async function sandboxDown(home: string, purge: boolean, progress: Progress): Promise<void> {
  const layout = sandboxLayout(home);
  const manager = await readManager(layout);
  if (manager !== undefined && isSameProcessAlive(manager)) {
    progress.step('stopping the manager');
    await stopProcess(manager, 10_000);
  }
  for (const dir of await clusterDirs(layout)) {
    if (purge) await destroyControlPlane(dir);
    else if ((await stopPlane(dir)) > 0) progress.step(`stopped cluster ${dir.slice(layout.clustersDir.length + 1)}`);
  }
  if (existsSync(identityProviderDir(layout.home))) {
    progress.step('stopping the identity provider');
    await stopIdentityProvider(identityProviderDir(layout.home));
  }
  if (existsSync(layout.managementDir)) {
    progress.step('stopping the management control plane');
    if (purge) await destroyControlPlane(layout.managementDir);
    else await stopPlane(layout.managementDir);
  }
  if (purge) {
    await rm(home, { recursive: true, force: true });
    progress.step(`removed ${home}`);
  }
}
