import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import type { BinaryPaths } from '@beamline/binaries';
import { AUDIT_POLICY, writeAuthenticationConfig, type JwtIssuer } from './authentication.ts';
import { destroyControlPlane } from './destroy.ts';
import { writeEtcdPki } from './etcd-tls.ts';
import { kubeconfigYaml, type KubeconfigParts } from './kubeconfig.ts';
import { componentKubeconfig, layoutOf, type Layout } from './layout.ts';
import { createCertificateAuthority, createServiceAccountKeys, loadCertificateAuthority, type CertificateAuthority } from './pki.ts';
import { pickPorts, planComponents, selectionOf } from './plan.ts';
import { isSameProcessAlive, processStartTicks, type ComponentProcess } from './processes.ts';
import { ComponentStartError } from './readiness.ts';
import { registerOwned } from './registry.ts';
import { bringUp, planeHandle, stopInStages, withStages } from './running.ts';
import {
  readStateIfAny,
  STATE_VERSION,
  writeState,
  type ComponentSelection,
  type ControlPlaneLifetime,
  type ControlPlaneMode,
  type ControlPlaneState,
} from './state.ts';

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  readonly binaries: BinaryPaths;
  /** Which components run by default: `minimal` none beside etcd and kube-apiserver, `full` all. */
  readonly mode?: ControlPlaneMode;
  /** Run kube-controller-manager; overrides what `mode` implies. */
  readonly controllerManager?: boolean;
  /** Run kube-scheduler; overrides what `mode` implies. */
  readonly scheduler?: boolean;
  /** Run kwok's controller; overrides what `mode` implies. */
  readonly kwok?: boolean;
  /**
   * 1 (default): one etcd and one kube-apiserver, whose port is the endpoint. 3: three etcd members,
   * three apiservers and a TCP load balancer on the endpoint that skips dead apiservers.
   */
  readonly controlPlaneReplicas?: 1 | 3;
  readonly lifetime?: ControlPlaneLifetime;
  /** Name of the cluster in kubeconfigs and certificates. */
  readonly name?: string;
  /**
   * Folder of this control plane (created if missing). Default: a new folder under
   * `${TMPDIR}/beamline-control-planes/`, where {@link sweepOrphans} looks for leftovers. A folder
   * that already holds a started plane is refused (see {@link resumeControlPlane}); one whose start
   * never completed is destroyed first.
   */
  readonly dir?: string;
  /** Skip fsync in etcd. Default: true for `owned`, false for `detached` planes. */
  readonly unsafeNoFsync?: boolean;
  /** How long each component may take to become ready. Default 60 s. */
  readonly componentTimeoutMs?: number;
  /**
   * OIDC issuers the apiservers trust from the start (none by default). Change them later with
   * `writeAuthenticationConfig(dir, issuers)`: the apiservers reload the file.
   */
  readonly authentication?: readonly JwtIssuer[];
  /** Keep an audit log of every change in `<dir>/logs/audit.log` (the sandbox's management plane does). */
  readonly auditLog?: boolean;
  /**
   * A simulated cluster (the kwok provider's): the Go runtime of its components is tuned for many
   * idle clusters on one machine ({@link SIMULATION_GO_ENV}). Never for a management plane.
   */
  readonly simulation?: boolean;
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
  /** The optional components that run. */
  readonly selection: ComponentSelection;
  readonly lifetime: ControlPlaneLifetime;
  /** Number of etcd members and apiservers. */
  readonly replicas: 1 | 3;
  readonly dir: string;
  /** `https://127.0.0.1:<port>`: the load balancer with 3 replicas, the apiserver with 1. */
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
  /**
   * Stops every component (reverse order) and, for `owned` planes, removes the folder. A `detached`
   * plane's folder stays: `resumeControlPlane` starts it again, `destroyControlPlane` removes it.
   */
  stop(): Promise<void>;
}

/** Root folder of control planes that got no explicit folder. */
export const DEFAULT_CONTROL_PLANE_ROOT = join(tmpdir(), 'beamline-control-planes');

const ADMIN: UserIdentity = { name: 'beamline-admin', groups: ['system:masters'] };

/** The identity of each optional component (its own, so audit entries and RBAC errors name it). */
const COMPONENT_IDENTITIES = {
  // The controller-manager runs every controller with its own credentials (no per-controller
  // service accounts), so it needs the rights of all of them.
  'kube-controller-manager': { name: 'system:kube-controller-manager', groups: ['system:masters'] },
  'kube-scheduler': { name: 'system:kube-scheduler', groups: [] },
  kwok: { name: 'kwok-controller', groups: ['system:masters'] },
} as const;

async function writePki(layout: Layout, ca: CertificateAuthority, name: string): Promise<void> {
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
    writeEtcdPki(layout, name),
  ]);
}

/**
 * Starts a real Kubernetes control plane: etcd and kube-apiserver with a fresh CA, serving and
 * client certificates and service-account keys, RBAC on, every port picked free at run time on
 * 127.0.0.1; optionally kube-controller-manager, kube-scheduler and kwok's controller (all of them
 * in `full` mode), so Deployments get Pods that run on simulated Nodes and Jobs complete. With
 * `controlPlaneReplicas: 3`, three etcd members and three apiservers behind a TCP load balancer.
 *
 * Before any process starts, `state.json` records every component's command line; once all are
 * ready it is marked `ready: true`. Each component logs to `<dir>/logs/<name>.log` and records
 * itself in `<dir>/pids/<name>.pid`. When a component fails to start, everything started so far
 * is stopped and the error carries the component's log tail.
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

/**
 * Makes `dir` ready for a fresh start. A plane that completed its start is refused when it may
 * still be in use (any `detached` one; an `owned` one whose owner lives); anything else there (a
 * start that never completed, the plane of a dead owner) is destroyed first.
 */
async function clearFolder(dir: string): Promise<void> {
  const existing = await readStateIfAny(dir);
  if (existing === undefined) return;
  const inUse = existing.ready === true && (existing.lifetime === 'detached' || isSameProcessAlive(existing.owner));
  if (inUse) {
    throw new Error(
      `failed to start control plane: ${dir} already holds a started control plane; resume it with resumeControlPlane() or remove it with destroyControlPlane()`,
    );
  }
  await destroyControlPlane(dir);
}

async function startOnce(options: ControlPlaneOptions, lifetime: ControlPlaneLifetime): Promise<ControlPlane> {
  const mode = options.mode ?? 'minimal';
  const name = options.name ?? 'beamline';
  const replicas = options.controlPlaneReplicas ?? 1;
  const selection = selectionOf(mode, options);
  const unsafeNoFsync = options.unsafeNoFsync ?? lifetime === 'owned';
  const timeoutMs = options.componentTimeoutMs ?? 60_000;
  const createdDir = options.dir === undefined;
  let dir: string;
  if (options.dir === undefined) {
    await mkdir(DEFAULT_CONTROL_PLANE_ROOT, { recursive: true });
    dir = await mkdtemp(join(DEFAULT_CONTROL_PLANE_ROOT, `${name}-`));
  } else {
    dir = options.dir;
    await clearFolder(dir);
  }
  const layout = layoutOf(dir);

  const started: ComponentProcess[] = [];
  const unregister =
    lifetime === 'owned' ? registerOwned({ processes: () => started, dir, removeDir: true }) : () => undefined;
  let state: ControlPlaneState | undefined;
  try {
    await Promise.all([layout.pkiDir, layout.logDir, layout.pidDir].map((d) => mkdir(d, { recursive: true })));
    const ports = await pickPorts(replicas, selection);
    const server = `https://127.0.0.1:${ports.endpoint}`;

    // Every file a component reads exists before state.json does: a resume of a start that was
    // interrupted right after it finds everything it needs.
    const ca = await createCertificateAuthority(`${name}-ca`);
    const partsFor = async (identity: UserIdentity): Promise<KubeconfigParts> => ({
      name,
      server,
      caPem: ca.certPem,
      user: identity.name,
      ...(await ca.issueClient(identity.name, identity.groups ?? [])),
    });
    const kubeconfigs = Object.entries(COMPONENT_IDENTITIES)
      .filter(([component]) => selected(selection, component))
      .map(([component, identity]) => ({ path: componentKubeconfig(dir, component), identity }));
    await Promise.all([
      writePki(layout, ca, name),
      (async () => {
        // Both live in auth/, which the first write creates.
        await writeAuthenticationConfig(dir, options.authentication ?? []);
        if (options.auditLog === true) await writeFile(layout.auditPolicy, AUDIT_POLICY);
      })(),
      ...[{ path: layout.adminKubeconfig, identity: ADMIN }, ...kubeconfigs].map(async ({ path, identity }) =>
        writeFile(path, kubeconfigYaml(await partsFor(identity)), { mode: 0o600 }),
      ),
    ]);

    const components = planComponents({
      name,
      layout,
      replicas,
      selection,
      ports,
      binaries: options.binaries,
      nodeBinary: process.execPath,
      unsafeNoFsync,
      etcdToken: `${name}-${randomBytes(6).toString('hex')}`,
      auditLog: options.auditLog === true,
      simulation: options.simulation === true,
    });
    state = {
      version: STATE_VERSION,
      name,
      mode,
      selection,
      lifetime,
      replicas,
      server,
      ports,
      unsafeNoFsync,
      owner: { pid: process.pid, startTicks: processStartTicks(process.pid) },
      components,
      ready: false,
      createdAt: new Date().toISOString(),
    };
    await writeState(dir, state);

    const running = await bringUp({ dir, state, timeoutMs, adopt: false, started });
    state = { ...state, ready: true, readyAt: new Date().toISOString() };
    await writeState(dir, state);
    return await planeHandle({ dir, state, components: running, afterStop: unregister });
  } catch (error) {
    await stopInStages(withStages(state?.components ?? [], started));
    unregister();
    if (createdDir || lifetime === 'owned') await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function selected(selection: ComponentSelection, component: string): boolean {
  switch (component) {
    case 'kube-controller-manager':
      return selection.controllerManager;
    case 'kube-scheduler':
      return selection.scheduler;
    case 'kwok':
      return selection.kwok;
    default:
      return false;
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
