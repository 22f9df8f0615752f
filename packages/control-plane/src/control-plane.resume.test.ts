// Detached planes: they outlive the process that started them, report which components died,
// come back with `resumeControlPlane` (same endpoint, same data), go away with
// `destroyControlPlane`, and a start that was interrupted half-way is cleaned up by the next one.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { BINARY_NAMES, binaryPathsIn, ensureBinaries, type BinaryPaths } from '@beamline/binaries';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { destroyControlPlane } from './destroy.ts';
import { readPidRecord } from './processes.ts';
import { probeStatus } from './readiness.ts';
import { resumeControlPlane } from './resume.ts';
import type { ControlPlaneState } from './state.ts';
import { controlPlaneStatus } from './status.ts';
import { alive, killProcessesMentioning, processesMentioning, waitFor } from '@beamline/testenv';

const CHILD = fileURLToPath(new URL('./testing/detached-plane-process.ts', import.meta.url));
let binaries: BinaryPaths;
let binDir: string;
let root: string;
const children = new Set<number>();

before(async () => {
  const resolved = await ensureBinaries();
  binaries = resolved.paths;
  binDir = resolved.dir;
  root = await mkdtemp(join(tmpdir(), 'beamline-resume-'));
});

after(async () => {
  // Whatever a failed test left: the child processes, every plane under the root, then any
  // process that still names the root.
  for (const pid of children) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const name of ['outlives', 'single', 'interrupted']) await destroyControlPlane(join(root, name)).catch(() => undefined);
  await killProcessesMentioning(root);
  await rm(root, { recursive: true, force: true });
});

const readStateOf = async (dir: string): Promise<ControlPlaneState> => JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;

const pidOf = (plane: ControlPlane, name: string): number => {
  const component = plane.components.find((c) => c.name === name);
  assert.ok(component, `component ${name}`);
  return component.pid;
};

/** Runs the child that starts planes; resolves with what it printed once it has exited. */
function runChild(args: string[]): Promise<{ owned: number[]; detached: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) children.add(child.pid);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('exit', (code) => {
      const line = out.split('\n')[0];
      if (code === 0 && line !== undefined && line !== '') resolve(JSON.parse(line) as { owned: number[]; detached: number[] });
      else reject(new Error(`child exited with ${String(code)}: ${err}`));
    });
  });
}

describe('detached control planes', () => {
  test('a detached plane outlives the process that started it (owned ones do not), and a second start is refused', async () => {
    const dir = join(root, 'outlives');
    const ownedDir = join(root, 'owned');
    const { owned, detached } = await runChild([`--bin-dir=${binDir}`, `--dir=${dir}`, `--owned-dir=${ownedDir}`]);
    // The child's exit hooks killed its owned plane and left the detached one alone.
    assert.deepEqual(owned.filter(alive), []);
    assert.equal(existsSync(ownedDir), false);
    assert.equal(detached.length, 2);
    assert.ok(detached.every(alive), 'detached components outlive their starter');
    const status = await controlPlaneStatus(dir);
    assert.equal(status.ready, true);
    assert.ok(status.components.every((c) => c.alive));

    await assert.rejects(startControlPlane({ binaries, dir, lifetime: 'detached' }), /already holds a started control plane/);
    assert.ok(detached.every(alive), 'the refused start touched nothing');

    // Adopted as they are: same processes.
    const plane = await resumeControlPlane(dir, { binaries });
    assert.deepEqual(plane.components.map((c) => c.pid), detached);
    await destroyControlPlane(dir);
    assert.deepEqual(detached.filter(alive), []);
    assert.equal(existsSync(dir), false);
  });

  test('killed components are reported, and a resume brings them back with the same endpoint and data', async () => {
    const dir = join(root, 'single');
    const plane = await startControlPlane({ binaries, dir, lifetime: 'detached', mode: 'full', name: 'single' });
    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'kept' }, data: { colour: 'blue' } } });

    const victims = ['kube-apiserver', 'kwok'];
    for (const name of victims) process.kill(pidOf(plane, name), 'SIGKILL');
    await waitFor(() => victims.every((name) => !alive(pidOf(plane, name))), { what: 'victims gone', timeoutMs: 10_000 });

    const down = await controlPlaneStatus(dir);
    assert.equal(down.ready, false);
    assert.deepEqual(down.components.filter((c) => !c.alive).map((c) => c.name), victims);
    assert.equal(down.components.find((c) => c.name === 'kwok')?.pid, pidOf(plane, 'kwok'));

    const resumed = await resumeControlPlane(dir, { binaries });
    assert.equal(resumed.server, plane.server);
    for (const component of resumed.components) {
      assert.ok(alive(component.pid), `${component.name} runs`);
      if (victims.includes(component.name)) assert.notEqual(component.pid, pidOf(plane, component.name));
      else assert.equal(component.pid, pidOf(plane, component.name), `${component.name} adopted`);
    }
    const up = await controlPlaneStatus(dir);
    assert.equal(up.ready, true);
    assert.ok(up.components.every((c) => c.alive));
    const kept = await resumed.kubeConfig.makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace: 'default', name: 'kept' });
    assert.equal(kept.data?.colour, 'blue');
    assert.equal(await probeStatus(`http://127.0.0.1:${(await readStateOf(dir)).ports.kwok ?? 0}/healthz`), 200);

    // A stopped detached plane keeps its folder, and a resume starts everything again, from where
    // the binaries are now (the cache moved).
    await resumed.stop();
    assert.ok(existsSync(join(dir, 'state.json')));
    assert.equal((await controlPlaneStatus(dir)).components.some((c) => c.alive), false);
    const movedBin = join(root, 'moved-bin');
    await mkdir(movedBin);
    for (const name of BINARY_NAMES) await symlink(binaries[name], join(movedBin, name));
    const again = await resumeControlPlane(dir, { binaries: binaryPathsIn(movedBin) });
    assert.equal((await again.kubeConfig.makeApiClient(CoreV1Api).readNamespacedConfigMap({ namespace: 'default', name: 'kept' })).data?.colour, 'blue');
    assert.ok((await readStateOf(dir)).components.every((c) => c.binary.startsWith(movedBin)));
    for (const component of again.components) {
      const argv0 = (await readFile(`/proc/${component.pid}/cmdline`, 'utf8')).split('\0')[0];
      assert.equal(argv0, join(movedBin, component.name), `${component.name} runs from the new folder`);
    }

    const pids = again.components.map((c) => c.pid);
    await destroyControlPlane(dir);
    assert.deepEqual(pids.filter(alive), []);
    assert.deepEqual(await processesMentioning(dir), []);
    assert.equal(existsSync(dir), false);
    await destroyControlPlane(dir); // idempotent
  });

  test('a start interrupted after etcd is cleaned up by the next start in that folder', async () => {
    // An apiserver that never becomes ready: the start waits for it until the child is killed.
    const fakeBin = join(root, 'hanging-bin');
    await mkdir(fakeBin);
    for (const name of BINARY_NAMES) if (name !== 'kube-apiserver') await symlink(binaries[name], join(fakeBin, name));
    await writeFile(join(fakeBin, 'kube-apiserver'), '#!/bin/sh\nsleep 300\n');
    await chmod(join(fakeBin, 'kube-apiserver'), 0o755);

    const dir = join(root, 'interrupted');
    const child = spawn(process.execPath, [CHILD, `--bin-dir=${fakeBin}`, `--dir=${dir}`], { stdio: 'ignore' });
    assert.ok(child.pid !== undefined);
    children.add(child.pid);
    const pidDir = join(dir, 'pids');
    await waitFor(() => readPidRecord(pidDir, 'kube-apiserver') !== undefined, { what: 'the start reaches the apiserver', timeoutMs: 30_000 });
    process.kill(child.pid, 'SIGKILL');
    await waitFor(() => child.pid !== undefined && !alive(child.pid), { what: 'child gone', timeoutMs: 10_000 });

    const interrupted = await readStateOf(dir);
    assert.equal(interrupted.ready, false);
    const etcd = readPidRecord(pidDir, 'etcd');
    assert.ok(etcd !== undefined && alive(etcd.pid), 'etcd of the interrupted start still runs');

    const plane = await startControlPlane({ binaries, dir, lifetime: 'detached', name: 'interrupted' });
    try {
      assert.equal(alive(etcd.pid), false, 'the old etcd was stopped');
      assert.equal((await readStateOf(dir)).ready, true);
      assert.equal((await controlPlaneStatus(dir)).ready, true);
      // Only the new plane's processes name the folder (the hanging fake is gone too).
      assert.deepEqual((await processesMentioning(dir)).sort(), plane.components.map((c) => c.pid).sort());
      assert.deepEqual(await processesMentioning(fakeBin), []);
    } finally {
      await destroyControlPlane(dir);
    }
    assert.deepEqual(await processesMentioning(dir), []);
    assert.equal(existsSync(dir), false);
  });
});
