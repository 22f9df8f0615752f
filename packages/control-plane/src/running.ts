import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane, UserIdentity } from './control-plane.ts';
import { kubeConfigOf, kubeconfigYaml, type KubeconfigParts } from './kubeconfig.ts';
import { layoutOf } from './layout.ts';
import { loadCertificateAuthority } from './pki.ts';
import { adoptProcess, isSameProcessAlive, readPidRecord, startProcess, stopProcess, type ComponentProcess } from './processes.ts';
import { probeStatus, waitUntilReady, type ProbeTls } from './readiness.ts';
import type { ComponentSpec, ControlPlaneState, ProbeTlsKind } from './state.ts';

/** The PEM material probes need, read from a plane's folder. */
export interface ProbeMaterial {
  /** The cluster CA. */
  readonly caPem: string;
  /** The etcd CA and the apiservers' etcd client certificate; undefined in a plane made before etcd had TLS. */
  readonly etcd?: { readonly caPem: string; readonly certPem: string; readonly keyPem: string };
}

/** Reads what {@link probeTlsOf} needs from the plane in `dir`. */
export async function readProbeMaterial(dir: string): Promise<ProbeMaterial> {
  const { pki } = layoutOf(dir);
  const caPem = await readFile(pki.caCert, 'utf8');
  const etcd = await Promise.all([pki.etcdCaCert, pki.apiServerEtcdClientCert, pki.apiServerEtcdClientKey].map((file) => readFile(file, 'utf8')))
    .then(([ca, cert, key]) => ({ caPem: ca ?? '', certPem: cert ?? '', keyPem: key ?? '' }))
    .catch(() => undefined);
  return { caPem, ...(etcd === undefined ? {} : { etcd }) };
}

/** The TLS settings of a probe of this kind. */
export function probeTlsOf(kind: ProbeTlsKind, material: ProbeMaterial): ProbeTls {
  switch (kind) {
    case 'none':
      return {};
    case 'insecure':
      return { insecure: true };
    case 'cluster-ca':
      return { ca: material.caPem };
    case 'etcd-client':
      if (material.etcd === undefined) throw new Error('failed to probe etcd: the etcd client certificate is missing from the plane\'s pki folder');
      return { ca: material.etcd.caPem, cert: material.etcd.certPem, key: material.etcd.keyPem };
  }
}

/** The environment of component processes: Node's test-runner marker would confuse the Node ones. */
function componentEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Options of {@link bringUp}. */
export interface BringUpOptions {
  readonly dir: string;
  readonly state: ControlPlaneState;
  readonly timeoutMs: number;
  /** Adopt a component whose pid file names a live process instead of starting it (resume). */
  readonly adopt: boolean;
  /** Receives every process started, as soon as it runs, so that the caller can stop it on failure. */
  readonly started: ComponentProcess[];
}

/**
 * Starts the plane's components stage by stage (all of a stage at once, then waits for each one's
 * probe); with `adopt`, live components are kept as they are and not probed. Returns every
 * component in start order. On failure, what it started is in `options.started`, still running.
 */
export async function bringUp(options: BringUpOptions): Promise<ComponentProcess[]> {
  const layout = layoutOf(options.dir);
  const material = await readProbeMaterial(options.dir);
  const stages = [...new Set(options.state.components.map((c) => c.stage))].sort((a, b) => a - b);
  const byName = new Map<string, ComponentProcess>();
  for (const stage of stages) {
    const waits: Promise<void>[] = [];
    for (const spec of options.state.components.filter((c) => c.stage === stage)) {
      const logFile = join(layout.logDir, `${spec.name}.log`);
      const record = options.adopt ? readPidRecord(layout.pidDir, spec.name) : undefined;
      if (record !== undefined && isSameProcessAlive(record)) {
        byName.set(spec.name, adoptProcess(record, logFile));
        continue;
      }
      const started = startProcess({
        name: spec.name,
        binary: spec.binary,
        args: spec.args,
        logFile,
        pidDir: layout.pidDir,
        cwd: options.dir,
        env: { ...componentEnv(), ...spec.env },
      });
      options.started.push(started);
      byName.set(spec.name, started);
      waits.push(waitUntilReady(started, spec.probe.url, probeTlsOf(spec.probe.tls, material), options.timeoutMs));
    }
    await Promise.all(waits);
  }
  return options.state.components.map((spec) => {
    const process = byName.get(spec.name);
    if (process === undefined) throw new Error(`failed to start ${spec.name}: not started`);
    return process;
  });
}

/** A process to stop, with the stage of its component. */
export interface StopEntry {
  readonly stage: number;
  readonly pid: number;
  readonly startTicks: string | undefined;
  /** Stop it alone, not in parallel with the rest of its stage. */
  readonly alone: boolean;
}

/**
 * Stops processes in reverse stage order (clients before the servers they talk to), the processes
 * of one stage in parallel, except etcd members: one at a time, because a member stopped while
 * its peers stop too can spend seconds handing leadership to a peer that is already gone.
 * Only the same processes: a reused pid is never signalled.
 */
export async function stopInStages(entries: readonly StopEntry[]): Promise<void> {
  const stages = [...new Set(entries.map((e) => e.stage))].sort((a, b) => b - a);
  const stop = (e: StopEntry): Promise<void> => stopProcess({ pid: e.pid, startTicks: e.startTicks });
  for (const stage of stages) {
    const inStage = entries.filter((e) => e.stage === stage);
    await Promise.all(inStage.filter((e) => !e.alone).map(stop));
    for (const entry of inStage.filter((e) => e.alone).reverse()) await stop(entry);
  }
}

/** Pairs processes with the stage of their component, in start order (unknown names last). */
export function withStages(specs: readonly ComponentSpec[], processes: readonly Pick<ComponentProcess, 'name' | 'pid' | 'startTicks'>[]): StopEntry[] {
  const last = Math.max(0, ...specs.map((s) => s.stage)) + 1;
  const index = (name: string): number => {
    const i = specs.findIndex((s) => s.name === name);
    return i === -1 ? specs.length : i;
  };
  return [...processes]
    .sort((a, b) => index(a.name) - index(b.name))
    .map((p) => {
      const spec = specs.find((s) => s.name === p.name);
      return { stage: spec?.stage ?? last, pid: p.pid, startTicks: p.startTicks, alone: (spec?.binaryName ?? p.name).startsWith('etcd') };
    });
}

/** Polls `<server>/readyz` until it answers 200 or `timeoutMs` passes. */
export async function waitForEndpoint(server: string, caPem: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await probeStatus(`${server}/readyz`, { ca: caPem })) === 200) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Options of {@link planeHandle}. */
export interface PlaneHandleOptions {
  readonly dir: string;
  readonly state: ControlPlaneState;
  readonly components: readonly ComponentProcess[];
  /** Called once the components are stopped (unregisters an owned plane). */
  readonly afterStop: () => void;
}

/** The {@link ControlPlane} of a plane whose components run, from the files in its folder. */
export async function planeHandle(options: PlaneHandleOptions): Promise<ControlPlane> {
  const { dir, state } = options;
  const layout = layoutOf(dir);
  const [caPem, caKeyPem] = await Promise.all([readFile(layout.pki.caCert, 'utf8'), readFile(layout.pki.caKey, 'utf8')]);
  const ca = await loadCertificateAuthority(caPem, caKeyPem);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(layout.adminKubeconfig);
  const partsFor = async (identity: UserIdentity): Promise<KubeconfigParts> => ({
    name: state.name,
    server: state.server,
    caPem,
    user: identity.name,
    ...(await ca.issueClient(identity.name, identity.groups ?? [])),
  });
  let stopped = false;
  return {
    name: state.name,
    mode: state.mode,
    selection: state.selection,
    lifetime: state.lifetime,
    replicas: state.replicas,
    dir,
    server: state.server,
    kubeconfigPath: layout.adminKubeconfig,
    kubeConfig,
    caPem,
    components: options.components,
    kubeConfigFor: async (identity) => kubeConfigOf(await partsFor(identity)),
    kubeconfigYamlFor: async (identity) => kubeconfigYaml(await partsFor(identity)),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopInStages(withStages(state.components, options.components));
      options.afterStop();
      if (state.lifetime === 'owned') await rm(dir, { recursive: true, force: true });
    },
  };
}
