/**
 * From the TypeBox schemas of `beamline.dev/v1alpha1` to what the API server installs: the
 * CustomResourceDefinitions (structural schemas with CEL rules, defaults, printer columns) and the
 * ValidatingAdmissionPolicies that check references against `PlatformConfig/beamline`; plus the
 * default PlatformConfig and templates `beamline up` applies. Pure functions: `scripts/generate.ts`
 * writes their output to `config/`, and a unit test fails when `config/` is stale.
 */
import type {
  V1CustomResourceColumnDefinition,
  V1CustomResourceSubresources,
  V1ObjectMeta,
  V1ValidatingAdmissionPolicy,
  V1ValidatingAdmissionPolicyBinding,
} from '@kubernetes/client-node';
import { loadPins } from '@beamline/binaries';
import { stringify } from 'yaml';
import {
  API_VERSION,
  CLUSTER_TEMPLATE,
  GROUP,
  KIND_DEFINITIONS,
  NODE_GROUP,
  PLATFORM_CONFIG,
  PLATFORM_CONFIG_NAME,
  VERSION,
  type ClusterTemplate,
  type KindDefinition,
  type PlatformConfig,
  type PrinterColumn,
} from '@beamline/api';

/** An OpenAPI v3 schema as a CRD carries it (the wire names, `x-kubernetes-*` included). */
export interface JsonSchemaProps {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly format?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minProperties?: number;
  readonly maxProperties?: number;
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, JsonSchemaProps>>;
  readonly additionalProperties?: JsonSchemaProps;
  readonly items?: JsonSchemaProps;
  readonly 'x-kubernetes-validations'?: readonly Readonly<Record<string, string>>[];
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: 'atomic' | 'granular';
  readonly 'x-kubernetes-preserve-unknown-fields'?: true;
}

/** A CustomResourceDefinition (apiextensions.k8s.io/v1) in wire form, as written to YAML and applied. */
export interface CustomResourceDefinitionManifest {
  readonly apiVersion: 'apiextensions.k8s.io/v1';
  readonly kind: 'CustomResourceDefinition';
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec: {
    readonly group: string;
    readonly scope: 'Cluster' | 'Namespaced';
    readonly names: {
      readonly kind: string;
      readonly listKind: string;
      readonly plural: string;
      readonly singular: string;
      readonly shortNames: readonly string[];
      readonly categories: readonly string[];
    };
    readonly versions: readonly {
      readonly name: string;
      readonly served: boolean;
      readonly storage: boolean;
      readonly schema: { readonly openAPIV3Schema: JsonSchemaProps };
      readonly subresources?: V1CustomResourceSubresources;
      readonly additionalPrinterColumns?: readonly V1CustomResourceColumnDefinition[];
    }[];
  };
}

/** A ValidatingAdmissionPolicy and the binding that puts it in force. */
export interface AdmissionPolicy {
  readonly policy: V1ValidatingAdmissionPolicy & { readonly apiVersion: 'admissionregistration.k8s.io/v1'; readonly kind: 'ValidatingAdmissionPolicy' };
  readonly binding: V1ValidatingAdmissionPolicyBinding & {
    readonly apiVersion: 'admissionregistration.k8s.io/v1';
    readonly kind: 'ValidatingAdmissionPolicyBinding';
  };
}

/** Keywords a CRD schema may carry, in the order they are written out. */
const KEYWORDS = [
  'type',
  'format',
  'description',
  'default',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
] as const;

/** Keywords TypeBox may emit that {@link toStructural} rewrites into the ones above. */
const REWRITTEN = new Set(['anyOf', 'const', 'patternProperties']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function scalarType(values: readonly unknown[], path: string): JsonSchemaProps['type'] {
  const types = new Set(values.map((value) => (Number.isInteger(value) ? 'integer' : typeof value)));
  const [only] = types;
  if (types.size !== 1 || (only !== 'string' && only !== 'integer' && only !== 'boolean')) {
    throw new Error(`${path}: an enum must be all strings, all integers or all booleans`);
  }
  return only;
}

/**
 * Converts a TypeBox (JSON Schema) schema to a structural CRD schema: every node typed, literal
 * unions and `const` as `enum`, `Record`s as `additionalProperties`. Throws, naming the path, on
 * anything a CRD cannot carry (`$ref`, `oneOf`, `additionalProperties: false`, …) rather than
 * dropping it.
 */
export function toStructural(schema: unknown, path = '$'): JsonSchemaProps {
  if (!isRecord(schema)) throw new Error(`${path}: not a schema object`);
  const source: Record<string, unknown> = { ...schema };
  const anyOf = source.anyOf;
  if (anyOf !== undefined) {
    if (!Array.isArray(anyOf) || !anyOf.every((member) => isRecord(member) && 'const' in member)) {
      throw new Error(`${path}: anyOf is only supported as a union of literals`);
    }
    source.enum = anyOf.map((member) => (member as Record<string, unknown>).const);
  }
  if ('const' in source) source.enum = [source.const];
  const patternProperties = source.patternProperties;
  if (patternProperties !== undefined) {
    const entries = isRecord(patternProperties) ? Object.entries(patternProperties) : [];
    const [entry] = entries;
    if (entries.length !== 1 || entry === undefined || entry[0] !== '^.*$') throw new Error(`${path}: patternProperties is only supported as Record<string, T>`);
    source.additionalProperties = entry[1];
  }
  if (Array.isArray(source.enum) && source.type === undefined) source.type = scalarType(source.enum, path);
  for (const key of Object.keys(source)) {
    if (!(KEYWORDS as readonly string[]).includes(key) && !REWRITTEN.has(key)) throw new Error(`${path}: "${key}" cannot be carried by a CRD schema`);
  }
  if (typeof source.type !== 'string') throw new Error(`${path}: a structural schema needs a type`);

  const out: Record<string, unknown> = {};
  for (const key of KEYWORDS) {
    const value = source[key];
    if (value === undefined) continue;
    if (key === 'properties') {
      if (!isRecord(value)) throw new Error(`${path}: properties must be an object`);
      out.properties = Object.fromEntries(Object.entries(value).map(([name, child]) => [name, toStructural(child, `${path}.${name}`)]));
    } else if (key === 'additionalProperties') {
      if (!isRecord(value)) throw new Error(`${path}: additionalProperties must be a schema (true/false cannot be carried)`);
      out.additionalProperties = toStructural(value, `${path}[*]`);
    } else if (key === 'items') {
      out.items = toStructural(value, `${path}[]`);
    } else if (key === 'required') {
      if (!Array.isArray(value)) throw new Error(`${path}: required must be a list`);
      if (value.length > 0) out.required = [...(value as string[])];
    } else {
      out[key] = structuredClone(value);
    }
  }
  return out;
}

/** A printer column as the CRD carries it; `priority` only when not 0. */
function column({ name, type, jsonPath, description, priority = 0 }: PrinterColumn): V1CustomResourceColumnDefinition {
  return { name, type, jsonPath, description, ...(priority === 0 ? {} : { priority }) };
}

const AGE = column({ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'time since creation' });

/** The CRD of one registered kind: its names, its structural schema, printer columns (and Age), subresources. */
export function customResourceDefinition({ names, schema, printerColumns, subresources }: KindDefinition): CustomResourceDefinitionManifest {
  const { spec, status } = schema.properties;
  const rootRules = (schema as { readonly 'x-kubernetes-validations'?: unknown })['x-kubernetes-validations'];
  const openAPIV3Schema: JsonSchemaProps = {
    type: 'object',
    ...(schema.description === undefined ? {} : { description: schema.description }),
    required: (schema.required ?? []).filter((key) => key === 'spec' || key === 'status'),
    properties: {
      apiVersion: { type: 'string', description: `${API_VERSION}` },
      kind: { type: 'string', description: names.kind },
      // Declaring metadata.name makes it a valid fieldPath for the root CEL rules that check it.
      metadata: { type: 'object', properties: { name: { type: 'string' } } },
      spec: toStructural(spec, 'spec'),
      ...(status === undefined ? {} : { status: toStructural(status, 'status') }),
    },
    ...(rootRules === undefined ? {} : { 'x-kubernetes-validations': structuredClone(rootRules) as JsonSchemaProps['x-kubernetes-validations'] }),
  };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      scope: names.scope,
      names: {
        kind: names.kind,
        listKind: names.listKind,
        plural: names.plural,
        singular: names.singular,
        shortNames: [...names.shortNames],
        categories: [...names.categories],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          schema: { openAPIV3Schema },
          ...(subresources === undefined ? {} : { subresources: structuredClone(subresources) }),
          additionalPrinterColumns: [...printerColumns.map(column), AGE],
        },
      ],
    },
  };
}

/**
 * The CRDs of every kind registered in `@beamline/api`'s `KIND_DEFINITIONS`, in install order:
 * PlatformConfig, ClusterTemplate, Cluster, NodeGroup, Application. Each kind file says which
 * subresources its kind has (status on all but PlatformConfig; NodeGroup also scale).
 */
export function customResourceDefinitions(): readonly CustomResourceDefinitionManifest[] {
  return KIND_DEFINITIONS.map(customResourceDefinition);
}

/** Name of the policy (and its binding) that checks NodeGroups against PlatformConfig/beamline. */
export const NODE_GROUP_POLICY = 'beamline-nodegroup-catalogue';
/** Name of the policy (and its binding) that checks ClusterTemplates against PlatformConfig/beamline. */
export const CLUSTER_TEMPLATE_POLICY = 'beamline-clustertemplate-catalogue';

/** The CEL that lists the catalogue in messages. */
const FLAVOR_NAMES = 'params.spec.flavors.map(f, f.name)';
const KNOWN_FLAVORS = "'; PlatformConfig beamline offers: ' + variables.flavors.join(', ')";

function policy(name: string, plural: string, operations: readonly string[], body: Pick<NonNullable<V1ValidatingAdmissionPolicy['spec']>, 'variables' | 'validations'>): AdmissionPolicy {
  return {
    policy: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name } satisfies V1ObjectMeta,
      spec: {
        failurePolicy: 'Fail',
        paramKind: { apiVersion: API_VERSION, kind: PLATFORM_CONFIG.kind },
        matchConstraints: {
          resourceRules: [{ apiGroups: [GROUP], apiVersions: [VERSION], operations: [...operations], resources: [plural] }],
        },
        ...body,
      },
    },
    binding: {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name },
      spec: {
        policyName: name,
        paramRef: { name: PLATFORM_CONFIG_NAME, parameterNotFoundAction: 'Deny' },
        validationActions: ['Deny'],
      },
    },
  };
}

/**
 * The admission policies, parameterised by `PlatformConfig/beamline` (no PlatformConfig: every
 * create is refused). A NodeGroup's flavor must be in `spec.flavors` when it is created or its
 * flavor changes (an existing group keeps a flavor the catalogue dropped). A ClusterTemplate's
 * Kubernetes version and every flavor it names must be in the catalogue when it is created (its
 * spec never changes). Messages start with the field path and list what the catalogue offers.
 */
export function admissionPolicies(): readonly AdmissionPolicy[] {
  return [
    policy(NODE_GROUP_POLICY, NODE_GROUP.plural, ['CREATE', 'UPDATE'], {
      variables: [{ name: 'flavors', expression: FLAVOR_NAMES }],
      validations: [
        {
          expression: "(request.operation == 'UPDATE' && oldObject.spec.flavor == object.spec.flavor) || object.spec.flavor in variables.flavors",
          messageExpression: `'spec.flavor: unknown flavor "' + object.spec.flavor + '"' + ${KNOWN_FLAVORS}`,
          message: 'spec.flavor: unknown flavor (see PlatformConfig beamline spec.flavors)',
          reason: 'Invalid',
        },
      ],
    }),
    policy(CLUSTER_TEMPLATE_POLICY, CLUSTER_TEMPLATE.plural, ['CREATE'], {
      variables: [
        { name: 'flavors', expression: FLAVOR_NAMES },
        { name: 'unknownGroups', expression: "has(object.spec.nodeGroups) ? object.spec.nodeGroups.filter(g, !(g.flavor in variables.flavors)) : []" },
      ],
      validations: [
        {
          expression: 'object.spec.kubernetesVersion in params.spec.kubernetesVersions',
          messageExpression:
            "'spec.kubernetesVersion: Kubernetes ' + object.spec.kubernetesVersion + ' is not offered; PlatformConfig beamline offers: ' + params.spec.kubernetesVersions.join(', ')",
          message: 'spec.kubernetesVersion: not offered (see PlatformConfig beamline spec.kubernetesVersions)',
          reason: 'Invalid',
        },
        {
          expression: 'object.spec.controlPlane.flavor in variables.flavors',
          messageExpression: `'spec.controlPlane.flavor: unknown flavor "' + object.spec.controlPlane.flavor + '"' + ${KNOWN_FLAVORS}`,
          message: 'spec.controlPlane.flavor: unknown flavor (see PlatformConfig beamline spec.flavors)',
          reason: 'Invalid',
        },
        {
          expression: 'size(variables.unknownGroups) == 0',
          messageExpression: `'spec.nodeGroups: unknown flavor in ' + variables.unknownGroups.map(g, 'group "' + g.name + '" (flavor "' + g.flavor + '")').join(', ') + ${KNOWN_FLAVORS}`,
          message: 'spec.nodeGroups[].flavor: unknown flavor (see PlatformConfig beamline spec.flavors)',
          reason: 'Invalid',
        },
      ],
    }),
  ];
}

/** The GPU model of the default GPU flavors. */
export const DEFAULT_GPU_PRODUCT = 'NVIDIA-A100-SXM4-40GB';

/**
 * The PlatformConfig `beamline up` applies: five flavors (m1.small/medium/large, g1.large with one
 * GPU, g1.xlarge with four) and the pinned Kubernetes version.
 */
export function defaultPlatformConfig(kubernetesVersions: readonly string[] = [loadPins().kubernetes]): PlatformConfig {
  return {
    apiVersion: API_VERSION,
    kind: PLATFORM_CONFIG.kind,
    metadata: { name: PLATFORM_CONFIG_NAME },
    spec: {
      flavors: [
        { name: 'm1.small', cpu: '2', memory: '4Gi' },
        { name: 'm1.medium', cpu: '4', memory: '8Gi' },
        { name: 'm1.large', cpu: '8', memory: '16Gi' },
        { name: 'g1.large', cpu: '8', memory: '32Gi', gpus: { count: 1, product: DEFAULT_GPU_PRODUCT } },
        { name: 'g1.xlarge', cpu: '16', memory: '64Gi', gpus: { count: 4, product: DEFAULT_GPU_PRODUCT } },
      ],
      kubernetesVersions: [...kubernetesVersions],
    },
  };
}

const ZONES = ['zone-a', 'zone-b', 'zone-c'];

function template(name: string, spec: ClusterTemplate['spec']): ClusterTemplate {
  return { apiVersion: API_VERSION, kind: CLUSTER_TEMPLATE.kind, metadata: { name }, spec };
}

/**
 * The templates `beamline up` applies: `small` (1 × m1.medium control plane, 3 × m1.small over
 * three zones), `gpu` (small plus 2 × g1.large labelled `beamline.dev/gpu=true`, role gpu) and
 * `ha` (3 control-plane members, 3 × m1.small).
 */
export function defaultTemplates(kubernetesVersion: string = loadPins().kubernetes): readonly ClusterTemplate[] {
  const defaultGroup = { name: 'default', flavor: 'm1.small', replicas: 3, zones: [...ZONES] };
  return [
    template('small', {
      description: 'One control-plane member (m1.medium) and three m1.small workers spread over three zones.',
      kubernetesVersion,
      provider: 'kwok',
      controlPlane: { replicas: 1, flavor: 'm1.medium' },
      nodeGroups: [{ ...defaultGroup }],
    }),
    template('gpu', {
      description: 'small, plus two g1.large nodes with one NVIDIA A100 each (label beamline.dev/gpu=true, role gpu).',
      kubernetesVersion,
      provider: 'kwok',
      controlPlane: { replicas: 1, flavor: 'm1.medium' },
      nodeGroups: [{ ...defaultGroup }, { name: 'gpu', flavor: 'g1.large', replicas: 2, labels: { 'beamline.dev/gpu': 'true' }, role: 'gpu' }],
    }),
    template('ha', {
      description: 'A highly available control plane (3 members behind a load balancer) and three m1.small workers.',
      kubernetesVersion,
      provider: 'kwok',
      controlPlane: { replicas: 3, flavor: 'm1.medium' },
      nodeGroups: [{ ...defaultGroup }],
    }),
  ];
}

/** The first line of every generated file. */
export const GENERATED_HEADER = '# Generated by `npm run generate` (scripts/generate.ts) from api/v1alpha1; do not edit.';

/** Objects as a multi-document YAML file with the generated header. */
export function renderYaml(objects: readonly unknown[], comment?: string): string {
  const header = comment === undefined ? GENERATED_HEADER : `${GENERATED_HEADER}\n# ${comment}`;
  return `${header}\n${objects.map((object) => `---\n${stringify(object, { lineWidth: 0 })}`).join('')}`;
}

/** The folders under `config/` the generator owns: a file there it does not produce is stale. */
export const GENERATED_DIRS = ['config/crd', 'config/policies', 'config/samples'] as const;

/**
 * Every generated file, path relative to the repository root → content: `config/crd/beamline.dev_<plural>.yaml`,
 * `config/policies/<policy>.yaml` (policy and binding) and `config/samples/` (the defaults).
 */
export function generatedFiles(kubernetesVersion: string = loadPins().kubernetes): ReadonlyMap<string, string> {
  const files = new Map<string, string>();
  for (const definition of customResourceDefinitions()) {
    files.set(`config/crd/${GROUP}_${definition.spec.names.plural}.yaml`, renderYaml([definition]));
  }
  for (const { policy: vap, binding } of admissionPolicies()) {
    files.set(`config/policies/${vap.metadata?.name ?? ''}.yaml`, renderYaml([vap, binding]));
  }
  files.set('config/samples/platformconfig.yaml', renderYaml([defaultPlatformConfig([kubernetesVersion])], 'The PlatformConfig `beamline up` applies.'));
  files.set('config/samples/clustertemplates.yaml', renderYaml(defaultTemplates(kubernetesVersion), 'The ClusterTemplates `beamline up` applies.'));
  return files;
}
