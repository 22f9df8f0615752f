// What the API server itself refuses and accepts once the Beamline API is installed: the CRDs'
// schemas and CEL rules, and the admission policies that check references against
// PlatformConfig/beamline. Against the run's shared control plane.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AdmissionregistrationV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { apiOutcome, uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { admissionPolicies, CLUSTER_TEMPLATE_POLICY, defaultPlatformConfig, defaultTemplates, installApi, NODE_GROUP_POLICY } from '@beamline/install';
import {
  API_VERSION,
  CONTROL_PLANE_REPLICAS_MESSAGE,
  GROUP,
  NODE_GROUP,
  VERSION,
  IMPORTED_REQUIRES_KUBECONFIG_MESSAGE,
  NODE_GROUP_NAME_MESSAGE,
  TEMPLATE_IMMUTABLE_MESSAGE,
  type Cluster,
  type ClusterSpec,
  type ClusterTemplate,
  type ClusterTemplateSpec,
  type NodeGroup,
  type NodeGroupSpec,
  type PlatformConfig,
} from './index.ts';

const env = useTestEnv('api-validation');
/** Cluster-scoped objects this file created, deleted in after(). */
const created: KubernetesObject[] = [];

function objectsApi(): KubernetesObjectApi {
  return KubernetesObjectApi.makeApiClient(env.kubeConfig);
}

/** The HTTP status and the Status message of a call that should fail. */
const refusal = apiOutcome;

function template(name: string, spec: ClusterTemplateSpec): ClusterTemplate {
  return { apiVersion: API_VERSION, kind: 'ClusterTemplate', metadata: { name }, spec };
}

function cluster(name: string, spec: ClusterSpec): Cluster {
  return { apiVersion: API_VERSION, kind: 'Cluster', metadata: { name, namespace: env.namespace }, spec };
}

function nodeGroup(name: string, spec: NodeGroupSpec): NodeGroup {
  return { apiVersion: API_VERSION, kind: 'NodeGroup', metadata: { name, namespace: env.namespace }, spec };
}

/** Creates an object; cluster-scoped ones are remembered for deletion. */
async function create<T extends KubernetesObject>(object: T): Promise<T> {
  const result = await objectsApi().create<T>(object);
  if (object.metadata?.namespace === undefined) created.push(object);
  return result;
}

/** Reads an object back. */
async function readObject<T extends KubernetesObject>(object: T): Promise<T> {
  const { name, namespace } = object.metadata ?? {};
  return objectsApi().read<T>({ apiVersion: object.apiVersion ?? '', kind: object.kind ?? '', metadata: { name: name ?? '', namespace } });
}

/** Applies a JSON merge patch to an object (no resourceVersion: last write wins). */
function mergePatch(object: KubernetesObject, patch: Record<string, unknown>): Promise<KubernetesObject> {
  const metadata = { name: object.metadata?.name, namespace: object.metadata?.namespace };
  return objectsApi().patch(
    { apiVersion: object.apiVersion, kind: object.kind, metadata, ...patch },
    undefined,
    undefined,
    undefined,
    undefined,
    PatchStrategy.MergePatch,
  );
}

/** A valid template spec: the `small` default's. */
function smallSpec(): ClusterTemplateSpec {
  const small = defaultTemplates().find((t) => t.metadata.name === 'small');
  assert.ok(small !== undefined);
  return structuredClone(small.spec);
}

env.onCleanup(async () => {
  const objects = objectsApi();
  for (const object of created.reverse()) await objects.delete(object).catch(() => undefined);
});

// One outer suite: node:test runs top-level before() hooks concurrently with useTestEnv's, a
// suite's before() after them.
describe('beamline.dev/v1alpha1 validation', () => {
before(async () => {
  await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace });
});

describe('installApi', () => {
  test('is idempotent and never edits an existing template', async () => {
    const name = uniqueName('installed');
    const first = template(name, smallSpec());
    created.push(first);
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace, templates: [first] });
    await installApi(env.kubeConfig, {
      fieldManager: 'beamline-test',
      probeNamespace: env.namespace,
      templates: [template(name, { ...smallSpec(), description: 'a different spec' })],
    });
    const read = await readObject<ClusterTemplate>(first);
    assert.equal(read.spec.description, first.spec.description);
  });
});

describe('admission policies', () => {
  test('type-check against the CRD schemas without warnings', async () => {
    const admission = env.kubeConfig.makeApiClient(AdmissionregistrationV1Api);
    for (const { policy } of admissionPolicies()) {
      const name = policy.metadata?.name ?? '';
      const checked = await waitFor(
        async () => {
          const read = await admission.readValidatingAdmissionPolicy({ name });
          return read.status?.observedGeneration === read.metadata?.generation ? read : undefined;
        },
        { what: `policy ${name} type-checked`, timeoutMs: 30_000 },
      );
      assert.deepEqual(checked.status?.typeChecking?.expressionWarnings ?? [], [], `policy ${name}`);
    }
  });
});

describe('PlatformConfig', () => {
  test('the default flavors and version are installed', async () => {
    // Other test files share the plane and may have created it first: with the same defaults.
    const read = (await objectsApi().read({ apiVersion: API_VERSION, kind: 'PlatformConfig', metadata: { name: 'beamline' } })) as unknown as PlatformConfig;
    const { spec } = defaultPlatformConfig();
    for (const flavor of spec.flavors) assert.deepEqual(read.spec.flavors.find((f) => f.name === flavor.name), flavor);
    for (const version of spec.kubernetesVersions) assert.ok(read.spec.kubernetesVersions.includes(version), version);
  });

  test('another name, duplicate flavor names and a zero quantity are refused', async () => {
    const base = defaultPlatformConfig();
    const bad = {
      ...base,
      metadata: { name: uniqueName('pcfg') },
      spec: { ...base.spec, flavors: [...base.spec.flavors, { name: 'm1.small', cpu: '0', memory: '1Gi' }] },
    };
    const { code, message } = await refusal(create(bad));
    assert.equal(code, 422);
    assert.match(message, /metadata\.name: .*the PlatformConfig is a singleton named beamline/);
    assert.match(message, /spec\.flavors: .*flavor names must be unique/);
    assert.match(message, /spec\.flavors\[5\]\.cpu: .*must be a positive quantity/);
  });
});

describe('ClusterTemplate', () => {
  test('the three default templates are accepted (under unique names)', async () => {
    for (const t of defaultTemplates()) {
      const name = uniqueName(t.metadata.name ?? 'template');
      const read = await create(template(name, t.spec));
      assert.equal(read.spec.provider, 'kwok');
    }
  });

  test('controlPlane.replicas 2 is refused', async () => {
    const spec = smallSpec();
    const { code, message } = await refusal(create(template(uniqueName('two'), { ...spec, controlPlane: { flavor: 'm1.medium', replicas: 2 as 1 } })));
    assert.equal(code, 422);
    assert.match(message, /spec\.controlPlane\.replicas/);
    assert.ok(message.includes(CONTROL_PLANE_REPLICAS_MESSAGE), message);
  });

  test('an unknown Kubernetes version is refused, listing the offered ones', async () => {
    const { code, message } = await refusal(create(template(uniqueName('old'), { ...smallSpec(), kubernetesVersion: '1.20.0' })));
    assert.equal(code, 422);
    assert.ok(message.includes(`ValidatingAdmissionPolicy '${CLUSTER_TEMPLATE_POLICY}'`), message);
    assert.match(message, /spec\.kubernetesVersion: Kubernetes 1\.20\.0 is not offered/);
    assert.ok(message.includes(defaultPlatformConfig().spec.kubernetesVersions[0] ?? '?'), message);
  });

  test('an unknown control-plane flavor is refused, listing the known ones', async () => {
    const { code, message } = await refusal(create(template(uniqueName('huge'), { ...smallSpec(), controlPlane: { replicas: 1, flavor: 'x9.huge' } })));
    assert.equal(code, 422);
    assert.match(message, /spec\.controlPlane\.flavor: unknown flavor "x9\.huge"; PlatformConfig beamline offers: .*m1\.small/);
  });

  test('an unknown node-group flavor is refused, naming the group', async () => {
    const spec = smallSpec();
    const nodeGroups = [...(spec.nodeGroups ?? []), { name: 'gpu', flavor: 'g9.huge', replicas: 1 }];
    const { code, message } = await refusal(create(template(uniqueName('huge'), { ...spec, nodeGroups })));
    assert.equal(code, 422);
    assert.match(message, /spec\.nodeGroups: unknown flavor in group "gpu" \(flavor "g9\.huge"\); PlatformConfig beamline offers: m1\.small/);
  });

  test('node group rules hold inside a template: unique names, min <= max', async () => {
    const spec = smallSpec();
    const group = { name: 'default', flavor: 'm1.small', replicas: 1 };
    const { code, message } = await refusal(
      create(template(uniqueName('groups'), { ...spec, nodeGroups: [group, { ...group, minReplicas: 3, maxReplicas: 2, replicas: 2 }] })),
    );
    assert.equal(code, 422);
    assert.match(message, /spec\.nodeGroups: .*node group names must be unique/);
    assert.match(message, /spec\.nodeGroups\[1\]\.minReplicas: .*minReplicas must not exceed maxReplicas/);
  });

  test("a template's spec cannot change; its metadata can", async () => {
    const name = uniqueName('frozen');
    const created = await create(template(name, smallSpec()));
    const { code, message } = await refusal(mergePatch(created, { spec: { description: 'changed' } }));
    assert.equal(code, 422);
    assert.match(message, /spec: /);
    assert.ok(message.includes(TEMPLATE_IMMUTABLE_MESSAGE), message);
    const relabelled = await mergePatch(created, { metadata: { name, labels: { team: 'physics' } } });
    assert.equal(relabelled.metadata?.labels?.team, 'physics');
  });
});

describe('Cluster', () => {
  test('a valid Cluster is accepted; templateRef and provider are immutable', async () => {
    const name = uniqueName('c');
    const read = await create(cluster(name, { templateRef: { name: 'small' }, provider: 'kwok' }));
    assert.equal(read.spec.templateRef.name, 'small');
    const moved = await refusal(mergePatch(read, { spec: { templateRef: { name: 'ha' } } }));
    assert.equal(moved.code, 422);
    assert.match(moved.message, /spec\.templateRef: .*templateRef is immutable/);
    const switched = await refusal(mergePatch(read, { spec: { provider: 'imported', imported: { kubeconfigSecretRef: { name: 'kc' } } } }));
    assert.equal(switched.code, 422);
    assert.match(switched.message, /spec\.provider: .*provider is immutable/);
  });

  test('an imported Cluster without a kubeconfig Secret is refused', async () => {
    const missing = await refusal(create(cluster(uniqueName('imp'), { templateRef: { name: 'small' }, provider: 'imported' })));
    assert.equal(missing.code, 422);
    assert.match(missing.message, /spec\.imported: /);
    assert.ok(missing.message.includes(IMPORTED_REQUIRES_KUBECONFIG_MESSAGE), missing.message);

    const empty = await refusal(
      create(cluster(uniqueName('imp'), { templateRef: { name: 'small' }, provider: 'imported', imported: {} as NonNullable<ClusterSpec['imported']> })),
    );
    assert.equal(empty.code, 422);
    assert.match(empty.message, /spec\.imported\.kubeconfigSecretRef: Required value/);
  });

  test('an imported Cluster defaults the Secret key to value', async () => {
    const read = await create(cluster(uniqueName('imp'), { templateRef: { name: 'small' }, provider: 'imported', imported: { kubeconfigSecretRef: { name: 'kc' } } }));
    assert.equal(read.spec.imported?.kubeconfigSecretRef.key, 'value');
  });

  test('a name that is not a DNS label is refused', async () => {
    const { code, message } = await refusal(create(cluster('physics.lab', { templateRef: { name: 'small' } })));
    assert.equal(code, 422);
    assert.match(message, /metadata\.name: .*a Cluster's name is a DNS label/);
  });
});

describe('NodeGroup', () => {
  const spec = (overrides: Partial<NodeGroupSpec> = {}): NodeGroupSpec => ({ clusterName: 'lab', flavor: 'm1.small', replicas: 2, ...overrides });

  test('a valid NodeGroup is accepted with defaults; scaling keeps working', async () => {
    const read = await create(nodeGroup('lab-workers', spec({ maxReplicas: 5, zones: ['zone-a', 'zone-b'] })));
    assert.equal(read.spec.minReplicas, 0);
    assert.equal(read.spec.role, 'worker');
    const scaled = (await mergePatch(read, { spec: { replicas: 4 } })) as NodeGroup;
    assert.equal(scaled.spec.replicas, 4);
    const tooMany = await refusal(mergePatch(read, { spec: { replicas: 6 } }));
    assert.equal(tooMany.code, 422);
    assert.match(tooMany.message, /spec\.replicas: .*replicas must not exceed maxReplicas/);

    // The scale subresource (kubectl scale nodegroup) is held to the same rules.
    const custom = env.kubeConfig.makeApiClient(CustomObjectsApi);
    const scaleOf = (replicas: number): Promise<unknown> =>
      custom.replaceNamespacedCustomObjectScale({
        group: GROUP,
        version: VERSION,
        namespace: env.namespace,
        plural: NODE_GROUP.plural,
        name: 'lab-workers',
        body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'lab-workers', namespace: env.namespace }, spec: { replicas } },
      });
    await scaleOf(5);
    assert.equal((await readObject<NodeGroup>(read)).spec.replicas, 5);
    const scaledTooFar = await refusal(scaleOf(9));
    assert.equal(scaledTooFar.code, 422);
    assert.match(scaledTooFar.message, /replicas must not exceed maxReplicas/);
  });

  test('minReplicas above maxReplicas is refused', async () => {
    const { code, message } = await refusal(create(nodeGroup('lab-minmax', spec({ minReplicas: 4, maxReplicas: 3, replicas: 3 }))));
    assert.equal(code, 422);
    assert.match(message, /spec\.minReplicas: .*minReplicas must not exceed maxReplicas/);
  });

  test('replicas above maxReplicas and below minReplicas are refused', async () => {
    const above = await refusal(create(nodeGroup('lab-above', spec({ replicas: 4, maxReplicas: 3 }))));
    assert.equal(above.code, 422);
    assert.match(above.message, /spec\.replicas: .*replicas must not exceed maxReplicas/);
    const below = await refusal(create(nodeGroup('lab-below', spec({ replicas: 1, minReplicas: 2 }))));
    assert.equal(below.code, 422);
    assert.match(below.message, /spec\.replicas: .*replicas must not be below minReplicas/);
  });

  test('an unknown flavor is refused on create and on change, listing the known ones', async () => {
    const unknown = await refusal(create(nodeGroup('lab-big', spec({ flavor: 'x9.huge' }))));
    assert.equal(unknown.code, 422);
    assert.ok(unknown.message.includes(`ValidatingAdmissionPolicy '${NODE_GROUP_POLICY}'`), unknown.message);
    assert.match(unknown.message, /spec\.flavor: unknown flavor "x9\.huge"; PlatformConfig beamline offers: .*m1\.small.*g1\.xlarge/);

    const read = await create(nodeGroup('lab-resize', spec()));
    const changed = await refusal(mergePatch(read, { spec: { flavor: 'x9.huge' } }));
    assert.equal(changed.code, 422);
    assert.match(changed.message, /spec\.flavor: unknown flavor "x9\.huge"/);
  });

  test('a NodeGroup not named <cluster>-<group> is refused', async () => {
    for (const name of ['workers', 'lab-', 'labs-workers']) {
      const { code, message } = await refusal(create(nodeGroup(name, spec())));
      assert.equal(code, 422, name);
      assert.match(message, /metadata\.name: /, name);
      assert.ok(message.includes(NODE_GROUP_NAME_MESSAGE), message);
    }
  });

  test('clusterName cannot change', async () => {
    const read = await create(nodeGroup('lab-moving', spec()));
    const { code, message } = await refusal(mergePatch(read, { spec: { clusterName: 'lab2' } }));
    assert.equal(code, 422);
    assert.match(message, /spec\.clusterName: .*clusterName is immutable/);
  });

  test('taints must be unique by key and effect; label keys must be valid', async () => {
    const { code, message } = await refusal(
      create(
        nodeGroup(
          'lab-tainted',
          spec({
            labels: { 'bad key': 'x' },
            taints: [
              { key: 'gpu', effect: 'NoSchedule' },
              { key: 'gpu', value: 'other', effect: 'NoSchedule' },
            ],
          }),
        ),
      ),
    );
    assert.equal(code, 422);
    assert.match(message, /spec\.taints: .*taints must be unique by key and effect/);
    assert.match(message, /spec\.labels: .*label keys must be valid/);
  });
});
});
