import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Manifest } from '../render/manifest.ts';
import { edited, fixture } from './testdata/fixtures.ts';
import { unifiedDiff } from './unified-diff.ts';

const desired = fixture('deployment-desired');
const live = fixture('deployment-live');

describe('unifiedDiff', () => {
  test('in sync: no diff, though live has defaults and status', () => {
    assert.equal(unifiedDiff(desired, live), '');
  });

  test('a changed replica count: headers, one hunk, - live + desired, no defaults or status', () => {
    const diff = unifiedDiff(desired, edited(live, { '/spec/replicas': 5 }));
    assert.equal(
      diff,
      [
        '--- live',
        '+++ desired',
        '@@ -6,7 +6,7 @@',
        '   name: web',
        '   namespace: team-a',
        ' spec:',
        '-  replicas: 5',
        '+  replicas: 3',
        '   selector:',
        '     matchLabels:',
        '       app: web',
        '',
      ].join('\n'),
    );
  });

  test('shows only what the desired object sets, with values equal by amount written as desired', () => {
    const diff = unifiedDiff(desired, edited(live, { '/spec/template/spec/containers/0/image': 'nginx:1.26' }));
    assert.match(diff, /^-\s+image: nginx:1\.26$/m);
    assert.match(diff, /^\+\s+image: nginx:1\.27$/m);
    for (const hidden of ['imagePullPolicy', 'terminationMessagePath', 'status', 'managedFields', 'uid', 'team: platform', 'progressDeadlineSeconds']) assert.ok(!diff.includes(hidden), hidden);
    assert.equal(diff.split('\n').filter((line) => /^[-+] /.test(line)).length, 2);
  });

  test('a field the manifest dropped shows as removed', () => {
    const diff = unifiedDiff(edited(desired, { '/spec/template/spec/containers/0/env': undefined }), live);
    assert.match(diff, /^-\s+- env:$/m);
    assert.match(diff, /^-\s+- name: LOG_LEVEL$/m);
  });

  test('a missing live object: every line added', () => {
    const diff = unifiedDiff(desired, undefined);
    const [from, to, hunk, ...body] = diff.trimEnd().split('\n');
    assert.equal(from, '--- live');
    assert.equal(to, '+++ desired');
    assert.equal(hunk, `@@ -0,0 +1,${body.length} @@`);
    assert.ok(body.every((line) => line.startsWith('+')));
    assert.ok(body.includes('+apiVersion: apps/v1'));
  });

  test('ignoreDifferences and context are honoured', () => {
    const scaled = edited(live, { '/spec/replicas': 5 });
    assert.equal(unifiedDiff(desired, scaled, { ignoreDifferences: ['/spec/replicas'] }), '');
    assert.match(unifiedDiff(desired, scaled, { context: 0 }), /^@@ -9 \+9 @@$/m);
  });

  test('Secret values are redacted; a changed value still shows as a changed line', () => {
    const secret = (fields: Record<string, unknown>): Manifest => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'team-a' }, type: 'Opaque', ...fields });
    const liveSecret = secret({ data: { password: Buffer.from('hunter2').toString('base64'), user: Buffer.from('app').toString('base64') } });
    assert.equal(unifiedDiff(secret({ stringData: { password: 'hunter2' } }), liveSecret), '');
    const diff = unifiedDiff(secret({ stringData: { password: 'correct horse', user: 'app' } }), liveSecret);
    assert.match(diff, /^- {2}password: <redacted \(changed\)>$/m);
    assert.match(diff, /^\+ {2}password: <redacted>$/m);
    assert.match(diff, /^ {3}user: <redacted>$/m);
    for (const secretText of ['hunter2', 'correct horse', 'aHVudGVyMg', 'sha256']) assert.ok(!diff.includes(secretText), secretText);
    const missing = unifiedDiff(secret({ stringData: { password: 'hunter2' } }), undefined);
    assert.match(missing, /^\+ {2}password: <redacted>$/m);
    assert.ok(!missing.includes('hunter2'));
  });
});
