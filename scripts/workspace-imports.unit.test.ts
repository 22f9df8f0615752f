import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { undeclaredImports } from './workspace-imports.ts';

const repository = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('workspace imports', () => {
  test('every workspace declares the @beamline/* packages it imports', () => {
    const missing = undeclaredImports(repository).map((entry) => `${entry.workspace}: ${entry.dependency} missing from ${entry.expected} (imported by ${entry.file})`);
    assert.deepEqual(missing, []);
  });

  describe('the check itself', () => {
    const root = mkdtempSync(join(tmpdir(), 'beamline-workspace-imports-'));
    after(() => rmSync(root, { recursive: true, force: true }));
    const write = (path: string, text: string): void => {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    };
    write('package.json', JSON.stringify({ name: 'root', workspaces: ['packages/*', 'app'] }));
    write('packages/a/package.json', JSON.stringify({ name: '@beamline/a' }));
    write('packages/a/src/a.ts', "export const a = 1;\nimport { self } from '@beamline/a';\n");
    write('packages/b/package.json', JSON.stringify({ name: '@beamline/b', dependencies: { '@beamline/a': '0.1.0' }, devDependencies: { '@beamline/t': '0.1.0' } }));
    write('packages/b/src/b.ts', "import { a } from '@beamline/a';\n");
    write('packages/b/src/b.test.ts', "import { t } from '@beamline/t';\n");
    write('packages/b/src/b.ts.orig', "import { x } from '@beamline/x';\n");
    write('app/package.json', JSON.stringify({ name: '@beamline/app', devDependencies: { '@beamline/a': '0.1.0' } }));
    write('app/src/main.ts', "const b = await import('@beamline/b');\nimport type { A } from '@beamline/a/testing';\n");
    write('app/src/testing/helper.ts', "import { t } from '@beamline/t';\n");

    test('finds static, type-only, subpath and dynamic imports; dev dependencies count for test code only', () => {
      const missing = undeclaredImports(root).map((entry) => `${entry.workspace} ${entry.dependency} ${entry.expected}`);
      assert.deepEqual(missing.sort(), ['app @beamline/a dependencies', 'app @beamline/b dependencies', 'app @beamline/t devDependencies']);
    });
  });
});
