// destroyControlPlane stops components that no pid file names (a starter killed between spawning a
// component and writing its pid file), and nothing else.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ensureBinaries } from '@beamline/binaries';
import { alive, waitFor } from '@beamline/testenv';
import { destroyControlPlane } from './destroy.ts';
import { freePorts } from './ports.ts';
import { unrecordedComponents } from './processes.ts';

describe('destroyControlPlane', () => {
  const spawned: number[] = [];
  after(() => {
    for (const pid of spawned) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });

  test('stops a component no pid file names, and leaves other processes that mention the folder alone', async () => {
    const binaries = (await ensureBinaries()).paths;
    const dir = await mkdtemp(join(tmpdir(), 'beamline-destroy-'));
    const [client = 0, peer = 0] = await freePorts(2);
    // An etcd of this plane with no pid file, as a killed starter leaves it.
    const etcd = spawn(
      binaries.etcd,
      [`--data-dir=${join(dir, 'etcd')}`, `--listen-client-urls=http://127.0.0.1:${client}`, `--advertise-client-urls=http://127.0.0.1:${client}`, `--listen-peer-urls=http://127.0.0.1:${peer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`, `--initial-cluster=default=http://127.0.0.1:${peer}`, '--log-level=error'],
      { stdio: 'ignore', detached: true },
    );
    // Someone else's process that merely names a file in the folder.
    const other = spawn('/bin/sh', ['-c', 'sleep 60', join(dir, 'logs', 'etcd.log')], { stdio: 'ignore', detached: true });
    spawned.push(etcd.pid ?? 0, other.pid ?? 0);
    etcd.unref();
    other.unref();
    await waitFor(async () => (await unrecordedComponents(dir)).includes(etcd.pid ?? -1), { what: 'the stray etcd found', timeoutMs: 10_000 });

    await destroyControlPlane(dir);
    assert.equal(alive(etcd.pid ?? 0), false, 'the stray etcd is stopped');
    assert.equal(alive(other.pid ?? 0), true, 'a process of another program is not touched');
    assert.equal(existsSync(dir), false);
    await rm(dir, { recursive: true, force: true });
  });
});
