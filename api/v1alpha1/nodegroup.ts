/** NodeGroup: a group of identical nodes of one Cluster, named `<cluster>-<group>`. */
import Type, { type Static } from 'typebox';
import {
  cel,
  ConditionsSchema,
  DNS_LABEL_PATTERN,
  DnsLabel,
  FlavorName,
  LABEL_KEY_PATTERN,
  LABEL_VALUE_PATTERN,
  Labels,
  ObservedGenerationSchema,
  type CelRule,
} from './common.ts';
import { type KindDefinition, NODE_GROUP, type PrinterColumn } from './groupversion.ts';
import { kindSchema } from './kind-schema.ts';

/** A taint every node of a group carries. */
export const TaintSchema = Type.Object(
  {
    key: Type.String({ description: 'the taint key (a label key).', minLength: 1, maxLength: 316, pattern: LABEL_KEY_PATTERN }),
    value: Type.Optional(Type.String({ description: 'the taint value (a label value).', maxLength: 63, pattern: LABEL_VALUE_PATTERN })),
    effect: Type.Enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'], { description: 'what the taint does to pods that do not tolerate it.' }),
  },
  { description: 'A node taint.' },
);
/** A node taint: `key`, optional `value`, `effect`. */
export type Taint = Static<typeof TaintSchema>;

/** The replica rules of a node group (spec or template entry): `minReplicas <= replicas <= maxReplicas`. */
export const REPLICA_RULES: readonly CelRule[] = [
  cel('!has(self.minReplicas) || self.minReplicas <= self.replicas', 'replicas must not be below minReplicas', { fieldPath: '.replicas' }),
  cel('!has(self.maxReplicas) || self.replicas <= self.maxReplicas', 'replicas must not exceed maxReplicas', { fieldPath: '.replicas' }),
  cel('!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas', 'minReplicas must not exceed maxReplicas', {
    fieldPath: '.minReplicas',
  }),
];

/** The fields a node group has both in a template and as a NodeGroup object. */
const nodeGroupFields = {
  flavor: FlavorName('the size of every node: the name of a flavor of PlatformConfig/beamline (checked at admission).'),
  replicas: Type.Integer({ description: 'how many nodes the group has.', minimum: 0, maximum: 1000 }),
  minReplicas: Type.Optional(Type.Integer({ description: 'the fewest nodes the group may be scaled to.', minimum: 0, maximum: 1000, default: 0 })),
  maxReplicas: Type.Optional(Type.Integer({ description: 'the most nodes the group may be scaled to; unbounded when absent.', minimum: 0, maximum: 1000 })),
  labels: Type.Optional(Labels('labels every node of the group carries.')),
  taints: Type.Optional(
    Type.Array(TaintSchema, {
      description: 'taints every node of the group carries; unique by key and effect.',
      maxItems: 32,
      'x-kubernetes-validations': [
        cel('self.all(t, self.exists_one(u, u.key == t.key && u.effect == t.effect))', 'taints must be unique by key and effect'),
      ],
    }),
  ),
  zones: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 63, pattern: LABEL_VALUE_PATTERN }), {
      description: 'topology.kubernetes.io/zone values; node i is in zones[i % len(zones)].',
      maxItems: 32,
      'x-kubernetes-list-type': 'set',
    }),
  ),
  role: Type.Optional(
    Type.String({
      description: 'the node role: nodes carry node-role.kubernetes.io/<role>.',
      minLength: 1,
      maxLength: 63,
      pattern: DNS_LABEL_PATTERN,
      default: 'worker',
    }),
  ),
};

/** A node group of a ClusterTemplate: materialised as the NodeGroup `<cluster>-<name>` of each Cluster. */
export const NodeGroupTemplateSchema = Type.Object(
  {
    name: DnsLabel('the group name; the NodeGroup object is named <cluster>-<name>.'),
    ...nodeGroupFields,
  },
  { description: 'A node group every Cluster made from the template starts with.', 'x-kubernetes-validations': [...REPLICA_RULES] },
);
/** A node group of a ClusterTemplate (a NodeGroupSpec without `clusterName`, with a `name`). */
export type NodeGroupTemplate = Static<typeof NodeGroupTemplateSchema>;

/** The spec of a NodeGroup. */
export const NodeGroupSpecSchema = Type.Object(
  {
    clusterName: Type.String({
      description: 'the Cluster (in the same namespace) the nodes belong to; immutable.',
      minLength: 1,
      maxLength: 63,
      pattern: DNS_LABEL_PATTERN,
      'x-kubernetes-validations': [cel('self == oldSelf', 'clusterName is immutable: a NodeGroup belongs to one Cluster')],
    }),
    ...nodeGroupFields,
  },
  { description: 'The desired nodes of the group.', 'x-kubernetes-validations': [...REPLICA_RULES] },
);
/** The spec of a NodeGroup. */
export type NodeGroupSpec = Static<typeof NodeGroupSpecSchema>;

/** The status of a NodeGroup. */
export const NodeGroupStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGenerationSchema),
    replicas: Type.Optional(Type.Integer({ description: 'nodes that exist.', minimum: 0 })),
    readyReplicas: Type.Optional(Type.Integer({ description: 'nodes that are Ready.', minimum: 0 })),
    conditions: Type.Optional(ConditionsSchema),
  },
  { description: 'The observed state of the group.' },
);
/** The status of a NodeGroup. */
export type NodeGroupStatus = Static<typeof NodeGroupStatusSchema>;

/** The message when a NodeGroup is not named `<cluster>-<group>`. */
export const NODE_GROUP_NAME_MESSAGE = 'a NodeGroup is named <cluster>-<group>';

/** NodeGroup: namespaced, named `<spec.clusterName>-<group>`. */
export const NodeGroupSchema = kindSchema(
  NODE_GROUP,
  NodeGroupSpecSchema,
  NodeGroupStatusSchema,
  {
    description: 'NodeGroup is a group of identical nodes (same flavor, labels, taints, role) of one Cluster, scaled by spec.replicas.',
    'x-kubernetes-validations': [
      {
        rule: "self.metadata.name.startsWith(self.spec.clusterName + '-') && self.metadata.name.substring(size(self.spec.clusterName) + 1).matches(r'^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$')",
        message: `${NODE_GROUP_NAME_MESSAGE} (group: a DNS label)`,
        messageExpression: `'${NODE_GROUP_NAME_MESSAGE} (group: a DNS label): expected ' + self.spec.clusterName + '-<group>, got ' + self.metadata.name`,
        fieldPath: '.metadata.name',
      },
    ],
  },
);
/** NodeGroup: namespaced, named `<spec.clusterName>-<group>`. */
export type NodeGroup = Static<typeof NodeGroupSchema>;


/** The condition reasons the NodeGroup controller sets beyond the common ones. */
export const NodeGroupConditionReason = {
  /** NodesReady=False, or a NodeGroup's Ready=False: nodes are being added or removed, not all Ready. */
  Scaling: 'Scaling',
  /** Stalled=True: a NodeGroup's flavor is not (any more) in PlatformConfig/beamline. */
  FlavorNotFound: 'FlavorNotFound',
  /** A NodeGroup's Ready=False: `spec.clusterName` names no Cluster in its namespace (yet). */
  ClusterNotFound: 'ClusterNotFound',
  /** A NodeGroup's Ready=False: its Cluster's control plane is not ready yet. */
  WaitingForControlPlane: 'WaitingForControlPlane',
  /** A NodeGroup's Stalled=True: it belongs to an imported cluster, whose nodes Beamline does not manage. */
  NotManaged: 'NotManaged',
} as const;

/** The columns `kubectl get nodegroup` prints (Age is appended by the generator). */
export const NODE_GROUP_PRINTER_COLUMNS = [
  { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterName', description: 'the Cluster' },
  { name: 'Flavor', type: 'string', jsonPath: '.spec.flavor', description: 'the node size' },
  { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', description: 'desired nodes' },
  { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas', description: 'Ready nodes' },
  { name: 'Min', type: 'integer', jsonPath: '.spec.minReplicas', description: 'fewest nodes' },
  { name: 'Max', type: 'integer', jsonPath: '.spec.maxReplicas', description: 'most nodes' },
  { name: 'Role', type: 'string', jsonPath: '.spec.role', description: 'node role', priority: 1 },
] as const satisfies readonly PrinterColumn[];

/** How NodeGroup is registered (see `kinds.ts`). */
export const NODE_GROUP_KIND: KindDefinition = {
  names: NODE_GROUP,
  schema: NodeGroupSchema,
  printerColumns: NODE_GROUP_PRINTER_COLUMNS,
  subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
};
