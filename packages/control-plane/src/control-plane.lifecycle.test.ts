// Lifecycle of control planes this test starts itself: nothing is left after stop, after a crash of
// the owner (swept by the next run), after SIGTERM, or after a failed start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BINARY_NAMES, binaryPathsIn, ensureBinaries, type BinaryPaths } from '@beamline/binaries';
import { alive, processesMentioning, waitFor } from '@beamline/testenv';
import { startControlPlane } from './control-plane.ts';
import { ComponentStartError, probeStatus } from './readiness.ts';
import { sweepOrphans } from './sweep.ts';

const CHILD = fileURLToPath(new URL('./testing/owned-plane-process.ts', import.meta.url));
let binaries: BinaryPaths;
let binDir: string;
let root: string;

before(async () => {
  const resolved = await ensureBinaries();
  binaries = resolved.paths;
  binDir = resolved.dir;
  root = await mkdtemp(join(tmpdir(), 'beamline-lifecycle-'));
});

/** Owner processes started by the tests: killed in `after` whatever happened. */
const owners = new Set<number>();

after(async () => {
  // Whatever a failed test left: the owners first, then their orphans, then the folder.
  for (const pid of owners) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await waitFor(() => [...owners].every((pid) => !alive(pid)), { what: 'owners gone', timeoutMs: 10_000 });
  await sweepOrphans(root);
  await rm(root, { recursive: true, force: true });
});

/** Starts the child that owns a plane; resolves with its pid and what it printed. */
function startOwner(dir: string): Promise<{ ownerPid: number; pids: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, binDir, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) owners.add(child.pid);
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`owner did not report within 60 s: ${err}`));
    }, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) {
        clearTimeout(timer);
        resolve({ ownerPid: child.pid ?? 0, pids: (JSON.parse(line) as { pids: number[] }).pids });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!out.includes('\n')) reject(new Error(`owner exited with ${String(code)} before reporting: ${err}`));
    });
  });
}

describe('control plane lifecycle', () => {
  test('stop leaves no process, no port and no folder', async () => {
    const dir = join(root, 'stop');
    const plane = await startControlPlane({ binaries, dir, lifetime: 'owned', name: 'stop' });
    const pids = plane.components.map((c) => c.pid);
    assert.equal(pids.length, 2);
    assert.ok(pids.every(alive));
    assert.equal(await probeStatus(`${plane.server}/livez`, { insecure: true }), 200);
    await plane.stop();
    assert.deepEqual(pids.filter(alive), []);
    assert.deepEqual(await processesMentioning(dir), []);
    assert.equal(await probeStatus(`${plane.server}/livez`, { insecure: true }), 0);
    assert.equal(existsSync(dir), false);
  });

  test('a crashed owner (SIGKILL) leaves orphans that the next run sweeps', async () => {
    const dir = join(root, 'crashed');
    const { ownerPid, pids } = await startOwner(dir);
    process.kill(ownerPid, 'SIGKILL');
    await waitFor(() => !alive(ownerPid), { what: 'owner gone', timeoutMs: 10_000 });
    // Nothing could run in the killed owner: its components are still there.
    assert.ok(pids.every(alive), 'components outlive a SIGKILLed owner');
    const swept = await sweepOrphans(root);
    assert.deepEqual(swept.removedDirs, [dir]);
    assert.equal(swept.stoppedProcesses, pids.length);
    assert.deepEqual(await processesMentioning(dir), []);
    assert.equal(existsSync(dir), false);
  });

  test('SIGTERM to the owner stops its components and removes the folder', async () => {
    const dir = join(root, 'sigterm');
    const { ownerPid, pids } = await startOwner(dir);
    process.kill(ownerPid, 'SIGTERM');
    await waitFor(() => !alive(ownerPid) && pids.every((pid) => !alive(pid)), { what: 'owner and components gone', timeoutMs: 15_000 });
    assert.deepEqual(await processesMentioning(dir), []);
    assert.equal(existsSync(dir), false);
  });

  test('a sweep leaves the planes of live owners alone', async () => {
    const dir = join(root, 'live');
    const plane = await startControlPlane({ binaries, dir, lifetime: 'owned', name: 'live' });
    try {
      const swept = await sweepOrphans(root);
      assert.deepEqual(swept.removedDirs, []);
      assert.ok(plane.components.every((c) => alive(c.pid)));
    } finally {
      await plane.stop();
    }
  });

  test('a component that fails to start is reported with its log tail, and nothing is left', async () => {
    const fakeBin = join(root, 'bad-bin');
    await mkdir(fakeBin);
    for (const name of BINARY_NAMES) if (name !== 'kube-apiserver') await symlink(binaries[name], join(fakeBin, name));
    await writeFile(join(fakeBin, 'kube-apiserver'), '#!/bin/sh\necho "E0101 flag provided but not defined: --boom" >&2\nexit 1\n');
    await chmod(join(fakeBin, 'kube-apiserver'), 0o755);
    const dir = join(root, 'failed');
    const error = await startControlPlane({ binaries: binaryPathsIn(fakeBin), dir, lifetime: 'owned', name: 'failed' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof ComponentStartError, `expected ComponentStartError, got ${String(error)}`);
    assert.equal(error.component, 'kube-apiserver');
    assert.match(error.message, /flag provided but not defined: --boom/);
    assert.equal(existsSync(dir), false);
    // etcd, started before the apiserver, was stopped too.
    assert.deepEqual(await processesMentioning(dir), []);
    await rm(fakeBin, { recursive: true, force: true });
  });
});
