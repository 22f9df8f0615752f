import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BinaryName } from '@beamline/binaries';

/** `minimal`: etcd + kube-apiserver. `full`: also kube-controller-manager, kube-scheduler and kwok. */
export type ControlPlaneMode = 'minimal' | 'full';

/**
 * `owned`: the processes end with this Node process (killed on exit and on SIGINT/SIGTERM/SIGHUP)
 * and the folder is removed; for tests and throwaway planes. `detached`: they outlive it, for the
 * sandbox and provider clusters that are adopted again later.
 */
export type ControlPlaneLifetime = 'owned' | 'detached';

/** Which optional components run beside etcd and kube-apiserver. */
export interface ComponentSelection {
  readonly controllerManager: boolean;
  readonly scheduler: boolean;
  readonly kwok: boolean;
}

/** Ports of a control plane, all on 127.0.0.1. */
export interface ControlPlanePorts {
  /** What clients use: the load balancer with 3 replicas, the apiserver's port with 1. */
  readonly endpoint: number;
  /** One entry per etcd member. */
  readonly etcd: readonly { readonly client: number; readonly peer: number }[];
  /** One per kube-apiserver. */
  readonly apiServers: readonly number[];
  readonly controllerManager?: number;
  readonly scheduler?: number;
  readonly kwok?: number;
}

/**
 * How a component's readiness probe is made: plain HTTP (`none`), HTTPS without verification
 * (`insecure`: components with self-generated serving certificates), HTTPS verified against the
 * plane's CA (`cluster-ca`), or HTTPS verified against the etcd CA with the apiservers' etcd
 * client certificate (`etcd-client`: etcd refuses clients without one, its `/health` included).
 */
export type ProbeTlsKind = 'none' | 'insecure' | 'cluster-ca' | 'etcd-client';

/** A GET that answers 200 once the component is ready. */
export interface ComponentProbe {
  readonly url: string;
  readonly tls: ProbeTlsKind;
}

/**
 * Which executable runs a component: a Kubernetes binary by its name in `BinaryPaths`, or
 * `load-balancer`, Node running `lb/lb-process.ts` (its first argument).
 */
export type ComponentBinaryName = BinaryName | 'load-balancer';

/** Everything needed to start one component again, exactly as it was started. */
export interface ComponentSpec {
  /** Unique in the plane; also the name of its pid and log files. */
  readonly name: string;
  readonly binaryName: ComponentBinaryName;
  /** Absolute path of the executable. */
  readonly binary: string;
  readonly args: readonly string[];
  /**
   * Environment variables added to the process's (the Go runtime's tuning of a simulated cluster:
   * {@link SIMULATION_GO_ENV}). Kept in `state.json` like the arguments, so a resume starts the
   * process exactly as the first start did.
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Components of one stage start together and are waited for together; stages run in order
   * (etcd members, apiservers, load balancer, then the controllers).
   */
  readonly stage: number;
  readonly probe: ComponentProbe;
}

/** Version of the `state.json` format. */
export const STATE_VERSION = 1;

/**
 * `<dir>/state.json`, written (atomically) before any component starts, and again with
 * `ready: true` once every component has passed its probe. {@link sweepOrphans} reads the owner,
 * `resumeControlPlane` the components, `kubeconfigYamlForDir` the name and server.
 */
export interface ControlPlaneState {
  readonly version: number;
  readonly name: string;
  readonly mode: ControlPlaneMode;
  readonly selection: ComponentSelection;
  readonly lifetime: ControlPlaneLifetime;
  readonly replicas: 1 | 3;
  /** `https://127.0.0.1:<endpoint port>` */
  readonly server: string;
  readonly ports: ControlPlanePorts;
  readonly unsafeNoFsync: boolean;
  /** The Node process that started the plane (the owner of an `owned` plane). */
  readonly owner: { readonly pid: number; readonly startTicks: string | undefined };
  /** Every component in start order. */
  readonly components: readonly ComponentSpec[];
  /**
   * The completion marker: false until the first start (or a resume) saw every component ready.
   * A folder whose state says false belongs to a start that never finished: a new start destroys
   * it and starts afresh.
   */
  readonly ready: boolean;
  readonly createdAt: string;
  readonly readyAt?: string;
}

/** Path of the state file in a control plane's folder. */
export function stateFileOf(dir: string): string {
  return join(dir, 'state.json');
}

/** Writes `state.json` atomically: a reader sees the old or the new file, never half of one. */
export async function writeState(dir: string, state: ControlPlaneState): Promise<void> {
  const target = stateFileOf(dir);
  const temporary = `${target}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, `${JSON.stringify(state, undefined, 2)}\n`);
    await rename(temporary, target);
  } catch (error) {
    throw new Error(`failed to write ${target}: ${(error as Error).message}`, { cause: error });
  }
}

/** Reads `state.json`, or undefined when the folder has none. Throws when it cannot be parsed. */
export async function readStateIfAny(dir: string): Promise<ControlPlaneState | undefined> {
  const path = stateFileOf(dir);
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ControlPlaneState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`failed to read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Reads `state.json`; throws when there is none, or when it has another format version than this
 * launcher writes (planes started by an older launcher cannot be resumed, only destroyed).
 */
export async function readState(dir: string): Promise<ControlPlaneState> {
  const state = await readStateIfAny(dir);
  if (state === undefined) throw new Error(`failed to read ${stateFileOf(dir)}: no control plane in ${dir}`);
  if (state.version !== STATE_VERSION || !Array.isArray(state.components)) {
    throw new Error(`failed to read ${stateFileOf(dir)}: format version ${String(state.version)}, this launcher reads ${STATE_VERSION}`);
  }
  return state;
}
