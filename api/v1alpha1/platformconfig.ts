/** PlatformConfig: the operator's catalogue of flavors and Kubernetes versions (singleton `beamline`). */
import Type, { type Static } from 'typebox';
import { cel, DnsLabel, FlavorName, KubernetesVersion, LABEL_VALUE_PATTERN, Quantity } from './common.ts';
import { type KindDefinition, PLATFORM_CONFIG, PLATFORM_CONFIG_NAME, type PrinterColumn } from './groupversion.ts';
import { kindSchema } from './kind-schema.ts';

/** The GPUs of a flavor. */
export const FlavorGpusSchema = Type.Object(
  {
    count: Type.Integer({ description: 'GPUs per node (the nvidia.com/gpu capacity).', minimum: 1, maximum: 64 }),
    product: Type.String({
      description: 'the GPU model, as the nvidia.com/gpu.product node label (e.g. NVIDIA-A100-SXM4-40GB).',
      minLength: 1,
      maxLength: 63,
      pattern: LABEL_VALUE_PATTERN,
    }),
  },
  { description: 'GPUs of every node of this flavor.' },
);

/** A flavor: a named node size. */
export const FlavorSchema = Type.Object(
  {
    name: FlavorName('the name node groups and templates refer to (e.g. m1.small); also the node.kubernetes.io/instance-type label.'),
    cpu: Quantity('CPU capacity of a node, as a quantity string ("2", "500m").'),
    memory: Quantity('memory capacity of a node, as a quantity string ("4Gi").'),
    gpus: Type.Optional(FlavorGpusSchema),
  },
  { description: 'A flavor: the size of one node.' },
);
/** A flavor: a named node size (`m1.small`: 2 CPUs, 4Gi), optionally with GPUs. */
export type Flavor = Static<typeof FlavorSchema>;

/** The OIDC issuer every apiserver of the platform trusts, and how its tokens map to Kubernetes users and groups. */
export const IdentitySchema = Type.Object(
  {
    issuer: Type.String({
      description: 'the issuer URL (https), exactly as the iss claim of its tokens says it.',
      minLength: 9,
      maxLength: 2048,
      pattern: '^https://[^\\s?#]+$',
    }),
    clientID: Type.String({ description: 'the OAuth client the CLI, kubectl and the portal log in with; the audience of the ID tokens.', minLength: 1, maxLength: 256 }),
    clientSecretRef: Type.Optional(
      Type.Object(
        {
          namespace: DnsLabel('the namespace of the Secret (the manager namespace, beamline-system).'),
          name: DnsLabel('the Secret.'),
          key: Type.String({ description: 'the key holding the client secret.', minLength: 1, maxLength: 253 }),
        },
        { description: "the portal's client secret, when the issuer treats the client as confidential; public clients use PKCE alone." },
      ),
    ),
    certificateAuthority: Type.Optional(
      Type.String({ description: "PEM of the CA that signed the issuer's serving certificate, when it is not a public one.", maxLength: 65536 }),
    ),
    usernameClaim: Type.Optional(Type.String({ description: 'the claim that is the user name (email needs email_verified true).', minLength: 1, maxLength: 256, default: 'email' })),
    usernamePrefix: Type.Optional(Type.String({ description: 'prepended to every user name, so they cannot clash with system users.', maxLength: 64, default: 'oidc:' })),
    groupsClaim: Type.Optional(Type.String({ description: 'the claim listing the groups.', minLength: 1, maxLength: 256, default: 'groups' })),
    groupsPrefix: Type.Optional(Type.String({ description: 'prepended to every group name.', maxLength: 64, default: 'oidc:' })),
    adminGroups: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 256 }), {
        description: 'groups (without prefix) whose members are platform admins: cluster-admin in the management cluster and every workload cluster.',
        maxItems: 32,
        'x-kubernetes-list-type': 'set',
      }),
    ),
  },
  {
    description: 'The OIDC issuer of the platform: the management apiserver and every workload apiserver Beamline starts trust it, so one login works for the CLI, kubectl and the portal.',
    'x-kubernetes-validations': [
      cel("!has(self.usernamePrefix) || !self.usernamePrefix.startsWith('system:')", 'usernamePrefix must not start with system:', { fieldPath: '.usernamePrefix' }),
      cel("!has(self.groupsPrefix) || !self.groupsPrefix.startsWith('system:')", 'groupsPrefix must not start with system:', { fieldPath: '.groupsPrefix' }),
    ],
  },
);
/** The OIDC issuer of the platform. */
export type Identity = Static<typeof IdentitySchema>;

/** The spec of the PlatformConfig. */
export const PlatformConfigSpecSchema = Type.Object(
  {
    flavors: Type.Array(FlavorSchema, {
      description: 'the node sizes templates and node groups may use; names are unique.',
      minItems: 1,
      maxItems: 64,
      'x-kubernetes-validations': [cel('self.all(f, self.exists_one(g, g.name == f.name))', 'flavor names must be unique')],
    }),
    kubernetesVersions: Type.Array(KubernetesVersion('a Kubernetes version a provider runs (1.36.3).'), {
      description: 'the Kubernetes versions templates may ask for.',
      minItems: 1,
      maxItems: 32,
      'x-kubernetes-list-type': 'set',
    }),
    identity: Type.Optional(IdentitySchema),
  },
  { description: 'The catalogue (flavors and Kubernetes versions) and the identity provider.' },
);
/** The spec of the PlatformConfig: `flavors` and `kubernetesVersions`. */
export type PlatformConfigSpec = Static<typeof PlatformConfigSpecSchema>;

/** PlatformConfig: the cluster-scoped singleton named `beamline`. It has no status. */
export const PlatformConfigSchema = kindSchema(
  PLATFORM_CONFIG,
  PlatformConfigSpecSchema,
  undefined,
  {
    description: 'PlatformConfig is the singleton (named beamline) catalogue of flavors and Kubernetes versions that admission policies check templates and node groups against.',
    'x-kubernetes-validations': [
      cel(`self.metadata.name == '${PLATFORM_CONFIG_NAME}'`, `the PlatformConfig is a singleton named ${PLATFORM_CONFIG_NAME}`, { fieldPath: '.metadata.name' }),
    ],
  },
);
/** PlatformConfig: the cluster-scoped singleton named `beamline`. */
export type PlatformConfig = Static<typeof PlatformConfigSchema>;

/** The columns `kubectl get platformconfig` prints (Age is appended by the generator). */
export const PLATFORM_CONFIG_PRINTER_COLUMNS = [
  // A column shows the first match of a JSONPath only: the versions list prints whole, the flavors would not.
  { name: 'Versions', type: 'string', jsonPath: '.spec.kubernetesVersions', description: 'the Kubernetes versions' },
] as const satisfies readonly PrinterColumn[];

/** How PlatformConfig is registered (see `kinds.ts`). */
export const PLATFORM_CONFIG_KIND: KindDefinition = {
  names: PLATFORM_CONFIG,
  schema: PlatformConfigSchema,
  printerColumns: PLATFORM_CONFIG_PRINTER_COLUMNS,
};

/** The user and group prefixes in effect: PlatformConfig's, else the defaults (`oidc:`). */
export function identityPrefixes(identity: Identity | undefined): { readonly user: string; readonly group: string } {
  return { user: identity?.usernamePrefix ?? 'oidc:', group: identity?.groupsPrefix ?? 'oidc:' };
}

/**
 * The Kubernetes user or group name of a Project member (`alice@lab.org` → `oidc:alice@lab.org`):
 * the name the apiservers give the holder of an ID token, and so the subject RBAC bindings name.
 */
export function memberSubjectName(identity: Identity | undefined, member: { readonly kind: 'User' | 'Group'; readonly name: string }): string {
  const prefixes = identityPrefixes(identity);
  return `${member.kind === 'User' ? prefixes.user : prefixes.group}${member.name}`;
}
