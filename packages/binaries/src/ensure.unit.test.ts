import { existsSync, renameSync } from 'node:fs';
import { access, constants, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BINARY_NAMES, BINARY_SPECS } from './catalog.ts';
import { ensureBinaries, findBinaries } from './ensure.ts';
import { mirrorArch } from './mirror.ts';
import { loadPins, pinsHash, type Pins } from './pins.ts';
import { buildMirror, fakeBinary, mirrorPaths, recorder, serveDirectory, writeExecutable, type FileServer } from './testing/fake-mirror.ts';
import { BinaryVersionError, checkBinaryVersion } from './verify.ts';

const pins = loadPins();
const arch = mirrorArch();
const at = mirrorPaths(pins, arch);

describe('ensureBinaries and findBinaries', () => {
  let root = '';
  let server: FileServer | undefined;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'beamline-ensure-test-'));
    await buildMirror(join(root, 'srv', 'good'), pins, arch);
    await buildMirror(join(root, 'srv', 'missing-kube-scheduler'), pins, arch);
    await rm(join(root, 'srv', 'missing-kube-scheduler', at.kubernetes('kube-scheduler')));
    server = await serveDirectory(join(root, 'srv'));
  });

  after(async () => {
    await server?.close();
    if (root !== '') await rm(root, { recursive: true, force: true });
  });

  function mirrorServer(): FileServer {
    assert.ok(server !== undefined, 'the fake mirror is not running');
    return server;
  }

  /** A fresh, empty XDG_CACHE_HOME inside the test's temp folder. */
  function cacheHome(): Promise<string> {
    return mkdtemp(join(root, 'cache-'));
  }

  /** An environment that never reaches the real cache, a real BEAMLINE_BIN_DIR or a real mirror. */
  function envFor(cache: string, mirror = 'good'): NodeJS.ProcessEnv {
    return { ...process.env, XDG_CACHE_HOME: cache, BEAMLINE_BIN_DIR: '', BEAMLINE_DOWNLOAD_MIRROR: `${mirrorServer().origin}/${mirror}` };
  }

  /** The requests made since `start` (an index into the server's request log). */
  function requestsSince(start: number): string[] {
    return mirrorServer().requests.slice(start);
  }

  async function assertInstalled(dir: string): Promise<void> {
    assert.deepEqual((await readdir(dir)).sort(), [...BINARY_NAMES, '.complete'].sort(), 'only the binaries and the marker, no work files');
    for (const name of BINARY_NAMES) {
      await access(join(dir, name), constants.X_OK);
      const check = await checkBinaryVersion(name, join(dir, name), pins);
      assert.ok(check.ok, `${name}: expected ${check.expected}, got ${check.reported}`);
    }
  }

  test('installs from the mirror into an empty cache, then uses the cache without any request', async () => {
    const cache = await cacheHome();
    const env = envFor(cache);
    const dir = join(cache, 'beamline', 'bin', pinsHash(pins));
    const start = mirrorServer().requests.length;

    const progress = recorder();
    const first = await ensureBinaries({ env, pins, progress });
    assert.equal(first.source, 'mirror');
    assert.equal(first.dir, dir);
    assert.deepEqual(first.pins, pins);
    assert.deepEqual(first.paths, Object.fromEntries(BINARY_NAMES.map((name) => [name, join(dir, name)])));
    await assertInstalled(dir);
    const marker = JSON.parse(await readFile(join(dir, '.complete'), 'utf8')) as { pins?: unknown; source?: unknown };
    assert.deepEqual(marker.pins, pins);
    assert.equal(marker.source, 'mirror');
    // No `<hash>.partial` staging folder and no `<hash>.lock` left beside the cache folder.
    assert.deepEqual(await readdir(join(cache, 'beamline', 'bin')), [pinsHash(pins)]);
    assert.deepEqual(requestsSince(start).sort(), at.all.map((path) => `/good/${path}`).sort(), 'every artifact and checksum fetched once');
    assert.ok(progress.lines.includes(`ready: ${dir}`), progress.lines.join('\n'));

    const afterFirst = mirrorServer().requests.length;
    const second = await ensureBinaries({ env, pins, progress: recorder() });
    assert.equal(second.source, 'cache');
    assert.equal(second.dir, dir);
    assert.deepEqual(second.paths, first.paths);
    const found = await findBinaries({ env, pins });
    assert.ok(found !== undefined);
    assert.equal(found.source, 'cache');
    assert.equal(found.dir, dir);
    assert.deepEqual(requestsSince(afterFirst), [], 'the cache needs no download');
  });

  // In-process concurrency does exercise the lock file: proper-lockfile takes the lock by mkdir-ing
  // `<hash>.lock` (atomic, so the second caller gets EEXIST and retries) and only consults its
  // in-process registry to refresh and release a lock it holds, so no child process is needed.
  test('two concurrent setups share one download: the second waits for the lock, then finds the cache', async () => {
    const cache = await cacheHome();
    const env = envFor(cache);
    const dir = join(cache, 'beamline', 'bin', pinsHash(pins));
    const start = mirrorServer().requests.length;
    const lockHeldWhileDownloading: boolean[] = [];
    const onStep = (message: string): void => {
      if (message.startsWith('downloading ')) lockHeldWhileDownloading.push(existsSync(`${dir}.lock`));
    };
    const progress = [recorder(onStep), recorder(onStep)] as const;

    const results = await Promise.all(progress.map((p) => ensureBinaries({ env, pins, progress: p })));

    assert.deepEqual(results.map((result) => result.dir), [dir, dir]);
    assert.deepEqual(results.map((result) => result.source).sort(), ['cache', 'mirror']);
    assert.deepEqual(requestsSince(start).sort(), at.all.map((path) => `/good/${path}`).sort(), 'every artifact and checksum fetched exactly once');
    assert.equal(lockHeldWhileDownloading.length, BINARY_NAMES.length);
    assert.ok(lockHeldWhileDownloading.every(Boolean), 'the lock file exists during every download');
    const waiter = progress[results.findIndex((result) => result.source === 'cache')];
    assert.ok(waiter !== undefined);
    // It got past findBinaries before the cache was complete, so it really waited on the lock.
    assert.ok(waiter.lines.some((line) => line.startsWith('installing ')), waiter.lines.join('\n'));
    assert.ok(!waiter.lines.some((line) => line.startsWith('downloading ')), waiter.lines.join('\n'));
    await assertInstalled(dir);
    assert.deepEqual(await readdir(join(cache, 'beamline', 'bin')), [pinsHash(pins)]);
  });

  test('BEAMLINE_BIN_DIR is checked, never copied: wrong and missing binaries are named', async () => {
    const binDir = await mkdtemp(join(root, 'bin-dir-'));
    const cache = await cacheHome();
    const env = { ...envFor(cache), BEAMLINE_BIN_DIR: binDir };
    const start = mirrorServer().requests.length;
    for (const name of BINARY_NAMES) {
      if (name === 'kwokctl') continue;
      // An unstamped build, as `go build` without -ldflags makes.
      await writeExecutable(join(binDir, name), fakeBinary(name, pins, name === 'kube-scheduler' ? 'Kubernetes v0.0.0-master' : undefined));
    }

    const isVersionError = (error: unknown): boolean => {
      assert.ok(error instanceof BinaryVersionError, String(error));
      assert.ok(error.message.includes(binDir), error.message);
      const scheduler = BINARY_SPECS['kube-scheduler'].expectedVersion(pins);
      const kwokctl = BINARY_SPECS.kwokctl.expectedVersion(pins);
      assert.ok(error.message.includes(`kube-scheduler: expected ${scheduler}, got Kubernetes v0.0.0-master`), error.message);
      assert.ok(error.message.includes(`kwokctl: expected ${kwokctl}, got missing or not executable`), error.message);
      assert.deepEqual(error.checks.map((check) => check.name), ['kube-scheduler', 'kwokctl']);
      return true;
    };
    await assert.rejects(ensureBinaries({ env, pins }), isVersionError);
    await assert.rejects(findBinaries({ env, pins }), isVersionError);

    await writeExecutable(join(binDir, 'kube-scheduler'), fakeBinary('kube-scheduler', pins));
    await writeExecutable(join(binDir, 'kwokctl'), fakeBinary('kwokctl', pins));
    const resolved = await ensureBinaries({ env, pins });
    assert.equal(resolved.source, 'BEAMLINE_BIN_DIR');
    assert.equal(resolved.dir, binDir);
    assert.deepEqual(resolved.paths, Object.fromEntries(BINARY_NAMES.map((name) => [name, join(binDir, name)])));
    assert.equal((await findBinaries({ env, pins }))?.source, 'BEAMLINE_BIN_DIR');
    assert.deepEqual(await readdir(cache), [], 'nothing written to the cache');
    assert.deepEqual(requestsSince(start), [], 'nothing downloaded');
  });

  test('a failing mirror leaves no complete cache folder, and a good one recovers', async () => {
    const cache = await cacheHome();
    const dir = join(cache, 'beamline', 'bin', pinsHash(pins));
    const url = `${mirrorServer().origin}/missing-kube-scheduler/${at.kubernetes('kube-scheduler')}`;

    await assert.rejects(ensureBinaries({ env: envFor(cache, 'missing-kube-scheduler'), pins }), (error: Error) => {
      assert.ok(error.message.includes(`failed to download kube-scheduler from ${url}: server answered HTTP 404`), error.message);
      return true;
    });
    assert.equal(existsSync(dir), false, 'no cache folder');
    assert.equal(existsSync(`${dir}.lock`), false, 'the lock is released');
    assert.equal(await findBinaries({ env: envFor(cache, 'missing-kube-scheduler'), pins }), undefined);

    // The staging folder left behind must not confuse the next run.
    const resolved = await ensureBinaries({ env: envFor(cache), pins });
    assert.equal(resolved.source, 'mirror');
    await assertInstalled(dir);
    assert.deepEqual(await readdir(join(cache, 'beamline', 'bin')), [pinsHash(pins)]);
  });

  // Known bug (see the report on ensure.ts): lock() resolves the realpath of `<hash>.partial`, which
  // the setup that holds the lock renames to `<hash>` when it finishes. A setup that ran
  // mkdir(partial) just before that rename fails with ENOENT instead of finding the finished cache.
  test('a setup finishing elsewhere between our mkdir and our lock leaves us the cache', async () => {
    const cache = await cacheHome();
    const env = envFor(cache);
    const dir = join(cache, 'beamline', 'bin', pinsHash(pins));
    await ensureBinaries({ env, pins });
    // Back to the moment before the other setup's final rename: a complete `<hash>.partial`.
    renameSync(dir, `${dir}.partial`);
    const progress = recorder((message) => {
      // Called after our mkdir(partial) and before our lock(): the other setup finishes now.
      if (message.startsWith('installing ')) renameSync(`${dir}.partial`, dir);
    });
    const start = mirrorServer().requests.length;
    const resolved = await ensureBinaries({ env, pins, progress });
    assert.equal(resolved.source, 'cache');
    assert.deepEqual(requestsSince(start), []);
  });

  // Known bug (see the report on ensure.ts): isComplete compares JSON.stringify of the pins, so the
  // same pins in another key order (same pinsHash, same folder) do not recognise a complete cache.
  test('the cache is found whatever the key order of the pins', async () => {
    const cache = await cacheHome();
    const env = envFor(cache);
    await ensureBinaries({ env, pins });
    const reordered: Pins = { helm: pins.helm, kwok: pins.kwok, etcd: pins.etcd, kubernetes: pins.kubernetes };
    assert.equal(pinsHash(reordered), pinsHash(pins));
    assert.equal((await findBinaries({ env, pins: reordered }))?.source, 'cache');
  });
});
