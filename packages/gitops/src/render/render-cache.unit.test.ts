import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RenderCache, renderCacheKey } from './render-cache.ts';
import type { RenderResult } from './render.ts';

function result(name: string): RenderResult {
  return { sourceType: 'directory', objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } }] };
}

/** A render function that counts its calls and finishes when told to. */
function controlledRender(name: string): { render: () => Promise<RenderResult>; calls: () => number; finish: () => void } {
  let calls = 0;
  const { promise, resolve } = Promise.withResolvers<void>();
  return {
    render: async () => {
      calls += 1;
      await promise;
      return result(name);
    },
    calls: () => calls,
    finish: () => resolve(),
  };
}

const TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

describe('renderCacheKey', () => {
  test('same tree and parameters, same key, whatever the key order, the folder or the tools', () => {
    const key = renderCacheKey(TREE, { type: 'helm', releaseName: 'web', namespace: 'shop', kubeVersion: '1.36.3', values: { a: 1, b: { c: 2, d: 3 } } });
    const params = { dir: '/tmp/export-2', helm: '/bin/helm', kubeVersion: '1.36.3', namespace: 'shop', releaseName: 'web', values: { b: { d: 3, c: 2 }, a: 1 }, type: 'helm' as const };
    assert.equal(renderCacheKey(TREE, params), key);
    assert.match(key, /^[0-9a-f]{64}$/);
  });

  test('a change of tree or of any parameter is a new key', () => {
    const params = { releaseName: 'web', namespace: 'shop', kubeVersion: '1.36.3', values: { a: 1 }, valueFiles: ['prod.yaml'], chartVersion: '1.0.0' };
    const key = renderCacheKey(TREE, params);
    const changes = [
      renderCacheKey('0000000000000000000000000000000000000001', params),
      renderCacheKey(TREE, { ...params, values: { a: 2 } }),
      renderCacheKey(TREE, { ...params, valueFiles: ['dev.yaml'] }),
      renderCacheKey(TREE, { ...params, releaseName: 'api' }),
      renderCacheKey(TREE, { ...params, namespace: 'other' }),
      renderCacheKey(TREE, { ...params, kubeVersion: '1.35.0' }),
      renderCacheKey(TREE, { ...params, chartVersion: '1.0.1' }),
      renderCacheKey(TREE, { ...params, type: 'directory' }),
      renderCacheKey(TREE, { ...params, recursive: true }),
    ];
    assert.equal(new Set([key, ...changes]).size, changes.length + 1);
  });
});

describe('RenderCache', () => {
  test('the same key renders once; the result is shared and frozen', async () => {
    const cache = new RenderCache();
    let renders = 0;
    const render = (): Promise<RenderResult> => {
      renders += 1;
      return Promise.resolve(result('a'));
    };
    const first = await cache.getOrRender('k', render);
    const second = await cache.getOrRender('k', render);
    assert.equal(renders, 1);
    assert.equal(second, first);
    assert.ok(Object.isFrozen(first.objects[0]?.metadata));
    assert.deepEqual(cache.stats, { hits: 1, misses: 1, coalesced: 0, size: 1, inFlight: 0 });
  });

  test('concurrent callers of one key share one render', async () => {
    const cache = new RenderCache();
    const control = controlledRender('a');
    const callers = [cache.getOrRender('k', control.render), cache.getOrRender('k', control.render), cache.getOrRender('k', control.render)];
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(control.calls(), 1);
    assert.equal(cache.stats.inFlight, 1);
    control.finish();
    const results = await Promise.all(callers);
    assert.equal(control.calls(), 1);
    assert.ok(results.every((shared) => shared === results[0]));
    assert.deepEqual(cache.stats, { hits: 0, misses: 1, coalesced: 2, size: 1, inFlight: 0 });
  });

  test('different parameters render again', async () => {
    const cache = new RenderCache();
    let renders = 0;
    const render = (): Promise<RenderResult> => {
      renders += 1;
      return Promise.resolve(result(`r${renders}`));
    };
    const keyA = renderCacheKey(TREE, { type: 'helm', releaseName: 'web', namespace: 'a', kubeVersion: '1.36.3' });
    const keyB = renderCacheKey(TREE, { type: 'helm', releaseName: 'web', namespace: 'b', kubeVersion: '1.36.3' });
    await cache.getOrRender(keyA, render);
    await cache.getOrRender(keyB, render);
    await cache.getOrRender(keyA, render);
    assert.equal(renders, 2);
    assert.equal(cache.hits, 1);
    assert.equal(cache.misses, 2);
  });

  test('a failed render is shared by its concurrent callers but not kept', async () => {
    const cache = new RenderCache();
    let renders = 0;
    const failing = async (): Promise<RenderResult> => {
      renders += 1;
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error('failed to render: boom');
    };
    const results = await Promise.allSettled([cache.getOrRender('k', failing), cache.getOrRender('k', failing)]);
    assert.deepEqual(results.map((settled) => settled.status), ['rejected', 'rejected']);
    assert.equal(renders, 1);
    assert.equal(cache.stats.size, 0);
    assert.equal((await cache.getOrRender('k', () => Promise.resolve(result('ok')))).objects[0]?.metadata.name, 'ok');
    // A render that throws before returning a promise fails the same way.
    await assert.rejects(cache.getOrRender('sync', () => { throw new Error('sync'); }), /sync/);
    assert.equal(cache.stats.inFlight, 0);
  });

  test('keeps at most maxEntries, dropping the least recently used', async () => {
    const cache = new RenderCache({ maxEntries: 2 });
    let renders = 0;
    const render = (): Promise<RenderResult> => {
      renders += 1;
      return Promise.resolve(result('x'));
    };
    await cache.getOrRender('a', render);
    await cache.getOrRender('b', render);
    await cache.getOrRender('a', render); // a is now the most recent
    await cache.getOrRender('c', render); // drops b
    assert.equal(renders, 3);
    await cache.getOrRender('a', render);
    assert.equal(renders, 3);
    await cache.getOrRender('b', render);
    assert.equal(renders, 4);
    assert.equal(cache.stats.size, 2);
    assert.throws(() => new RenderCache({ maxEntries: 0 }), RangeError);
  });
});
