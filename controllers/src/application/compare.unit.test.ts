import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TRACKING_ANNOTATION, trackingId } from '@beamline/api';
import { inventoryEntryOf, type InventoryEntry, type Manifest } from '@beamline/gitops';
import type { ResourceType } from '@beamline/kube';
import { compare, ignoredPointers, prepareDesired, type LiveReader, type PreparedObject } from './compare.ts';

// A fake reader is enough here: compare is pure logic over what the watch caches hold.
const RESOURCES: Record<string, ResourceType> = {
  'v1/ConfigMap': { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  'v1/Namespace': { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  'networking.k8s.io/v1/Ingress': { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', plural: 'ingresses', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
};

function reader(live: readonly Manifest[]): LiveReader {
  return {
    resourceFor: (apiVersion, kind) => {
      const resource = RESOURCES[`${apiVersion}/${kind}`];
      return resource === undefined ? Promise.reject(new Error(`kind ${kind} (${apiVersion}) is not served by the cluster`)) : Promise.resolve(resource);
    },
    live: (resource, name, namespace) =>
      live.find((obj) => obj.apiVersion === resource.apiVersion && obj.kind === resource.kind && obj.metadata.name === name && obj.metadata.namespace === namespace),
    health: { publishesAddresses: false, servesResourceMetrics: false },
  };
}

const configMap = (name: string, data: Record<string, string>, namespace = 'web'): Manifest => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data });
const prepared = (object: Manifest, extra: Partial<PreparedObject> = {}): PreparedObject => ({ object, resource: RESOURCES[`${object.apiVersion}/${object.kind}`], ...extra });
/** The live copy of an object: what the apiserver adds (uid, resourceVersion, another manager's field) does not make it differ. */
const liveOf = (object: Manifest, change: (copy: Record<string, unknown>) => void = () => undefined): Manifest => {
  const copy = structuredClone(object) as Record<string, unknown> & { metadata: Record<string, unknown> };
  copy.metadata.uid = 'u-1';
  copy.metadata.resourceVersion = '42';
  change(copy);
  return copy as Manifest;
};
const entry = (name: string, kind = 'ConfigMap', namespace: string | undefined = 'web'): InventoryEntry => ({ group: '', version: 'v1', kind, name, ...(namespace === undefined ? {} : { namespace }) });
const statusOf = (resources: readonly { kind: string; name: string; status: string; health?: { status: string } }[], name: string): string => {
  const found = resources.find((r) => r.name === name);
  return `${found?.status ?? '-'}/${found?.health?.status ?? '-'}`;
};

describe('compare: desired objects against the live ones', () => {
  test('equal objects are Synced and Healthy; what the server adds does not count', async () => {
    const desired = configMap('a', { k: 'v' });
    const result = await compare([prepared(desired)], [], { reader: reader([liveOf(desired, (copy) => { (copy.data as Record<string, string>).extra = 'theirs'; })]) });
    assert.equal(result.sync, 'Synced');
    assert.equal(statusOf(result.resources, 'a'), 'Synced/Healthy');
    assert.deepEqual(result.outOfSync, []);
    assert.equal(result.health.status, 'Healthy');
  });

  test('a changed field is OutOfSync, a missing object is OutOfSync and Missing', async () => {
    const changed = configMap('changed', { k: 'v' });
    const missing = configMap('missing', { k: 'v' });
    const result = await compare([prepared(changed), prepared(missing)], [], { reader: reader([liveOf(changed, (copy) => { copy.data = { k: 'edited' }; })]) });
    assert.equal(result.sync, 'OutOfSync');
    assert.equal(statusOf(result.resources, 'changed'), 'OutOfSync/Healthy');
    assert.equal(statusOf(result.resources, 'missing'), 'OutOfSync/Missing');
    assert.deepEqual(result.outOfSync, ['/ConfigMap/web/changed', '/ConfigMap/web/missing']);
    assert.equal(result.health.status, 'Missing');
  });

  test('ignoreDifferences leaves out the pointers of the objects it names', async () => {
    const a = configMap('a', { k: 'v' });
    const b = configMap('b', { k: 'v' });
    const edited = (obj: Manifest): Manifest => liveOf(obj, (copy) => { copy.data = { k: 'edited' }; });
    const rules = [{ kind: 'ConfigMap', name: 'a', jsonPointers: ['/data/k'] }];
    const result = await compare([prepared(a), prepared(b)], [], { reader: reader([edited(a), edited(b)]), ignoreDifferences: rules });
    assert.equal(statusOf(result.resources, 'a'), 'Synced/Healthy');
    assert.equal(statusOf(result.resources, 'b'), 'OutOfSync/Healthy');
  });

  test('an object just applied and not in the watch cache yet is Progressing, not Missing', async () => {
    const a = configMap('a', { k: 'v' });
    const result = await compare([prepared(a)], [], { reader: reader([]), justApplied: new Set(['ConfigMap/web/a']) });
    assert.equal(result.sync, 'Synced');
    assert.equal(statusOf(result.resources, 'a'), 'Synced/Progressing');
  });

  test('a kind the destination does not serve is Missing with the reason', async () => {
    const rollout = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'r', namespace: 'web' } };
    const result = await compare([{ object: rollout, resource: undefined, notServed: 'kind Rollout (argoproj.io/v1alpha1) is not served by cluster lab; install its CRD' }], [], { reader: reader([]) });
    assert.equal(result.sync, 'OutOfSync');
    assert.equal(result.resources[0]?.health?.message, 'kind Rollout (argoproj.io/v1alpha1) is not served by cluster lab; install its CRD');
  });

  test("the destination's health options reach the health rules: an Ingress without an address is Healthy only where nothing publishes one", async () => {
    const ingress: Manifest = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'web' }, spec: { rules: [{ host: 'web.example.org' }] } };
    const simulated = await compare([prepared(ingress)], [], { reader: reader([liveOf(ingress)]) });
    assert.equal(statusOf(simulated.resources, 'web'), 'Synced/Healthy');
    const publishing = await compare([prepared(ingress)], [], { reader: { ...reader([liveOf(ingress)]), health: {} } });
    assert.equal(statusOf(publishing.resources, 'web'), 'Synced/Progressing');
  });

  test('hooks are neither compared nor listed', async () => {
    const hook = configMap('pre', { k: 'v' });
    const result = await compare([prepared(hook, { hook: true })], [], { reader: reader([]) });
    assert.deepEqual(result.resources, []);
    assert.equal(result.sync, 'Synced');
  });
});

describe('compare: the inventory', () => {
  test('an entry the source dropped that still exists is extra and OutOfSync; one already gone is not listed', async () => {
    const kept = configMap('kept', { k: 'v' });
    const dropped = configMap('dropped', { k: 'v' });
    const result = await compare([prepared(kept)], [entry('kept'), entry('dropped'), entry('gone')], { reader: reader([liveOf(kept), liveOf(dropped)]) });
    assert.deepEqual(result.extra, [entry('dropped')]);
    assert.equal(result.sync, 'OutOfSync');
    assert.deepEqual(result.outOfSync, []);
    assert.equal(statusOf(result.resources, 'dropped'), 'OutOfSync/Healthy');
    assert.equal(result.resources.find((r) => r.name === 'gone'), undefined);
    // Extra objects do not make the app unhealthy.
    assert.equal(result.health.status, 'Healthy');
  });

  test('an entry of a kind no longer served stays extra (it cannot be seen to be gone)', async () => {
    const result = await compare([], [{ group: 'example.org', version: 'v1', kind: 'Widget', namespace: 'web', name: 'w' }], { reader: reader([]) });
    assert.equal(result.extra.length, 1);
    assert.equal(result.sync, 'OutOfSync');
  });
});

describe('prepareDesired', () => {
  test('namespaced kinds get the destination namespace and every ordinary object the tracking id', async () => {
    const objects: Manifest[] = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'other' } },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hook', annotations: { 'argocd.argoproj.io/hook': 'PreSync' } } },
    ];
    const result = await prepareDesired(objects, { namespace: 'web', appKey: 'team/app', reader: reader([]), clusterName: 'lab' });
    assert.deepEqual(result.map((p) => p.object.metadata.namespace), ['web', 'other', undefined, 'web']);
    assert.deepEqual(result.map((p) => p.hook === true), [false, false, false, true]);
    const annotations = (p: PreparedObject): Record<string, string> | undefined => p.object.metadata.annotations as Record<string, string> | undefined;
    for (const p of result.slice(0, 3)) assert.equal(annotations(p)?.[TRACKING_ANNOTATION], trackingId('team', 'app', inventoryEntryOf(p.object)));
    assert.equal(annotations(result[3]!)?.[TRACKING_ANNOTATION], undefined);
    // The rendered objects are not changed (they may come frozen from the render cache).
    assert.equal(objects[0]?.metadata.namespace, undefined);
  });

  test('a kind not served takes its scope from a CRD in the same app, else says it is not served', async () => {
    const crd = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.org' }, spec: { group: 'example.org', names: { kind: 'Widget' }, scope: 'Cluster' } };
    const widget = { apiVersion: 'example.org/v1', kind: 'Widget', metadata: { name: 'w' } };
    const rollout = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout', metadata: { name: 'r' } };
    const [, preparedWidget, preparedRollout] = await prepareDesired([crd, widget, rollout], { namespace: 'web', appKey: 'team/app', reader: reader([]), clusterName: 'lab' });
    assert.equal(preparedWidget?.object.metadata.namespace, undefined);
    assert.equal(preparedWidget?.notServed, undefined);
    assert.equal(preparedRollout?.object.metadata.namespace, 'web');
    assert.equal(preparedRollout?.notServed, 'kind Rollout (argoproj.io/v1alpha1) is not served by cluster lab; install its CRD');
  });
});

describe('ignoredPointers', () => {
  test('rules match by group, kind, and name and namespace when given', () => {
    const obj = configMap('a', {});
    const rules = [
      { kind: 'ConfigMap', jsonPointers: ['/data/all'] },
      { kind: 'ConfigMap', name: 'a', namespace: 'web', jsonPointers: ['/data/mine'] },
      { kind: 'ConfigMap', name: 'b', jsonPointers: ['/data/other-name'] },
      { kind: 'ConfigMap', namespace: 'elsewhere', jsonPointers: ['/data/other-namespace'] },
      { group: 'apps', kind: 'ConfigMap', jsonPointers: ['/data/other-group'] },
    ];
    assert.deepEqual(ignoredPointers(obj, rules), ['/data/all', '/data/mine']);
    assert.deepEqual(ignoredPointers(obj, undefined), []);
  });
});
