import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DeliveryLog, deliveryId } from './delivery-log.ts';

test('DeliveryLog recognises an id seen within its time, and stays bounded in size', () => {
  let now = 0;
  const log = new DeliveryLog({ maxEntries: 3, ttlMs: 1000, now: () => now });
  assert.equal(log.remember('a'), true);
  assert.equal(log.remember('a'), false);
  now = 999;
  assert.equal(log.remember('a'), false);
  now = 1000;
  assert.equal(log.remember('a'), true, 'expired, so new again');
  for (const id of ['b', 'c', 'd']) assert.equal(log.remember(id), true);
  assert.equal(log.size, 3);
  assert.equal(log.remember('a'), true, 'the oldest went first');
  log.forget('d');
  assert.equal(log.remember('d'), true);
});

test('deliveryId reads the provider header that stays the same across redeliveries', () => {
  assert.equal(deliveryId('github', { 'x-github-delivery': 'g1' }), 'g1');
  assert.equal(deliveryId('github', {}), undefined);
  assert.equal(deliveryId('github', { 'x-github-delivery': 'x'.repeat(300) }), undefined);
  assert.equal(deliveryId('gitlab', { 'idempotency-key': 'k', 'x-gitlab-event-uuid': 'u' }), 'k');
  assert.equal(deliveryId('gitlab', { 'x-gitlab-event-uuid': 'u' }), 'u');
  assert.equal(deliveryId('gitlab', { 'x-github-delivery': 'g1' }), undefined);
});
