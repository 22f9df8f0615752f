import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { detectSourceType } from './detect-source-type.ts';
import { RenderCache, renderCacheKey } from './render-cache.ts';
import { render, type RenderTools } from './render.ts';
import { configMapYaml, DEMO_CHART, names, renderTools, tempDir, writeTree } from './testing.ts';

describe('detectSourceType', () => {
  test('Chart.yaml is helm, any kustomization file kustomize, anything else a directory', async () => {
    const root = await tempDir();
    await writeTree(root, {
      'chart/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 0.1.0\n',
      'chart/kustomization.yaml': 'resources: []\n',
      'k1/kustomization.yaml': 'resources: []\n',
      'k2/kustomization.yml': 'resources: []\n',
      'k3/Kustomization': 'resources: []\n',
      'plain/a.yaml': configMapYaml('a'),
      'plain/Chart.yaml/ignored.yaml': configMapYaml('b'),
    });
    const detected = await Promise.all(['chart', 'k1', 'k2', 'k3', 'plain'].map((dir) => detectSourceType(join(root, dir))));
    assert.deepEqual(detected, ['helm', 'kustomize', 'kustomize', 'kustomize', 'directory']);
  });
});

describe('render', () => {
  let tools: RenderTools;
  let root = '';

  before(async () => {
    tools = await renderTools();
    root = await tempDir();
    await writeTree(root, {
      'plain/a.yaml': configMapYaml('a'),
      'plain/sub/b.yaml': configMapYaml('b'),
      'kustomized/kustomization.yaml': 'resources: [a.yaml]\nnameSuffix: -k\n',
      'kustomized/a.yaml': configMapYaml('a'),
    });
    await writeTree(join(root, 'chart'), DEMO_CHART);
  });

  test('detects the type and renders each kind of source', async () => {
    const plain = await render({ dir: join(root, 'plain'), recursive: true }, tools);
    assert.equal(plain.sourceType, 'directory');
    assert.deepEqual(names(plain.objects), ['ConfigMap/a', 'ConfigMap/b']);
    const kustomized = await render({ dir: join(root, 'kustomized') }, tools);
    assert.equal(kustomized.sourceType, 'kustomize');
    assert.deepEqual(names(kustomized.objects), ['ConfigMap/a-k']);
    const chart = await render({ dir: join(root, 'chart'), releaseName: 'web', namespace: 'shop', kubeVersion: '1.36.3', values: { greeting: 'hi' } }, tools);
    assert.equal(chart.sourceType, 'helm');
    assert.deepEqual(names(chart.objects), ['CustomResourceDefinition/widgets.example.com', 'ConfigMap/web-config']);
  });

  test('an explicit type wins over detection; a chart needs its release parameters', async () => {
    const asDirectory = await render({ dir: join(root, 'kustomized'), type: 'directory', exclude: ['kustomization.yaml'] }, tools);
    assert.deepEqual(names(asDirectory.objects), ['ConfigMap/a']);
    await assert.rejects(render({ dir: join(root, 'chart') }, tools), TypeError);
  });

  test('through the cache: an unchanged tree renders nothing the second time', async () => {
    const cache = new RenderCache();
    const source = { dir: join(root, 'chart'), releaseName: 'web', namespace: 'shop', kubeVersion: '1.36.3', values: { greeting: 'hi' } };
    const key = renderCacheKey('tree-1', source);
    const first = await cache.getOrRender(key, () => render(source, tools));
    // The same tree exported to another folder: `dir` is not part of the key.
    const moved = { ...source, dir: '/elsewhere' };
    const again = await cache.getOrRender(renderCacheKey('tree-1', moved), () => render(moved, tools));
    assert.equal(again, first);
    assert.deepEqual(cache.stats, { hits: 1, misses: 1, coalesced: 0, size: 1, inFlight: 0 });
  });
});
