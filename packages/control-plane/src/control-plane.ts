import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { BinaryPaths } from '@beamline/binaries';
import {
  apiServerArgs,
  controllerManagerArgs,
  etcdArgs,
  kwokArgs,
  schedulerArgs,
  type PkiFiles,
} from './components.ts';
import { kubeConfigOf, kubeconfigYaml, type KubeconfigParts } from './kubeconfig.ts';
import { createCertificateAuthority, createServiceAccountKeys, loadCertificateAuthority, type CertificateAuthority } from './pki.ts';
import { freePorts } from './ports.ts';
import { processStartTicks, startProcess, stopProcess, type ComponentProcess } from './processes.ts';
import { ComponentStartError, waitUntilReady } from './readiness.ts';
import { registerOwned } from './registry.ts';

/** `minimal`: etcd + kube-apiserver. `full`: also kube-controller-manager, kube-scheduler and kwok. */
export type ControlPlaneMode = 'minimal' | 'full';

/**
 * `owned`: the processes end with this Node process (killed on exit and on SIGINT/SIGTERM/SIGHUP)
 * and the folder is removed; for tests and throwaway planes. `detached`: they outlive it, for the
 * sandbox and provider clusters that are adopted again later.
 */
export type ControlPlaneLifetime = 'owned' | 'detached';

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  readonly binaries: BinaryPaths;
  readonly mode?: ControlPlaneMode;
  readonly lifetime?: ControlPlaneLifetime;
  /** Name of the cluster in kubeconfigs and certificates. */
  readonly name?: string;
  /**
   * Folder of this control plane (created if missing). Default: a new folder under
   * `${TMPDIR}/beamline-control-planes/`, where {@link sweepOrphans} looks for leftovers.
   */
  readonly dir?: string;
  /** Skip fsync in etcd. Default: true for `owned`, false for `detached` planes. */
  readonly unsafeNoFsync?: boolean;
  /** How long each component may take to become ready. Default 60 s. */
  readonly componentTimeoutMs?: number;
}

/** A user and the groups it belongs to, for {@link ControlPlane.kubeConfigFor}. */
export interface UserIdentity {
  readonly name: string;
  readonly groups?: readonly string[];
}

/** A running control plane. */
export interface ControlPlane {
  readonly name: string;
  readonly mode: ControlPlaneMode;
  readonly dir: string;
  /** `https://127.0.0.1:<port>` */
  readonly server: string;
  /** Admin kubeconfig file (user `beamline-admin`, group `system:masters`). */
  readonly kubeconfigPath: string;
  /** The admin kubeconfig, loaded. */
  readonly kubeConfig: KubeConfig;
  /** The cluster CA certificate, PEM. */
  readonly caPem: string;
  /** The running components, in start order. */
  readonly components: readonly ComponentProcess[];
  /** A kubeconfig authenticating as any user and groups, through a client certificate signed by the cluster CA. */
  kubeConfigFor(identity: UserIdentity): Promise<KubeConfig>;
  /** The same, as kubeconfig YAML. */
  kubeconfigYamlFor(identity: UserIdentity): Promise<string>;
  /** Stops every component (reverse order) and, for `owned` planes, removes the folder. */
  stop(): Promise<void>;
}

/** Root folder of `owned` control planes that got no explicit folder. */
export const DEFAULT_CONTROL_PLANE_ROOT = join(tmpdir(), 'beamline-control-planes');

/** State written to `<dir>/state.json`: what {@link sweepOrphans} and later adoption read. */
export interface ControlPlaneState {
  readonly name: string;
  readonly mode: ControlPlaneMode;
  readonly lifetime: ControlPlaneLifetime;
  readonly server: string;
  readonly ports: Readonly<Record<string, number>>;
  /** The Node process that owns an `owned` plane. */
  readonly owner: { readonly pid: number; readonly startTicks: string | undefined };
}

const SERVICE_CIDR = '10.96.0.0/12';
const ADMIN: UserIdentity = { name: 'beamline-admin', groups: ['system:masters'] };

interface Layout {
  readonly dir: string;
  readonly pkiDir: string;
  readonly logDir: string;
  readonly pidDir: string;
  readonly pki: PkiFiles;
}

function layoutOf(dir: string): Layout {
  const pkiDir = join(dir, 'pki');
  return {
    dir,
    pkiDir,
    logDir: join(dir, 'logs'),
    pidDir: join(dir, 'pids'),
    pki: {
      caCert: join(pkiDir, 'ca.crt'),
      caKey: join(pkiDir, 'ca.key'),
      apiServerCert: join(pkiDir, 'apiserver.crt'),
      apiServerKey: join(pkiDir, 'apiserver.key'),
      serviceAccountKey: join(pkiDir, 'sa.key'),
      serviceAccountPub: join(pkiDir, 'sa.pub'),
    },
  };
}

async function writePki(layout: Layout, ca: CertificateAuthority): Promise<void> {
  const serving = await ca.issueServing('kube-apiserver', {
    dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ips: ['127.0.0.1', '10.96.0.1'],
  });
  const sa = await createServiceAccountKeys();
  const secret = { mode: 0o600 } as const;
  await Promise.all([
    writeFile(layout.pki.caCert, ca.certPem),
    writeFile(layout.pki.caKey, ca.keyPem, secret),
    writeFile(layout.pki.apiServerCert, serving.certPem),
    writeFile(layout.pki.apiServerKey, serving.keyPem, secret),
    writeFile(layout.pki.serviceAccountKey, sa.privateKeyPem, secret),
    writeFile(layout.pki.serviceAccountPub, sa.publicKeyPem),
  ]);
}

/**
 * Starts a real Kubernetes control plane: etcd and kube-apiserver with a fresh CA, serving and
 * client certificates and service-account keys, RBAC on, every port picked free at run time on
 * 127.0.0.1; in `full` mode also kube-controller-manager, kube-scheduler and kwok's controller, so
 * Deployments get Pods that run on simulated Nodes and Jobs complete.
 *
 * Each component logs to `<dir>/logs/<name>.log` and records itself in `<dir>/pids/<name>.pid`.
 * When a component fails to start, everything started so far is stopped and the error carries the
 * component's log tail.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const lifetime = options.lifetime ?? 'owned';
  let lastError: unknown;
  // Ports are picked free but released before the components bind them: on the rare collision,
  // start again with new ports.
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await startOnce(options, lifetime);
    } catch (error) {
      lastError = error;
      const collided = error instanceof ComponentStartError && /address already in use/.test(error.log);
      if (!collided) throw error;
    }
  }
  throw lastError;
}

async function startOnce(options: ControlPlaneOptions, lifetime: ControlPlaneLifetime): Promise<ControlPlane> {
  const mode = options.mode ?? 'minimal';
  const name = options.name ?? 'beamline';
  const timeoutMs = options.componentTimeoutMs ?? 60_000;
  const createdDir = options.dir === undefined;
  let dir: string;
  if (options.dir === undefined) {
    await mkdir(DEFAULT_CONTROL_PLANE_ROOT, { recursive: true });
    dir = await mkdtemp(join(DEFAULT_CONTROL_PLANE_ROOT, `${name}-`));
  } else {
    dir = options.dir;
  }
  const layout = layoutOf(dir);
  await Promise.all([layout.pkiDir, layout.logDir, layout.pidDir].map((d) => mkdir(d, { recursive: true })));

  const [etcdClient = 0, etcdPeer = 0, apiPort = 0, kcmPort = 0, schedulerPort = 0, kwokPort = 0] = await freePorts(6);
  const ports: Record<string, number> = { etcdClient, etcdPeer, apiServer: apiPort };
  if (mode === 'full') Object.assign(ports, { controllerManager: kcmPort, scheduler: schedulerPort, kwok: kwokPort });
  const server = `https://127.0.0.1:${apiPort}`;
  const state: ControlPlaneState = {
    name,
    mode,
    lifetime,
    server,
    ports,
    owner: { pid: process.pid, startTicks: processStartTicks(process.pid) },
  };
  await writeFile(join(dir, 'state.json'), `${JSON.stringify(state, undefined, 2)}\n`);

  const components: ComponentProcess[] = [];
  const unregister =
    lifetime === 'owned'
      ? registerOwned({ processes: () => components.map((c) => ({ pid: c.pid, startTicks: undefined })), dir, removeDir: true })
      : () => undefined;

  const stopAll = async (): Promise<void> => {
    for (const component of [...components].reverse()) await stopProcess({ pid: component.pid, startTicks: undefined });
  };

  const start = (component: string, binary: string, args: string[]): ComponentProcess => {
    const started = startProcess({ name: component, binary, args, logFile: join(layout.logDir, `${component}.log`), pidDir: layout.pidDir, cwd: dir });
    components.push(started);
    return started;
  };

  const ca = await createCertificateAuthority(`${name}-ca`);
  const admin = await ca.issueClient(ADMIN.name, ADMIN.groups ?? []);
  const partsFor = (user: string, pair: { certPem: string; keyPem: string }): KubeconfigParts => ({
    name,
    server,
    caPem: ca.certPem,
    user,
    certPem: pair.certPem,
    keyPem: pair.keyPem,
  });
  try {
    await writePki(layout, ca);
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    await writeFile(kubeconfigPath, kubeconfigYaml(partsFor(ADMIN.name, admin)), { mode: 0o600 });

    const etcd = start('etcd', options.binaries.etcd, etcdArgs({
      name: 'etcd-0',
      dataDir: join(dir, 'etcd'),
      clientPort: etcdClient,
      peerPort: etcdPeer,
      unsafeNoFsync: options.unsafeNoFsync ?? lifetime === 'owned',
    }));
    await waitUntilReady(etcd, `http://127.0.0.1:${etcdClient}/health`, {}, timeoutMs);

    const apiServer = start('kube-apiserver', options.binaries['kube-apiserver'], apiServerArgs({
      securePort: apiPort,
      etcdServers: [`http://127.0.0.1:${etcdClient}`],
      pki: layout.pki,
      serviceClusterIpRange: SERVICE_CIDR,
    }));
    await waitUntilReady(apiServer, `${server}/readyz`, { ca: ca.certPem, cert: admin.certPem, key: admin.keyPem }, timeoutMs);

    if (mode === 'full') {
      // Each component gets its own identity, so the audit log and RBAC errors name who did what.
      const writeComponentKubeconfig = async (component: string, user: string, groups: string[]): Promise<string> => {
        const path = join(dir, `${component}.kubeconfig`);
        await writeFile(path, kubeconfigYaml(partsFor(user, await ca.issueClient(user, groups))), { mode: 0o600 });
        return path;
      };
      const [kcmConfig, schedulerConfig, kwokConfig] = await Promise.all([
        // The controller-manager runs every controller with its own credentials (no per-controller
        // service accounts), so it needs the rights of all of them.
        writeComponentKubeconfig('kube-controller-manager', 'system:kube-controller-manager', ['system:masters']),
        writeComponentKubeconfig('kube-scheduler', 'system:kube-scheduler', []),
        writeComponentKubeconfig('kwok', 'kwok-controller', ['system:masters']),
      ]);
      const kcm = start('kube-controller-manager', options.binaries['kube-controller-manager'], controllerManagerArgs({
        kubeconfig: kcmConfig,
        securePort: kcmPort,
        pki: layout.pki,
        clusterName: name,
        serviceClusterIpRange: SERVICE_CIDR,
      }));
      const scheduler = start('kube-scheduler', options.binaries['kube-scheduler'], schedulerArgs({ kubeconfig: schedulerConfig, securePort: schedulerPort }));
      const kwok = start('kwok', options.binaries.kwok, kwokArgs({ kubeconfig: kwokConfig, serverPort: kwokPort }));
      // The three start in parallel: none depends on another, only on the apiserver.
      await Promise.all([
        waitUntilReady(kcm, `https://127.0.0.1:${kcmPort}/healthz`, { insecure: true }, timeoutMs),
        waitUntilReady(scheduler, `https://127.0.0.1:${schedulerPort}/healthz`, { insecure: true }, timeoutMs),
        waitUntilReady(kwok, `http://127.0.0.1:${kwokPort}/healthz`, {}, timeoutMs),
      ]);
    }

    const kubeConfig = kubeConfigOf(partsFor(ADMIN.name, admin));
    let stopped = false;
    return {
      name,
      mode,
      dir,
      server,
      kubeconfigPath,
      kubeConfig,
      caPem: ca.certPem,
      components,
      kubeConfigFor: async (identity) => kubeConfigOf(partsFor(identity.name, await ca.issueClient(identity.name, identity.groups ?? []))),
      kubeconfigYamlFor: async (identity) => kubeconfigYaml(partsFor(identity.name, await ca.issueClient(identity.name, identity.groups ?? []))),
      stop: async () => {
        if (stopped) return;
        stopped = true;
        await stopAll();
        unregister();
        if (lifetime === 'owned') await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopAll();
    unregister();
    if (createdDir || lifetime === 'owned') await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A kubeconfig (YAML) for any user and groups on a running control plane, from its folder: the
 * client certificate is signed by the plane's CA. For tests and tools that did not start the plane
 * themselves but can read its folder.
 */
export async function kubeconfigYamlForDir(dir: string, identity: UserIdentity): Promise<string> {
  const layout = layoutOf(dir);
  const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
  const ca = await loadCertificateAuthority(await readFile(layout.pki.caCert, 'utf8'), await readFile(layout.pki.caKey, 'utf8'));
  const pair = await ca.issueClient(identity.name, identity.groups ?? []);
  return kubeconfigYaml({ name: state.name, server: state.server, caPem: ca.certPem, user: identity.name, ...pair });
}
