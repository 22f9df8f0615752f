import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ensurePrivateDir, ensurePrivateFile } from './private-files.ts';

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('private folders and files of $BEAMLINE_HOME', () => {
  let dir = '';
  after(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  test('new folders are 0700, an existing world-readable one is tightened; the parent is left alone', async () => {
    dir = await mkdtemp(join(tmpdir(), 'beamline-private-'));
    await chmod(dir, 0o755);
    const home = join(dir, 'home', 'nested');
    await ensurePrivateDir(home);
    assert.equal(await modeOf(home), 0o700);
    assert.equal(await modeOf(join(dir, 'home')), 0o700);
    assert.equal(await modeOf(dir), 0o755, 'a parent that existed keeps its mode');
    const old = join(dir, 'old');
    await mkdir(old, { mode: 0o755 });
    await chmod(old, 0o755);
    await ensurePrivateDir(old);
    assert.equal(await modeOf(old), 0o700);
  });

  test('log files are 0600, new or old, and keep their content', async () => {
    const log = join(dir, 'manager.log');
    await ensurePrivateFile(log);
    assert.equal(await modeOf(log), 0o600);
    const old = join(dir, 'old.log');
    await writeFile(old, 'kept\n', { mode: 0o644 });
    await chmod(old, 0o644);
    await ensurePrivateFile(old);
    assert.equal(await modeOf(old), 0o600);
    assert.equal((await import('node:fs')).readFileSync(old, 'utf8'), 'kept\n');
  });
});
