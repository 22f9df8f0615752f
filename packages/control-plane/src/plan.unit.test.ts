// What planComponents decides: names, start stages, ports and the flags that make 3 replicas work.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { binaryPathsIn } from '@beamline/binaries';
import { LB_PROCESS_FILE } from './components.ts';
import { layoutOf } from './layout.ts';
import { pickPorts, planComponents, selectionOf, SIMULATION_GO_ENV } from './plan.ts';
import type { ComponentSelection, ControlPlanePorts } from './state.ts';

const binaries = binaryPathsIn('/opt/bin');
const layout = layoutOf('/planes/p');
const all: ComponentSelection = { controllerManager: true, scheduler: true, kwok: true };

function plan(replicas: 1 | 3, selection: ComponentSelection, ports: ControlPlanePorts) {
  return planComponents({ name: 'p', layout, replicas, selection, ports, binaries, nodeBinary: '/usr/bin/node', unsafeNoFsync: false, etcdToken: 'p-token' });
}

const haPorts: ControlPlanePorts = {
  endpoint: 6443,
  etcd: [
    { client: 2379, peer: 2380 },
    { client: 2381, peer: 2382 },
    { client: 2383, peer: 2384 },
  ],
  apiServers: [7001, 7002, 7003],
  controllerManager: 10257,
  scheduler: 10259,
  kwok: 10247,
};

describe('planComponents', () => {
  test('one replica: etcd and kube-apiserver, whose port is the endpoint; no load balancer', () => {
    const specs = plan(1, { controllerManager: true, scheduler: false, kwok: false }, { endpoint: 7001, etcd: [{ client: 2379, peer: 2380 }], apiServers: [7001], controllerManager: 10257 });
    assert.deepEqual(specs.map((s) => [s.name, s.stage]), [['etcd', 0], ['kube-apiserver', 1], ['kube-controller-manager', 3]]);
    const etcd = specs[0];
    assert.ok(etcd !== undefined);
    assert.ok(etcd.args.includes('--data-dir=/planes/p/etcd'));
    assert.ok(etcd.args.includes('--initial-cluster=etcd-0=https://127.0.0.1:2380'));
    // Client TLS with client-certificate authentication against the etcd CA (not the cluster CA), peer TLS too.
    for (const flag of [
      '--listen-client-urls=https://127.0.0.1:2379',
      '--advertise-client-urls=https://127.0.0.1:2379',
      '--listen-peer-urls=https://127.0.0.1:2380',
      '--cert-file=/planes/p/pki/etcd.crt',
      '--key-file=/planes/p/pki/etcd.key',
      '--client-cert-auth=true',
      '--trusted-ca-file=/planes/p/pki/etcd-ca.crt',
      '--peer-cert-file=/planes/p/pki/etcd.crt',
      '--peer-key-file=/planes/p/pki/etcd.key',
      '--peer-client-cert-auth=true',
      '--peer-trusted-ca-file=/planes/p/pki/etcd-ca.crt',
    ]) {
      assert.ok(etcd.args.includes(flag), flag);
    }
    assert.ok(!etcd.args.some((arg) => arg.includes('http://')), 'nothing over plain HTTP');
    assert.deepEqual(etcd.probe, { url: 'https://127.0.0.1:2379/health', tls: 'etcd-client' });
    for (const flag of ['--etcd-servers=https://127.0.0.1:2379', '--etcd-cafile=/planes/p/pki/etcd-ca.crt', '--etcd-certfile=/planes/p/pki/apiserver-etcd-client.crt', '--etcd-keyfile=/planes/p/pki/apiserver-etcd-client.key']) {
      assert.ok(specs[1]?.args.includes(flag), flag);
    }
    assert.ok(!specs[1]?.args.some((a) => a.startsWith('--endpoint-reconciler-type')));
    assert.deepEqual(specs[1]?.probe, { url: 'https://127.0.0.1:7001/readyz', tls: 'cluster-ca' });
  });

  test('three replicas: three members of one etcd cluster, three apiservers naming all of them, a load balancer on the endpoint', () => {
    const specs = plan(3, all, haPorts);
    assert.deepEqual(
      specs.map((s) => [s.name, s.stage]),
      [
        ['etcd-0', 0], ['etcd-1', 0], ['etcd-2', 0],
        ['kube-apiserver-0', 1], ['kube-apiserver-1', 1], ['kube-apiserver-2', 1],
        ['load-balancer', 2],
        ['kube-controller-manager', 3], ['kube-scheduler', 3], ['kwok', 3],
      ],
    );
    const initialCluster = '--initial-cluster=etcd-0=https://127.0.0.1:2380,etcd-1=https://127.0.0.1:2382,etcd-2=https://127.0.0.1:2384';
    specs.slice(0, 3).forEach((spec, i) => {
      assert.ok(spec.args.includes(initialCluster));
      assert.ok(spec.args.includes(`--data-dir=/planes/p/etcd-${i}`));
      assert.ok(spec.args.includes('--initial-cluster-token=p-token'));
      assert.equal(spec.binary, '/opt/bin/etcd');
      assert.ok(spec.args.includes('--client-cert-auth=true') && spec.args.includes('--peer-client-cert-auth=true'));
    });
    specs.slice(3, 6).forEach((spec, i) => {
      assert.ok(spec.args.includes('--etcd-servers=https://127.0.0.1:2379,https://127.0.0.1:2381,https://127.0.0.1:2383'));
      assert.ok(spec.args.includes(`--secure-port=${7001 + i}`));
      assert.ok(spec.args.includes('--endpoint-reconciler-type=none'));
    });
    const lb = specs[6];
    assert.equal(lb?.binary, '/usr/bin/node');
    assert.deepEqual(lb.args.slice(0, 5), [LB_PROCESS_FILE, '--listen=127.0.0.1:6443', '--backend=127.0.0.1:7001', '--backend=127.0.0.1:7002', '--backend=127.0.0.1:7003']);
    assert.deepEqual(lb.probe, { url: 'https://127.0.0.1:6443/readyz', tls: 'cluster-ca' });
    // The controllers reach the API through their kubeconfigs, which name the endpoint.
    assert.ok(specs[7]?.args.includes('--kubeconfig=/planes/p/kube-controller-manager.kubeconfig'));
  });

  test('selection: the mode decides, each option overrides it', () => {
    assert.deepEqual(selectionOf('minimal', {}), { controllerManager: false, scheduler: false, kwok: false });
    assert.deepEqual(selectionOf('full', {}), all);
    assert.deepEqual(selectionOf('minimal', { controllerManager: true }), { controllerManager: true, scheduler: false, kwok: false });
    assert.deepEqual(selectionOf('full', { kwok: false }), { controllerManager: true, scheduler: true, kwok: false });
  });

  test('ports: distinct, one per listener, the endpoint apart from the apiservers only with 3 replicas', async () => {
    const single = await pickPorts(1, { controllerManager: false, scheduler: false, kwok: false });
    assert.equal(single.endpoint, single.apiServers[0]);
    assert.equal(single.controllerManager, undefined);
    const ha = await pickPorts(3, all);
    const listeners = [ha.endpoint, ...ha.etcd.flatMap((m) => [m.client, m.peer]), ...ha.apiServers, ha.controllerManager, ha.scheduler, ha.kwok];
    assert.equal(new Set(listeners).size, 13);
    assert.ok(!ha.apiServers.includes(ha.endpoint));
  });
});

describe('a simulated cluster', () => {
  test('tunes the Go runtime of its Go components, not the load balancer (Node), and a management plane not at all', () => {
    const simulated = planComponents({ name: 'p', layout, replicas: 3, selection: all, ports: haPorts, binaries, nodeBinary: '/usr/bin/node', unsafeNoFsync: false, etcdToken: 't', simulation: true });
    for (const spec of simulated) {
      if (spec.name === 'load-balancer') assert.equal(spec.env, undefined);
      else assert.deepEqual(spec.env, SIMULATION_GO_ENV[spec.binaryName as keyof typeof SIMULATION_GO_ENV], spec.name);
    }
    assert.ok(plan(3, all, haPorts).every((spec) => spec.env === undefined));
  });
});
