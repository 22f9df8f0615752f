import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WorkQueue, type Clock } from './work-queue.ts';

/** A clock whose time moves only when told to, firing due timers in order. */
class FakeClock implements Clock {
  #now = 0;
  #nextId = 0;
  readonly #timers = new Map<number, { readonly at: number; readonly callback: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  get pending(): number {
    return this.#timers.size;
  }

  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      const due = [...this.#timers.entries()].filter(([, timer]) => timer.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].callback();
    }
    this.#now = target;
  }
}

/** The key `get` resolves to now, or `'none'` if it would wait. */
async function tryGet(queue: WorkQueue): Promise<string | undefined> {
  const abort = new AbortController();
  const got = queue.get(abort.signal);
  // get() resolves synchronously-ready keys in the same tick; give it one turn, then give up.
  const result = await Promise.race([got, new Promise<'none'>((resolve) => setImmediate(() => resolve('none')))]);
  abort.abort();
  return result === 'none' ? 'none' : result;
}

describe('WorkQueue', () => {
  test('dedupes: a key added twice is handed out once, in FIFO order with others', async () => {
    const queue = new WorkQueue({ clock: new FakeClock() });
    queue.add('a');
    queue.add('b');
    queue.add('a');
    assert.equal(queue.depth, 2);
    assert.equal(await queue.get(), 'a');
    assert.equal(await queue.get(), 'b');
    assert.equal(queue.depth, 0);
    assert.equal(await tryGet(queue), 'none');
  });

  test('never hands out a key being processed; added meanwhile, it comes back once after done', async () => {
    const queue = new WorkQueue({ clock: new FakeClock() });
    queue.add('a');
    assert.equal(await queue.get(), 'a');
    queue.add('a');
    queue.add('a');
    assert.equal(queue.depth, 0, 'not ready while processing');
    assert.equal(await tryGet(queue), 'none');
    queue.done('a');
    assert.equal(queue.depth, 1);
    assert.equal(await queue.get(), 'a');
    queue.done('a');
    assert.equal(await tryGet(queue), 'none');
  });

  test('concurrent workers never hold the same key at once', async () => {
    const queue = new WorkQueue({ clock: new FakeClock() });
    const held = new Set<string>();
    let overlaps = 0;
    let processed = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const key = await queue.get();
        if (key === undefined) return;
        if (held.has(key)) overlaps++;
        held.add(key);
        await new Promise((resolve) => setImmediate(resolve));
        held.delete(key);
        processed++;
        queue.done(key);
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    for (let round = 0; round < 20; round++) {
      for (const key of ['x', 'y', 'x', 'z', 'x']) queue.add(key);
      await new Promise((resolve) => setImmediate(resolve));
    }
    while (queue.depth > 0 || queue.processing > 0) await new Promise((resolve) => setImmediate(resolve));
    queue.shutDown();
    await Promise.all(workers);
    assert.equal(overlaps, 0);
    assert.ok(processed >= 3);
  });

  test('backoff doubles per failure up to the cap, and forget resets it', () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock, baseDelayMs: 200, maxDelayMs: 1_000 });
    const delays = [1, 2, 3, 4, 5].map(() => {
      const delay = queue.addRateLimited('k');
      clock.advance(delay);
      return delay;
    });
    assert.deepEqual(delays, [200, 400, 800, 1_000, 1_000]);
    assert.equal(queue.failures('k'), 5);
    queue.forget('k');
    assert.equal(queue.failures('k'), 0);
    assert.equal(queue.addRateLimited('other'), 200);
  });

  test('a backed-off key becomes ready only when its delay has passed', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock, baseDelayMs: 200 });
    queue.addRateLimited('k');
    assert.equal(queue.depth, 0);
    assert.equal(queue.waiting, 1);
    clock.advance(199);
    assert.equal(queue.depth, 0);
    clock.advance(1);
    assert.equal(queue.depth, 1);
    assert.equal(await queue.get(), 'k');
  });

  test('addAfter keeps the earlier of two delays, and wakes a waiting get', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock });
    queue.addAfter('k', 5_000);
    queue.addAfter('k', 1_000);
    queue.addAfter('k', 3_000);
    assert.equal(clock.pending, 1);
    const got = queue.get();
    clock.advance(1_000);
    assert.equal(await got, 'k');
    queue.done('k');
    clock.advance(10_000);
    assert.equal(queue.depth, 0, 'the later delays were dropped');
  });

  test('addAfter of 0 adds at once; addAfter of a queued key does nothing', () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock });
    queue.addAfter('now', 0);
    assert.equal(queue.depth, 1);
    queue.addAfter('now', 1_000);
    assert.equal(queue.waiting, 0);
  });

  test('taking a key cancels its pending delayed add: the reconcile decides anew', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock });
    queue.addAfter('k', 1_000);
    queue.add('k');
    assert.equal(await queue.get(), 'k');
    assert.equal(queue.waiting, 0);
    queue.done('k');
    clock.advance(5_000);
    assert.equal(queue.depth, 0);
  });

  test('depth counts ready keys only', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock });
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 100);
    assert.equal(queue.depth, 2);
    await queue.get();
    assert.equal(queue.depth, 1);
    clock.advance(100);
    assert.equal(queue.depth, 2);
  });

  test('shutDown releases waiting gets and clears timers', async () => {
    const clock = new FakeClock();
    const queue = new WorkQueue({ clock });
    queue.addAfter('later', 1_000);
    const waiting = queue.get();
    queue.shutDown();
    assert.equal(await waiting, undefined);
    assert.equal(clock.pending, 0);
    queue.add('x');
    assert.equal(queue.depth, 0);
    assert.equal(await queue.get(), undefined);
  });

  test('get ends with undefined when its signal aborts', async () => {
    const queue = new WorkQueue({ clock: new FakeClock() });
    const abort = new AbortController();
    const got = queue.get(abort.signal);
    abort.abort();
    assert.equal(await got, undefined);
    queue.add('a');
    assert.equal(await queue.get(), 'a', 'the aborted get took nothing');
  });
});
