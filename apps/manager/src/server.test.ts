// The manager's HTTP endpoints in front of a real Manager (toy controller, shared apiserver).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { KubeClient } from '@beamline/kube';
import { Manager } from '@beamline/reconcile';
import { CONFIGMAP, ROLE_LABEL, SEEN_ANNOTATION, ToyReconciler, toyController, type ConfigMap } from '@beamline/reconcile/testing';
import { useTestEnv, waitFor } from '@beamline/testenv';
import { startManagerServer, type ManagerServer } from './server.ts';

const env = useTestEnv('manager-http');

describe('manager server', () => {
  let manager: Manager;
  let server: ManagerServer;

  before(async () => {
    manager = new Manager({ kubeConfig: env.kubeConfig, logger: pino({ level: 'silent' }), namespace: env.namespace });
    manager.add(toyController(new ToyReconciler()));
    server = await startManagerServer({ host: '127.0.0.1', port: 0, manager, registry: manager.registry });
  });

  after(async () => {
    await server?.close();
    await manager?.stop();
  });

  test('binds 127.0.0.1 on a free port', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(server.url, 'http://127.0.0.1:0');
  });

  test('/healthz answers while the process runs; /readyz says what is not ready before start', async () => {
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), { ready: false, notReady: ['manager: not started'] });
  });

  test('/readyz is 200 once the caches synced', async () => {
    await manager.start();
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true, notReady: [] });
  });

  test('/metrics serves the reconcile counters as they move', async () => {
    const client = new KubeClient(env.kubeConfig);
    await client.create<ConfigMap>(CONFIGMAP, { metadata: { name: 'scraped', namespace: env.namespace, labels: { [ROLE_LABEL]: 'root' } }, data: { value: 'm' } });
    await waitFor(async () => (await client.get<ConfigMap>(CONFIGMAP, 'scraped', env.namespace))?.metadata?.annotations?.[SEEN_ANNOTATION] === 'm', {
      what: 'scraped reconciled',
    });
    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    const success = /beamline_reconcile_total\{controller="toy",result="success"\} (\d+)/.exec(text);
    assert.ok(Number(success?.[1]) > 0, 'successful reconciles counted');
    assert.match(text, /beamline_reconcile_total\{controller="toy",result="terminal"\} 0/);
    assert.match(text, /# TYPE beamline_reconcile_duration_seconds histogram/);
    assert.match(text, /beamline_workqueue_depth\{controller="toy"\} \d+/);
    assert.match(text, /beamline_leader\{identity=".+"\} 1/);
  });

  test('close stops listening', async () => {
    const url = server.url;
    await server.close();
    await assert.rejects(fetch(`${url}/healthz`));
  });
});
