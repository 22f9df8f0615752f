import type { KubeConfig } from '@kubernetes/client-node';
import type { Cluster, ClusterTemplate } from '@beamline/api';
import type { JwtIssuer } from '@beamline/control-plane';
import type { NodeGroupShape } from './kwok/node-plan.ts';

/** What a provider is asked to act on: one Cluster, as the reconciler read it. */
export interface ClusterRequest {
  readonly namespace: string;
  readonly name: string;
  readonly cluster: Cluster;
  /** The template the cluster is made from. */
  readonly template: ClusterTemplate;
  /**
   * Reads one key of a Secret in the cluster's namespace, decoded; undefined when the Secret or
   * the key does not exist. The management cluster is the reconciler's to read, not the provider's.
   */
  readonly readSecret: (name: string, key: string) => Promise<string | undefined>;
  /**
   * The OIDC issuers the cluster's apiservers are to trust (PlatformConfig's identity, see
   * `jwtIssuersOf`). Providers that run the apiservers apply it; an imported cluster's are its owner's.
   */
  readonly trust?: readonly JwtIssuer[];
}

/** The control plane as a provider sees it, without repairing anything. */
export interface ControlPlaneObservation {
  readonly ready: boolean;
  /** Why it is not ready (`kube-apiserver not running`), for the condition message. */
  readonly message: string;
}

/** Where the manager finds the cluster's admin kubeconfig after {@link ClusterProvider.ensure}. */
export type ClusterKubeconfig =
  /** Beamline publishes it: the reconciler writes it to the `<cluster>-kubeconfig` Secret. It holds a private key: never log it. */
  | { readonly publish: string }
  /** It is already in a Secret of the cluster's namespace (an imported cluster's). */
  | { readonly secretRef: { readonly name: string; readonly key: string } };

/** A node group as a provider that manages no NodeGroup objects reports it. */
export interface ReportedNodeGroup {
  readonly name: string;
  readonly replicas: number;
  readonly readyReplicas: number;
}

/** What {@link ClusterProvider.ensure} made of the cluster. */
export interface ClusterState {
  readonly controlPlane: {
    readonly ready: boolean;
    /** `ControlPlaneAvailable`, `ControlPlaneRestarted`, `Provisioning`, `ControlPlaneDown`. */
    readonly reason: string;
    readonly message: string;
  };
  /** The API server's URL. */
  readonly endpoint: string;
  /** The Kubernetes version the cluster runs. */
  readonly kubernetesVersion: string;
  /** Control-plane members, when the provider runs the control plane. */
  readonly controlPlaneReplicas?: number;
  readonly kubeconfig: ClusterKubeconfig;
  /**
   * The cluster's nodes, for providers without {@link ClusterProvider.nodeGroups}: the reconciler
   * reports these instead of materialising NodeGroup objects.
   */
  readonly nodeGroups?: readonly ReportedNodeGroup[];
}

/** What one sync of a node group found afterwards. */
export interface NodeGroupState {
  /** Nodes of the group. */
  readonly replicas: number;
  /** Of those, how many report Ready=True. */
  readonly readyReplicas: number;
}

/**
 * The nodes of a provider's clusters, one NodeGroup at a time. `workload` is the cluster's admin
 * kubeconfig (from its kubeconfig Secret, read as a tenant's).
 */
export interface NodeGroupProvider {
  /** Makes the group's nodes match `shape`: create, fix drift, scale (scale-down drains first). Level-based: run it again and it does what is left. */
  sync(workload: KubeConfig, shape: NodeGroupShape): Promise<NodeGroupState>;
  /** Drains and deletes every node of the group (its NodeGroup is being deleted while the cluster stays). */
  remove(workload: KubeConfig, group: { readonly group: string; readonly cluster: string }): Promise<void>;
}

/**
 * A way of having a workload cluster: kwok (a control plane Beamline runs), imported (someone
 * else's cluster), later Cluster API. The Cluster and NodeGroup reconcilers drive every provider
 * the same way, through a {@link ProviderRegistry} keyed by the Cluster's provider name.
 *
 * Errors: a {@link ClusterStalledError} is a state that retrying will not change until the spec or
 * a reference changes (reported as Stalled); any other error means the control plane is down or
 * unreachable (reported as `ControlPlaneDown`, retried with backoff).
 */
export interface ClusterProvider {
  /** The `spec.provider` value it serves (`kwok`, `imported`). */
  readonly name: string;
  /**
   * How many health-check periods pass between two looks at a cluster it reported on. External
   * clusters are someone else's API server: look at them less often. Default 1.
   */
  readonly healthCheckPeriods?: number;
  /**
   * The control plane as it is, cheaply and without side effects, so an outage is reported before
   * {@link ensure} repairs it; undefined when nothing was provisioned yet or the provider does not
   * repair control planes (ensure then reports everything).
   */
  observe(request: ClusterRequest): Promise<ControlPlaneObservation | undefined>;
  /** Creates, resumes or connects to the cluster's control plane, and reports it. Idempotent. */
  ensure(request: ClusterRequest): Promise<ClusterState>;
  /** Removes the cluster: stops every process and removes every file it made. Idempotent; nothing for clusters it does not run. */
  delete(request: Pick<ClusterRequest, 'namespace' | 'name'>): Promise<void>;
  /** The nodes of node groups, for providers whose NodeGroups Beamline manages; undefined = not managed (NodeGroups are refused as `NotManaged`). */
  readonly nodeGroups?: NodeGroupProvider;
}
