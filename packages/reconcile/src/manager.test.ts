// The runtime against a real apiserver: a toy controller over ConfigMaps in the test namespace.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiextensionsV1Api } from '@kubernetes/client-node';
import { pino } from 'pino';
import { testCrd, uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { KubeClient } from '@beamline/kube';
import { Manager } from './manager.ts';
import { CONFIGMAP, ROLE_LABEL, SEEN_ANNOTATION, ToyReconciler, toyController, type ConfigMap } from './testing/toy-reconciler.ts';

const env = useTestEnv('reconcile');

/** The value of a counter or gauge sample with these labels (0 when absent). */
async function metricValue(manager: Manager, name: string, labels: Readonly<Record<string, string>>): Promise<number> {
  const metric = manager.registry.getSingleMetric(name);
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  const sample = values.find((entry) => Object.entries(labels).every(([key, value]) => entry.labels[key] === value));
  return sample?.value ?? 0;
}

describe('Manager with a toy controller', () => {
  const logLines: Record<string, unknown>[] = [];
  const toy = new ToyReconciler();
  let manager: Manager;
  let client: KubeClient;

  const read = (name: string): Promise<ConfigMap | undefined> => client.get<ConfigMap>(CONFIGMAP, name, env.namespace);
  const createRoot = (name: string, data: Record<string, string>): Promise<ConfigMap> =>
    client.create<ConfigMap>(CONFIGMAP, { metadata: { name, namespace: env.namespace, labels: { [ROLE_LABEL]: 'root' } }, data });
  const seen = async (name: string): Promise<string | undefined> => (await read(name))?.metadata?.annotations?.[SEEN_ANNOTATION];

  before(async () => {
    client = new KubeClient(env.kubeConfig);
    const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) });
    manager = new Manager({ kubeConfig: env.kubeConfig, logger, namespace: env.namespace });
    manager.add(toyController(toy));
    assert.deepEqual(manager.readiness(), { ready: false, notReady: ['manager: not started'] });
    await manager.start();
  });

  after(async () => {
    await manager?.stop();
  });

  test('is ready and leads once started (no leader election)', () => {
    assert.deepEqual(manager.readiness(), { ready: true, notReady: [] });
    assert.equal(manager.isLeader(), true);
  });

  test('a created root is reconciled: its child appears and the root is annotated', async () => {
    await createRoot('alpha', { value: 'one' });
    const child = await waitFor(async () => (await read('alpha-child'))?.data?.value === 'one' && read('alpha-child'), { what: 'alpha-child with value one' });
    assert.equal(child?.metadata?.ownerReferences?.[0]?.name, 'alpha');
    await waitFor(async () => (await seen('alpha')) === 'one', { what: 'alpha annotated with one' });
  });

  test('an update of the root is reconciled', async () => {
    await client.patch(CONFIGMAP, 'alpha', env.namespace, { data: { value: 'two' } }, 'merge', { fieldManager: 'test' });
    await waitFor(async () => (await read('alpha-child'))?.data?.value === 'two', { what: 'alpha-child with value two' });
    await waitFor(async () => (await seen('alpha')) === 'two', { what: 'alpha annotated with two' });
  });

  test('a change to an owned child is mapped to its root, which makes it right again', async () => {
    const before = toy.attempts.get(`${env.namespace}/alpha`) ?? 0;
    await client.patch(CONFIGMAP, 'alpha-child', env.namespace, { data: { value: 'tampered' } }, 'merge', { fieldManager: 'test' });
    await waitFor(async () => (await read('alpha-child'))?.data?.value === 'two' && (toy.attempts.get(`${env.namespace}/alpha`) ?? 0) > before, {
      what: 'alpha-child restored by a reconcile of alpha',
    });
  });

  test('a failing reconcile is retried with backoff until it succeeds', async () => {
    const errorsBefore = await metricValue(manager, 'beamline_reconcile_total', { controller: 'toy', result: 'error' });
    await createRoot('flaky', { value: 'v', failTimes: '3' });
    await waitFor(async () => (await seen('flaky')) === 'v', { what: 'flaky reconciled after its planned failures' });
    assert.ok((toy.attempts.get(`${env.namespace}/flaky`) ?? 0) >= 4);
    assert.ok((await metricValue(manager, 'beamline_reconcile_total', { controller: 'toy', result: 'error' })) >= errorsBefore + 3);
    const retries = logLines.filter((line) => line.msg === 'reconcile failed; retrying with backoff' && line.name === 'flaky');
    assert.equal(retries.length, 3);
    assert.deepEqual(
      retries.map((line) => line.retryInMs),
      [50, 100, 200],
      'the backoff doubles per failure',
    );
    assert.deepEqual(
      retries.map((line) => [line.controller, line.namespace]),
      retries.map(() => ['toy', env.namespace]),
      'each line names the controller and object',
    );
  });

  test('a requeue result waits and reconciles again, without counting as failure', async () => {
    const requeuesBefore = await metricValue(manager, 'beamline_reconcile_total', { controller: 'toy', result: 'requeue' });
    await createRoot('patient', { value: 'p', waitTimes: '2' });
    await waitFor(async () => (await seen('patient')) === 'p', { what: 'patient reconciled after waiting twice' });
    assert.ok((await metricValue(manager, 'beamline_reconcile_total', { controller: 'toy', result: 'requeue' })) >= requeuesBefore + 2);
    assert.equal(logLines.filter((line) => line.name === 'patient' && line.level === 50).length, 0, 'no error logged');
  });

  test('a terminal failure is not retried; a change of the object reconciles it again', async () => {
    const name = uniqueName('stuck');
    await createRoot(name, { value: 'z', terminal: 'true' });
    await waitFor(async () => (await metricValue(manager, 'beamline_reconcile_total', { controller: 'toy', result: 'terminal' })) >= 1, {
      what: 'a terminal reconcile counted',
    });
    const terminalLine = logLines.find((line) => line.name === name && line.msg === 'reconcile failed terminally; not retrying until the object or a child changes');
    assert.ok(terminalLine !== undefined);
    await client.patch(CONFIGMAP, name, env.namespace, { data: { terminal: 'false' } }, 'merge', { fieldManager: 'test' });
    await waitFor(async () => (await seen(name)) === 'z', { what: `${name} reconciled after the fix` });
  });

  test('metrics: counters, the duration histogram, the queue depth and the leader gauge', async () => {
    assert.ok((await metricValue(manager, 'beamline_reconcile_total', { controller: 'toy', result: 'success' })) > 0);
    const text = await manager.registry.metrics();
    assert.match(text, /beamline_reconcile_duration_seconds_count\{controller="toy"\} [1-9]/);
    assert.match(text, /beamline_workqueue_depth\{controller="toy"\} \d+/);
    assert.match(text, new RegExp(`beamline_leader\\{identity="${manager.identity}"\\} 1`));
  });

  test('the cache serves copies of what it watches, and refuses kinds nobody watches', async () => {
    await waitFor(() => manager.cache.get<ConfigMap>(CONFIGMAP, 'alpha', env.namespace)?.data?.value === 'two', { what: 'alpha in the cache' });
    const copy = manager.cache.get<ConfigMap>(CONFIGMAP, 'alpha', env.namespace);
    (copy?.data as Record<string, string>).value = 'mutated';
    assert.equal(manager.cache.get<ConfigMap>(CONFIGMAP, 'alpha', env.namespace)?.data?.value, 'two');
    assert.throws(
      () => manager.cache.list({ apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true }),
      /no controller watches that kind; add it to a controller's owns or watches/,
    );
  });
});

describe('Manager start and stop', () => {
  test('start waits for caches to sync; readiness names the one that cannot; stop ends the wait', async () => {
    const manager = new Manager({ kubeConfig: env.kubeConfig, logger: pino({ level: 'silent' }), namespace: env.namespace });
    const missing = { apiVersion: 'nothing.beamline.dev/v1', kind: 'Nothing', plural: 'nothings', namespaced: true };
    manager.add({ reconciler: { name: 'never', reconcile: () => Promise.resolve({}) }, for: missing });
    const started = manager.start();
    const readiness = await waitFor(() => {
      const current = manager.readiness();
      return current.notReady.some((entry) => entry.includes('404')) && current;
    }, { what: 'readiness naming the failing cache' });
    assert.equal(readiness.ready, false);
    assert.match(readiness.notReady[0] ?? '', /^cache nothings\.nothing\.beamline\.dev\/v1 in namespace .+: not synced \(failed to GET .+: 404/);
    await manager.stop();
    await assert.rejects(started, /failed to start manager: stopped before the cache of nothings/);
    assert.equal(manager.isLeader(), false);
  });

  test('a cache whose kind is not served yet syncs once its CRD is installed, and start resolves', async (t) => {
    const group = 'reconcile.beamline.dev';
    const plural = `gadgets${uniqueName('x').slice(2)}`;
    const kind = `Gadget${plural.slice(7)}`;
    const extensions = env.kubeConfig.makeApiClient(ApiextensionsV1Api);
    t.after(() => extensions.deleteCustomResourceDefinition({ name: `${plural}.${group}` }).catch(() => undefined));
    const manager = new Manager({ kubeConfig: env.kubeConfig, logger: pino({ level: 'silent' }), namespace: env.namespace });
    t.after(() => manager.stop());
    manager.add({ reconciler: { name: 'gadgets', reconcile: () => Promise.resolve({}) }, for: { apiVersion: `${group}/v1`, kind, plural, namespaced: true } });
    const started = manager.start();
    await waitFor(() => manager.readiness().notReady.some((entry) => entry.includes('404')), { what: 'the gadget cache failing' });
    await extensions.createCustomResourceDefinition({ body: testCrd({ group, plural, kind }) });
    await started;
    assert.deepEqual(manager.readiness(), { ready: true, notReady: [] });
    assert.equal(manager.isLeader(), true);
  });

  test('controllers are added before start, with unique names', async () => {
    const manager = new Manager({ kubeConfig: env.kubeConfig, logger: pino({ level: 'silent' }), namespace: env.namespace });
    manager.add(toyController(new ToyReconciler('dup')));
    assert.throws(() => manager.add(toyController(new ToyReconciler('dup'))), /a controller of that name is already added/);
    await manager.start();
    assert.throws(() => manager.add(toyController(new ToyReconciler('late'))), /add controllers before start\(\)/);
    await manager.stop();
    await manager.stop();
    assert.deepEqual(manager.readiness(), { ready: false, notReady: ['manager: stopping'] });
  });
});
