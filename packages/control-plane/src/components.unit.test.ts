// The flags of kube-controller-manager and kube-scheduler, in full: both share their serving and
// authentication flags, and neither elects a leader.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { controllerManagerArgs, schedulerArgs, type PkiFiles } from './components.ts';

const pki = { caCert: '/pki/ca.crt', caKey: '/pki/ca.key', serviceAccountKey: '/pki/sa.key' } as PkiFiles;

/** A command line as one would type it (no quoting needed here), as an argument list. */
const commandLine = (text: string): string[] => text.trim().split(/\s+/);

describe('component flags', () => {
  test('kube-controller-manager', () => {
    assert.deepEqual(
      controllerManagerArgs({ kubeconfig: '/kc', securePort: 10257, pki, clusterName: 'lab', serviceClusterIpRange: '10.96.0.0/12' }),
      commandLine(`
        --kubeconfig=/kc --authentication-kubeconfig=/kc --authorization-kubeconfig=/kc
        --bind-address=127.0.0.1 --secure-port=10257 --leader-elect=false
        --cluster-name=lab --root-ca-file=/pki/ca.crt --service-account-private-key-file=/pki/sa.key
        --service-cluster-ip-range=10.96.0.0/12 --cluster-signing-cert-file=/pki/ca.crt --cluster-signing-key-file=/pki/ca.key
        --kube-api-qps=500 --kube-api-burst=1000 --concurrent-deployment-syncs=10 --concurrent-replicaset-syncs=10
        --profiling=false --v=1`),
    );
  });

  test('kube-scheduler', () => {
    assert.deepEqual(
      schedulerArgs({ kubeconfig: '/kc', securePort: 10259 }),
      commandLine(`
        --kubeconfig=/kc --authentication-kubeconfig=/kc --authorization-kubeconfig=/kc
        --bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false
        --profiling=false --v=1`),
    );
  });
});
