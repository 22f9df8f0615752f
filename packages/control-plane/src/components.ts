import { fileURLToPath } from 'node:url';

/**
 * Command lines of the control-plane components. Pure functions: they decide flags, nothing else,
 * so that single and HA control planes, the sandbox and tests all start components the same way.
 */

/** Files of the cluster's PKI, as paths on disk. */
export interface PkiFiles {
  readonly caCert: string;
  readonly caKey: string;
  readonly apiServerCert: string;
  readonly apiServerKey: string;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
  /**
   * etcd's own CA: etcd trusts every client certificate it signed, so it is not the cluster CA,
   * which signs users' certificates (and CSRs through the controller-manager).
   */
  readonly etcdCaCert: string;
  readonly etcdCaKey: string;
  /** Every etcd member's certificate (127.0.0.1, localhost), for its client port and its peers. */
  readonly etcdCert: string;
  readonly etcdKey: string;
  /** The apiservers' client certificate for etcd (the launcher's probes use it too). */
  readonly apiServerEtcdClientCert: string;
  readonly apiServerEtcdClientKey: string;
}

/** Flags that make an etcd member serve its client port over TLS to clients with a certificate of the etcd CA only. */
export function etcdClientTlsArgs(pki: PkiFiles): string[] {
  return [`--cert-file=${pki.etcdCert}`, `--key-file=${pki.etcdKey}`, '--client-cert-auth=true', `--trusted-ca-file=${pki.etcdCaCert}`];
}

/** Flags that make an etcd member talk to its peers over mutual TLS with the etcd CA. */
export function etcdPeerTlsArgs(pki: PkiFiles): string[] {
  return [`--peer-cert-file=${pki.etcdCert}`, `--peer-key-file=${pki.etcdKey}`, '--peer-client-cert-auth=true', `--peer-trusted-ca-file=${pki.etcdCaCert}`];
}

/** Flags that make kube-apiserver reach etcd over TLS with its client certificate. */
export function apiServerEtcdTlsArgs(pki: PkiFiles): string[] {
  return [`--etcd-cafile=${pki.etcdCaCert}`, `--etcd-certfile=${pki.apiServerEtcdClientCert}`, `--etcd-keyfile=${pki.apiServerEtcdClientKey}`];
}

/** Options of {@link etcdArgs}. */
export interface EtcdFlags {
  readonly name: string;
  readonly dataDir: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** The certificates: client TLS with client-certificate authentication always, peer TLS too. */
  readonly pki: PkiFiles;
  /** `name=https://127.0.0.1:port,...` of every member; a single member by default. */
  readonly initialCluster?: string;
  /** Distinguishes this cluster's members from any other cluster's at bootstrap. Default etcd's. */
  readonly initialClusterToken?: string;
  /**
   * Skip fsync. Only for throwaway test control planes: a crash can lose writes, which is harmless
   * when the data directory is deleted at the end anyway, and it makes etcd several times faster.
   */
  readonly unsafeNoFsync: boolean;
}

/**
 * Flags of one etcd member listening on 127.0.0.1, over TLS on both ports: only clients with a
 * certificate of the etcd CA (the apiservers) get in, and peers authenticate each other.
 */
export function etcdArgs(flags: EtcdFlags): string[] {
  const peerUrl = `https://127.0.0.1:${flags.peerPort}`;
  const clientUrl = `https://127.0.0.1:${flags.clientPort}`;
  return [
    `--name=${flags.name}`,
    `--data-dir=${flags.dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${flags.initialCluster ?? `${flags.name}=${peerUrl}`}`,
    // Ignored once the data directory holds a member: a restarted member rejoins its cluster.
    '--initial-cluster-state=new',
    ...(flags.initialClusterToken === undefined ? [] : [`--initial-cluster-token=${flags.initialClusterToken}`]),
    ...etcdClientTlsArgs(flags.pki),
    ...etcdPeerTlsArgs(flags.pki),
    '--log-level=warn',
    ...(flags.unsafeNoFsync ? ['--unsafe-no-fsync=true'] : []),
  ];
}

/** Options of {@link apiServerArgs}. */
export interface ApiServerFlags {
  readonly securePort: number;
  /** `https://` URLs of the etcd members; the apiserver authenticates with its etcd client certificate. */
  readonly etcdServers: readonly string[];
  readonly pki: PkiFiles;
  readonly serviceClusterIpRange: string;
  /** Extra host names or IPs the serving certificate covers are decided by the caller's PKI. */
  readonly advertiseAddress?: string;
  /**
   * How the `kubernetes` Service's endpoints are kept. Default `lease`. Several apiservers that
   * share one address but listen on different ports would rewrite each other's port in it
   * endlessly: HA planes use `none`.
   */
  readonly endpointReconcilerType?: 'lease' | 'none';
  /** `--feature-gates`, by name. */
  readonly featureGates?: Readonly<Record<string, boolean>>;
  /** The structured authentication configuration (OIDC issuers), reloaded when it changes; see `writeAuthenticationConfig`. */
  readonly authenticationConfigFile?: string;
  /** An audit log of every change (who did what), with its policy file. */
  readonly audit?: { readonly policyFile: string; readonly logFile: string };
}

/** Flags of kube-apiserver bound to 127.0.0.1, with RBAC and client-certificate authentication. */
export function apiServerArgs(flags: ApiServerFlags): string[] {
  return [
    '--bind-address=127.0.0.1',
    `--advertise-address=${flags.advertiseAddress ?? '127.0.0.1'}`,
    `--secure-port=${flags.securePort}`,
    `--etcd-servers=${flags.etcdServers.join(',')}`,
    ...apiServerEtcdTlsArgs(flags.pki),
    `--tls-cert-file=${flags.pki.apiServerCert}`,
    `--tls-private-key-file=${flags.pki.apiServerKey}`,
    `--client-ca-file=${flags.pki.caCert}`,
    '--authorization-mode=RBAC',
    '--anonymous-auth=true', // /readyz, /livez and /healthz stay readable by probes without credentials
    ...(flags.authenticationConfigFile === undefined ? [] : [`--authentication-config=${flags.authenticationConfigFile}`]),
    ...(flags.audit === undefined
      ? []
      : [`--audit-policy-file=${flags.audit.policyFile}`, `--audit-log-path=${flags.audit.logFile}`, '--audit-log-maxsize=100', '--audit-log-maxbackup=3', '--audit-log-format=json']),
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${flags.pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${flags.pki.serviceAccountKey}`,
    `--service-cluster-ip-range=${flags.serviceClusterIpRange}`,
    '--allow-privileged=true',
    // No kubelets mint tokens here and kwok pods mount nothing: the ServiceAccount admission
    // plugin would only make pod creation fail until the token controller has caught up.
    '--disable-admission-plugins=ServiceAccount',
    ...(flags.endpointReconcilerType === undefined ? [] : [`--endpoint-reconciler-type=${flags.endpointReconcilerType}`]),
    ...(flags.featureGates === undefined
      ? []
      : [`--feature-gates=${Object.entries(flags.featureGates).map(([gate, on]) => `${gate}=${String(on)}`).join(',')}`]),
    '--profiling=false',
    '--v=1',
  ];
}

/** Options of {@link controllerManagerArgs}. */
export interface ControllerManagerFlags {
  readonly kubeconfig: string;
  readonly securePort: number;
  readonly pki: PkiFiles;
  readonly clusterName: string;
  readonly serviceClusterIpRange: string;
}

/** Flags of kube-controller-manager (no leader election: one instance per control plane). */
export function controllerManagerArgs(flags: ControllerManagerFlags): string[] {
  return [
    ...localComponentArgs(flags),
    `--cluster-name=${flags.clusterName}`,
    `--root-ca-file=${flags.pki.caCert}`,
    `--service-account-private-key-file=${flags.pki.serviceAccountKey}`,
    `--service-cluster-ip-range=${flags.serviceClusterIpRange}`,
    `--cluster-signing-cert-file=${flags.pki.caCert}`,
    `--cluster-signing-key-file=${flags.pki.caKey}`,
    // client-go's defaults (20 requests/s, bursts of 30) are sized for a shared production
    // apiserver; here the apiserver is the controller-manager's own, on the same host. At 20/s a
    // hundred Deployments wait seconds for their ReplicaSets and status (a GitOps sync of 100 apps
    // took 20 s instead of a few). kwokctl raises them for the same reason.
    '--kube-api-qps=500',
    '--kube-api-burst=1000',
    '--concurrent-deployment-syncs=10',
    '--concurrent-replicaset-syncs=10',
    '--profiling=false',
    '--v=1',
  ];
}

/** Options of {@link schedulerArgs}. */
export interface SchedulerFlags {
  readonly kubeconfig: string;
  readonly securePort: number;
}

/** Flags of kube-scheduler. */
export function schedulerArgs(flags: SchedulerFlags): string[] {
  return [...localComponentArgs(flags), '--profiling=false', '--v=1'];
}

/**
 * What kube-controller-manager and kube-scheduler share: one kubeconfig for the API and for
 * delegated authentication and authorization, health served on loopback only, and no leader
 * election (one instance per control plane).
 */
function localComponentArgs(flags: { readonly kubeconfig: string; readonly securePort: number }): string[] {
  return [
    `--kubeconfig=${flags.kubeconfig}`,
    `--authentication-kubeconfig=${flags.kubeconfig}`,
    `--authorization-kubeconfig=${flags.kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${flags.securePort}`,
    '--leader-elect=false',
  ];
}

/** The annotation that marks a Node as simulated by kwok's controller. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/**
 * kwok's default Stage objects (generated from the pinned kwok module by
 * `npm run generate:kwok-stages`): without stages kwok 0.8's controller refuses to start.
 */
export const KWOK_STAGES_FILE = fileURLToPath(new URL('../kwok/stages.yaml', import.meta.url));

/**
 * kwok's controller configuration: stage parallelism raised from kwok's defaults, so large node
 * groups become Ready quickly (see the file's header).
 */
export const KWOK_CONFIG_FILE = fileURLToPath(new URL('../kwok/kwok.yaml', import.meta.url));

/** Options of {@link kwokArgs}. */
export interface KwokFlags {
  readonly kubeconfig: string;
  readonly serverPort: number;
  /** Stage definitions; default {@link KWOK_STAGES_FILE}. */
  readonly stagesFile?: string;
}

/**
 * Flags of kwok's controller: it plays the kubelet for every Node annotated
 * `kwok.x-k8s.io/node=fake` (Nodes Ready, Pods Running, Job Pods Succeeded), leaving other Nodes alone.
 */
export function kwokArgs(flags: KwokFlags): string[] {
  return [
    `--kubeconfig=${flags.kubeconfig}`,
    '--manage-all-nodes=false',
    `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
    `--server-address=127.0.0.1:${flags.serverPort}`,
    `--config=${flags.stagesFile ?? KWOK_STAGES_FILE}`,
    `--config=${KWOK_CONFIG_FILE}`,
    // Leases are the node heartbeat the controller-manager watches (as kwokctl configures it).
    '--node-lease-duration-seconds=40',
  ];
}

/** The load balancer's entry point, run by Node (see `lb/lb-process.ts`). */
export const LB_PROCESS_FILE = fileURLToPath(new URL('./lb/lb-process.ts', import.meta.url));

/** Options of {@link loadBalancerArgs}. */
export interface LoadBalancerFlags {
  readonly port: number;
  readonly backendPorts: readonly number[];
  /** CA that the backends' serving certificates are verified against in health checks. */
  readonly caCert: string;
  /** Default 1000. */
  readonly healthIntervalMs?: number;
}

/**
 * Arguments of Node for the load balancer on 127.0.0.1:`port` (the first is the entry point): it
 * forwards to the apiservers, takes one out of rotation while its `/readyz` fails, and moves a
 * connection to the next apiserver when one closes it before answering.
 */
export function loadBalancerArgs(flags: LoadBalancerFlags): string[] {
  return [
    LB_PROCESS_FILE,
    `--listen=127.0.0.1:${flags.port}`,
    ...flags.backendPorts.map((port) => `--backend=127.0.0.1:${port}`),
    '--health-path=/readyz',
    `--health-ca=${flags.caCert}`,
    `--health-interval-ms=${flags.healthIntervalMs ?? 1000}`,
    // TLS: an apiserver acts on nothing before its handshake reply, so until then a dying one
    // (its port still open while it exits) can be replaced by the next without the client noticing.
    '--replay-until-first-reply',
  ];
}
