// Leader election through a real Lease: two managers, one leader, takeover on stop; a leader
// whose Lease is taken steps down.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { uniqueName, useTestEnv, waitFor } from '@beamline/testenv';
import { KubeClient } from '@beamline/kube';
import { LEASE_RESOURCE, microTime, type Lease } from './leader-election.ts';
import { Manager } from './manager.ts';
import { BY_ANNOTATION, CONFIGMAP, ROLE_LABEL, ToyReconciler, toyController, type ConfigMap } from './testing/toy-reconciler.ts';

const env = useTestEnv('leader');

// Short periods keep the test quick; the ratios are client-go's.
const timings = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };

describe('leader election', () => {
  const managers: Manager[] = [];
  after(async () => {
    await Promise.all(managers.map((manager) => manager.stop()));
  });

  function candidate(lease: string, identity: string): { manager: Manager; toy: ToyReconciler } {
    const toy = new ToyReconciler('toy', identity);
    const manager = new Manager({
      kubeConfig: env.kubeConfig,
      logger: pino({ level: 'silent' }),
      namespace: env.namespace,
      leaderElection: { namespace: env.namespace, name: lease, identity, ...timings },
    });
    manager.add(toyController(toy));
    managers.push(manager);
    return { manager, toy };
  }

  const client = (): KubeClient => new KubeClient(env.kubeConfig);
  const holderOf = async (lease: string): Promise<string | undefined> => (await client().get<Lease>(LEASE_RESOURCE, lease, env.namespace))?.spec?.holderIdentity;
  const createRoot = (name: string): Promise<ConfigMap> =>
    client().create<ConfigMap>(CONFIGMAP, { metadata: { name, namespace: env.namespace, labels: { [ROLE_LABEL]: 'root' } }, data: { value: name } });
  const reconciledBy = async (name: string): Promise<string | undefined> =>
    (await client().get<ConfigMap>(CONFIGMAP, name, env.namespace))?.metadata?.annotations?.[BY_ANNOTATION];

  test('one of two managers leads and reconciles; when it stops, the other takes over', async () => {
    const lease = uniqueName('lease');
    const a = candidate(lease, 'manager-a');
    const b = candidate(lease, 'manager-b');
    await Promise.all([a.manager.start(), b.manager.start()]);

    await waitFor(() => a.manager.isLeader() || b.manager.isLeader(), { what: 'a leader' });
    const [leader, standby] = a.manager.isLeader() ? [a, b] : [b, a];
    assert.equal([a, b].filter((entry) => entry.manager.isLeader()).length, 1, 'exactly one leads');
    assert.equal(await holderOf(lease), leader.manager.identity);

    await createRoot('first');
    await waitFor(async () => (await reconciledBy('first')) === leader.manager.identity, { what: 'first reconciled by the leader' });
    assert.equal(standby.toy.total, 0, 'the standby reconciled nothing');
    assert.equal(standby.manager.isLeader(), false);
    const standbyMetrics = await standby.manager.registry.metrics();
    assert.match(standbyMetrics, new RegExp(`beamline_leader\\{identity="${standby.manager.identity}"\\} 0`));

    const transitionsBefore = (await client().get<Lease>(LEASE_RESOURCE, lease, env.namespace))?.spec?.leaseTransitions ?? 0;
    await leader.manager.stop();
    assert.equal(leader.manager.isLeader(), false);
    // Released, not left to expire: nobody has to wait a lease duration to take over.
    assert.notEqual(await holderOf(lease), leader.manager.identity, 'the stopped leader released the lease');
    await waitFor(() => standby.manager.isLeader(), { what: 'the standby to lead' });
    assert.equal(await holderOf(lease), standby.manager.identity);
    const transitionsAfter = (await client().get<Lease>(LEASE_RESOURCE, lease, env.namespace))?.spec?.leaseTransitions ?? 0;
    assert.equal(transitionsAfter, transitionsBefore + 1);

    await createRoot('second');
    await waitFor(async () => (await reconciledBy('second')) === standby.manager.identity, { what: 'second reconciled by the new leader' });
    // The new leader's term starts with every root queued: `first` is reconciled by it too.
    await waitFor(async () => (await reconciledBy('first')) === standby.manager.identity, { what: 'first taken over by the new leader' });
    assert.match(await standby.manager.registry.metrics(), new RegExp(`beamline_leader\\{identity="${standby.manager.identity}"\\} 1`));
    await standby.manager.stop();
  });

  test('a leader whose Lease is taken steps down, and acquires it again once it is free', async () => {
    const lease = uniqueName('lease');
    const c = candidate(lease, 'manager-c');
    await c.manager.start();
    await waitFor(() => c.manager.isLeader(), { what: 'c to lead' });

    const current = await client().get<Lease>(LEASE_RESOURCE, lease, env.namespace);
    assert.ok(current !== undefined);
    const now = microTime(new Date());
    await client().replace<Lease>(LEASE_RESOURCE, {
      ...current,
      spec: { holderIdentity: 'intruder', leaseDurationSeconds: 3600, acquireTime: now, renewTime: now, leaseTransitions: (current.spec?.leaseTransitions ?? 0) + 1 },
    });
    await waitFor(() => !c.manager.isLeader(), { what: 'c to step down after its renew deadline' });
    assert.equal(await holderOf(lease), 'intruder', 'c does not take a valid lease back');

    const taken = await client().get<Lease>(LEASE_RESOURCE, lease, env.namespace);
    assert.ok(taken !== undefined);
    await client().replace<Lease>(LEASE_RESOURCE, { ...taken, spec: { ...taken.spec, holderIdentity: undefined, leaseDurationSeconds: 1 } });
    await waitFor(() => c.manager.isLeader(), { what: 'c to lead again' });
    await createRoot('third');
    await waitFor(async () => (await reconciledBy('third')) === 'manager-c', { what: 'third reconciled by c' });
  });
});
