// What the harness promises about the Kubernetes API itself, against the run's shared control plane:
// CRUD and watch, server-side apply conflicts, CRD schema validation, RBAC.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  Watch,
  type V1ConfigMap,
} from '@kubernetes/client-node';
import { apiOutcome, testCrd, uniqueName, useTestEnv, waitFor } from '@beamline/testenv';

const env = useTestEnv('cp-api');

/** The HTTP status of a client-node call (200 when it succeeded). */
const statusOf = async (call: Promise<unknown>): Promise<number> => (await apiOutcome(call)).code;

/** The HTTP status and the Status message of a call. */
const errorBodyOf = async (call: Promise<unknown>): Promise<{ code: number; body: string }> => {
  const outcome = await apiOutcome(call);
  return { code: outcome.code, body: outcome.message };
};

describe('CRUD and watch', () => {
  test('a ConfigMap is created, read, updated and deleted, and a watch sees every step', async () => {
    const core = env.kubeConfig.makeApiClient(CoreV1Api);
    const name = uniqueName('cm');
    const events: string[] = [];
    const controller = await new Watch(env.kubeConfig).watch(
      `/api/v1/namespaces/${env.namespace}/configmaps`,
      {},
      (phase, object: V1ConfigMap) => {
        if (object.metadata?.name === name) events.push(`${phase}:${object.data?.colour ?? ''}`);
      },
      () => undefined,
    );
    try {
      await core.createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name }, data: { colour: 'red' } } });
      const read = await core.readNamespacedConfigMap({ namespace: env.namespace, name });
      assert.equal(read.data?.colour, 'red');
      read.data = { colour: 'blue' };
      await core.replaceNamespacedConfigMap({ namespace: env.namespace, name, body: read });
      assert.equal((await core.readNamespacedConfigMap({ namespace: env.namespace, name })).data?.colour, 'blue');
      await core.deleteNamespacedConfigMap({ namespace: env.namespace, name });
      assert.equal(await statusOf(core.readNamespacedConfigMap({ namespace: env.namespace, name })), 404);
      await waitFor(() => events.length >= 3, { what: 'three watch events', timeoutMs: 10_000 });
      assert.deepEqual(events, ['ADDED:red', 'MODIFIED:blue', 'DELETED:blue']);
    } finally {
      controller.abort();
    }
  });
});

describe('server-side apply', () => {
  test('two field managers conflict on a field; force moves its ownership', async () => {
    const objects = KubernetesObjectApi.makeApiClient(env.kubeConfig);
    const name = uniqueName('ssa');
    const manifest = (colour: string): V1ConfigMap & { apiVersion: string; kind: string } => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: env.namespace },
      data: { colour },
    });
    await objects.patch(manifest('red'), undefined, undefined, 'manager-a', false, PatchStrategy.ServerSideApply);

    const conflict = await errorBodyOf(objects.patch(manifest('green'), undefined, undefined, 'manager-b', false, PatchStrategy.ServerSideApply));
    assert.equal(conflict.code, 409);
    assert.match(conflict.body, /conflict/i);
    assert.match(conflict.body, /manager-a/);

    const forced = await objects.patch(manifest('green'), undefined, undefined, 'manager-b', true, PatchStrategy.ServerSideApply);
    assert.equal(forced.data?.colour, 'green');
    const owners = (forced.metadata?.managedFields ?? []).filter((entry) => JSON.stringify(entry.fieldsV1).includes('f:colour')).map((entry) => entry.manager);
    assert.deepEqual(owners, ['manager-b']);
  });
});

describe('CustomResourceDefinitions', () => {
  const plural = `widgets${uniqueName('x').slice(2)}`;
  const group = 'harness.beamline.dev';
  const crdName = `${plural}.${group}`;

  env.onCleanup(() => env.kubeConfig.makeApiClient(ApiextensionsV1Api).deleteCustomResourceDefinition({ name: crdName }));

  test('a CRD is installed and a bad object is refused with its field path', async () => {
    const extensions = env.kubeConfig.makeApiClient(ApiextensionsV1Api);
    await extensions.createCustomResourceDefinition({
      body: testCrd({
        group,
        plural,
        kind: `Widget${plural.slice(7)}`,
        schema: {
          type: 'object',
          properties: {
            spec: {
              type: 'object',
              required: ['size'],
              properties: { size: { type: 'integer', minimum: 1 }, min: { type: 'integer' }, max: { type: 'integer' } },
              x_kubernetes_validations: [{ rule: 'self.min <= self.max', message: 'min must not exceed max', fieldPath: '.min' }],
            },
          },
        },
      }),
    });
    await waitFor(
      async () => (await extensions.readCustomResourceDefinition({ name: crdName })).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'),
      { what: `CRD ${crdName} Established` },
    );
    const custom = env.kubeConfig.makeApiClient(CustomObjectsApi);
    const create = (spec: Record<string, number>): Promise<unknown> =>
      custom.createNamespacedCustomObject({
        group,
        version: 'v1',
        namespace: env.namespace,
        plural,
        body: { apiVersion: `${group}/v1`, kind: `Widget${plural.slice(7)}`, metadata: { name: uniqueName('w') }, spec },
      });
    // The new CRD's REST endpoint may take a moment after Established: wait until a good object goes in.
    await waitFor(async () => (await statusOf(create({ size: 2, min: 1, max: 2 }))) === 200, { what: 'a valid custom object accepted' });

    const tooSmall = await errorBodyOf(create({ size: 0, min: 1, max: 2 }));
    assert.equal(tooSmall.code, 422);
    assert.match(tooSmall.body, /spec\.size/);

    const crossed = await errorBodyOf(create({ size: 1, min: 5, max: 2 }));
    assert.equal(crossed.code, 422);
    assert.match(crossed.body, /spec\.min/);
    assert.match(crossed.body, /min must not exceed max/);
  });
});

describe('RBAC', () => {
  test('an unprivileged user is refused, then allowed through a RoleBinding to its group', async () => {
    const alice = await env.kubeConfigFor({ name: 'alice', groups: ['physics'] });
    const aliceCore = alice.makeApiClient(CoreV1Api);
    const denied = await errorBodyOf(aliceCore.listNamespacedConfigMap({ namespace: env.namespace }));
    assert.equal(denied.code, 403);
    assert.match(denied.body, /User "alice" cannot list resource "configmaps"/);

    const rbac = env.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: env.namespace,
      body: { metadata: { name: 'configmap-reader' }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: env.namespace,
      body: {
        metadata: { name: 'physics-reads-configmaps' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
        subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'physics' }],
      },
    });
    await waitFor(async () => (await statusOf(aliceCore.listNamespacedConfigMap({ namespace: env.namespace }))) === 200, { what: 'alice allowed to list' });
    // Still refused what the role does not grant.
    assert.equal(await statusOf(aliceCore.createNamespacedConfigMap({ namespace: env.namespace, body: { metadata: { name: 'nope' } } })), 403);
  });
});
