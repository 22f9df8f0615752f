import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ResourceType } from '@beamline/kube';
import { outcomeOf, ownerRequests, parseKey, requestKey, requestOf } from './controller.ts';
import { RequeueError, TerminalError } from './errors.ts';
import { microTime } from './leader-election.ts';

const cluster: ResourceType = { apiVersion: 'beamline.dev/v1alpha1', kind: 'Cluster', plural: 'clusters', namespaced: true };
const template: ResourceType = { apiVersion: 'beamline.dev/v1alpha1', kind: 'ClusterTemplate', plural: 'clustertemplates', namespaced: false };

describe('keys', () => {
  test('namespaced and cluster-scoped requests round-trip through keys', () => {
    assert.equal(requestKey({ namespace: 'lab', name: 'c1' }), 'lab/c1');
    assert.equal(requestKey({ name: 'small' }), 'small');
    assert.deepEqual(parseKey('lab/c1'), { namespace: 'lab', name: 'c1' });
    assert.deepEqual(parseKey('small'), { name: 'small' });
    assert.deepEqual(requestOf({ metadata: { name: 'x', namespace: 'ns' } }), { namespace: 'ns', name: 'x' });
    assert.equal(requestOf({ metadata: {} }), undefined);
  });
});

describe('ownerRequests', () => {
  test('maps ownerReferences of the root kind and group, any version, in the child namespace', () => {
    const child = {
      metadata: {
        name: 'c1-workers',
        namespace: 'lab',
        ownerReferences: [
          { apiVersion: 'beamline.dev/v1beta1', kind: 'Cluster', name: 'c1', uid: '1', controller: true },
          { apiVersion: 'other.dev/v1', kind: 'Cluster', name: 'not-ours', uid: '2' },
          { apiVersion: 'beamline.dev/v1alpha1', kind: 'NodeGroup', name: 'not-a-root', uid: '3' },
        ],
      },
    };
    assert.deepEqual(ownerRequests(child, cluster), [{ namespace: 'lab', name: 'c1' }]);
  });

  test('a cluster-scoped owner has no namespace; no references, no roots', () => {
    const child = { metadata: { name: 'x', namespace: 'lab', ownerReferences: [{ apiVersion: 'beamline.dev/v1alpha1', kind: 'ClusterTemplate', name: 'small', uid: '1' }] } };
    assert.deepEqual(ownerRequests(child, template), [{ name: 'small' }]);
    assert.deepEqual(ownerRequests({ metadata: { name: 'y' } }, cluster), []);
  });
});

describe('outcomeOf', () => {
  test('success forgets the key; a result with requeueAfterMs waits', () => {
    assert.deepEqual(outcomeOf({ result: {} }), { result: 'success', next: { kind: 'forget' } });
    assert.deepEqual(outcomeOf({ result: undefined }), { result: 'success', next: { kind: 'forget' } });
    assert.deepEqual(outcomeOf({ result: { requeueAfterMs: 5_000 } }), { result: 'requeue', next: { kind: 'after', delayMs: 5_000 } });
  });

  test('a plain error backs off, a TerminalError stops, a RequeueError waits', () => {
    assert.deepEqual(outcomeOf({ error: new Error('failed to x: y') }), { result: 'error', next: { kind: 'backoff' } });
    assert.deepEqual(outcomeOf({ error: new TerminalError('bad spec') }), { result: 'terminal', next: { kind: 'forget' } });
    assert.deepEqual(outcomeOf({ error: new RequeueError(2_000) }), { result: 'requeue', next: { kind: 'after', delayMs: 2_000 } });
    assert.deepEqual(outcomeOf({ error: 'a string' }), { result: 'error', next: { kind: 'backoff' } });
  });
});

describe('microTime', () => {
  test('has six fractional digits, as metav1.MicroTime', () => {
    assert.equal(microTime(new Date('2030-01-01T00:00:00.123Z')), '2030-01-01T00:00:00.123000Z');
  });
});
