// syncObjects against the run's shared apiserver: waves, CRDs, failures, prune, inventory, force.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientFor, KubeClient, type ResourceType } from '@beamline/reconcile';
import { uniqueName, useTestEnv } from '@beamline/testenv';
import { DuplicateObjectsError } from '../plan/find-duplicates.ts';
import type { KubeObject } from '../render/kube-object.ts';
import { inventoryKey, type InventoryEntry } from './inventory.ts';
import { syncObjects } from './sync-objects.ts';

const env = useTestEnv('gitops-apply');

const CONFIG_MAPS: ResourceType = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
const CRDS: ResourceType = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false };

const client = (): KubeClient => clientFor(env.kubeConfig);

function configMap(name: string, data: Record<string, string>, wave?: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: env.namespace, ...(wave === undefined ? {} : { annotations: { 'beamline.dev/sync-wave': wave } }) },
    data,
  };
}

function service(name: string, port: number): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: env.namespace }, spec: { selector: { app: name }, ports: [{ port, targetPort: 8080 }] } };
}

function deployment(name: string, image: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: env.namespace },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'web', image }] } },
    },
  };
}

const keys = (entries: readonly { readonly key: string }[]): string[] => entries.map((entry) => entry.key);
const inventoryKeys = (inventory: readonly InventoryEntry[]): string[] => inventory.map(inventoryKey);
const exists = async (name: string): Promise<boolean> => (await client().get(CONFIG_MAPS, name, env.namespace)) !== undefined;

describe('syncObjects', () => {
  test('applies a ConfigMap, a Deployment and a Service; a changed field is applied on re-sync', async () => {
    const name = uniqueName('web');
    const objects = [deployment(name, 'nginx:1'), service(name, 80), configMap(name, { colour: 'red' })];
    const first = await syncObjects({ client: client(), objects, inventory: [], prune: true });
    assert.deepEqual(first.failed, []);
    assert.deepEqual(keys(first.applied), [`/ConfigMap/${env.namespace}/${name}`, `/Service/${env.namespace}/${name}`, `apps/Deployment/${env.namespace}/${name}`]);
    assert.ok(first.applied.every((entry) => entry.status === 'Synced'));
    assert.deepEqual(inventoryKeys(first.inventory), [`/ConfigMap/${env.namespace}/${name}`, `/Service/${env.namespace}/${name}`, `apps/Deployment/${env.namespace}/${name}`]);
    assert.deepEqual(first.inventory[2], { group: 'apps', version: 'v1', kind: 'Deployment', namespace: env.namespace, name });

    const second = await syncObjects({ client: client(), objects: [deployment(name, 'nginx:2'), service(name, 80), configMap(name, { colour: 'blue' })], inventory: first.inventory, prune: true });
    assert.deepEqual(second.failed, []);
    assert.deepEqual(second.pruned, []);
    assert.deepEqual(second.inventory, first.inventory);
    const cm = await client().get<KubeObject & { data?: Record<string, string> }>(CONFIG_MAPS, name, env.namespace);
    assert.equal(cm?.data?.colour, 'blue');
    const deploy = await client().get<KubeObject & { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }>(
      { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
      name,
      env.namespace,
    );
    assert.equal(deploy?.spec?.template?.spec?.containers?.[0]?.image, 'nginx:2');
  });

  test('prunes a removed object only when prune is on, and never an object outside the inventory', async () => {
    const keep = uniqueName('keep');
    const drop = uniqueName('drop');
    const stranger = uniqueName('stranger');
    await client().apply(CONFIG_MAPS, configMap(stranger, { owner: 'someone-else' }), { fieldManager: 'someone-else' });
    const first = await syncObjects({ client: client(), objects: [configMap(keep, {}), configMap(drop, {})], inventory: [], prune: true });
    assert.equal(first.inventory.length, 2);

    const noPrune = await syncObjects({ client: client(), objects: [configMap(keep, {})], inventory: first.inventory, prune: false });
    assert.deepEqual(noPrune.pruned, []);
    assert.ok(await exists(drop));
    assert.deepEqual(inventoryKeys(noPrune.inventory), inventoryKeys(first.inventory), 'the unpruned object is still tracked');

    const pruned = await syncObjects({ client: client(), objects: [configMap(keep, {})], inventory: noPrune.inventory, prune: true });
    assert.deepEqual(keys(pruned.pruned), [`/ConfigMap/${env.namespace}/${drop}`]);
    assert.equal(pruned.pruned[0]?.status, 'Pruned');
    assert.equal(await exists(drop), false);
    assert.ok(await exists(keep));
    assert.ok(await exists(stranger), 'an object not in the inventory is never pruned');
    assert.deepEqual(inventoryKeys(pruned.inventory), [`/ConfigMap/${env.namespace}/${keep}`]);

    // An inventory entry already gone (404) counts as pruned.
    const again = await syncObjects({ client: client(), objects: [configMap(keep, {})], inventory: noPrune.inventory, prune: true });
    assert.deepEqual(keys(again.pruned), [`/ConfigMap/${env.namespace}/${drop}`]);
    assert.deepEqual(again.failed, []);
  });

  test('a CRD and a custom resource of it apply in one sync', async () => {
    const group = `${uniqueName('g')}.beamline.test`;
    const crdName = `gadgets.${group}`;
    env.onCleanup(() => client().delete(CRDS, crdName));
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: crdName },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } } }],
      },
    };
    const gadget: KubeObject = { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name: 'g1', namespace: env.namespace }, spec: { size: 3 } };
    // The CR comes first in the input: the order is the engine's, not the renderer's.
    const result = await syncObjects({ client: client(), objects: [gadget, crd], inventory: [], prune: false });
    assert.deepEqual(result.failed, []);
    assert.deepEqual(keys(result.applied), [`apiextensions.k8s.io/CustomResourceDefinition//${crdName}`, `${group}/Gadget/${env.namespace}/g1`]);
    const resource = await client().resourceFor(`${group}/v1`, 'Gadget');
    const stored = await client().get<KubeObject & { spec?: { size?: number } }>(resource, 'g1', env.namespace);
    assert.equal(stored?.spec?.size, 3);
    assert.deepEqual(result.inventory.find((entry) => entry.kind === 'CustomResourceDefinition'), { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', name: crdName });
  });

  test('an invalid object fails with the apiserver message; its wave goes on, later waves are skipped, nothing is pruned', async () => {
    const ok = uniqueName('ok');
    const bad = uniqueName('bad');
    const later = uniqueName('later');
    const stale = uniqueName('stale');
    const before = await syncObjects({ client: client(), objects: [configMap(stale, {})], inventory: [], prune: true });

    const result = await syncObjects({ client: client(), objects: [configMap(ok, {}), service(bad, 70000), configMap(later, {}, '1')], inventory: before.inventory, prune: true });
    assert.deepEqual(keys(result.failed), [`/Service/${env.namespace}/${bad}`]);
    assert.equal(result.failed[0]?.status, 'Failed');
    assert.match(result.failed[0]?.message ?? '', /422.*spec\.ports\[0\]\.port/);
    assert.deepEqual(keys(result.applied), [`/ConfigMap/${env.namespace}/${ok}`]);
    assert.deepEqual(keys(result.skipped), [`/ConfigMap/${env.namespace}/${later}`]);
    assert.equal(result.skipped[0]?.status, 'Skipped');
    assert.ok(await exists(ok));
    assert.equal(await exists(later), false);
    assert.deepEqual(result.pruned, []);
    assert.ok(await exists(stale), 'no prune in a sync with a failure');
    assert.deepEqual(inventoryKeys(result.inventory), [`/ConfigMap/${env.namespace}/${ok}`, `/ConfigMap/${env.namespace}/${stale}`].sort());
  });

  test('force takes a field another manager owns', async () => {
    const name = uniqueName('owned');
    await client().apply(CONFIG_MAPS, configMap(name, { colour: 'red' }), { fieldManager: 'other-tool', force: false });
    const result = await syncObjects({ client: client(), objects: [configMap(name, { colour: 'green' })], inventory: [], prune: false });
    assert.deepEqual(result.failed, []);
    const stored = await client().get<KubeObject & { data?: Record<string, string>; metadata: { managedFields?: { manager?: string; fieldsV1?: unknown }[] } }>(
      CONFIG_MAPS,
      name,
      env.namespace,
    );
    assert.equal(stored?.data?.colour, 'green');
    const owners = (stored?.metadata.managedFields ?? []).filter((entry) => JSON.stringify(entry.fieldsV1).includes('f:colour')).map((entry) => entry.manager);
    assert.deepEqual(owners, ['beamline']);
  });

  test('createNamespace applies the Namespace first; dry run writes nothing', async () => {
    const namespace = uniqueName('gitops-ns');
    env.onCleanup(() => client().delete({ apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false }, namespace));
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace }, data: {} };
    const dry = await syncObjects({ client: client(), objects: [configMap(uniqueName('dry'), {})], inventory: [], prune: true, dryRun: true });
    assert.deepEqual(dry.failed, []);
    assert.equal(await exists(dry.applied[0]?.name ?? ''), false);

    const result = await syncObjects({ client: client(), objects: [cm], inventory: [], prune: false, createNamespace: namespace });
    assert.deepEqual(result.failed, []);
    assert.deepEqual(keys(result.applied), [`/Namespace//${namespace}`, `/ConfigMap/${namespace}/c`]);
    assert.deepEqual(inventoryKeys(result.inventory), [`/ConfigMap/${namespace}/c`], 'the created namespace is not owned');
  });

  test('duplicates and namespace-less namespaced objects are refused', async () => {
    const name = uniqueName('dup');
    await assert.rejects(syncObjects({ client: client(), objects: [configMap(name, {}), configMap(name, {})], inventory: [], prune: true }), DuplicateObjectsError);
    assert.equal(await exists(name), false);
    const result = await syncObjects({ client: client(), objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }], inventory: [], prune: false });
    assert.match(result.failed[0]?.message ?? '', /namespaced but metadata\.namespace is not set/);
  });
});
