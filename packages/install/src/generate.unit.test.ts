// The generator: structural CRD schemas from TypeBox, the admission policies, the defaults, and
// that config/ holds exactly what the generator produces (run `npm run generate` when this fails).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Type from 'typebox';
import { parseAllDocuments } from 'yaml';
import { loadPins } from '@beamline/binaries';
import {
  admissionPolicies,
  CLUSTER_TEMPLATE_POLICY,
  customResourceDefinition,
  customResourceDefinitions,
  defaultPlatformConfig,
  defaultTemplates,
  GENERATED_DIRS,
  GENERATED_HEADER,
  generatedFiles,
  NODE_GROUP_POLICY,
  renderYaml,
  toStructural,
  type CustomResourceDefinitionManifest,
  type JsonSchemaProps,
} from './generate.ts';
import { CONTROL_PLANE_REPLICAS_MESSAGE, kindSchema, NODE_GROUP_NAME_MESSAGE, TEMPLATE_IMMUTABLE_MESSAGE } from '@beamline/api';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function definition(plural: string): CustomResourceDefinitionManifest {
  const found = customResourceDefinitions().find((crd) => crd.spec.names.plural === plural);
  assert.ok(found !== undefined, plural);
  return found;
}

function schemaOf(plural: string): JsonSchemaProps {
  const [version] = definition(plural).spec.versions;
  assert.ok(version !== undefined);
  return version.schema.openAPIV3Schema;
}

/** Every schema node with its path. */
function* walk(schema: JsonSchemaProps, path = ''): Generator<[string, JsonSchemaProps]> {
  yield [path, schema];
  for (const [name, child] of Object.entries(schema.properties ?? {})) yield* walk(child, `${path}.${name}`);
  if (schema.items !== undefined) yield* walk(schema.items, `${path}[]`);
  if (schema.additionalProperties !== undefined) yield* walk(schema.additionalProperties, `${path}[*]`);
}

/** The CEL rules of a kind, by path: `.spec.controlPlane.replicas` → rules. */
function rulesOf(plural: string): Map<string, readonly Readonly<Record<string, string>>[]> {
  const rules = new Map<string, readonly Readonly<Record<string, string>>[]>();
  for (const [path, node] of walk(schemaOf(plural))) {
    const list = node['x-kubernetes-validations'];
    if (list !== undefined) rules.set(path, list);
  }
  return rules;
}

describe('customResourceDefinition', () => {
  test('a newly registered kind becomes a CRD: names, schema, its columns then Age, subresources', () => {
    const names = { kind: 'Widget', listKind: 'WidgetList', plural: 'widgets', singular: 'widget', shortNames: ['wdg'], scope: 'Namespaced', categories: ['beamline'] } as const;
    const crd = customResourceDefinition({
      names,
      schema: kindSchema(names, Type.Object({ size: Type.Integer() }), Type.Object({ ready: Type.Boolean() }), { description: 'a widget' }),
      printerColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size', description: 'the size' }],
      subresources: { status: {} },
    });
    assert.equal(crd.metadata.name, 'widgets.beamline.dev');
    assert.deepEqual(crd.spec.names.shortNames, ['wdg']);
    const [version] = crd.spec.versions;
    assert.deepEqual(version?.subresources, { status: {} });
    assert.deepEqual(version?.additionalPrinterColumns?.map((column) => column.name), ['Size', 'Age']);
    assert.deepEqual(Object.keys(version?.schema.openAPIV3Schema.properties ?? {}), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  });
});

describe('toStructural', () => {
  test('literal unions become typed enums, Records additionalProperties', () => {
    const schema = Type.Object({
      mode: Type.Union([Type.Literal('a'), Type.Literal('b')]),
      kind: Type.Enum(['x', 'y']),
      fixed: Type.Literal(3),
      labels: Type.Record(Type.String(), Type.String()),
    });
    assert.deepEqual(toStructural(schema), {
      type: 'object',
      required: ['mode', 'kind', 'fixed', 'labels'],
      properties: {
        mode: { type: 'string', enum: ['a', 'b'] },
        kind: { type: 'string', enum: ['x', 'y'] },
        fixed: { type: 'number', enum: [3] },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    });
  });

  test('refuses what a CRD cannot carry, naming the path', () => {
    assert.throws(() => toStructural(Type.Object({ x: Type.Union([Type.String(), Type.Number()]) })), /\$\.x: anyOf is only supported as a union of literals/);
    assert.throws(() => toStructural(Type.Object({ x: Type.Any() })), /\$\.x: a structural schema needs a type/);
    assert.throws(() => toStructural(Type.Object({ x: Type.String() }, { additionalProperties: false })), /additionalProperties must be a schema/);
    assert.throws(() => toStructural({ type: 'object', $ref: '#/x' }), /"\$ref" cannot be carried/);
  });
});

describe('CRDs', () => {
  test('one per kind, in install order, named <plural>.beamline.dev', () => {
    assert.deepEqual(
      customResourceDefinitions().map((crd) => crd.metadata.name),
      ['platformconfigs.beamline.dev', 'projects.beamline.dev', 'clustertemplates.beamline.dev', 'clusters.beamline.dev', 'nodegroups.beamline.dev', 'applications.beamline.dev'],
    );
  });

  test('every schema node is typed and structural', () => {
    for (const crd of customResourceDefinitions()) {
      for (const [path, node] of walk(crd.spec.versions[0]?.schema.openAPIV3Schema ?? {})) {
        assert.ok(node.type !== undefined, `${crd.metadata.name}${path}: no type`);
        for (const key of Object.keys(node)) assert.ok(!['anyOf', 'oneOf', 'allOf', 'not', 'patternProperties', '$ref', 'const'].includes(key), `${crd.metadata.name}${path}: ${key}`);
        if (node.type === 'object') assert.ok(node.properties !== undefined || node.additionalProperties !== undefined || path === '.metadata' || node['x-kubernetes-preserve-unknown-fields'] === true, `${crd.metadata.name}${path}: an empty object`);
      }
    }
  });

  test('status subresource on all but PlatformConfig; scale on NodeGroup', () => {
    assert.deepEqual(definition('applications').spec.versions[0]?.subresources, { status: {} });
    assert.equal(definition('platformconfigs').spec.versions[0]?.subresources, undefined);
    assert.deepEqual(definition('clustertemplates').spec.versions[0]?.subresources, { status: {} });
    assert.deepEqual(definition('clusters').spec.versions[0]?.subresources, { status: {} });
    assert.deepEqual(definition('nodegroups').spec.versions[0]?.subresources, {
      status: {},
      scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' },
    });
  });

  test('printer columns', () => {
    const columns = (plural: string): string[] =>
      (definition(plural).spec.versions[0]?.additionalPrinterColumns ?? []).filter((c) => (c.priority ?? 0) === 0).map((c) => c.name.toUpperCase());
    assert.deepEqual(columns('clustertemplates'), ['VERSION', 'CONTROL-PLANE', 'PROVIDER', 'CLUSTERS', 'AGE']);
    assert.deepEqual(columns('clusters'), ['TEMPLATE', 'PROVIDER', 'PHASE', 'VERSION', 'ENDPOINT', 'READY', 'AGE']);
    assert.deepEqual(columns('nodegroups'), ['CLUSTER', 'FLAVOR', 'REPLICAS', 'READY', 'MIN', 'MAX', 'AGE']);
    assert.deepEqual(columns('applications'), ['SYNC', 'HEALTH', 'REVISION', 'DEST-CLUSTER', 'DEST-NAMESPACE', 'AGE']);
  });

  test('the CEL rules are where the API promises them', () => {
    const messages = (plural: string, path: string): (string | undefined)[] => (rulesOf(plural).get(path) ?? []).map((rule) => rule.message);
    assert.deepEqual(messages('platformconfigs', ''), ['the PlatformConfig is a singleton named beamline']);
    assert.deepEqual(messages('platformconfigs', '.spec.flavors'), ['flavor names must be unique']);
    assert.deepEqual(messages('clustertemplates', '.spec.controlPlane.replicas'), [CONTROL_PLANE_REPLICAS_MESSAGE]);
    assert.deepEqual(messages('clustertemplates', '.spec'), [TEMPLATE_IMMUTABLE_MESSAGE]);
    assert.deepEqual(messages('clustertemplates', '.spec.nodeGroups'), ['node group names must be unique']);
    assert.deepEqual(messages('clustertemplates', '.spec.nodeGroups[]'), messages('nodegroups', '.spec'));
    assert.deepEqual(messages('clusters', '.spec.templateRef'), ['templateRef is immutable: a Cluster keeps the template it was created from']);
    assert.deepEqual(messages('nodegroups', '.spec.clusterName'), ['clusterName is immutable: a NodeGroup belongs to one Cluster']);
    assert.deepEqual(messages('nodegroups', '.spec'), ['replicas must not be below minReplicas', 'replicas must not exceed maxReplicas', 'minReplicas must not exceed maxReplicas']);
    assert.ok(messages('nodegroups', '')[0]?.startsWith(NODE_GROUP_NAME_MESSAGE));
    const minMax = rulesOf('nodegroups').get('.spec')?.[2];
    assert.equal(minMax?.fieldPath, '.minReplicas');
  });

  test('the spec is required; defaults are in the schema', () => {
    for (const crd of customResourceDefinitions()) assert.deepEqual(crd.spec.versions[0]?.schema.openAPIV3Schema.required, ['spec'], crd.metadata.name);
    const spec = schemaOf('nodegroups').properties?.spec?.properties ?? {};
    assert.equal(spec.minReplicas?.default, 0);
    assert.equal(spec.role?.default, 'worker');
    assert.equal(schemaOf('clustertemplates').properties?.spec?.properties?.provider?.default, 'kwok');
  });
});

describe('admission policies', () => {
  test('parameterised by PlatformConfig/beamline, denying when it is missing', () => {
    const policies = admissionPolicies();
    assert.deepEqual(
      policies.map(({ policy }) => policy.metadata?.name),
      [NODE_GROUP_POLICY, CLUSTER_TEMPLATE_POLICY],
    );
    for (const { policy, binding } of policies) {
      assert.deepEqual(policy.spec?.paramKind, { apiVersion: 'beamline.dev/v1alpha1', kind: 'PlatformConfig' });
      assert.equal(policy.spec?.failurePolicy, 'Fail');
      assert.equal(binding.spec?.policyName, policy.metadata?.name);
      assert.deepEqual(binding.spec?.paramRef, { name: 'beamline', parameterNotFoundAction: 'Deny' });
      assert.deepEqual(binding.spec?.validationActions, ['Deny']);
      for (const validation of policy.spec?.validations ?? []) {
        assert.match(validation.messageExpression ?? '', /^'spec\./, 'the message starts with the field path');
        assert.match(validation.message ?? '', /^spec\./);
      }
    }
  });

  test('NodeGroups on create and update, templates on create (their spec never changes)', () => {
    const [nodeGroups, templates] = admissionPolicies();
    assert.deepEqual(nodeGroups?.policy.spec?.matchConstraints?.resourceRules, [
      { apiGroups: ['beamline.dev'], apiVersions: ['v1alpha1'], operations: ['CREATE', 'UPDATE'], resources: ['nodegroups'] },
    ]);
    assert.deepEqual(templates?.policy.spec?.matchConstraints?.resourceRules?.[0]?.operations, ['CREATE']);
    assert.equal(templates?.policy.spec?.validations?.length, 3);
  });
});

describe('defaults', () => {
  test('the PlatformConfig: five flavors, the pinned Kubernetes', () => {
    const config = defaultPlatformConfig();
    assert.equal(config.metadata.name, 'beamline');
    assert.deepEqual(config.spec.kubernetesVersions, [loadPins().kubernetes]);
    assert.deepEqual(
      config.spec.flavors.map((f) => [f.name, f.cpu, f.memory, f.gpus?.count ?? 0]),
      [
        ['m1.small', '2', '4Gi', 0],
        ['m1.medium', '4', '8Gi', 0],
        ['m1.large', '8', '16Gi', 0],
        ['g1.large', '8', '32Gi', 1],
        ['g1.xlarge', '16', '64Gi', 4],
      ],
    );
    assert.equal(config.spec.flavors[3]?.gpus?.product, 'NVIDIA-A100-SXM4-40GB');
  });

  test('the templates small, gpu and ha', () => {
    const templates = new Map(defaultTemplates().map((t) => [t.metadata.name, t.spec]));
    assert.deepEqual([...templates.keys()], ['small', 'gpu', 'ha']);
    assert.deepEqual(templates.get('small')?.controlPlane, { replicas: 1, flavor: 'm1.medium' });
    assert.deepEqual(templates.get('small')?.nodeGroups, [{ name: 'default', flavor: 'm1.small', replicas: 3, zones: ['zone-a', 'zone-b', 'zone-c'] }]);
    assert.deepEqual(templates.get('gpu')?.nodeGroups?.[1], { name: 'gpu', flavor: 'g1.large', replicas: 2, labels: { 'beamline.dev/gpu': 'true' }, role: 'gpu' });
    assert.equal(templates.get('ha')?.controlPlane.replicas, 3);
  });

  test('the templates only name what the PlatformConfig offers (what the policies check)', () => {
    const config = defaultPlatformConfig();
    const flavors = new Set(config.spec.flavors.map((f) => f.name));
    for (const { metadata, spec } of defaultTemplates()) {
      assert.ok(config.spec.kubernetesVersions.includes(spec.kubernetesVersion), metadata.name);
      for (const flavor of [spec.controlPlane.flavor, ...(spec.nodeGroups ?? []).map((g) => g.flavor)]) assert.ok(flavors.has(flavor), `${metadata.name}: ${flavor}`);
    }
  });
});

describe('generated files', () => {
  test('YAML with the header, parsing back to the objects', () => {
    const objects = customResourceDefinitions();
    const text = renderYaml(objects);
    assert.ok(text.startsWith(`${GENERATED_HEADER}\n---\n`));
    assert.deepEqual(
      parseAllDocuments(text).map((doc) => doc.toJS() as unknown),
      JSON.parse(JSON.stringify(objects)),
    );
  });

  test('config/ is up to date (else: npm run generate)', () => {
    const files = generatedFiles();
    const stale = [...files].filter(([path, content]) => !existsSync(join(root, path)) || readFileSync(join(root, path), 'utf8') !== content).map(([path]) => path);
    assert.deepEqual(stale, [], 'stale generated files: run `npm run generate`');
    const extra = GENERATED_DIRS.flatMap((dir) => (existsSync(join(root, dir)) ? readdirSync(join(root, dir)).map((name) => `${dir}/${name}`) : [])).filter((path) => !files.has(path));
    assert.deepEqual(extra, [], 'files the generator does not produce: run `npm run generate`');
  });
});
