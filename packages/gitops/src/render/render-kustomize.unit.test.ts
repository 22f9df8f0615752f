import assert from 'node:assert/strict';
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { RenderError } from './render-error.ts';
import { renderLimits } from './render-limits.ts';
import { kustomizationReferences, kustomizeExternalDirs, renderKustomize } from './render-kustomize.ts';
import { configMapYaml, names, rejectsWithRenderError, renderTools, tempDir, writeTree } from './testing.ts';

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
    const objects = await renderKustomize(join(repo, 'overlays/prod'), { kubectl, root: repo });
    assert.deepEqual(names(objects).sort(), ['ConfigMap/prod-settings', 'Deployment/prod-web']);
    for (const object of objects) {
      assert.equal(object.metadata.namespace, 'shop');
      assert.deepEqual(object.metadata.labels, { env: 'prod' });
    }
    const deployment = objects.find((object) => object.kind === 'Deployment');
    assert.deepEqual((deployment?.spec as { selector: unknown }).selector, { matchLabels: { app: 'web', env: 'prod' } });
  });

  test('a remote base is refused with a clear message, before kustomize runs, credentials redacted', async () => {
    await assert.rejects(renderKustomize(join(repo, 'overlays/remote'), { kubectl, root: repo }), (error: unknown) => {
      assert.ok(error instanceof RenderError);
      assert.equal(error.reason, 'KustomizeFailed');
      assert.match(error.message, /^failed to render kustomization: overlays\/remote\/kustomization\.yaml refers to the remote resource https:\/\/\*\*\*@github\.com\/example/);
      assert.match(error.message, /remote bases are not supported: rendering runs without network/);
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
  });

  test("kustomize's own errors come through, with paths relative to the folder", async () => {
    await assert.rejects(renderKustomize(join(repo, 'overlays/broken'), { kubectl, root: repo }), (error: unknown) => {
      assert.ok(error instanceof RenderError);
      assert.equal(error.reason, 'KustomizeFailed');
      assert.match(error.message, /^failed to render kustomization: .*missing\.yaml/s);
      assert.doesNotMatch(error.message, new RegExp(repo));
      return true;
    });
  });

  test('lists the folders outside the app that its kustomization includes, for the cache key', async () => {
    assert.deepEqual(await kustomizeExternalDirs(join(repo, 'overlays/prod'), repo), ['../../base']);
    assert.deepEqual(await kustomizeExternalDirs(join(repo, 'base'), repo), []);
  });

  test('confined to the repository: a resource out of it is refused, naming the file and the entry, before kustomize runs', async () => {
    // The host folder has a kustomization kustomize itself would happily load: its load restrictor
    // lets a base be anywhere, so the check is ours.
    const host = await tempDir('render-host-');
    await writeTree(host, { 'kustomization.yaml': 'resources: [secret.yaml]\n', 'secret.yaml': configMapYaml('host-secret') });
    const escape = `${'../'.repeat(12)}${host.slice(1)}`;
    await writeTree(repo, {
      'overlays/out/kustomization.yaml': `resources:\n- ../../base\n- ${escape}\n`,
      'overlays/etc/kustomization.yaml': 'resources: [../../../../../../../../etc]\n',
      'overlays/absolute/kustomization.yaml': `resources: [${host}]\n`,
      'overlays/patch/kustomization.yaml': 'resources: [../../base]\npatches:\n- path: ../../../../../../../../etc/hostname\n',
      'overlays/nested/kustomization.yaml': 'resources: [../out]\n',
    });
    const cases: [string, RegExp][] = [
      ['overlays/out', /^failed to render kustomization: overlays\/out\/kustomization\.yaml: resources entry ".*" leads outside the repository$/],
      ['overlays/etc', /overlays\/etc\/kustomization\.yaml: resources entry "(\.\.\/)+etc" leads outside the repository/],
      ['overlays/absolute', /overlays\/absolute\/kustomization\.yaml: resources entry ".*" leads outside the repository/],
      ['overlays/patch', /overlays\/patch\/kustomization\.yaml: patches\[0\]\.path entry ".*hostname" leads outside the repository/],
      // Through a base of the app: the base's own kustomization is named.
      ['overlays/nested', /overlays\/out\/kustomization\.yaml: resources entry/],
    ];
    for (const [app, message] of cases) {
      await assert.rejects(renderKustomize(join(repo, app), { kubectl, root: repo }), (error: unknown) => {
        assert.ok(error instanceof RenderError, String(error));
        assert.equal(error.reason, 'OutsideSource', error.message);
        assert.match(error.message, message);
        assert.equal(error.file, `${app === 'overlays/nested' ? 'overlays/out' : app}/kustomization.yaml`);
        assert.doesNotMatch(error.message, /host-secret/);
        return true;
      });
    }
    // Without a root, the app's folder is the limit: even ../../base is out.
    await assert.rejects(renderKustomize(join(repo, 'overlays/prod'), { kubectl }), rejectsWithRenderError('OutsideSource', /resources entry "\.\.\/\.\.\/base" leads outside/));
  });

  test('a link to a host file is refused wherever the kustomization names it (a generator file, a resource, a base folder)', async () => {
    await writeTree(repo, {
      'links/generator/kustomization.yaml': 'secretGenerator:\n- name: stolen\n  files: [key=passwd]\n',
      'links/resource/kustomization.yaml': 'resources: [passwd.yaml]\n',
      'links/base/kustomization.yaml': 'resources: [etc]\n',
    });
    await symlink('/etc/passwd', join(repo, 'links/generator/passwd'));
    await symlink('/etc/passwd', join(repo, 'links/resource/passwd.yaml'));
    await symlink('/etc', join(repo, 'links/base/etc'));
    for (const app of ['generator', 'resource', 'base']) {
      await assert.rejects(
        renderKustomize(join(repo, 'links', app), { kubectl, root: repo }),
        rejectsWithRenderError('OutsideSource', new RegExp(`^failed to render kustomization: links/${app}/kustomization\\.yaml: .* leads outside the repository \\(through a symbolic link\\)$`)),
      );
    }
  });

  test('a kustomization that cannot be checked is refused: not YAML, duplicate keys, too large, itself a link out', async () => {
    await writeTree(repo, {
      'unreadable/syntax/kustomization.yaml': 'resources: [a.yaml\nsecret: "hunter2\n',
      'unreadable/duplicate/kustomization.yaml': 'resources: [../../../base]\nresources: [../../../../../../etc]\n',
      'unreadable/large/kustomization.yaml': `resources: [${'a.yaml,'.repeat(20_000)}]\n`,
    });
    await mkdir(join(repo, 'unreadable/link'), { recursive: true });
    await symlink('/etc/hostname', join(repo, 'unreadable/link/kustomization.yaml'));
    const cases: [string, RenderError['reason'], RegExp][] = [
      ['syntax', 'KustomizeFailed', /^failed to render kustomization: unreadable\/syntax\/kustomization\.yaml is not valid YAML at line \d+, column \d+$/],
      ['duplicate', 'KustomizeFailed', /^failed to render kustomization: unreadable\/duplicate\/kustomization\.yaml is not valid YAML at line 2, column 1$/],
      ['large', 'LimitExceeded', /unreadable\/large\/kustomization\.yaml is 136\.7 KiB, more than the limit of 128 KiB per kustomization file/],
      ['link', 'OutsideSource', /^failed to render kustomization: unreadable\/link\/kustomization\.yaml links outside the repository$/],
    ];
    for (const [app, reason, message] of cases) {
      await assert.rejects(renderKustomize(join(repo, 'unreadable', app), { kubectl, root: repo }), (error: unknown) => {
        assert.ok(error instanceof RenderError, String(error));
        assert.equal(error.reason, reason, error.message);
        assert.match(error.message, message);
        assert.doesNotMatch(error.message, /hunter2/);
        return true;
      });
    }
  });

  test('kustomize output is capped: the binary is killed past maxTotalBytes, and objects past maxObjects', async () => {
    const many = Array.from({ length: 30 }, (_, index) => configMapYaml(`c${index}`, `data: {text: ${'x'.repeat(100)}}\n`)).join('---\n');
    await writeTree(repo, { 'big/kustomization.yaml': 'resources: [many.yaml]\n', 'big/many.yaml': many });
    assert.equal((await renderKustomize(join(repo, 'big'), { kubectl, root: repo })).length, 30);
    await assert.rejects(
      renderKustomize(join(repo, 'big'), { kubectl, root: repo, limits: renderLimits({ maxTotalBytes: 2048 }) }),
      (error: unknown) => {
        assert.ok(error instanceof RenderError);
        assert.equal(error.reason, 'LimitExceeded');
        assert.equal(error.file, 'kustomize output');
        assert.match(error.message, /^failed to render kustomization: kustomize printed more than 2 KiB, the limit per app \(it was stopped\)$/);
        return true;
      },
    );
    await assert.rejects(
      renderKustomize(join(repo, 'big'), { kubectl, root: repo, limits: renderLimits({ maxObjects: 10 }) }),
      rejectsWithRenderError('LimitExceeded', /more than 10 objects \(the limit of objects per app\), reached at kustomize output, document 11/),
    );
  });

  test('a kubectl that prints forever is killed at the cap and the render fails', async () => {
    const bin = await tempDir('render-fake-kubectl-');
    const fake = join(bin, 'kubectl');
    // PATH is empty for the child: only shell builtins.
    await writeFile(fake, '#!/bin/sh\nwhile :; do echo "apiVersion: v1 # and on and on and on"; done\n');
    await chmod(fake, 0o755);
    await mkdir(join(repo, 'endless'), { recursive: true });
    await writeFile(join(repo, 'endless/kustomization.yaml'), 'resources: []\n');
    await assert.rejects(
      renderKustomize(join(repo, 'endless'), { kubectl: fake, root: repo, limits: renderLimits({ maxTotalBytes: 1024 * 1024 }) }),
      rejectsWithRenderError('LimitExceeded', /kustomize printed more than 1 MiB/),
    );
  });
});

describe('kustomizationReferences', () => {
  test('every field kustomize reads a path from; inline patches and generator keys are not paths', () => {
    const references = kustomizationReferences({
      resources: ['a.yaml', '../base'],
      bases: ['../old'],
      components: ['../c'],
      crds: ['crd.yaml'],
      patches: [{ path: 'p.yaml' }, { patch: 'inline' }],
      patchesStrategicMerge: ['psm.yaml', 'apiVersion: v1\nkind: X\n'],
      patchesJson6902: [{ path: 'j.yaml' }],
      replacements: [{ path: 'r.yaml' }],
      configMapGenerator: [{ name: 'x', files: ['k=f.txt', 'g.txt'], envs: ['e.env'] }],
      secretGenerator: [{ name: 'y', env: 's.env' }],
      openapi: { path: 'schema.json' },
      transformers: ['t.yaml'],
    });
    assert.deepEqual(
      references.map((reference) => `${reference.field}=${reference.path}`),
      [
        'resources=a.yaml',
        'resources=../base',
        'bases=../old',
        'components=../c',
        'transformers=t.yaml',
        'crds=crd.yaml',
        'patchesStrategicMerge=psm.yaml',
        'patches[0].path=p.yaml',
        'patchesJson6902[0].path=j.yaml',
        'replacements[0].path=r.yaml',
        'openapi.path=schema.json',
        'configMapGenerator[0].files=f.txt',
        'configMapGenerator[0].files=g.txt',
        'configMapGenerator[0].envs=e.env',
        'secretGenerator[0].envs=s.env',
      ],
    );
  });
});
