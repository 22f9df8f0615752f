// The Cluster reconciler drives whatever provider the registry holds, with no branch on its name:
// a fake provider in the slot the template names is ensured, published, reported and deleted;
// a Cluster naming a provider the registry lacks is Stalled with ProviderNotFound.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { API_VERSION, type Cluster } from '@beamline/api';
import { defaultTemplates, installApi } from '@beamline/install';
import { ProviderRegistry, type ClusterProvider } from '@beamline/providers';
import { clientFor, type KubeClient } from '@beamline/kube';
import { Manager } from '@beamline/reconcile';
import { uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { KUBECONFIG_KEY, RESOURCES } from '../resources.ts';
import { clusterReconciler } from './reconciler.ts';

const env = useTestEnv('cluster-provider');

describe('the Cluster reconciler drives the provider registered for a Cluster', () => {
  const template = uniqueName('tpl');
  const client = (): KubeClient => clientFor(env.kubeConfig);
  const ensured: string[] = [];
  const deleted: string[] = [];
  // Registered under the template's provider name (the CRD lets spec.provider name only kwok and imported).
  const fake: ClusterProvider = {
    name: 'kwok',
    observe: () => Promise.resolve(undefined),
    ensure: ({ namespace, name }) => {
      ensured.push(`${namespace}/${name}`);
      return Promise.resolve({
        controlPlane: { ready: true, reason: 'ControlPlaneAvailable', message: 'the fake answers' },
        endpoint: 'https://fake.example:6443',
        kubernetesVersion: '1.36.3',
        controlPlaneReplicas: 1,
        kubeconfig: { publish: 'fake kubeconfig' },
        nodeGroups: [{ name: 'fake', replicas: 2, readyReplicas: 2 }],
      });
    },
    delete: ({ namespace, name }) => {
      deleted.push(`${namespace}/${name}`);
      return Promise.resolve();
    },
  };
  let manager: Manager | undefined;
  const getCluster = (name: string): Promise<Cluster | undefined> => client().get<Cluster>(RESOURCES.cluster, name, env.namespace);
  const condition = (cluster: Cluster | undefined, type: string): { status: string; reason: string; message: string } | undefined =>
    cluster?.status?.conditions?.find((entry) => entry.type === type);

  before(async () => {
    const [small] = defaultTemplates();
    assert.ok(small !== undefined);
    await installApi(env.kubeConfig, { fieldManager: 'beamline-test', probeNamespace: env.namespace, templates: [{ ...small, metadata: { ...small.metadata, name: template } }] });
    manager = new Manager({ kubeConfig: env.kubeConfig, logger: pino({ level: process.env.BEAMLINE_LOG_LEVEL ?? 'warn' }), namespace: env.namespace });
    manager.add({
      // home and binaries are not used: the registry holds only the fake.
      reconciler: clusterReconciler({ home: '/nonexistent', binaries: env.binaries, kubernetesVersion: '1.36.3', providers: new ProviderRegistry().register(fake) }),
      for: RESOURCES.cluster,
      watches: [
        { ...RESOURCES.clusterTemplate, map: () => [] },
        { ...RESOURCES.nodeGroup, map: () => [] },
        // ...and PlatformConfig (the identity its clusters trust).
        { ...RESOURCES.platformConfig, map: () => [] },
      ],
    });
    await manager.start();
  });

  after(async () => {
    const items = (await client().list(RESOURCES.cluster, { namespace: env.namespace })).items;
    await Promise.all(items.map((item) => client().delete(RESOURCES.cluster, item.metadata?.name ?? '', env.namespace)));
    await waitFor(async () => (await client().list(RESOURCES.cluster, { namespace: env.namespace })).items.length === 0, { timeoutMs: 30_000, what: 'clusters deleted' }).catch(() => undefined);
    await manager?.stop();
    await client().delete(RESOURCES.clusterTemplate, template).catch(() => undefined);
  });

  test('a fake provider is ensured, its kubeconfig published, its nodes reported, and it is asked to delete the cluster', async () => {
    await client().create(RESOURCES.cluster, { apiVersion: API_VERSION, kind: 'Cluster', metadata: { name: 'fake', namespace: env.namespace }, spec: { templateRef: { name: template } } });
    const ready = await waitFor(async () => {
      const cluster = await getCluster('fake');
      return condition(cluster, 'Ready')?.status === 'True' ? cluster : undefined;
    }, { what: 'the fake-provider Cluster Ready', timeoutMs: 30_000 });
    assert.ok(ensured.includes(`${env.namespace}/fake`));
    assert.equal(ready.status?.endpoint, 'https://fake.example:6443');
    assert.equal(ready.status?.phase, 'Running');
    assert.deepEqual(ready.status?.nodes, { total: 2, ready: 2 });
    assert.deepEqual(ready.status?.kubeconfigSecretRef, { name: 'fake-kubeconfig', key: KUBECONFIG_KEY });
    const secret = await client().get<{ data?: Record<string, string> } & { metadata?: object }>(RESOURCES.secret, 'fake-kubeconfig', env.namespace);
    assert.equal(Buffer.from(secret?.data?.[KUBECONFIG_KEY] ?? '', 'base64').toString('utf8'), 'fake kubeconfig');
    // No NodeGroup objects: the provider reports its nodes itself.
    assert.equal((await client().list(RESOURCES.nodeGroup, { namespace: env.namespace })).items.length, 0);

    await client().delete(RESOURCES.cluster, 'fake', env.namespace);
    await waitFor(async () => (await getCluster('fake')) === undefined, { what: 'the fake-provider Cluster gone', timeoutMs: 30_000 });
    assert.deepEqual(deleted, [`${env.namespace}/fake`]);
  });

  test('a Cluster whose provider is not registered is Stalled with ProviderNotFound, naming the providers there are', async () => {
    await client().create(RESOURCES.cluster, {
      apiVersion: API_VERSION,
      kind: 'Cluster',
      metadata: { name: 'other', namespace: env.namespace },
      spec: { templateRef: { name: template }, provider: 'imported', imported: { kubeconfigSecretRef: { name: 'nope' } } },
    });
    const stalled = await waitFor(async () => {
      const cluster = await getCluster('other');
      return condition(cluster, 'Stalled')?.status === 'True' ? cluster : undefined;
    }, { what: 'the Cluster Stalled', timeoutMs: 30_000 });
    assert.deepEqual(condition(stalled, 'Ready'), { ...condition(stalled, 'Ready'), status: 'False', reason: 'ProviderNotFound', message: 'provider "imported" is not available in this manager; available: kwok' });
    assert.equal(stalled.status?.phase, 'Failed');
    assert.ok(!ensured.includes(`${env.namespace}/other`));
  });
});
