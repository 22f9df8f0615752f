import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedMutex } from './keyed-mutex.ts';

test('runs work with one key one at a time, in call order, and other keys alongside', async () => {
  const mutex = new KeyedMutex();
  const events: string[] = [];
  const work = (name: string, ms: number) => async (): Promise<string> => {
    events.push(`start ${name}`);
    await sleep(ms);
    events.push(`end ${name}`);
    return name;
  };
  const results = await Promise.all([mutex.run('a', work('a1', 30)), mutex.run('a', work('a2', 1)), mutex.run('b', work('b1', 5))]);
  assert.deepEqual(results, ['a1', 'a2', 'b1']);
  assert.deepEqual(events, ['start a1', 'start b1', 'end b1', 'end a1', 'start a2', 'end a2']);
  assert.equal(mutex.size, 0);
});

test('a failing run releases the key for the next one', async () => {
  const mutex = new KeyedMutex();
  const failed = mutex.run('a', () => Promise.reject(new Error('boom')));
  const next = mutex.run('a', () => Promise.resolve('next'));
  await assert.rejects(failed, /boom/);
  assert.equal(await next, 'next');
  assert.equal(mutex.size, 0);
});
