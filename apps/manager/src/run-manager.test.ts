// runManager as the `beamline manager` command uses it: a real process, stopped by SIGTERM; and
// in-process, stopped by an AbortSignal.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { Counter } from 'prom-client';
import { ConflictError } from '@beamline/errors';
import { KubeClient } from '@beamline/kube';
import { LEASE_RESOURCE, type Lease, type Manager } from '@beamline/reconcile';
import { BY_ANNOTATION, CONFIGMAP, ROLE_LABEL, ToyReconciler, toyController, type ConfigMap } from '@beamline/reconcile/testing';
import { uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import type { Capability } from './capability.ts';
import { runManager } from './run-manager.ts';

const env = useTestEnv('run-manager');
const fixture = fileURLToPath(new URL('./testing/run-toy-manager.ts', import.meta.url));

describe('runManager', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  const client = (): KubeClient => new KubeClient(env.kubeConfig);
  const leaseHolder = async (name: string): Promise<string | undefined> => (await client().get<Lease>(LEASE_RESOURCE, name, env.namespace))?.spec?.holderIdentity;
  const reconciledBy = async (name: string): Promise<string | undefined> =>
    (await client().get<ConfigMap>(CONFIGMAP, name, env.namespace))?.metadata?.annotations?.[BY_ANNOTATION];
  const createRoot = (name: string): Promise<ConfigMap> =>
    client().create<ConfigMap>(CONFIGMAP, { metadata: { name, namespace: env.namespace, labels: { [ROLE_LABEL]: 'root' } }, data: { value: name } });

  test('a manager process serves, leads, reconciles, and on SIGTERM stops cleanly and releases its lease', async () => {
    const lease = uniqueName('lease');
    const child = spawn(process.execPath, [fixture, env.kubeconfigPath, env.namespace, 'process-a', lease], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');

    const { url } = await waitFor(() => (stdout.includes('\n') ? (JSON.parse(stdout.split('\n')[0] ?? '') as { url: string }) : undefined), {
      what: `the manager's url on stdout (stderr: ${stderr.slice(-500)})`,
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    await waitFor(async () => (await fetch(`${url}/readyz`)).status === 200, { what: '/readyz 200' });
    await waitFor(async () => (await leaseHolder(lease)) === 'process-a', { what: 'process-a holding the lease' });
    await createRoot('from-process');
    await waitFor(async () => (await reconciledBy('from-process')) === 'process-a', { what: 'from-process reconciled by the process' });

    child.kill('SIGTERM');
    const [code, signal] = (await exited) as [number | null, NodeJS.Signals | null];
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `exits cleanly (stderr: ${stderr.slice(-1000)})`);
    assert.equal(await leaseHolder(lease), undefined, 'the lease is released');
    const lines = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string });
    assert.ok(lines.some((line) => line.msg === 'released the lease'));
    assert.equal(lines.at(-1)?.msg, 'manager exited');
    assert.doesNotMatch(stderr, /BEGIN CERTIFICATE|client-key-data|client-certificate-data/, 'no kubeconfig material in the logs');
  });

  test('in process, an AbortSignal stops it and the promise resolves', async () => {
    const lease = uniqueName('lease');
    const abort = new AbortController();
    let seen: { url: string; manager: Manager } | undefined;
    const running = runManager({
      kubeConfig: env.kubeConfig,
      capabilities: [{ name: 'toy', controllers: [toyController(new ToyReconciler('toy', 'in-process'))] }],
      port: 0,
      identity: 'in-process',
      leaseNamespace: env.namespace,
      leaseName: lease,
      namespace: env.namespace,
      leaderElection: { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 },
      logger: pino({ level: 'silent' }),
      signal: abort.signal,
      onListening: (url, manager) => (seen = { url, manager }),
    });
    const { url, manager } = await waitFor(() => seen, { what: 'the server listening' });
    await waitFor(() => manager.isLeader(), { what: 'leading' });
    const sigtermListeners = process.listenerCount('SIGTERM');
    abort.abort();
    await running;
    assert.equal(manager.isLeader(), false);
    assert.equal(await leaseHolder(lease), undefined);
    await assert.rejects(fetch(`${url}/healthz`), 'the server is closed');
    assert.equal(process.listenerCount('SIGTERM'), sigtermListeners - 1, 'its signal handler is removed');
  });

  test('capabilities: controllers run, metrics and routes join the HTTP surface with the one error handler, stop runs last-first after the manager', async () => {
    const lease = uniqueName('lease');
    const abort = new AbortController();
    const events: string[] = [];
    let seen: { url: string; manager: Manager } | undefined;
    const capability = (name: string, extra: Partial<Capability> = {}): Capability => ({
      name,
      controllers: [],
      attach: ({ manager }) => events.push(`${name} attached, started: ${String(manager.readiness().notReady.includes('manager: not started') ? 'no' : 'yes')}`),
      stop: () => {
        events.push(`${name} stopped, leading: ${String(seen?.manager.isLeader())}`);
        return Promise.resolve();
      },
      ...extra,
    });
    const running = runManager({
      kubeConfig: env.kubeConfig,
      capabilities: [
        capability('first', { controllers: [toyController(new ToyReconciler('toy', 'capabilities'))] }),
        capability('second', {
          metrics: [new Counter({ name: 'beamline_capability_probe_total', help: 'a probe of the capability metrics', registers: [] })],
          routes: (app) => {
            app.get('/api/probe', () => ({ ok: true }));
            app.post('/api/probe', () => Promise.reject(new ConflictError('probe "p" exists')));
          },
        }),
      ],
      port: 0,
      identity: 'capabilities',
      leaseNamespace: env.namespace,
      leaseName: lease,
      namespace: env.namespace,
      leaderElection: { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 },
      logger: pino({ level: 'silent' }),
      signal: abort.signal,
      onListening: (url, manager) => (seen = { url, manager }),
    });
    try {
      const { url, manager } = await waitFor(() => seen, { what: 'the server listening' });
      await waitFor(() => manager.isLeader(), { what: 'leading' });
      await createRoot('from-capability');
      await waitFor(async () => (await reconciledBy('from-capability')) === 'capabilities', { what: "the first capability's controller reconciling" });
      assert.deepEqual(await (await fetch(`${url}/api/probe`)).json(), { ok: true });
      const refused = await fetch(`${url}/api/probe`, { method: 'POST' });
      assert.equal(refused.status, 409);
      assert.deepEqual(await refused.json(), { error: { name: 'ConflictError', message: 'probe "p" exists' }, message: 'probe "p" exists' });
      const unknown = await fetch(`${url}/api/nothing?x=1`);
      assert.equal(unknown.status, 404);
      assert.deepEqual(await unknown.json(), { error: { name: 'NotFoundError', message: 'no route GET /api/nothing' }, message: 'no route GET /api/nothing' });
      assert.match(await (await fetch(`${url}/metrics`)).text(), /beamline_capability_probe_total 0/);
    } finally {
      abort.abort();
      await running;
    }
    assert.deepEqual(events, ['first attached, started: no', 'second attached, started: no', 'second stopped, leading: false', 'first stopped, leading: false']);
  });
});
