import assert from 'node:assert/strict';
import { symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { renderDirectory } from './render-directory.ts';
import { RenderError } from './render-error.ts';
import { configMapYaml, names, tempDir, writeTree } from './testing.ts';

describe('renderDirectory', () => {
  test('reads yaml, yml and json files in path order; sub-folders only when recursive', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'b.yaml': configMapYaml('b'),
      'a.yml': configMapYaml('a'),
      'c.json': JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'c', namespace: 'ns' } }),
      'README.md': '# not a manifest',
      'nested/d.yaml': configMapYaml('d'),
      'nested/deeper/e.yaml': configMapYaml('e'),
      '.github/workflows/ci.yaml': 'on: push\njobs: {}\n',
    });
    assert.deepEqual(names(await renderDirectory(dir)), ['ConfigMap/a', 'ConfigMap/b', 'Secret/c']);
    assert.deepEqual(names(await renderDirectory(dir, { recursive: true })), [
      'ConfigMap/a',
      'ConfigMap/b',
      'Secret/c',
      'ConfigMap/d',
      'ConfigMap/e',
    ]);
    const [, , secret] = await renderDirectory(dir);
    assert.deepEqual(secret, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'c', namespace: 'ns' } });
  });

  test('include and exclude globs: without a slash on the file name, with one on the path', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'app.yaml': configMapYaml('app'),
      'app.test.yaml': configMapYaml('app-test'),
      'envs/prod/x.yaml': configMapYaml('prod-x'),
      'envs/dev/x.yaml': configMapYaml('dev-x'),
    });
    assert.deepEqual(names(await renderDirectory(dir, { recursive: true, exclude: ['*.test.yaml', 'envs/dev/*'] })), [
      'ConfigMap/app',
      'ConfigMap/prod-x',
    ]);
    assert.deepEqual(names(await renderDirectory(dir, { recursive: true, include: ['envs/**/*.yaml'] })), ['ConfigMap/dev-x', 'ConfigMap/prod-x']);
  });

  test('multi-document YAML, Lists flattened, empty documents skipped, Kubernetes YAML 1.1 scalars', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'all.yaml': [
        '---',
        configMapYaml('one'),
        '---',
        '# only a comment',
        '---',
        'apiVersion: v1',
        'kind: List',
        'items:',
        '- {apiVersion: v1, kind: ConfigMap, metadata: {name: two}}',
        '- {apiVersion: v1, kind: ServiceAccountList, items: [{apiVersion: v1, kind: ServiceAccount, metadata: {name: three}}]}',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: {name: four}',
        'data: {mode: 0644, enabled: yes, time: 12:30, date: 2024-01-02}',
        '---',
        '',
      ].join('\n'),
    });
    const objects = await renderDirectory(dir);
    assert.deepEqual(names(objects), ['ConfigMap/one', 'ConfigMap/two', 'ServiceAccount/three', 'ConfigMap/four']);
    // As kubectl reads them: 0644 is octal, yes is true, base 60 and dates stay strings.
    assert.deepEqual(objects[3]?.data, { mode: 420, enabled: true, time: '12:30', date: '2024-01-02' });
  });

  test('a syntax error names the file, the document and the line, without quoting the content', async () => {
    const dir = await tempDir();
    await writeTree(dir, {
      'apps/good.yaml': configMapYaml('good'),
      'apps/web.yaml': `${configMapYaml('first')}---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: hunter2: x\n  other: y\n`,
    });
    const error = await renderDirectory(dir, { recursive: true }).catch((caught: unknown) => caught);
    assert.ok(error instanceof RenderError);
    assert.equal(error.reason, 'InvalidManifest');
    assert.equal(error.file, 'apps/web.yaml');
    assert.equal(error.document, 2);
    assert.equal(error.line, 11);
    assert.match(error.message, /^failed to parse apps\/web\.yaml, document 2, line 11, column \d+: /);
    assert.doesNotMatch(error.message, /hunter2/);
  });

  test('an invalid JSON file names the file and line', async () => {
    const dir = await tempDir();
    await writeTree(dir, { 'x.json': '{\n  "apiVersion": "v1",\n  "kind": \n}\n' });
    await assert.rejects(renderDirectory(dir), (error: unknown) => {
      assert.ok(error instanceof RenderError);
      assert.equal(error.reason, 'InvalidManifest');
      assert.match(error.message, /^failed to parse x\.json, document 1, line 3, column 11: /);
      return true;
    });
  });

  test('a document that is not a Kubernetes object names the file, the document and what is missing', async () => {
    const dir = await tempDir();
    await writeTree(dir, { 'deploy.yaml': `${configMapYaml('ok')}---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels: {a: b}\n` });
    await assert.rejects(renderDirectory(dir), (error: unknown) => {
      assert.ok(error instanceof RenderError);
      assert.equal(error.reason, 'InvalidManifest');
      assert.equal(error.message, 'failed to read deploy.yaml, document 2: not a kubernetes object (kind Deployment): missing metadata.name');
      return true;
    });
    await writeTree(dir, { 'deploy.yaml': 'just a string\n' });
    await assert.rejects(renderDirectory(dir), /failed to read deploy\.yaml, document 1: not a kubernetes object \(a string, not a mapping\)/);
  });

  test('a linked manifest is read when it stays inside the folder, refused when it points out', async () => {
    const outside = await tempDir();
    const dir = await tempDir();
    await writeTree(outside, { 'host.yaml': configMapYaml('host') });
    await writeTree(dir, { 'real/a.yaml': configMapYaml('a') });
    await symlink(join(dir, 'real/a.yaml'), join(dir, 'alias.yaml'));
    await symlink(join(dir, 'real'), join(dir, 'linked-folder'));
    assert.deepEqual(names(await renderDirectory(dir, { recursive: true })), ['ConfigMap/a', 'ConfigMap/a']);
    await symlink(join(outside, 'host.yaml'), join(dir, 'escape.yaml'));
    await assert.rejects(renderDirectory(dir), (error: unknown) => {
      assert.ok(error instanceof RenderError);
      assert.equal(error.reason, 'InvalidManifest');
      assert.equal(error.message, 'failed to read escape.yaml: the link points outside the source folder');
      return true;
    });
  });

  test('an empty folder renders nothing', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'empty.yaml'), '');
    assert.deepEqual(await renderDirectory(dir), []);
  });
});
