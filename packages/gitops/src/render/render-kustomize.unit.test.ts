import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { RenderError } from './render-error.ts';
import { kustomizeExternalDirs, renderKustomize } from './render-kustomize.ts';
import { configMapYaml, names, renderTools, tempDir, writeTree } from './testing.ts';

describe('renderKustomize (real kubectl kustomize)', () => {
  let kubectl = '';
  let repo = '';

  before(async () => {
    kubectl = (await renderTools()).kubectl;
    repo = await tempDir();
    await writeTree(repo, {
      'base/kustomization.yaml': 'resources: [deployment.yaml, config.yaml]\n',
      'base/deployment.yaml': [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: web}',
        'spec:',
        '  selector: {matchLabels: {app: web}}',
        '  template:',
        '    metadata: {labels: {app: web}}',
        '    spec: {containers: [{name: web, image: nginx}]}',
        '',
      ].join('\n'),
      'base/config.yaml': configMapYaml('settings', 'data: {level: info}\n'),
      'overlays/prod/kustomization.yaml': 'resources: [../../base]\nnamePrefix: prod-\ncommonLabels: {env: prod}\nnamespace: shop\n',
      'overlays/remote/kustomization.yaml':
        'resources:\n- ../../base\n- https://user:s3cret@github.com/example/manifests//base?ref=v1\n',
      'overlays/broken/kustomization.yaml': 'resources: [../../base, missing.yaml]\n',
    });
  });

  test('a base and an overlay: namePrefix, commonLabels and namespace applied', async () => {
    const objects = await renderKustomize(join(repo, 'overlays/prod'), { kubectl });
    assert.deepEqual(names(objects).sort(), ['ConfigMap/prod-settings', 'Deployment/prod-web']);
    for (const object of objects) {
      assert.equal(object.metadata.namespace, 'shop');
      assert.deepEqual(object.metadata.labels, { env: 'prod' });
    }
    const deployment = objects.find((object) => object.kind === 'Deployment');
    assert.deepEqual((deployment?.spec as { selector: unknown }).selector, { matchLabels: { app: 'web', env: 'prod' } });
  });

  test('a remote base is refused with a clear message, before kustomize runs, credentials redacted', async () => {
    await assert.rejects(renderKustomize(join(repo, 'overlays/remote'), { kubectl }), (error: unknown) => {
      assert.ok(error instanceof RenderError);
      assert.equal(error.reason, 'KustomizeFailed');
      assert.match(error.message, /^failed to render kustomization: kustomization\.yaml refers to the remote resource https:\/\/\*\*\*@github\.com\/example/);
      assert.match(error.message, /remote bases are not supported: rendering runs without network/);
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
  });

  test("kustomize's own errors come through, with paths relative to the folder", async () => {
    await assert.rejects(renderKustomize(join(repo, 'overlays/broken'), { kubectl }), (error: unknown) => {
      assert.ok(error instanceof RenderError);
      assert.equal(error.reason, 'KustomizeFailed');
      assert.match(error.message, /^failed to render kustomization: .*missing\.yaml/s);
      assert.doesNotMatch(error.message, new RegExp(repo));
      return true;
    });
  });

  test('lists the folders outside the app that its kustomization includes, for the cache key', async () => {
    assert.deepEqual(await kustomizeExternalDirs(join(repo, 'overlays/prod')), ['../../base']);
    assert.deepEqual(await kustomizeExternalDirs(join(repo, 'base')), []);
  });
});
