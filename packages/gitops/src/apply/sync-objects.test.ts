// syncObjects against the run's shared apiserver: waves, CRDs, failures, prune, inventory, force.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientFor, KubeClient, type ResourceType } from '@beamline/kube';
import { uniqueName, useTestEnv } from '@beamline/testenv';
import { DuplicateObjectsError } from '../plan/find-duplicates.ts';
import type { Manifest } from '../render/manifest.ts';
import { inventoryEntryOf, inventoryKey, type InventoryEntry } from './inventory.ts';
import { syncObjects } from './sync-objects.ts';
import type { TrackingOptions } from './tracking.ts';

const env = useTestEnv('gitops-apply');

const CONFIG_MAPS: ResourceType = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
const CRDS: ResourceType = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false };

const client = (): KubeClient => clientFor(env.kubeConfig);

function configMap(name: string, data: Record<string, string>, wave?: string): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: env.namespace, ...(wave === undefined ? {} : { annotations: { 'beamline.dev/sync-wave': wave } }) },
    data,
  };
}

function service(name: string, port: number): Manifest {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: env.namespace }, spec: { selector: { app: name }, ports: [{ port, targetPort: 8080 }] } };
}

function deployment(name: string, image: string): Manifest {
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
    const cm = await client().get<Manifest & { data?: Record<string, string> }>(CONFIG_MAPS, name, env.namespace);
    assert.equal(cm?.data?.colour, 'blue');
    const deploy = await client().get<Manifest & { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }>(
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
    const crd: Manifest = {
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
    const gadget: Manifest = { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name: 'g1', namespace: env.namespace }, spec: { size: 3 } };
    // The CR comes first in the input: the order is the engine's, not the renderer's.
    const result = await syncObjects({ client: client(), objects: [gadget, crd], inventory: [], prune: false });
    assert.deepEqual(result.failed, []);
    assert.deepEqual(keys(result.applied), [`apiextensions.k8s.io/CustomResourceDefinition//${crdName}`, `${group}/Gadget/${env.namespace}/g1`]);
    const resource = await client().resourceFor(`${group}/v1`, 'Gadget');
    const stored = await client().get<Manifest & { spec?: { size?: number } }>(resource, 'g1', env.namespace);
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
    const stored = await client().get<Manifest & { data?: Record<string, string>; metadata: { managedFields?: { manager?: string; fieldsV1?: unknown }[] } }>(
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
    const cm: Manifest = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace }, data: {} };
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
  // Tracking ids as the controller writes them (`<app>:<group>/<kind>:<namespace>/<name>`).
  const TRACKING = 'beamline.dev/tracking-id';
  const idOf = (app: string, entry: InventoryEntry): string => `${app}:${entry.group}/${entry.kind}:${entry.namespace ?? ''}/${entry.name}`;
  function tracking(app: string, live: Map<string, object> = new Map()): TrackingOptions {
    return {
      annotation: TRACKING,
      app,
      idOf: (entry) => idOf(app, entry),
      ownerOf: (id, entry) => {
        const owner = id.slice(0, id.indexOf(':'));
        return id === idOf(owner, entry) ? owner : undefined;
      },
      live: (obj) => live.get(inventoryKey(inventoryEntryOf(obj))),
    };
  }
  const tracked = (obj: Manifest, app: string): Manifest => ({
    ...obj,
    metadata: { ...obj.metadata, annotations: { [TRACKING]: idOf(app, inventoryEntryOf(obj)) } },
  });
  async function liveOf(...objects: Manifest[]): Promise<Map<string, object>> {
    const live = new Map<string, object>();
    for (const obj of objects) {
      const found = await client().get(CONFIG_MAPS, obj.metadata.name, obj.metadata.namespace);
      if (found !== undefined) live.set(inventoryKey(inventoryEntryOf(obj)), found);
    }
    return live;
  }

  test('ownership: an object another app tracks is a conflict, and neither prune nor app deletion removes it', async () => {
    const shared = uniqueName('shared');
    const mine = uniqueName('mine');
    const appA = `${env.namespace}/app-a`;
    const appB = `${env.namespace}/app-b`;
    const byA = await syncObjects({ client: client(), objects: [tracked(configMap(shared, { owner: 'a' }), appA)], inventory: [], prune: true, tracking: tracking(appA) });
    assert.deepEqual(byA.failed, []);

    // App B renders an object of the same name: refused, not taken over.
    const objectsB = [tracked(configMap(shared, { owner: 'b' }), appB), tracked(configMap(mine, {}), appB)];
    const byB = await syncObjects({ client: client(), objects: objectsB, inventory: [], prune: true, tracking: tracking(appB, await liveOf(...objectsB)) });
    assert.deepEqual(keys(byB.failed), [`/ConfigMap/${env.namespace}/${shared}`]);
    assert.match(byB.failed[0]?.message ?? '', new RegExp(`^conflict: /ConfigMap/${env.namespace}/${shared} belongs to application ${appA} \\(its beamline\\.dev/tracking-id names it\\); not taken over`));
    const stored = await client().get<Manifest & { data?: Record<string, string> }>(CONFIG_MAPS, shared, env.namespace);
    assert.equal(stored?.data?.owner, 'a');

    // App B's inventory names the shared object (as a status listing desired objects would): its
    // prune and its deletion leave app A's object alone, and drop it from B's inventory.
    const inventoryB = [...byB.inventory, inventoryEntryOf(configMap(shared, {}))];
    const deletion = await syncObjects({ client: client(), objects: [], inventory: inventoryB, prune: true, tracking: tracking(appB) });
    assert.deepEqual(deletion.failed, []);
    assert.deepEqual(keys(deletion.pruned), [`/ConfigMap/${env.namespace}/${mine}`]);
    assert.deepEqual(keys(deletion.skipped), [`/ConfigMap/${env.namespace}/${shared}`]);
    assert.match(deletion.skipped[0]?.message ?? '', new RegExp(`not deleted: it belongs to application ${appA}`));
    assert.deepEqual(deletion.inventory, []);
    assert.ok(await exists(shared), "app A's object survives app B's deletion");
    assert.equal(await exists(mine), false);

    // An object whose tracking id was removed by hand is not the app's any more either.
    await client().patch(CONFIG_MAPS, shared, env.namespace, { metadata: { annotations: { [TRACKING]: null } } }, 'merge');
    const byAgain = await syncObjects({ client: client(), objects: [], inventory: byA.inventory, prune: true, tracking: tracking(appA) });
    assert.deepEqual(keys(byAgain.skipped), [`/ConfigMap/${env.namespace}/${shared}`]);
    assert.match(byAgain.skipped[0]?.message ?? '', /it carries no beamline\.dev\/tracking-id/);
    assert.ok(await exists(shared));
  });

  test('a kind the cluster does not serve: one line naming the kind, the cluster and the fix', async () => {
    const rollout: Manifest = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'web', namespace: env.namespace }, spec: {} };
    const result = await syncObjects({ client: client(), objects: [rollout, configMap(uniqueName('with'), {})], inventory: [], prune: false, destinationName: 'lab' });
    assert.deepEqual(keys(result.failed), [`argoproj.io/Rollout/${env.namespace}/web`]);
    assert.equal(result.failed[0]?.message, `failed to apply argoproj.io/Rollout/${env.namespace}/web: kind Rollout (argoproj.io/v1alpha1) is not served by cluster lab; install its CRD`);
    const noKind: Manifest = { apiVersion: 'v1', kind: 'Gizmo', metadata: { name: 'g', namespace: env.namespace } };
    const second = await syncObjects({ client: client(), objects: [noKind], inventory: [], prune: false, destinationName: 'lab' });
    assert.match(second.failed[0]?.message ?? '', /kind Gizmo \(v1\) is not served by cluster lab; install its CRD$/);
  });

  test('hooks: PreSync before the objects, Sync with its wave, PostSync after; generated names; none in the inventory', async () => {
    const prefix = uniqueName('hk');
    const hook = (name: string, phase: string, extra: Record<string, string> = {}, generate = false): Manifest => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { ...(generate ? { generateName: `${prefix}-${name}-` } : { name: `${prefix}-${name}` }), namespace: env.namespace, annotations: { 'argocd.argoproj.io/hook': phase, ...extra } } as Manifest['metadata'],
      data: { phase },
    });
    const objects = [
      configMap(`${prefix}-app`, {}),
      hook('pre', 'PreSync', {}, true),
      hook('sync', 'Sync', { 'argocd.argoproj.io/sync-wave': '1' }),
      hook('post', 'PostSync', { 'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded' }),
      hook('skip', 'Skip'),
      { ...configMap(`${prefix}-unnamed`, {}), metadata: { generateName: `${prefix}-plain-`, namespace: env.namespace } as unknown as Manifest['metadata'] },
    ];
    const result = await syncObjects({ client: client(), objects, inventory: [], prune: true, tracking: tracking(`${env.namespace}/hooks`) });
    assert.deepEqual(result.failed, []);
    const order = result.applied.map((entry) => entry.hook ?? 'object');
    assert.deepEqual(order, ['PreSync', 'object', 'Sync', 'PostSync']);
    assert.match(result.applied[0]?.name ?? '', new RegExp(`^${prefix}-pre-[a-z0-9]{5}$`));
    assert.deepEqual(inventoryKeys(result.inventory), [`/ConfigMap/${env.namespace}/${prefix}-app`]);
    assert.deepEqual(result.skipped.map((entry) => entry.key).sort(), [`/ConfigMap/${env.namespace}/${prefix}-plain-*`, `/ConfigMap/${env.namespace}/${prefix}-skip`]);
    assert.match(result.skipped.find((entry) => entry.key.endsWith('-plain-*'))?.message ?? '', /generateName without a hook annotation/);
    assert.equal(await exists(`${prefix}-skip`), false);
    assert.equal(await exists(`${prefix}-post`), false, 'HookSucceeded deletes the PostSync hook');
    const sync = await client().get(CONFIG_MAPS, `${prefix}-sync`, env.namespace);
    assert.equal(sync?.metadata?.annotations?.['beamline.dev/hook-of'], `${env.namespace}/hooks`);
    assert.equal(sync?.metadata?.annotations?.[TRACKING], undefined, 'hooks carry no tracking id');

    // BeforeHookCreation (the default) replaces the Sync hook on the next sync.
    const again = await syncObjects({ client: client(), objects, inventory: result.inventory, prune: true, tracking: tracking(`${env.namespace}/hooks`) });
    assert.deepEqual(again.failed, []);
    const replaced = await client().get(CONFIG_MAPS, `${prefix}-sync`, env.namespace);
    assert.notEqual(replaced?.metadata?.uid, sync?.metadata?.uid);
    // A named hook that is not this app's is not replaced.
    const other = await syncObjects({ client: client(), objects: [hook('sync', 'Sync')], inventory: [], prune: false, tracking: tracking(`${env.namespace}/other`) });
    assert.match(other.failed[0]?.message ?? '', /Sync hook .* exists and is not a hook of this application/);
  });

  test('a failed PreSync hook Job stops the sync; a hook Job whose template changed is recreated', async () => {
    const node = uniqueName('kwok-node');
    const nodes: ResourceType = { apiVersion: 'v1', kind: 'Node', plural: 'nodes', namespaced: false };
    await client().create(nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: node, annotations: { 'kwok.x-k8s.io/node': 'fake' }, labels: { 'kubernetes.io/hostname': node, type: 'kwok' } },
      status: { capacity: { cpu: '8', memory: '32Gi', pods: '110' }, allocatable: { cpu: '8', memory: '32Gi', pods: '110' } },
    });
    env.onCleanup(() => client().delete(nodes, node));
    const name = uniqueName('migrate');
    const job = (image: string, policy: string, deadline?: number): Manifest => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: env.namespace, annotations: { 'argocd.argoproj.io/hook': 'PreSync', 'argocd.argoproj.io/hook-delete-policy': policy } },
      spec: {
        backoffLimit: 0,
        ...(deadline === undefined ? {} : { activeDeadlineSeconds: deadline }),
        template: { spec: { restartPolicy: 'Never', nodeSelector: { 'kubernetes.io/hostname': node }, containers: [{ name: 'migrate', image }] } },
      },
    });
    const app = configMap(uniqueName('after'), {});
    const track = tracking(`${env.namespace}/jobs`);
    const first = await syncObjects({ client: client(), objects: [job('busybox:1', 'HookFailed'), app], inventory: [], prune: false, tracking: track });
    assert.deepEqual(first.failed, []);
    assert.match(first.applied[0]?.message ?? '', new RegExp(`PreSync hook Job ${name} succeeded`));
    // A changed template of a Job still there (no BeforeHookCreation): the 422 recreates it.
    const second = await syncObjects({ client: client(), objects: [job('busybox:2', 'HookFailed'), app], inventory: [], prune: false, tracking: track });
    assert.deepEqual(second.failed, []);
    const live = await client().get<Manifest & { spec?: { template?: { spec?: { containers?: { image?: string }[] } } } }>(
      { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true },
      name,
      env.namespace,
    );
    assert.equal(live?.spec?.template?.spec?.containers?.[0]?.image, 'busybox:2');
    // A Job that fails (its deadline passes at once) stops the sync: the objects are Skipped.
    const later = configMap(uniqueName('never'), {});
    const failing = { ...job('busybox:3', 'BeforeHookCreation', 1), spec: { ...(job('busybox:3', 'BeforeHookCreation', 1).spec as object), template: { spec: { restartPolicy: 'Never', nodeSelector: { 'kubernetes.io/hostname': 'no-such-node' }, containers: [{ name: 'migrate', image: 'busybox:3' }] } } } };
    const third = await syncObjects({ client: client(), objects: [failing, later], inventory: [], prune: false, tracking: track });
    assert.deepEqual(keys(third.failed), [`batch/Job/${env.namespace}/${name}`]);
    assert.match(third.failed[0]?.message ?? '', /PreSync hook Job .* failed: DeadlineExceeded/);
    assert.deepEqual(keys(third.skipped), [`/ConfigMap/${env.namespace}/${later.metadata.name}`]);
    assert.match(third.skipped[0]?.message ?? '', /a PreSync hook failed/);
    assert.equal(await exists(later.metadata.name), false);
  });
});
