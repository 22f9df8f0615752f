// GitMirrorCache against the real git: repositories served by `git http-backend` on 127.0.0.1 and
// over file://. No control plane, hence `.unit.test.ts`.
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runGit } from './git-command.ts';
import { GitMirrorCache } from './git-mirror-cache.ts';
import { isSourceError, type SourceErrorReason } from './source-error.ts';
import { RenderError } from '../render/render-error.ts';
import { createTestRepository, startGitFixture, startGitServer, type GitFixture, type GitServer, type TestFiles } from './testing/git-server.ts';

const FILES = {
  'README.md': '# apps\n',
  'apps/a/deploy.yaml': 'kind: Deployment\nmetadata: {name: a}\n',
  'apps/a/nested/config.yaml': 'kind: ConfigMap\nmetadata: {name: a}\n',
  'apps/b/deploy.yaml': 'kind: Deployment\nmetadata: {name: b}\n',
};

/** Rejects with a SourceError of `reason` whose message names the URL and matches `pattern`. */
async function rejectsWith(work: Promise<unknown>, reason: SourceErrorReason, pattern?: RegExp): Promise<Error> {
  let caught: unknown;
  await assert.rejects(work, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(isSourceError(caught), `expected a SourceError, got ${inspect(caught)}`);
  assert.equal(caught.reason, reason, caught.message);
  if (pattern !== undefined) assert.match(caught.message, pattern);
  return caught;
}

/** Objects in a mirror (loose and packed). */
async function objectCount(gitDir: string): Promise<number> {
  const { stdout } = await runGit(['--git-dir', gitDir, 'count-objects', '-v'], { timeoutMs: 30_000 });
  const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(stdout)?.[1] ?? 'NaN');
  return field('count') + field('in-pack');
}

async function refsOf(gitDir: string): Promise<string[]> {
  const { stdout } = await runGit(['--git-dir', gitDir, 'for-each-ref', '--format=%(refname)'], { timeoutMs: 30_000 });
  return stdout.split('\n').filter((line) => line !== '');
}

describe('GitMirrorCache', () => {
  let fixture: GitFixture;
  let caches = 0;
  const newCache = (options: { remoteTimeoutMs?: number } = {}): GitMirrorCache => {
    caches += 1;
    return new GitMirrorCache({ root: join(fixture.root, 'caches', String(caches)), ...options });
  };

  before(async () => {
    fixture = await startGitFixture({ files: FILES });
    await fixture.repository.tag('v1');
    await fixture.repository.commit({ 'apps/b/deploy.yaml': 'kind: Deployment\nmetadata: {name: b}\nspec: {replicas: 2}\n' });
    await fixture.repository.tag('v2', { annotated: true });
  });

  after(async () => {
    await fixture.stop();
  });

  test('resolves branches, tags, HEAD, full refs and full or abbreviated shas over http', async () => {
    const cache = newCache();
    const { repository, url } = fixture;
    const main = await repository.revParse('main');
    const v1 = await repository.revParse('v1');
    assert.notEqual(main, v1);
    assert.equal(await cache.resolve(url, 'main'), main);
    assert.equal(await cache.resolve(url, 'refs/heads/main'), main);
    assert.equal(await cache.resolve(url, 'HEAD'), main);
    assert.equal(await cache.resolve(url, 'v1'), v1);
    // An annotated tag resolves to its commit, not to the tag object.
    assert.equal(await cache.resolve(url, 'v2'), main);
    assert.equal(await cache.resolve(url, 'refs/tags/v2'), main);
    assert.equal(await cache.resolve(url, v1.toUpperCase()), v1);
    // Branches and tags cost no fetch.
    assert.equal(fixture.server.requests.filter((request) => request.command === 'fetch').length, 0);
    assert.equal(await cache.resolve(url, v1.slice(0, 9)), v1);
    // Fetching by tag, lightweight or annotated, works like a branch.
    const byTag = newCache();
    assert.deepEqual(await byTag.ensureCommit(url, v1, 'v1'), { fetched: true });
    assert.deepEqual(await byTag.ensureCommit(url, main, 'v2'), { fetched: true });
    assert.deepEqual(await refsOf(byTag.mirrorPath(url)), ['refs/beamline/revisions/v1', 'refs/beamline/revisions/v2']);
  });

  test('resolves, fetches and reads over file:// too', async () => {
    const cache = newCache();
    const { repository, fileUrl } = fixture;
    const main = await cache.resolve(fileUrl, 'main');
    assert.equal(main, await repository.revParse('main'));
    assert.equal(await cache.resolve(fileUrl, 'v1'), await repository.revParse('v1'));
    assert.deepEqual(await cache.ensureCommit(fileUrl, main, 'main'), { fetched: true });
    assert.equal(await cache.treeId(fileUrl, main, 'apps/a'), await repository.treeId(main, 'apps/a'));
  });

  test('keeps one bare mirror per repository, with only the refs asked for and no tags', async () => {
    const cache = newCache();
    const { repository, url } = fixture;
    const main = await cache.resolve(url, 'main');
    await cache.ensureCommit(url, main, 'main');
    const mirror = cache.mirrorPath(url);
    assert.equal(cache.mirrorPath(`${url}.git/`), mirror);
    // Credentials (in the URL or given apart) get a mirror of their own.
    assert.notEqual(cache.mirrorPath(url.replace('http://', 'http://someone:secret@')), mirror);
    assert.notEqual(cache.mirrorPath(url, { type: 'basic', username: 'someone', password: 'secret' }), mirror);
    assert.deepEqual(await readdir(join(cache.root)), [mirror.slice(cache.root.length + 1)]);
    assert.equal((await runGit(['--git-dir', mirror, 'rev-parse', '--is-bare-repository'], { timeoutMs: 30_000 })).stdout.trim(), 'true');
    assert.deepEqual(await refsOf(mirror), ['refs/beamline/revisions/main']);
    // A pinned commit is fetched by itself, without a ref.
    const v1 = await repository.revParse('v1');
    assert.deepEqual(await cache.ensureCommit(url, v1), { fetched: false }, 'an ancestor of main is already there');
    const side = await repository.commit({ 'apps/side/x.yaml': 'side: 1\n' }, { branch: 'side' });
    assert.deepEqual(await cache.ensureCommit(url, side), { fetched: true });
    assert.deepEqual(await refsOf(mirror), [`refs/beamline/revisions/${side}`, 'refs/beamline/revisions/main']);
  });

  test('reopens a mirror left with stale git lock files by a killed process', async () => {
    const root = join(fixture.root, 'caches', 'stale');
    const { repository, url } = fixture;
    const first = new GitMirrorCache({ root });
    await first.ensureCommit(url, await first.resolve(url, 'main'), 'main');
    const mirror = first.mirrorPath(url);
    await writeFile(join(mirror, 'refs', 'beamline', 'revisions', 'main.lock'), '');
    await writeFile(join(mirror, 'packed-refs.lock'), '');
    const next = await repository.commit({ 'apps/a/stale.yaml': `n: ${Date.now()}\n` });
    const second = new GitMirrorCache({ root });
    assert.deepEqual(await second.ensureCommit(url, next, 'main'), { fetched: true });
    assert.deepEqual(await refsOf(mirror), ['refs/beamline/revisions/main']);
  });

  test('does not fetch again for an unchanged branch; a new commit brings only its own objects', async () => {
    const cache = newCache();
    const { repository, server, url } = fixture;
    const first = await cache.resolve(url, 'main');
    assert.deepEqual(await cache.ensureCommit(url, first, 'main'), { fetched: true });
    const mirror = cache.mirrorPath(url);
    const objectsBefore = await objectCount(mirror);

    const fetchesBefore = server.fetchCount();
    const again = await cache.resolve(url, 'main');
    assert.equal(again, first);
    assert.deepEqual(await cache.ensureCommit(url, again, 'main'), { fetched: false });
    await cache.treeId(url, again, 'apps/a');
    assert.equal(server.fetchCount(), fetchesBefore, 'an unchanged branch costs an ls-remote, no fetch');

    // One changed file: a commit, the root tree, apps/, apps/b/ and the blob.
    const next = await repository.commit({ 'apps/b/deploy.yaml': `kind: Deployment\nmetadata: {name: b}\n# ${Date.now()}\n` });
    assert.equal(await cache.resolve(url, 'main'), next);
    assert.deepEqual(await cache.ensureCommit(url, next, 'main'), { fetched: true });
    assert.equal(server.fetchCount(), fetchesBefore + 1);
    assert.equal(await objectCount(mirror), objectsBefore + 5);
  });

  test('keeps the tree id of an untouched folder across commits and changes a touched one', async () => {
    const cache = newCache();
    const { repository, url } = fixture;
    const before = await cache.resolve(url, 'main');
    const after = await repository.commit({ 'apps/b/extra.yaml': 'kind: Service\n' });
    assert.equal(await cache.resolve(url, 'main'), after);
    await cache.ensureCommit(url, after, 'main');

    const [aBefore, aAfter, bBefore, bAfter] = await Promise.all([
      cache.treeId(url, before, 'apps/a'),
      cache.treeId(url, after, 'apps/a'),
      cache.treeId(url, before, 'apps/b'),
      cache.treeId(url, after, './apps/b/'),
    ]);
    assert.equal(aAfter, aBefore);
    assert.notEqual(bAfter, bBefore);
    assert.equal(aAfter, await repository.treeId(after, 'apps/a'));
    assert.equal(bAfter, await repository.treeId(after, 'apps/b'));
    assert.equal(await cache.treeId(url, after, ''), await repository.git('rev-parse', `${after}^{tree}`));
  });

  test('lists every folder of a commit with its tree id in one call', async () => {
    const cache = newCache();
    const { repository, url } = fixture;
    const sha = await cache.resolve(url, 'main');
    const trees = await cache.listTrees(url, sha);
    for (const folder of ['', 'apps', 'apps/a', 'apps/a/nested', 'apps/b']) {
      assert.equal(trees.get(folder), await cache.treeId(url, sha, folder), folder);
    }
    assert.equal(trees.get('apps/a'), await repository.treeId(sha, 'apps/a'));
    assert.equal(trees.has('README.md'), false, 'files are not folders');
  });

  test('exports a folder: its files at the top, symlinks inside kept, no .git', async () => {
    const cache = newCache();
    const { repository, url } = fixture;
    await repository.branch('export', 'v1');
    const sha = await repository.commit({ 'apps/a/alias.yaml': { symlink: 'nested/config.yaml' } }, { branch: 'export' });
    const out = join(fixture.root, 'export-a');
    const tree = await cache.export(url, sha, 'apps/a', out);
    assert.equal(tree, await repository.treeId(sha, 'apps/a'));
    assert.deepEqual((await readdir(out, { recursive: true })).sort(), ['alias.yaml', 'deploy.yaml', 'nested', 'nested/config.yaml']);
    assert.equal(await readFile(join(out, 'deploy.yaml'), 'utf8'), FILES['apps/a/deploy.yaml']);
    assert.equal(await readFile(join(out, 'nested/config.yaml'), 'utf8'), FILES['apps/a/nested/config.yaml']);
    assert.ok((await lstat(join(out, 'alias.yaml'))).isSymbolicLink());
    assert.equal(await readlink(join(out, 'alias.yaml')), 'nested/config.yaml');

    const whole = join(fixture.root, 'export-root');
    await cache.export(url, sha, '.', whole);
    const names = await readdir(whole);
    assert.ok(names.includes('README.md') && names.includes('apps'), names.join(','));
    assert.ok(!names.includes('.git'));

    const busy = join(fixture.root, 'export-busy');
    await mkdir(busy);
    await cache.export(url, sha, 'apps/b', join(busy, 'fresh'));
    await assert.rejects(cache.export(url, sha, 'apps/b', busy), /not empty/);
  });

  test('refuses symlinks that lead outside the folder as a render error naming the link, and leaves nothing behind', async () => {
    const cache = newCache();
    const { repository, url } = fixture;
    const cases: TestFiles[] = [
      { 'apps/evil/passwd': { symlink: '/etc/passwd' } },
      { 'apps/evil/up': { symlink: '../b/deploy.yaml' } },
      // Each link looks inside on its own; together they climb out: sub/up is the folder, so
      // up/../.. is its grandparent.
      { 'apps/evil/sub/up': { symlink: '..' }, 'apps/evil/sub/out': { symlink: 'up/../../b' } },
    ];
    for (const [index, files] of cases.entries()) {
      const branch = `evil-${index}`;
      await repository.branch(branch, 'main');
      const sha = await repository.commit({ 'apps/evil/ok.yaml': 'ok: 1\n', ...files }, { branch });
      const out = join(fixture.root, `export-evil-${index}`);
      await assert.rejects(cache.export(url, sha, 'apps/evil', out), (error: unknown) => {
        assert.ok(error instanceof RenderError, inspect(error));
        assert.equal(error.reason, 'OutsideSource');
        assert.match(error.message, /^failed to export "apps\/evil": symlink ".*" (points outside|does not resolve)/);
        assert.ok(error.file !== undefined && Object.keys(files).includes(`apps/evil/${error.file}`), error.file);
        return true;
      });
      await assert.rejects(lstat(out), { code: 'ENOENT' });
    }
  });

  test('lists files with their sizes; an export over its limits stops at the first file over, naming it, and leaves nothing behind', async () => {
    const cache = newCache();
    const { repository, url } = fixture;
    await repository.branch('limits', 'main');
    const big = 'x'.repeat(300_000);
    const files: Record<string, string> = { 'apps/big/huge.yaml': big };
    for (let index = 0; index < 30; index++) files[`apps/many/f${String(index).padStart(2, '0')}.yaml`] = 'a: 1\n';
    const sha = await repository.commit(files, { branch: 'limits' });
    const listed = await cache.listFiles(url, sha);
    assert.equal(listed.find((entry) => entry.path === 'apps/big/huge.yaml')?.size, big.length);
    assert.equal(listed.find((entry) => entry.path === 'apps/many/f00.yaml')?.size, 5);
    const limits = { maxFiles: 10, maxFileBytes: 100_000, maxTotalBytes: 1_000_000 };
    const cases: [string, RegExp, string][] = [
      ['apps/big', /^failed to export "apps\/big": huge\.yaml is 300000 bytes, more than the limit of 100000 bytes per file$/, 'huge.yaml'],
      ['apps/many', /^failed to export "apps\/many": more than 10 files \(the limit of files per export\), f10\.yaml is one too many$/, 'f10.yaml'],
    ];
    for (const [path, message, file] of cases) {
      const out = join(fixture.root, `export-limits-${path.replace('/', '-')}`);
      await assert.rejects(cache.export(url, sha, path, out, { limits }), (error: unknown) => {
        assert.ok(error instanceof RenderError, inspect(error));
        assert.equal(error.reason, 'LimitExceeded');
        assert.match(error.message, message);
        assert.equal(error.file, file);
        return true;
      });
      await assert.rejects(lstat(out), { code: 'ENOENT' });
    }
    await assert.rejects(cache.readBlobs(url, [listed.find((entry) => entry.path === 'apps/big/huge.yaml')?.id ?? ''], undefined, { maxBytes: 1000 }), /larger than 1000 bytes/);
  });

  test('reports an unreachable server as Unreachable, naming URL and revision', async () => {
    const cache = newCache({ remoteTimeoutMs: 2_000 });
    const { repository, server, url } = fixture;
    const main = await repository.revParse('main');

    await server.down();
    try {
      await rejectsWith(cache.resolve(url, 'main'), 'Unreachable', /failed to resolve "main" in http:\/\/127\.0\.0\.1:\d+\/repo: .*(connect|refused)/i);
      await rejectsWith(cache.ensureCommit(url, main, 'main'), 'Unreachable', /failed to fetch "main" from http:\/\/127\.0\.0\.1/);
    } finally {
      await server.up();
    }
    server.failNext(1);
    await rejectsWith(cache.resolve(url, 'main'), 'Unreachable', /503/);
    server.stallNext(1);
    await rejectsWith(cache.resolve(url, 'main'), 'Unreachable', /timed out after 2s/);
    await rejectsWith(cache.resolve(server.urlOf('missing'), 'main'), 'Unreachable', /not found|404/i);
    await rejectsWith(cache.resolve(`file://${fixture.root}/missing`, 'main'), 'Unreachable', /does not appear to be a git repository/);
    // And it serves again.
    assert.equal(await cache.resolve(url, 'main'), main);
  });

  test('reports unknown and invalid revisions as RevisionNotFound', async () => {
    const cache = newCache();
    const { url } = fixture;
    await rejectsWith(cache.resolve(url, 'no-such-branch'), 'RevisionNotFound', /failed to resolve "no-such-branch" in http:\/\/127\.0\.0\.1:\d+\/repo: no branch or tag/);
    await rejectsWith(cache.resolve(url, 'refs/heads/nope'), 'RevisionNotFound');
    await rejectsWith(cache.resolve(url, 'deadbeef0'), 'RevisionNotFound', /no commit reachable/);
    await rejectsWith(cache.resolve(url, '--upload-pack=touch /tmp/x'), 'RevisionNotFound', /not a valid branch/);
    await rejectsWith(cache.resolve(url, 'a..b'), 'RevisionNotFound');
    await rejectsWith(cache.ensureCommit(url, 'f'.repeat(40)), 'RevisionNotFound', /failed to fetch commit f{40} from http:.*not our ref/);
    await rejectsWith(cache.ensureCommit(url, 'f'.repeat(40), 'gone'), 'RevisionNotFound', /not reachable from "gone"/);
    await rejectsWith(cache.ensureCommit(url, 'main'), 'RevisionNotFound', /not a full \(40 hex\) commit sha/);
  });

  test('reports a missing folder as PathNotFound', async () => {
    const cache = newCache();
    const { url } = fixture;
    const sha = await cache.resolve(url, 'main');
    await rejectsWith(cache.treeId(url, sha, 'apps/zzz'), 'PathNotFound', /failed to find path "apps\/zzz" at [0-9a-f]{40} in http:.*: no such folder/);
    await rejectsWith(cache.treeId(url, sha, 'README.md'), 'PathNotFound', /not a folder \(a blob\)/);
    await rejectsWith(cache.treeId(url, sha, '../outside'), 'PathNotFound', /leaves the repository/);
    await rejectsWith(cache.export(url, sha, 'apps/zzz', join(fixture.root, 'export-missing')), 'PathNotFound');
  });

  test('serialises work on one mirror: concurrent calls fetch once; other repositories run alongside', async () => {
    const cache = newCache();
    const { repository, server, url, fileUrl } = fixture;
    const sha = await repository.commit({ 'apps/a/concurrent.yaml': `n: ${Date.now()}\n` });
    const fetchesBefore = server.fetchCount();
    const results = await Promise.all([
      cache.ensureCommit(url, sha, 'main'),
      cache.ensureCommit(url, sha, 'main'),
      cache.treeId(url, sha, 'apps/a'),
      cache.ensureCommit(fileUrl, sha, 'main'),
    ]);
    assert.deepEqual(results.slice(0, 2).map((result) => (typeof result === 'string' ? result : result.fetched)).sort(), [false, true]);
    assert.deepEqual(results[3], { fetched: true });
    assert.equal(server.fetchCount(), fetchesBefore + 1);
  });

  test('refuses URLs with other schemes before running git', async () => {
    const cache = newCache();
    for (const url of ['ext::sh -c touch% /tmp/beamline-pwned', 'fd::3', '-uhttps://x', 'git://127.0.0.1/repo', fixture.root]) {
      await rejectsWith(cache.resolve(url, 'main'), 'InvalidUrl');
      await rejectsWith(cache.ensureCommit(url, 'a'.repeat(40)), 'InvalidUrl');
    }
    await assert.rejects(readdir(cache.root), { code: 'ENOENT' });
  });
});

describe('GitMirrorCache with credentials', () => {
  const auth = { username: 'bot', password: 'tok3n-s3cr3t' };
  let root = '';
  let server: GitServer;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'beamline-git-auth-'));
    await createTestRepository(join(root, 'private'), FILES);
    server = await startGitServer({ root, auth });
  });

  after(async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  });

  function assertNoSecret(error: Error): void {
    const everything = `${error.message}\n${inspect(error, { depth: 10 })}`;
    assert.ok(!everything.includes(auth.password), everything);
    assert.ok(!everything.includes(Buffer.from(`${auth.username}:${auth.password}`).toString('base64')), everything);
  }

  test('reads with user:token@ in the URL, and never writes the token into the mirror', async () => {
    const cache = new GitMirrorCache({ root: join(root, 'cache-ok') });
    const url = server.urlOf('private', auth);
    const sha = await cache.resolve(url, 'main');
    assert.deepEqual(await cache.ensureCommit(url, sha, 'main'), { fetched: true });
    await cache.export(url, sha, 'apps/a', join(root, 'out'));
    assert.equal(await readFile(join(root, 'out', 'deploy.yaml'), 'utf8'), FILES['apps/a/deploy.yaml']);
    const mirror = cache.mirrorPath(url);
    for (const name of await readdir(mirror, { recursive: true })) {
      const path = join(mirror, name);
      if ((await lstat(path)).isFile()) assert.ok(!(await readFile(path, 'latin1')).includes(auth.password), name);
    }
  });

  test('reports refused or missing credentials as AuthenticationFailed, without the token', async () => {
    const cache = new GitMirrorCache({ root: join(root, 'cache-denied') });
    const wrong = server.urlOf('private', { username: auth.username, password: 'wr0ng-tok3n-s3cr3t' });
    for (const url of [wrong, server.urlOf('private')]) {
      const error = await rejectsWith(cache.resolve(url, 'main'), 'AuthenticationFailed', /failed to resolve "main" in http:\/\/127\.0\.0\.1:\d+\/private: /);
      assertNoSecret(error);
      assert.ok(!error.message.includes('wr0ng'), error.message);
      assert.ok(!inspect(error, { depth: 10 }).includes('wr0ng'));
      const fetchError = await rejectsWith(cache.ensureCommit(url, 'a'.repeat(40), 'main'), 'AuthenticationFailed');
      assert.ok(!inspect(fetchError, { depth: 10 }).includes('wr0ng'));
    }
    server.failNext(1);
    assertNoSecret(await rejectsWith(cache.resolve(server.urlOf('private', auth), 'main'), 'Unreachable', /503/));
  });
});
