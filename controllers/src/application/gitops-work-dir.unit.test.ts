import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { claimGitopsWorkDir } from './gitops-work-dir.ts';

/** A pid no process has now: one of a process that has exited. */
function deadPid(): number {
  const result = spawnSync('sh', ['-c', 'echo $$']);
  return Number(result.stdout.toString().trim());
}

test('claimGitopsWorkDir reuses one owner-only folder across restarts, gives concurrent managers their own, and removes per-start folders of the past', async () => {
  const home = await mkdtemp(join(tmpdir(), 'beamline-workdir-'));
  try {
    // Left by earlier versions: one folder per start (dead), and one of a running manager (us).
    await mkdir(join(home, 'gitops', `host-${deadPid()}`, 'git'), { recursive: true });
    await mkdir(join(home, 'gitops', `host-${process.pid}`), { recursive: true });

    const first = await claimGitopsWorkDir(home);
    assert.equal(first.dir, join(home, 'gitops', 'slot-0'));
    assert.equal((await stat(join(home, 'gitops'))).mode & 0o777, 0o700);
    assert.equal((await stat(first.dir)).mode & 0o777, 0o700);
    assert.deepEqual((await readdir(join(home, 'gitops'))).sort(), [`host-${process.pid}`, 'slot-0']);

    // Another manager on the same home while the first runs (here: a live owner that is not us).
    await writeFile(join(first.dir, 'owner.pid'), `${process.ppid}\n`);
    const second = await claimGitopsWorkDir(home);
    assert.equal(second.dir, join(home, 'gitops', 'slot-1'));
    await second.release();

    // The first manager was killed: its slot, with its mirrors, is taken over; leftovers go.
    await writeFile(join(first.dir, 'owner.pid'), `${deadPid()}\n`);
    await mkdir(join(first.dir, 'git', 'mirror'), { recursive: true });
    await mkdir(join(first.dir, 'export-abc123'));
    const restarted = await claimGitopsWorkDir(home);
    assert.equal(restarted.dir, first.dir);
    assert.deepEqual((await readdir(restarted.dir)).sort(), ['git', 'owner.pid']);
    await restarted.release();
    assert.deepEqual(await readdir(restarted.dir), ['git']);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
