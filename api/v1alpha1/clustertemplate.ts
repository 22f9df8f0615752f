/** ClusterTemplate: an immutable, versioned blueprint of clusters (Magnum's cluster template). */
import Type, { type Static } from 'typebox';
import { cel, ConditionsSchema, FlavorName, KubernetesVersion, Labels, ObservedGenerationSchema } from './common.ts';
import { CLUSTER_TEMPLATE, type KindDefinition, type PrinterColumn } from './groupversion.ts';
import { NodeGroupTemplateSchema } from './nodegroup.ts';
import { kindSchema } from './kind-schema.ts';

/** The providers: `kwok` (a simulated cluster Beamline runs) or `imported` (an existing cluster). */
export const PROVIDERS = ['kwok', 'imported'] as const;

const PROVIDER_DESCRIPTION =
  'kwok: Beamline starts a real control plane with simulated (kwok) nodes; imported: an existing cluster reached through a kubeconfig Secret.';

/** A provider schema: `kwok` or `imported`. */
export const ProviderSchema = Type.Enum([...PROVIDERS], { description: PROVIDER_DESCRIPTION });
/** A provider: `kwok` or `imported`. */
export type Provider = Static<typeof ProviderSchema>;

/** The message when `spec.controlPlane.replicas` is neither 1 nor 3. */
export const CONTROL_PLANE_REPLICAS_MESSAGE = 'controlPlane.replicas must be 1 or 3 (3 = highly available)';
/** The message when a ClusterTemplate's spec is changed. */
export const TEMPLATE_IMMUTABLE_MESSAGE = "a ClusterTemplate's spec cannot change: templates are versioned; create a new one (e.g. small-v2)";

/** The control plane of a template's clusters. */
export const ControlPlaneSchema = Type.Object(
  {
    replicas: Type.Unsafe<1 | 3>({
      type: 'integer',
      description: 'control-plane members: 1, or 3 for high availability (3 etcd members and API servers behind a load balancer).',
      'x-kubernetes-validations': [cel('self == 1 || self == 3', CONTROL_PLANE_REPLICAS_MESSAGE)],
    }),
    flavor: FlavorName('the size of each control-plane member: a flavor of PlatformConfig/beamline.'),
  },
  { description: 'The control plane: replicas and flavor.' },
);
/** The control plane of a template: `replicas` (1 or 3) and `flavor`. */
export type ControlPlane = Static<typeof ControlPlaneSchema>;

/** The spec of a ClusterTemplate. */
export const ClusterTemplateSpecSchema = Type.Object(
  {
    description: Type.Optional(Type.String({ description: 'what the template is for, for people choosing one.', maxLength: 1024 })),
    kubernetesVersion: KubernetesVersion('the Kubernetes version of its clusters: one of PlatformConfig/beamline spec.kubernetesVersions.'),
    provider: Type.Optional(Type.Enum([...PROVIDERS], { description: PROVIDER_DESCRIPTION, default: 'kwok' })),
    controlPlane: ControlPlaneSchema,
    nodeGroups: Type.Optional(
      Type.Array(NodeGroupTemplateSchema, {
        description: 'the node groups every Cluster starts with, as NodeGroups named <cluster>-<name>; names are unique.',
        maxItems: 32,
        'x-kubernetes-validations': [cel('self.all(g, self.exists_one(h, h.name == g.name))', 'node group names must be unique')],
      }),
    ),
    labels: Type.Optional(Labels("labels added to every node group materialised from this template (a group's own labels win).")),
  },
  {
    description: 'The blueprint; immutable: a change is a new template.',
    'x-kubernetes-validations': [cel('self == oldSelf', TEMPLATE_IMMUTABLE_MESSAGE)],
  },
);
/** The spec of a ClusterTemplate. */
export type ClusterTemplateSpec = Static<typeof ClusterTemplateSpecSchema>;

/** The status of a ClusterTemplate. */
export const ClusterTemplateStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGenerationSchema),
    clusters: Type.Optional(Type.Integer({ description: 'how many Clusters (in any namespace) use the template.', minimum: 0 })),
    conditions: Type.Optional(ConditionsSchema),
  },
  { description: 'The observed state of the template.' },
);
/** The status of a ClusterTemplate. */
export type ClusterTemplateStatus = Static<typeof ClusterTemplateStatusSchema>;

/** ClusterTemplate: cluster-scoped, immutable. */
export const ClusterTemplateSchema = kindSchema(
  CLUSTER_TEMPLATE,
  ClusterTemplateSpecSchema,
  ClusterTemplateStatusSchema,
  { description: 'ClusterTemplate is an immutable blueprint of clusters: Kubernetes version, control plane, node groups, provider.' },
);
/** ClusterTemplate: cluster-scoped, immutable. */
export type ClusterTemplate = Static<typeof ClusterTemplateSchema>;


/** The condition reasons the ClusterTemplate controller sets beyond the common ones. */
export const ClusterTemplateConditionReason = {
  /** A ClusterTemplate's Ready=False: it is being deleted but Clusters still use it. */
  InUse: 'InUse',
} as const;

/** The columns `kubectl get clustertemplate` prints (Age is appended by the generator). */
export const CLUSTER_TEMPLATE_PRINTER_COLUMNS = [
  { name: 'Version', type: 'string', jsonPath: '.spec.kubernetesVersion', description: 'Kubernetes version' },
  { name: 'Control-Plane', type: 'integer', jsonPath: '.spec.controlPlane.replicas', description: 'control-plane replicas' },
  { name: 'Provider', type: 'string', jsonPath: '.spec.provider', description: 'kwok or imported' },
  { name: 'Clusters', type: 'integer', jsonPath: '.status.clusters', description: 'Clusters using the template' },
  { name: 'Description', type: 'string', jsonPath: '.spec.description', description: 'what the template is for', priority: 1 },
] as const satisfies readonly PrinterColumn[];

/** How ClusterTemplate is registered (see `kinds.ts`). */
export const CLUSTER_TEMPLATE_KIND: KindDefinition = {
  names: CLUSTER_TEMPLATE,
  schema: ClusterTemplateSchema,
  printerColumns: CLUSTER_TEMPLATE_PRINTER_COLUMNS,
  subresources: { status: {} },
};
