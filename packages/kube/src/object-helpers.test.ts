// patchStatus and the finalizer helpers against a real apiserver, on a custom kind with a status
// subresource.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { testCrd, uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { setCondition } from './conditions.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from './finalizers.ts';
import { KubeClient, type KubeObject, type ResourceType } from './kube-client.ts';
import { patchStatus } from './patch-status.ts';

const env = useTestEnv('helpers');

const group = 'reconcile.beamline.dev';
const plural = `widgets${uniqueName('x').slice(2)}`;
const kind = `Widget${plural.slice(7)}`;
const WIDGET: ResourceType = { apiVersion: `${group}/v1`, kind, plural, namespaced: true };

interface Widget extends KubeObject {
  readonly spec?: { readonly size?: number };
  readonly status?: Record<string, unknown>;
}

describe('object helpers', () => {
  let client: KubeClient;

  before(async () => {
    client = new KubeClient(env.kubeConfig);
    const extensions = env.kubeConfig.makeApiClient(ApiextensionsV1Api);
    await extensions.createCustomResourceDefinition({
      body: testCrd({
        group,
        plural,
        kind,
        statusSubresource: true,
        schema: {
          type: 'object',
          properties: {
            spec: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
            status: { type: 'object', x_kubernetes_preserve_unknown_fields: true },
          },
        },
      }),
    });
    await waitFor(
      async () => {
        await client.list(WIDGET, { namespace: env.namespace });
        return true;
      },
      { what: `${plural} served` },
    );
  });

  after(async () => {
    await env.kubeConfig
      .makeApiClient(ApiextensionsV1Api)
      .deleteCustomResourceDefinition({ name: `${plural}.${group}` })
      .catch(() => undefined);
  });

  const create = (name: string, finalizers?: string[]): Promise<Widget> =>
    client.create<Widget>(WIDGET, { apiVersion: WIDGET.apiVersion, kind, metadata: { name, namespace: env.namespace, finalizers }, spec: { size: 1 } });

  test('patchStatus writes the status subresource (found through discovery), replacing the old status', async () => {
    const widget = await create('status');
    const conditions = setCondition([], { type: 'Ready', status: 'False', reason: 'Provisioning', message: 'starting', observedGeneration: 1 });
    const first = await patchStatus(env.kubeConfig, widget, { phase: 'Provisioning', observedGeneration: 1, conditions });
    assert.equal(first?.status?.phase, 'Provisioning');
    assert.deepEqual(first?.spec, { size: 1 });
    assert.equal(first?.metadata?.generation, widget.metadata?.generation, 'status writes do not bump the generation');

    // Computed, not accumulated: a field the new status lacks goes away.
    assert.ok(first !== undefined);
    const second = await patchStatus(env.kubeConfig, first, { observedGeneration: 1, conditions });
    assert.deepEqual(Object.keys(second?.status ?? {}).sort(), ['conditions', 'observedGeneration']);

    // The same status again writes nothing.
    assert.ok(second !== undefined);
    const third = await patchStatus(env.kubeConfig, second, { observedGeneration: 1, conditions, ignored: undefined }, { resource: WIDGET });
    assert.equal(third?.metadata?.resourceVersion, second?.metadata?.resourceVersion);
  });

  test('patchStatus of an object that is gone is done, not an error', async () => {
    const widget = await create('gone');
    await client.delete(WIDGET, 'gone', env.namespace);
    assert.equal(await patchStatus(env.kubeConfig, widget, { phase: 'Running' }), undefined);
  });

  test('patchStatus of a kind the apiserver does not serve says what to check', async () => {
    const stray = { apiVersion: 'nothing.beamline.dev/v1', kind: 'Nothing', metadata: { name: 'x', namespace: env.namespace } };
    await assert.rejects(patchStatus(env.kubeConfig, stray, { phase: 'x' }), /failed to patch status of Nothing .+\/x: failed to find where Nothing is served: kind Nothing \(nothing\.beamline\.dev\/v1\) is not served by the cluster; install its CRD$/);
  });

  test('addFinalizer from a stale copy keeps a finalizer another writer added meanwhile', async () => {
    const stale = await create('finalizers');
    await client.patch(WIDGET, 'finalizers', env.namespace, { metadata: { finalizers: ['other.dev/keep'] } }, 'merge', { fieldManager: 'other' });
    const updated = await addFinalizer(env.kubeConfig, stale, 'beamline.dev/test');
    assert.deepEqual(updated?.metadata?.finalizers, ['other.dev/keep', 'beamline.dev/test']);
    // Already there: nothing to do.
    assert.ok(updated !== undefined);
    const again = await addFinalizer(env.kubeConfig, updated, 'beamline.dev/test');
    assert.equal(again?.metadata?.resourceVersion, updated?.metadata?.resourceVersion);
  });

  test('removing the last finalizer of an object being deleted lets it go', async () => {
    const widget = await create('deleting', ['beamline.dev/test']);
    await client.delete(WIDGET, 'deleting', env.namespace);
    const deleting = await client.get<Widget>(WIDGET, 'deleting', env.namespace);
    assert.ok(deleting?.metadata?.deletionTimestamp !== undefined);
    assert.equal(hasFinalizer(widget, 'beamline.dev/test'), true);
    // From the copy read before the deletion: the conflict is retried on a fresh read.
    await removeFinalizer(env.kubeConfig, widget, 'beamline.dev/test');
    await waitFor(async () => (await client.get(WIDGET, 'deleting', env.namespace)) === undefined, { what: 'the widget gone' });
    assert.equal(await addFinalizer(env.kubeConfig, { ...widget, metadata: { ...widget.metadata, finalizers: [] } }, 'beamline.dev/test'), undefined, 'gone objects are done');
  });
});
