/**
 * Project: a tenant (Rancher's project, Argo CD's AppProject): members with roles, the templates
 * and catalog items it may use, quotas, and a namespace of the management cluster of its own.
 */
import Type, { type Static } from 'typebox';
import { cel, ConditionsSchema, DNS_LABEL_PATTERN, DnsLabel, ObservedGenerationSchema, Quantity, QUANTITY_PATTERN } from './common.ts';
import { type KindDefinition, PROJECT, PROJECT_NAME_MAX_LENGTH, type PrinterColumn } from './groupversion.ts';
import { kindSchema } from './kind-schema.ts';

/** One member of a Project: a user or a group of the identity provider, with a role. */
export const ProjectMemberSchema = Type.Object(
  {
    kind: Type.Enum(['User', 'Group'], { description: 'User or Group, as the OIDC issuer names them (without the prefix PlatformConfig adds).' }),
    name: Type.String({ description: 'the user name (the username claim, e.g. an email) or group name, without prefix.', minLength: 1, maxLength: 256 }),
    role: Type.Enum(['owner', 'member', 'viewer'], {
      description: 'owner: manages the project and its members, cluster-admin in its clusters; member: creates clusters and apps, edit in its clusters; viewer: reads.',
    }),
  },
  { description: 'A user or group and its role in the project.' },
);
/** One member of a Project. */
export type ProjectMember = Static<typeof ProjectMemberSchema>;

/** A map of resource names to quantities (`requests.cpu: "8"`), as ResourceQuota and LimitRange take them. */
function ResourceList(description: string) {
  return Type.Record(Type.String({ maxLength: 253 }), Type.String({ maxLength: 32, pattern: QUANTITY_PATTERN }), { description, maxProperties: 32 });
}

/** The project's quota over all its clusters. */
export const ProjectQuotaSchema = Type.Object(
  {
    clusters: Type.Optional(Type.Integer({ description: 'the most Clusters the project may have.', minimum: 0, maximum: 10000 })),
    nodes: Type.Optional(Type.Integer({ description: 'the most nodes (replicas of every NodeGroup) over all its clusters.', minimum: 0, maximum: 1000000 })),
    gpus: Type.Optional(Type.Integer({ description: 'the most GPUs over all its nodes (flavor GPUs × replicas).', minimum: 0, maximum: 1000000 })),
    cpu: Type.Optional(Quantity('the most CPU over all its nodes (flavor cpu × replicas).')),
    memory: Type.Optional(Quantity('the most memory over all its nodes (flavor memory × replicas).')),
  },
  { description: 'Limits over all the Clusters of the project, checked at admission; absent fields are unlimited.' },
);
/** The project's quota over all its clusters. */
export type ProjectQuota = Static<typeof ProjectQuotaSchema>;

/** What every namespace of the project gets: a ResourceQuota and a LimitRange. */
export const NamespaceDefaultsSchema = Type.Object(
  {
    resourceQuota: Type.Optional(
      Type.Object({ hard: ResourceList('the ResourceQuota `spec.hard` (requests.cpu, limits.memory, pods, ...).') }, { description: 'the ResourceQuota `project-defaults` of each namespace.' }),
    ),
    limitRange: Type.Optional(
      Type.Object(
        {
          default: Type.Optional(ResourceList('default limits of a container.')),
          defaultRequest: Type.Optional(ResourceList('default requests of a container.')),
          max: Type.Optional(ResourceList('the most a container may ask for.')),
        },
        { description: 'the LimitRange `project-defaults` (type Container) of each namespace.' },
      ),
    ),
  },
  { description: 'The ResourceQuota and LimitRange every namespace of the project gets (its management namespace and its namespaces on shared clusters).' },
);
/** What every namespace of the project gets. */
export type NamespaceDefaults = Static<typeof NamespaceDefaultsSchema>;

/** A namespace of the project on a shared cluster. */
export const SharedNamespaceSchema = Type.Object(
  {
    cluster: Type.Object(
      {
        namespace: DnsLabel('the namespace of the shared Cluster (a namespace of no project).'),
        name: DnsLabel('the shared Cluster (labelled beamline.dev/shared=true).'),
      },
      { description: 'the shared Cluster.' },
    ),
    namespace: DnsLabel('the namespace the project gets in that cluster.'),
  },
  { description: 'A namespace of the project on a shared cluster of the platform.', 'x-kubernetes-map-type': 'atomic' },
);
/** A namespace of the project on a shared cluster. */
export type SharedNamespace = Static<typeof SharedNamespaceSchema>;

/** The spec of a Project. */
export const ProjectSpecSchema = Type.Object(
  {
    displayName: Type.String({ description: 'the name people see.', minLength: 1, maxLength: 128 }),
    description: Type.Optional(Type.String({ description: 'what the project is for.', maxLength: 1024 })),
    members: Type.Array(ProjectMemberSchema, {
      description: 'who may do what; unique by kind and name.',
      maxItems: 256,
      'x-kubernetes-validations': [cel('self.all(m, self.exists_one(n, n.kind == m.kind && n.name == m.name))', 'a user or group is a member once')],
    }),
    templates: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
        description: 'the ClusterTemplates the project may create Clusters from; absent: every template.',
        maxItems: 256,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    catalogItems: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
        description: 'the catalog items the project may launch; absent: every item.',
        maxItems: 256,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    quota: Type.Optional(ProjectQuotaSchema),
    namespaceDefaults: Type.Optional(NamespaceDefaultsSchema),
    networkIsolation: Type.Optional(
      Type.Boolean({ description: "true: the project's namespaces on shared clusters accept traffic only from namespaces of the same project.", default: true }),
    ),
    sharedNamespaces: Type.Optional(
      // Unique by cluster and namespace as a set of atomic entries (every field is required, so equal
      // entries are the duplicates): the apiserver checks it at no CEL cost. A CEL exists_one over
      // the nested fields is estimated far above the CRD's cost budget, and the CRD is refused.
      Type.Array(SharedNamespaceSchema, {
        description: 'namespaces the project gets on shared clusters; unique by cluster and namespace.',
        maxItems: 128,
        'x-kubernetes-list-type': 'set',
      }),
    ),
  },
  { description: 'The desired project.' },
);
/** The spec of a Project. */
export type ProjectSpec = Static<typeof ProjectSpecSchema>;

/** What the project uses of its quota. */
export const ProjectUsageSchema = Type.Object(
  {
    clusters: Type.Integer({ description: 'Clusters of the project.', minimum: 0 }),
    nodes: Type.Integer({ description: 'nodes asked for (replicas of every NodeGroup).', minimum: 0 }),
    gpus: Type.Integer({ description: 'GPUs of those nodes.', minimum: 0 }),
    cpu: Type.String({ description: 'CPU of those nodes, as a quantity.', maxLength: 64 }),
    memory: Type.String({ description: 'memory of those nodes, as a quantity.', maxLength: 64 }),
  },
  { description: 'What the project uses of its quota.' },
);
/** What the project uses of its quota. */
export type ProjectUsage = Static<typeof ProjectUsageSchema>;

/** One shared namespace's state. */
export const SharedNamespaceStatusSchema = Type.Object(
  {
    cluster: Type.String({ description: '<namespace>/<name> of the shared Cluster.', maxLength: 128 }),
    namespace: Type.String({ description: 'the namespace in it.', maxLength: 63 }),
    ready: Type.Boolean({ description: 'the namespace, its bindings, quota, limits and policies are in place.' }),
    message: Type.Optional(Type.String({ description: 'why not, when not ready.', maxLength: 1024 })),
  },
  { description: 'The state of one namespace on a shared cluster.' },
);

/** The status of a Project. */
export const ProjectStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGenerationSchema),
    conditions: Type.Optional(ConditionsSchema),
    namespace: Type.Optional(Type.String({ description: 'the namespace of the management cluster the project owns (project-<name>).', maxLength: 63 })),
    usage: Type.Optional(ProjectUsageSchema),
    sharedNamespaces: Type.Optional(Type.Array(SharedNamespaceStatusSchema, { description: 'the state of each shared namespace.', maxItems: 128 })),
  },
  { description: 'The observed state of the project.' },
);
/** The status of a Project. */
export type ProjectStatus = Static<typeof ProjectStatusSchema>;

/** The message when a Project's name is too long or not a DNS label. */
export const PROJECT_NAME_MESSAGE = `a Project's name is a DNS label of at most ${PROJECT_NAME_MAX_LENGTH} characters (its namespace is project-<name>)`;

/** Project: cluster-scoped. */
export const ProjectSchema = kindSchema(
  PROJECT,
  ProjectSpecSchema,
  ProjectStatusSchema,
  {
    description: 'Project is a tenant: members with roles, the templates it may use, quotas, and the namespace project-<name> for its Clusters and Applications.',
    'x-kubernetes-validations': [
      cel(`size(self.metadata.name) <= ${PROJECT_NAME_MAX_LENGTH} && self.metadata.name.matches(r'${DNS_LABEL_PATTERN}')`, PROJECT_NAME_MESSAGE, { fieldPath: '.metadata.name' }),
    ],
  },
);
/** Project: cluster-scoped. */
export type Project = Static<typeof ProjectSchema>;

/** The condition reasons of a Project beyond the common ones. */
export const ProjectConditionReason = {
  /** Ready=True: the namespace, bindings, quotas and shared namespaces are in place. */
  ProjectReady: 'ProjectReady',
  /** Ready=False: a namespace the project needs belongs to something else (another project, or no project). */
  NamespaceConflict: 'NamespaceConflict',
  /** Ready=False: a shared cluster named in spec.sharedNamespaces does not exist, is not shared, or is not running. */
  SharedClusterNotReady: 'SharedClusterNotReady',
} as const;

/** The columns `kubectl get project` prints (Age is appended by the generator). */
export const PROJECT_PRINTER_COLUMNS = [
  { name: 'Display Name', type: 'string', jsonPath: '.spec.displayName', description: 'the name people see' },
  { name: 'Namespace', type: 'string', jsonPath: '.status.namespace', description: 'the namespace of the project' },
  { name: 'Clusters', type: 'integer', jsonPath: '.status.usage.clusters', description: 'Clusters of the project' },
  { name: 'Nodes', type: 'integer', jsonPath: '.status.usage.nodes', description: 'nodes of its clusters' },
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'the Ready condition' },
] as const satisfies readonly PrinterColumn[];

/** How Project is registered (see `kinds.ts`). */
export const PROJECT_KIND: KindDefinition = {
  names: PROJECT,
  schema: ProjectSchema,
  printerColumns: PROJECT_PRINTER_COLUMNS,
  subresources: { status: {} },
};
