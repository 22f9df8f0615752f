import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Manifest } from '../render/manifest.ts';
import { diffObject } from './diff-object.ts';
import { edited, fixture } from './testdata/fixtures.ts';

const desired = fixture('deployment-desired');
const live = fixture('deployment-live');

describe('diffObject: server-side apply subset', () => {
  test('live defaults, status, server metadata and managedFields are not differences', () => {
    assert.deepEqual(diffObject(desired, live), { inSync: true, changes: [] });
  });

  test('a changed replica count is detected', () => {
    const result = diffObject(desired, edited(live, { '/spec/replicas': 5 }));
    assert.equal(result.inSync, false);
    assert.deepEqual(result.changes, [{ path: '/spec/replicas', desired: 3, live: 5 }]);
  });

  test('a missing live object is one change at the root', () => {
    const result = diffObject(desired, undefined);
    assert.equal(result.inSync, false);
    assert.equal(result.changes.length, 1);
    assert.equal(result.changes[0]?.path, '');
    assert.equal(result.changes[0]?.live, undefined);
  });

  test('labels and annotations added by others are not differences', () => {
    const result = diffObject(desired, edited(live, { '/metadata/labels/owner': 'ops', '/metadata/annotations/example.org~1note': 'hi' }));
    assert.equal(result.inSync, true);
  });

  test('a label the desired object sets with another value is a difference', () => {
    assert.deepEqual(diffObject(desired, edited(live, { '/metadata/labels/app': 'api' })).changes, [{ path: '/metadata/labels/app', desired: 'web', live: 'api' }]);
  });

  test('server metadata in the manifest (helm\'s creationTimestamp: null, an exported uid) is ignored', () => {
    const exported = edited(desired, { '/metadata/creationTimestamp': null, '/metadata/uid': 'other', '/metadata/resourceVersion': '1', '/status': { replicas: 9 } });
    assert.equal(diffObject(exported, live).inSync, true);
  });

  test('null and empty-map fields in the manifest set nothing', () => {
    const templated = edited(desired, { '/metadata/annotations': {}, '/spec/template/spec/nodeSelector': null, '/spec/template/spec/tolerations': [] });
    assert.equal(diffObject(templated, live).inSync, true);
  });

  test('an empty struct the live object lacks is a difference (emptyDir: {} vs a hostPath volume)', () => {
    const hostPath = edited(live, { '/spec/template/spec/volumes/0': { name: 'cache', hostPath: { path: '/var/cache', type: '' } } });
    assert.deepEqual(diffObject(desired, hostPath).changes, [{ path: '/spec/template/spec/volumes/0/emptyDir', desired: {}, live: undefined }]);
  });
});

describe('diffObject: lists', () => {
  test('containers match by name: defaulted fields inside a live container are not differences', () => {
    const container = (live.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0];
    assert.equal(container?.imagePullPolicy, 'IfNotPresent');
    assert.equal(container?.terminationMessagePath, '/dev/termination-log');
    assert.equal(diffObject(desired, live).inSync, true);
  });

  test('containers match by name wherever they are; another manager\'s extra container is not a difference', () => {
    const containers = (live.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers;
    const sidecar = { name: 'proxy', image: 'envoy:1.31', imagePullPolicy: 'IfNotPresent' };
    assert.equal(diffObject(desired, edited(live, { '/spec/template/spec/containers': [sidecar, ...containers] })).inSync, true);
  });

  test('a changed image is reported at the desired container index', () => {
    const containers = (live.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers;
    const sidecar = { name: 'proxy', image: 'envoy:1.31' };
    const changed = edited(live, { '/spec/template/spec/containers': [sidecar, { ...containers[0], image: 'nginx:1.26' }] });
    assert.deepEqual(diffObject(desired, changed).changes, [{ path: '/spec/template/spec/containers/0/image', desired: 'nginx:1.27', live: 'nginx:1.26' }]);
  });

  test('a desired container live does not have is a difference', () => {
    const more = edited(desired, { '/spec/template/spec/containers/1': { name: 'worker', image: 'worker:1' } });
    assert.deepEqual(diffObject(more, live).changes, [{ path: '/spec/template/spec/containers/1', desired: { name: 'worker', image: 'worker:1' }, live: undefined }]);
  });

  test('ports match by containerPort and protocol (TCP by default); env and volumeMounts by their keys', () => {
    const result = diffObject(
      edited(desired, { '/spec/template/spec/containers/0/ports/0/name': 'web' }),
      edited(live, { '/spec/template/spec/containers/0/env/1': { name: 'ADDED_BY_WEBHOOK', value: '1' } }),
    );
    assert.deepEqual(result.changes, [{ path: '/spec/template/spec/containers/0/ports/0/name', desired: 'web', live: 'http' }]);
  });

  test('a port with another protocol is another port', () => {
    const udp = edited(desired, { '/spec/template/spec/containers/0/ports/0/protocol': 'UDP' });
    assert.equal(diffObject(udp, live).changes[0]?.path, '/spec/template/spec/containers/0/ports/0');
  });

  test('lists without a merge key compare whole: another length is a difference of the list', () => {
    const tolerations = [{ key: 'gpu', operator: 'Exists', effect: 'NoSchedule' }];
    const withTolerations = edited(desired, { '/spec/template/spec/tolerations': tolerations });
    const liveWithTwo = edited(live, { '/spec/template/spec/tolerations': [...tolerations, { key: 'spot', operator: 'Exists' }] });
    assert.deepEqual(diffObject(withTolerations, liveWithTwo).changes.map((change) => change.path), ['/spec/template/spec/tolerations']);
    assert.equal(diffObject(withTolerations, edited(live, { '/spec/template/spec/tolerations': tolerations })).inSync, true);
  });

  test('atomic lists compare in order', () => {
    const args = edited(desired, { '/spec/template/spec/containers/0/args': ['--port', '80'] });
    const swapped = edited(live, { '/spec/template/spec/containers/0/args': ['80', '--port'] });
    assert.deepEqual(diffObject(args, swapped).changes.map((change) => change.path), ['/spec/template/spec/containers/0/args/0', '/spec/template/spec/containers/0/args/1']);
  });

  test('finalizers are a set: others may add theirs', () => {
    const withFinalizer = edited(desired, { '/metadata/finalizers': ['example.org/cleanup'] });
    assert.equal(diffObject(withFinalizer, edited(live, { '/metadata/finalizers': ['other.org/x', 'example.org/cleanup'] })).inSync, true);
    assert.equal(diffObject(withFinalizer, edited(live, { '/metadata/finalizers': ['other.org/x'] })).inSync, false);
  });
});

describe('diffObject: values', () => {
  const withResources = (requests: Record<string, unknown>): Manifest => edited(desired, { '/spec/template/spec/containers/0/resources/requests': requests });

  test('quantities compare by amount: cpu 1 = "1" = "1000m", memory 1Gi = 1073741824 = "1024Mi"', () => {
    for (const cpu of [1, '1', '1000m', '1.0', '1e0', 1.0]) {
      for (const memory of ['1Gi', 1073741824, '1073741824', '1024Mi', '1048576Ki']) {
        assert.equal(diffObject(withResources({ cpu, memory }), live).inSync, true, `cpu ${String(cpu)}, memory ${String(memory)}`);
      }
    }
  });

  test('different quantities are differences', () => {
    assert.deepEqual(diffObject(withResources({ cpu: '500m', memory: '1G' }), live).changes, [
      { path: '/spec/template/spec/containers/0/resources/requests/cpu', desired: '500m', live: '1' },
      { path: '/spec/template/spec/containers/0/resources/requests/memory', desired: '1G', live: '1Gi' },
    ]);
  });

  test('quantity equivalence applies only to quantity fields', () => {
    const configMap = (value: string): Manifest => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'team-a' }, data: { size: value } });
    assert.equal(diffObject(configMap('1000m'), configMap('1')).inSync, false);
  });

  test('a number and its decimal string are equal, other spellings are not', () => {
    const widget = (size: unknown): Manifest => ({ apiVersion: 'example.org/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'team-a' }, spec: { size } });
    assert.equal(diffObject(widget('3'), widget(3)).inSync, true);
    assert.equal(diffObject(widget(3), widget('3')).inSync, true);
    assert.equal(diffObject(widget('03'), widget(3)).inSync, false);
    assert.equal(diffObject(widget(true), widget('true')).inSync, false);
  });

  test('a type change (object vs scalar) is a difference', () => {
    assert.equal(diffObject(edited(desired, { '/spec/strategy': { type: 'Recreate' } }), live).changes[0]?.path, '/spec/strategy/type');
    assert.equal(diffObject(edited(desired, { '/spec/selector': 'app=web' }), live).changes[0]?.path, '/spec/selector');
  });
});

describe('diffObject: ignoreDifferences', () => {
  test('an ignored pointer leaves the field out on both sides', () => {
    const scaled = edited(live, { '/spec/replicas': 7 });
    assert.equal(diffObject(desired, scaled, { ignoreDifferences: ['/spec/replicas'] }).inSync, true);
    assert.equal(diffObject(desired, scaled, { ignoreDifferences: ['/spec/paused'] }).inSync, false);
  });

  test('~1 and ~0 escape / and ~ in pointers', () => {
    const annotated = edited(desired, { '/metadata/annotations/example.org~1owner': 'team-a', '/metadata/annotations/a~0b': 'x' });
    assert.equal(diffObject(annotated, live).inSync, false);
    assert.equal(diffObject(annotated, live, { ignoreDifferences: ['/metadata/annotations/example.org~1owner', '/metadata/annotations/a~0b'] }).inSync, true);
  });

  test('array indexes count in each object', () => {
    const changed = edited(live, { '/spec/template/spec/containers/0/image': 'nginx:1.26' });
    assert.equal(diffObject(desired, changed, { ignoreDifferences: ['/spec/template/spec/containers/0/image'] }).inSync, true);
  });

  test('an invalid pointer is an error', () => {
    assert.throws(() => diffObject(desired, live, { ignoreDifferences: ['spec/replicas'] }), /invalid JSON pointer "spec\/replicas"/);
    assert.throws(() => diffObject(desired, live, { ignoreDifferences: ['/a~2b'] }), /invalid JSON pointer/);
    assert.throws(() => diffObject(desired, live, { ignoreDifferences: [''] }), /whole object/);
  });
});

describe('diffObject: fields the desired object no longer sets', () => {
  test('a field beamline applied and the manifest dropped is a difference (the next apply removes it)', () => {
    const withoutEnv = edited(desired, { '/spec/template/spec/containers/0/env': undefined });
    assert.deepEqual(diffObject(withoutEnv, live).changes, [{ path: '/spec/template/spec/containers/0/env', desired: undefined, live: [{ name: 'LOG_LEVEL', value: 'info' }] }]);
  });

  test('a dropped label is a difference; a label someone else owns is not', () => {
    const withoutLabels = edited(desired, { '/metadata/labels': undefined });
    assert.deepEqual(diffObject(withoutLabels, live).changes, [{ path: '/metadata/labels/app', desired: undefined, live: 'web' }]);
  });

  test('a dropped container is reported at its live index', () => {
    const containers = (live.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers;
    const liveTwo = edited(live, {
      '/spec/template/spec/containers': [{ name: 'proxy', image: 'envoy:1.31' }, ...containers],
      '/metadata/managedFields/0/fieldsV1/f:spec/f:template/f:spec/f:containers/k:{"name":"proxy"}': { '.': {}, 'f:image': {}, 'f:name': {} },
    });
    assert.deepEqual(diffObject(desired, liveTwo).changes, [{ path: '/spec/template/spec/containers/0', desired: undefined, live: { name: 'proxy', image: 'envoy:1.31' } }]);
  });

  test('fields owned by another field manager, or applied under another name, are not ours to remove', () => {
    const withoutEnv = edited(desired, { '/spec/template/spec/containers/0/env': undefined });
    assert.equal(diffObject(withoutEnv, live, { fieldManager: 'someone-else' }).inSync, true);
    const sharedOwner = edited(live, { '/metadata/managedFields/1/fieldsV1/f:metadata/f:labels/f:app': {} });
    assert.equal(diffObject(edited(desired, { '/metadata/labels': undefined }), sharedOwner).inSync, true);
  });
});

describe('diffObject: Secrets', () => {
  const secret = (fields: Record<string, unknown>): Manifest => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'team-a' }, type: 'Opaque', ...fields });
  const liveSecret = secret({ data: { password: Buffer.from('hunter2').toString('base64'), user: Buffer.from('app').toString('base64') } });

  test('stringData compares with the data the server stores', () => {
    assert.equal(diffObject(secret({ stringData: { password: 'hunter2', user: 'app' } }), liveSecret).inSync, true);
    assert.equal(diffObject(secret({ data: { user: 'YXBw' }, stringData: { password: 'hunter2' } }), liveSecret).inSync, true);
  });

  test('changed, missing and removed values are reported redacted', () => {
    const result = diffObject(secret({ stringData: { password: 'correct horse', token: 's3cr3t' } }), liveSecret);
    assert.deepEqual(result.changes, [
      { path: '/data/password', desired: '<redacted>', live: '<redacted>' },
      { path: '/data/token', desired: '<redacted>', live: undefined },
    ]);
    const text = JSON.stringify(result);
    for (const secretText of ['hunter2', 'correct horse', 's3cr3t', Buffer.from('hunter2').toString('base64'), 'sha256']) assert.ok(!text.includes(secretText), secretText);
  });

  test('a missing Secret is reported with its values redacted', () => {
    const result = diffObject(secret({ stringData: { password: 'hunter2' } }), undefined);
    assert.deepEqual(result.changes, [{ path: '', desired: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'team-a' }, type: 'Opaque', data: { password: '<redacted>' } }, live: undefined }]);
  });

  test('a Secret without data against one with data redacts the whole map', () => {
    const result = diffObject(secret({ data: { password: 'aHVudGVyMg==' } }), secret({}));
    assert.deepEqual(result.changes, [{ path: '/data', desired: { password: '<redacted>' }, live: undefined }]);
  });
});
