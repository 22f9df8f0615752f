import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mergePatchOf } from './patch-status.ts';

test('mergePatchOf nulls dropped fields at every depth and replaces arrays whole', () => {
  const previous = { phase: 'Done', op: { phase: 'Succeeded', finishedAt: 't1', results: [{ a: 1 }] }, list: [1, 2], same: { x: 1 } };
  const next = { phase: 'Done', op: { phase: 'Running', startedAt: 't2' }, list: [1] , same: { x: 1 } };
  assert.deepEqual(mergePatchOf(previous, next), { op: { phase: 'Running', finishedAt: null, results: null, startedAt: 't2' }, list: [1] });
  assert.deepEqual(mergePatchOf({ a: { b: 1 } }, {}), { a: null });
  assert.deepEqual(mergePatchOf({}, { a: { b: 1 } }), { a: { b: 1 } });
  assert.deepEqual(mergePatchOf({ a: 1 }, { a: 1 }), {});
});
