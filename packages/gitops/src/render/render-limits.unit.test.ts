// The caps of RenderLimits on every path that reads or parses: a plain folder on disk, manifests
// already read, helm's output, and the parser itself (alias bombs, memory bombs).
import assert from 'node:assert/strict';
import { chmod, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseIsolated } from './parse-isolated.ts';
import { renderDirectory, renderManifestFiles } from './render-directory.ts';
import { RenderError } from './render-error.ts';
import { renderHelmChart } from './render-helm-chart.ts';
import { checkListing, DEFAULT_RENDER_LIMITS, renderLimits } from './render-limits.ts';
import { configMapYaml, tempDir, writeTree } from './testing.ts';

/** An assertion on a `LimitExceeded` render error naming `file`. */
function limitError(file: string, message: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof RenderError, String(error));
    assert.equal(error.reason, 'LimitExceeded', error.message);
    assert.equal(error.file, file);
    assert.match(error.message, message);
    return true;
  };
}

describe('render limits', () => {
  test('defaults: 4 MiB per file, 16 MiB per app, 5000 files, 10000 objects; overrides keep the rest', () => {
    assert.deepEqual(DEFAULT_RENDER_LIMITS, { maxFileBytes: 4 * 1024 * 1024, maxTotalBytes: 16 * 1024 * 1024, maxFiles: 5000, maxObjects: 10_000 });
    assert.deepEqual(renderLimits({ maxFiles: 3 }), { ...DEFAULT_RENDER_LIMITS, maxFiles: 3 });
    assert.throws(() => checkListing([{ path: 'a.yaml', size: 5 * 1024 * 1024 }], DEFAULT_RENDER_LIMITS), limitError('a.yaml', /a\.yaml is 5 MiB, more than the limit of 4 MiB per file/));
  });

  test('a 20 MiB manifest fails before it is read, naming the file and the limit', async () => {
    const dir = await tempDir();
    await writeTree(dir, { 'a.yaml': configMapYaml('a') });
    // A sparse file: 20 MiB by its size, nothing written (and nothing read: the size alone fails it).
    const handle = await open(join(dir, 'huge.yaml'), 'w');
    await handle.truncate(20 * 1024 * 1024);
    await handle.close();
    await assert.rejects(renderDirectory(dir), limitError('huge.yaml', /^failed to render directory: huge\.yaml is 20 MiB, more than the limit of 4 MiB per file$/));
  });

  test('the files together over maxTotalBytes fail, naming the file that crossed it', async () => {
    const dir = await tempDir();
    await writeTree(dir, { 'a.yaml': configMapYaml('a', `data: {x: ${'a'.repeat(600)}}\n`), 'b.yaml': configMapYaml('b', `data: {x: ${'b'.repeat(600)}}\n`) });
    await assert.rejects(renderDirectory(dir, {}, renderLimits({ maxTotalBytes: 1000 })), limitError('b.yaml', /the files up to b\.yaml make more than 1000 bytes, the limit per app/));
  });

  test('a folder with more files than the cap stops listing at the first file over it', async () => {
    const dir = await tempDir();
    await Promise.all(Array.from({ length: DEFAULT_RENDER_LIMITS.maxFiles + 1 }, (_, index) => writeFile(join(dir, `f${index}.yaml`), '')));
    await assert.rejects(renderDirectory(dir), (error: unknown) => {
      // The file named is whichever the folder listed 5001st.
      assert.ok(error instanceof RenderError && error.reason === 'LimitExceeded', String(error));
      assert.match(error.file ?? '', /^f\d+\.yaml$/);
      assert.equal(error.message, `failed to render directory: more than 5000 files (the limit of files per app), ${error.file ?? ''} is one too many`);
      return true;
    });
    // Not recursive: files of sub-folders are not looked at, so they do not count.
    const nested = await tempDir();
    await writeTree(nested, { 'a.yaml': configMapYaml('a'), 'sub/b.yaml': '', 'sub/c.yaml': '' });
    assert.equal((await renderDirectory(nested, {}, renderLimits({ maxFiles: 1 }))).length, 1);
    await assert.rejects(renderDirectory(nested, { recursive: true }, renderLimits({ maxFiles: 2 })), limitError('sub/c.yaml', /more than 2 files/));
  });

  test('more objects than maxObjects fail at the first one over, naming its file and document', async () => {
    const files = [
      { path: 'a.yaml', text: [configMapYaml('a1'), configMapYaml('a2')].join('---\n') },
      { path: 'b.yaml', text: [configMapYaml('b1'), configMapYaml('b2')].join('---\n') },
    ];
    assert.equal((await renderManifestFiles(files, {}, renderLimits({ maxObjects: 4 }))).length, 4);
    await assert.rejects(renderManifestFiles(files, {}, renderLimits({ maxObjects: 3 })), limitError('b.yaml', /more than 3 objects \(the limit of objects per app\), reached at b\.yaml, document 2$/));
  });

  test('a billion-laughs YAML fails on its aliases, naming the file, without expanding them', async () => {
    const lol = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: lol}', 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [index, letter] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
      const previous = String.fromCharCode('a'.charCodeAt(0) + index);
      lol.push(`${letter}: &${letter} [${Array.from({ length: 9 }, () => `*${previous}`).join(',')}]`);
    }
    const text = `${lol.join('\n')}\n`;
    await assert.rejects(renderManifestFiles([{ path: 'lol.yaml', text }]), (error: unknown) => {
      assert.ok(error instanceof RenderError, String(error));
      assert.equal(error.reason, 'InvalidManifest');
      assert.equal(error.file, 'lol.yaml');
      assert.match(error.message, /^failed to parse lol\.yaml, document 1: excessive alias count/);
      return true;
    });
  });

  test('a small file that would need more memory than the parser may use fails, and this process stays up', async () => {
    // 1 MiB of `1,`: half a million YAML nodes, more than a 256 MiB heap holds in the YAML
    // library's syntax tree. Parsed in a worker with its own bounded heap, it fails alone.
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata: [${'1,'.repeat(512 * 1024)}]\n`;
    await assert.rejects(renderManifestFiles([{ path: 'ok.yaml', text: configMapYaml('ok') }, { path: 'bomb.yaml', text }]), limitError('bomb.yaml', /^failed to render manifests: parsing bomb\.yaml needs more than \d+ MiB of memory$/));
    // Still here, and still parsing: large inputs go to a worker, small ones inline.
    const many = Array.from({ length: 500 }, (_, index) => configMapYaml(`c${index}`, `data: {x: ${'y'.repeat(100)}}\n`)).join('---\n');
    assert.ok(many.length > 64 * 1024);
    assert.equal((await parseIsolated([{ text: many, options: { file: 'many.yaml' } }])).length, 500);
  });

  test('helm template output is capped: a helm that prints forever is killed and the render fails', async () => {
    const bin = await tempDir('render-fake-helm-');
    const fake = join(bin, 'helm');
    // The child's PATH is empty: shell builtins only.
    await writeFile(fake, '#!/bin/sh\nwhile :; do echo "# Source: chart/templates/x.yaml and on and on"; done\n');
    await chmod(fake, 0o755);
    const chart = await tempDir();
    await writeTree(chart, { 'Chart.yaml': 'apiVersion: v2\nname: endless\nversion: 0.1.0\n' });
    await assert.rejects(
      renderHelmChart(chart, { helm: fake, releaseName: 'r', namespace: 'ns', kubeVersion: '1.36.3', limits: renderLimits({ maxTotalBytes: 1024 * 1024 }) }),
      limitError('helm template output', /^failed to render helm chart: helm template printed more than 1 MiB, the limit per app \(it was stopped\)$/),
    );
  });
});
