import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findCondition, isConditionTrue, kubeTime, setCondition, type Condition } from './conditions.ts';

const t0 = new Date('2030-01-01T00:00:00.123Z');
const t1 = new Date('2030-01-01T00:05:00.999Z');

describe('setCondition', () => {
  test('appends a new condition with the transition time now, in whole seconds', () => {
    const conditions = setCondition(undefined, { type: 'Ready', status: 'False', reason: 'Provisioning', message: 'starting', observedGeneration: 1 }, t0);
    assert.deepEqual(conditions, [
      { type: 'Ready', status: 'False', reason: 'Provisioning', message: 'starting', observedGeneration: 1, lastTransitionTime: '2030-01-01T00:00:00Z' },
    ]);
  });

  test('keeps lastTransitionTime when the status stays, even as reason, message and generation change', () => {
    const before = setCondition([], { type: 'Ready', status: 'False', reason: 'Provisioning', message: 'starting', observedGeneration: 1 }, t0);
    const after = setCondition(before, { type: 'Ready', status: 'False', reason: 'WaitingForNodes', message: '1 of 3 nodes', observedGeneration: 2 }, t1);
    assert.equal(after[0]?.lastTransitionTime, '2030-01-01T00:00:00Z');
    assert.equal(after[0]?.reason, 'WaitingForNodes');
    assert.equal(after[0]?.observedGeneration, 2);
  });

  test('sets lastTransitionTime when the status changes', () => {
    const before = setCondition([], { type: 'Ready', status: 'False', reason: 'Provisioning', message: '' }, t0);
    const after = setCondition(before, { type: 'Ready', status: 'True', reason: 'Running', message: '' }, t1);
    assert.equal(after[0]?.lastTransitionTime, '2030-01-01T00:05:00Z');
  });

  test('replaces in place, leaves other conditions and the input alone', () => {
    const input: readonly Condition[] = Object.freeze([
      { type: 'Ready', status: 'False', reason: 'A', message: '', lastTransitionTime: '2029-01-01T00:00:00Z' },
      { type: 'Stalled', status: 'False', reason: 'B', message: '', lastTransitionTime: '2029-01-01T00:00:00Z' },
    ] as const);
    const output = setCondition(input, { type: 'Ready', status: 'Unknown', reason: 'C', message: '' }, t1);
    assert.deepEqual(
      output.map((entry) => [entry.type, entry.status, entry.lastTransitionTime]),
      [
        ['Ready', 'Unknown', '2030-01-01T00:05:00Z'],
        ['Stalled', 'False', '2029-01-01T00:00:00Z'],
      ],
    );
    assert.equal(input[0]?.status, 'False');
    assert.notEqual(output, input);
  });

  test('find and isTrue read conditions by type', () => {
    const conditions = setCondition([], { type: 'Ready', status: 'True', reason: 'Running', message: '' }, t0);
    assert.equal(findCondition(conditions, 'Ready')?.reason, 'Running');
    assert.equal(findCondition(conditions, 'Stalled'), undefined);
    assert.equal(isConditionTrue(conditions, 'Ready'), true);
    assert.equal(isConditionTrue(undefined, 'Ready'), false);
  });

  test('kubeTime drops milliseconds', () => {
    assert.equal(kubeTime(t1), '2030-01-01T00:05:00Z');
  });
});
