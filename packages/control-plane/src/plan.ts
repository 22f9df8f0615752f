import { join } from 'node:path';
import type { BinaryPaths } from '@beamline/binaries';
import { apiServerArgs, controllerManagerArgs, etcdArgs, kwokArgs, loadBalancerArgs, schedulerArgs } from './components.ts';
import { componentKubeconfig, type Layout } from './layout.ts';
import { freePorts } from './ports.ts';
import type { ComponentSelection, ComponentSpec, ControlPlanePorts } from './state.ts';

/** The service range of every plane; 10.96.0.1 (the `kubernetes` Service) is in the serving certificate. */
export const SERVICE_CIDR = '10.96.0.0/12';

/**
 * What three apiservers on one host need. They share an address but not a port, so each would
 * rewrite the `kubernetes` Service's endpoints with its own port: nobody keeps them (`none`). An
 * apiserver's identity lease is named after a hash of the host name, so all three would renew one
 * lease and conflict on every renewal: identity leases are off, and with them the mixed-version
 * peer proxy that depends on them (all three run the same version anyway).
 */
const HA_API_SERVER_FLAGS = {
  endpointReconcilerType: 'none',
  featureGates: { APIServerIdentity: false, UnknownVersionInteroperabilityProxy: false },
} as const;

/** Picks free ports on 127.0.0.1 for every component a plane of this shape runs. */
export async function pickPorts(replicas: 1 | 3, selection: ComponentSelection): Promise<ControlPlanePorts> {
  const optional = [selection.controllerManager, selection.scheduler, selection.kwok].filter(Boolean).length;
  const loadBalancer = replicas > 1 ? 1 : 0;
  const free = await freePorts(replicas * 3 + loadBalancer + optional);
  const take = (): number => {
    const port = free.shift();
    if (port === undefined) throw new Error('failed to pick ports: too few');
    return port;
  };
  const etcd = Array.from({ length: replicas }, () => ({ client: take(), peer: take() }));
  const apiServers = Array.from({ length: replicas }, take);
  const endpoint = replicas > 1 ? take() : (apiServers[0] ?? 0);
  return {
    endpoint,
    etcd,
    apiServers,
    ...(selection.controllerManager ? { controllerManager: take() } : {}),
    ...(selection.scheduler ? { scheduler: take() } : {}),
    ...(selection.kwok ? { kwok: take() } : {}),
  };
}

/** What {@link planComponents} decides from. */
export interface PlanInput {
  readonly name: string;
  readonly layout: Layout;
  readonly replicas: 1 | 3;
  readonly selection: ComponentSelection;
  readonly ports: ControlPlanePorts;
  readonly binaries: BinaryPaths;
  /** Node, which runs the load balancer. */
  readonly nodeBinary: string;
  readonly unsafeNoFsync: boolean;
  /** Distinguishes this plane's etcd members at bootstrap. */
  readonly etcdToken: string;
  /** Keep an audit log of changes (`logs/audit.log`). */
  readonly auditLog?: boolean;
  /** A simulated (kwok) cluster: its Go components get {@link SIMULATION_GO_ENV}. */
  readonly simulation?: boolean;
}

/**
 * The Go runtime's tuning of a simulated cluster's components (never the management plane's), by
 * binary: the garbage collector runs when the heap has grown by a quarter (kube-apiserver, most of
 * an idle cluster's memory) or a half instead of doubled, which trades some CPU for memory where it
 * matters most: many idle clusters on one machine. It is proportional, so a busy cluster's heap
 * still grows as it needs (a fixed GOMEMLIMIT would make a 10,000-node cluster collect all the
 * time). Measured in `docs/design/performance.md`.
 */
export const SIMULATION_GO_ENV: Readonly<Record<'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok', Readonly<Record<string, string>>>> = {
  etcd: { GOGC: '50' },
  'kube-apiserver': { GOGC: '25' },
  'kube-controller-manager': { GOGC: '50' },
  'kube-scheduler': { GOGC: '50' },
  kwok: { GOGC: '50' },
};

/**
 * Every component of a plane with its exact command line and probe, in start order. Pure: the
 * result goes to `state.json` before anything starts, and a resume starts the same commands.
 *
 * With one replica the names are `etcd` and `kube-apiserver` and the apiserver's port is the
 * endpoint; with three they are `etcd-<i>`, `kube-apiserver-<i>` and `load-balancer`, which
 * listens on the endpoint. The controllers talk to the endpoint either way.
 */
export function planComponents(input: PlanInput): ComponentSpec[] {
  const { layout, ports, replicas } = input;
  const ha = replicas > 1;
  const server = `https://127.0.0.1:${ports.endpoint}`;
  const specs: ComponentSpec[] = [];
  const goEnv = (binary: keyof typeof SIMULATION_GO_ENV): { env?: Readonly<Record<string, string>> } => (input.simulation === true ? { env: SIMULATION_GO_ENV[binary] } : {});

  const members = ports.etcd.map((member, i) => ({ ...member, name: `etcd-${i}` }));
  const initialCluster = members.map((m) => `${m.name}=https://127.0.0.1:${m.peer}`).join(',');
  for (const member of members) {
    specs.push({
      name: ha ? member.name : 'etcd',
      binaryName: 'etcd',
      ...goEnv('etcd'),
      binary: input.binaries.etcd,
      args: etcdArgs({
        name: member.name,
        dataDir: join(layout.dir, ha ? member.name : 'etcd'),
        clientPort: member.client,
        peerPort: member.peer,
        pki: layout.pki,
        initialCluster,
        ...(ha ? { initialClusterToken: input.etcdToken } : {}),
        unsafeNoFsync: input.unsafeNoFsync,
      }),
      stage: 0,
      probe: { url: `https://127.0.0.1:${member.client}/health`, tls: 'etcd-client' },
    });
  }

  const etcdServers = members.map((m) => `https://127.0.0.1:${m.client}`);
  ports.apiServers.forEach((port, i) => {
    specs.push({
      name: ha ? `kube-apiserver-${i}` : 'kube-apiserver',
      binaryName: 'kube-apiserver',
      ...goEnv('kube-apiserver'),
      binary: input.binaries['kube-apiserver'],
      args: apiServerArgs({
        securePort: port,
        etcdServers,
        pki: layout.pki,
        serviceClusterIpRange: SERVICE_CIDR,
        authenticationConfigFile: layout.authenticationConfig,
        ...(input.auditLog === true ? { audit: { policyFile: layout.auditPolicy, logFile: ha ? layout.auditLog.replace(/\.log$/, `-${i}.log`) : layout.auditLog } } : {}),
        ...(ha ? HA_API_SERVER_FLAGS : {}),
      }),
      stage: 1,
      probe: { url: `https://127.0.0.1:${port}/readyz`, tls: 'cluster-ca' },
    });
  });

  if (ha) {
    specs.push({
      name: 'load-balancer',
      binaryName: 'load-balancer',
      binary: input.nodeBinary,
      args: loadBalancerArgs({ port: ports.endpoint, backendPorts: ports.apiServers, caCert: layout.pki.caCert }),
      stage: 2,
      probe: { url: `${server}/readyz`, tls: 'cluster-ca' },
    });
  }

  // None of these depends on another, only on the API: they start in parallel.
  const controllers = 3;
  if (ports.controllerManager !== undefined) {
    specs.push({
      name: 'kube-controller-manager',
      binaryName: 'kube-controller-manager',
      ...goEnv('kube-controller-manager'),
      binary: input.binaries['kube-controller-manager'],
      args: controllerManagerArgs({
        kubeconfig: componentKubeconfig(layout.dir, 'kube-controller-manager'),
        securePort: ports.controllerManager,
        pki: layout.pki,
        clusterName: input.name,
        serviceClusterIpRange: SERVICE_CIDR,
      }),
      stage: controllers,
      probe: { url: `https://127.0.0.1:${ports.controllerManager}/healthz`, tls: 'insecure' },
    });
  }
  if (ports.scheduler !== undefined) {
    specs.push({
      name: 'kube-scheduler',
      binaryName: 'kube-scheduler',
      ...goEnv('kube-scheduler'),
      binary: input.binaries['kube-scheduler'],
      args: schedulerArgs({ kubeconfig: componentKubeconfig(layout.dir, 'kube-scheduler'), securePort: ports.scheduler }),
      stage: controllers,
      probe: { url: `https://127.0.0.1:${ports.scheduler}/healthz`, tls: 'insecure' },
    });
  }
  if (ports.kwok !== undefined) {
    specs.push({
      name: 'kwok',
      binaryName: 'kwok',
      ...goEnv('kwok'),
      binary: input.binaries.kwok,
      args: kwokArgs({ kubeconfig: componentKubeconfig(layout.dir, 'kwok'), serverPort: ports.kwok }),
      stage: controllers,
      probe: { url: `http://127.0.0.1:${ports.kwok}/healthz`, tls: 'none' },
    });
  }
  return specs;
}

/** Selection implied by a mode, overridden field by field. */
export function selectionOf(
  mode: 'minimal' | 'full',
  overrides: { readonly controllerManager?: boolean; readonly scheduler?: boolean; readonly kwok?: boolean },
): ComponentSelection {
  const all = mode === 'full';
  return {
    controllerManager: overrides.controllerManager ?? all,
    scheduler: overrides.scheduler ?? all,
    kwok: overrides.kwok ?? all,
  };
}
