/** Cluster: a workload cluster made from a ClusterTemplate (kwok) or imported. */
import Type, { type Static } from 'typebox';
import { cel, ConditionsSchema, DNS_LABEL_PATTERN, DnsSubdomain, ObservedGenerationSchema } from './common.ts';
import { PROVIDERS } from './clustertemplate.ts';
import { NodeGroupTemplateSchema } from './nodegroup.ts';
import { CLUSTER, type KindDefinition, KUBECONFIG_SECRET_KEY, type PrinterColumn } from './groupversion.ts';
import { kindSchema } from './kind-schema.ts';

/** A key of a Secret in the Cluster's namespace. */
export const SecretKeyRefSchema = Type.Object(
  {
    name: DnsSubdomain('the Secret, in the Cluster\'s namespace.'),
    key: Type.Optional(
      Type.String({ description: 'the key of the kubeconfig in the Secret.', minLength: 1, maxLength: 253, pattern: '^[-._a-zA-Z0-9]+$', default: KUBECONFIG_SECRET_KEY }),
    ),
  },
  { description: 'A key of a Secret in the same namespace.' },
);
/** A key of a Secret in the Cluster's namespace (`key` defaults to `value`). */
export type SecretKeyRef = Static<typeof SecretKeyRefSchema>;

/** The message when an imported Cluster has no kubeconfig. */
export const IMPORTED_REQUIRES_KUBECONFIG_MESSAGE = 'spec.imported.kubeconfigSecretRef is required when provider is imported';

/** The spec of a Cluster. */
export const ClusterSpecSchema = Type.Object(
  {
    templateRef: Type.Object(
      { name: DnsSubdomain('the ClusterTemplate\'s name.') },
      {
        description: 'the ClusterTemplate the Cluster is made from; immutable.',
        'x-kubernetes-validations': [cel('self == oldSelf', 'templateRef is immutable: a Cluster keeps the template it was created from')],
      },
    ),
    provider: Type.Optional(
      Type.Enum([...PROVIDERS], { description: "overrides the template's provider; immutable once set. kwok or imported." }),
    ),
    imported: Type.Optional(
      Type.Object(
        { kubeconfigSecretRef: SecretKeyRefSchema },
        { description: 'for provider imported: where the kubeconfig of the existing cluster is.' },
      ),
    ),
    nodeGroups: Type.Optional(
      Type.Array(NodeGroupTemplateSchema, {
        description:
          "node groups of this cluster that replace the template's group of the same name, or add to them (`cluster create --node-group`); " +
          'read once, when the NodeGroups <cluster>-<name> are created; immutable (scale the NodeGroup objects afterwards).',
        maxItems: 32,
        'x-kubernetes-validations': [
          cel('self.all(g, self.exists_one(h, h.name == g.name))', 'node group names must be unique'),
          cel('self == oldSelf', 'nodeGroups is immutable: it is read when the cluster is created; scale or edit the NodeGroup objects instead'),
        ],
      }),
    ),
  },
  {
    description: 'The desired cluster.',
    'x-kubernetes-validations': [
      cel("!has(self.provider) || self.provider != 'imported' || has(self.imported)", IMPORTED_REQUIRES_KUBECONFIG_MESSAGE, {
        fieldPath: '.imported',
        reason: 'FieldValueRequired',
      }),
      cel("!has(self.imported) || !has(self.provider) || self.provider == 'imported'", 'spec.imported is only for provider imported', {
        fieldPath: '.imported',
      }),
      cel('has(self.provider) == has(oldSelf.provider) && (!has(self.provider) || self.provider == oldSelf.provider)', 'provider is immutable', {
        fieldPath: '.provider',
      }),
    ],
  },
);
/** The spec of a Cluster. */
export type ClusterSpec = Static<typeof ClusterSpecSchema>;

/** `status.phase`: a summary of the conditions, for people and the printer column. */
export const ClusterPhaseSchema = Type.Enum(['Pending', 'Provisioning', 'Running', 'Unhealthy', 'Deleting', 'Failed'], {
  description:
    'a summary of the conditions for people (not for logic): Pending, Provisioning, Running, Unhealthy (it ran, its control plane is down and being restarted), Deleting, Failed (stalled until the spec or its references change).',
});
/** `status.phase` of a Cluster. */
export type ClusterPhase = Static<typeof ClusterPhaseSchema>;

/** One node group's counts in a Cluster's status. */
export const ClusterNodeGroupStatusSchema = Type.Object(
  {
    name: Type.String({ description: 'the NodeGroup object (<cluster>-<group>).', maxLength: 253 }),
    replicas: Type.Integer({ description: 'nodes the group has.', minimum: 0 }),
    readyReplicas: Type.Integer({ description: 'nodes of the group that are Ready.', minimum: 0 }),
  },
  { description: 'The counts of one NodeGroup.' },
);
/** One node group's counts in a Cluster's status. */
export type ClusterNodeGroupStatus = Static<typeof ClusterNodeGroupStatusSchema>;

/** The status of a Cluster. */
export const ClusterStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGenerationSchema),
    phase: Type.Optional(ClusterPhaseSchema),
    conditions: Type.Optional(ConditionsSchema),
    provider: Type.Optional(Type.Enum([...PROVIDERS], { description: "the provider in effect: spec.provider, else the template's." })),
    endpoint: Type.Optional(Type.String({ description: "the URL of the cluster's API server (the load balancer's with 3 replicas).", maxLength: 2048 })),
    certificateAuthority: Type.Optional(
      Type.String({
        description:
          "PEM of the CA the API server's certificate is signed by (public data): with endpoint, what a kubeconfig needs besides credentials, so a user who may not read the admin kubeconfig Secret can still reach the cluster with their own login (`beamline cluster kubeconfig`).",
        maxLength: 65536,
      }),
    ),
    kubernetesVersion: Type.Optional(Type.String({ description: 'the Kubernetes version the API server reports.', maxLength: 64 })),
    controlPlaneReplicas: Type.Optional(Type.Integer({ description: 'control-plane members running.', minimum: 0 })),
    nodeGroups: Type.Optional(
      Type.Array(ClusterNodeGroupStatusSchema, {
        description: 'every NodeGroup of the cluster with its counts.',
        maxItems: 256,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    nodes: Type.Optional(
      Type.Object(
        {
          total: Type.Integer({ description: 'nodes in the cluster.', minimum: 0 }),
          ready: Type.Integer({ description: 'nodes that are Ready.', minimum: 0 }),
        },
        { description: 'node counts over all groups.' },
      ),
    ),
    kubeconfigSecretRef: Type.Optional(
      Type.Object(
        {
          name: Type.String({ description: 'the Secret (<cluster>-kubeconfig for kwok clusters).', maxLength: 253 }),
          key: Type.String({ description: 'the key holding the admin kubeconfig (value).', maxLength: 253 }),
        },
        { description: 'where the admin kubeconfig is.' },
      ),
    ),
  },
  { description: 'The observed state of the cluster.' },
);
/** The status of a Cluster. */
export type ClusterStatus = Static<typeof ClusterStatusSchema>;

/** The message when a Cluster's name is not a DNS label. */
export const CLUSTER_NAME_MESSAGE = "a Cluster's name is a DNS label of at most 63 characters (it is the beamline.dev/cluster label value)";

/** Cluster: namespaced. */
export const ClusterSchema = kindSchema(
  CLUSTER,
  ClusterSpecSchema,
  ClusterStatusSchema,
  {
    description: 'Cluster is a workload Kubernetes cluster made from a ClusterTemplate (provider kwok) or an existing one (provider imported).',
    'x-kubernetes-validations': [
      cel(`size(self.metadata.name) <= 63 && self.metadata.name.matches(r'${DNS_LABEL_PATTERN}')`, CLUSTER_NAME_MESSAGE, { fieldPath: '.metadata.name' }),
    ],
  },
);
/** Cluster: namespaced. */
export type Cluster = Static<typeof ClusterSchema>;


/** The condition types of a Cluster beyond the common Ready, Reconciling and Stalled. */
export const ClusterConditionType = {
  /** Cluster: every control-plane component answers. */
  ControlPlaneReady: 'ControlPlaneReady',
  /** Cluster: every node of every NodeGroup is Ready. */
  NodesReady: 'NodesReady',
} as const;

/** The condition reasons the Cluster controller sets beyond the common ones (and NodeGroup's `Scaling`). */
export const ClusterConditionReason = {
  /** ControlPlaneReady=False, Ready=False: the control plane is being created (or resumed). */
  Provisioning: 'Provisioning',
  /** ControlPlaneReady=True: every control-plane component answers. */
  ControlPlaneAvailable: 'ControlPlaneAvailable',
  /** ControlPlaneReady=False: a control-plane component (or an imported cluster's API server) does not answer. */
  ControlPlaneDown: 'ControlPlaneDown',
  /** NodesReady=False: NodeGroups of the template are not created yet. */
  NodeGroupsPending: 'NodeGroupsPending',
  /** NodesReady=True: every node of every group is Ready. */
  AllNodesReady: 'AllNodesReady',
  /** Stalled=True: a Cluster's `spec.templateRef` names no ClusterTemplate. */
  TemplateNotFound: 'TemplateNotFound',
  /** Stalled=True: an imported Cluster's kubeconfig Secret (or its key) does not exist. */
  KubeconfigSecretNotFound: 'KubeconfigSecretNotFound',
  /** Stalled=True: an imported Cluster's kubeconfig cannot be used. */
  InvalidKubeconfig: 'InvalidKubeconfig',
} as const;

/** The columns `kubectl get cluster` prints (Age is appended by the generator). */
export const CLUSTER_PRINTER_COLUMNS = [
  { name: 'Template', type: 'string', jsonPath: '.spec.templateRef.name', description: 'the ClusterTemplate' },
  { name: 'Provider', type: 'string', jsonPath: '.status.provider', description: 'the provider in effect' },
  { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'summary of the conditions' },
  { name: 'Version', type: 'string', jsonPath: '.status.kubernetesVersion', description: 'Kubernetes version the API server reports' },
  { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint', description: "the API server's URL" },
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'the Ready condition' },
  { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason', description: "the Ready condition's reason", priority: 1 },
] as const satisfies readonly PrinterColumn[];

/** How Cluster is registered (see `kinds.ts`). */
export const CLUSTER_KIND: KindDefinition = {
  names: CLUSTER,
  schema: ClusterSchema,
  printerColumns: CLUSTER_PRINTER_COLUMNS,
  subresources: { status: {} },
};
