// Credentials given apart from the URL, against the real git and a smart-HTTP server that asks for
// basic auth; and the sweep of git processes a killed manager left. No control plane.
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GitMirrorCache } from './git-mirror-cache.ts';
import { parseGitUrl } from './git-url.ts';
import { withGitCredentials, type GitCredentials } from './git-credentials.ts';
import { killStaleGit } from './kill-stale-git.ts';
import { isSourceError } from './source-error.ts';
import { createTestRepository, startGitServer, type GitServer } from './testing/git-server.ts';

const FILES = { 'apps/a/deploy.yaml': 'kind: Deployment\nmetadata: {name: a}\n' };

describe('GitMirrorCache with credentials apart from the URL', () => {
  const auth = { username: 'bot', password: 'pr1vate-t0ken' };
  const credentials: GitCredentials = { type: 'basic', ...auth, scope: 'team-a/repo-creds' };
  let root = '';
  let server: GitServer;
  let url = '';
  let argvLog = '';
  let git = '';

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'beamline-git-creds-'));
    await createTestRepository(join(root, 'private'), FILES);
    server = await startGitServer({ root, auth });
    url = server.urlOf('private');
    // A git that logs its arguments (what `ps` would show) before running the real one.
    argvLog = join(root, 'argv.log');
    git = join(root, 'git-logging');
    await writeFile(git, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec git "$@"\n`);
    await chmod(git, 0o755);
  });

  after(async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  });

  test('reads a private repository with credentials, never putting them on a command line or on disk', async () => {
    const cache = new GitMirrorCache({ root: join(root, 'cache'), gitBinary: git });
    const sha = await cache.resolve(url, 'main', credentials);
    assert.deepEqual(await cache.ensureCommit(url, sha, 'main', credentials), { fetched: true });
    assert.equal((await cache.listTrees(url, sha, credentials)).has('apps/a'), true);
    await cache.export(url, sha, 'apps/a', join(root, 'out'), { credentials });
    assert.equal(await readFile(join(root, 'out', 'deploy.yaml'), 'utf8'), FILES['apps/a/deploy.yaml']);

    const argv = await readFile(argvLog, 'utf8');
    assert.match(argv, /ls-remote/);
    assert.match(argv, /fetch/);
    assert.ok(!argv.includes(auth.password), argv);
    assert.ok(!argv.includes(Buffer.from(`${auth.username}:${auth.password}`).toString('base64')), argv);
    for (const name of await readdir(cache.root, { recursive: true })) {
      const path = join(cache.root, name);
      if ((await stat(path)).isFile()) assert.ok(!(await readFile(path, 'latin1')).includes(auth.password), name);
    }
    assert.equal((await stat(cache.root)).mode & 0o777, 0o700);
  });

  test('a caller without credentials gets AuthenticationFailed for a commit another caller fetched, even by full sha', async () => {
    const cache = new GitMirrorCache({ root: join(root, 'cache-shared') });
    const sha = await cache.resolve(url, 'main', credentials);
    await cache.ensureCommit(url, sha, 'main', credentials);
    assert.equal((await cache.listTrees(url, sha, credentials)).get('apps/a') !== undefined, true);

    const refused = async (work: Promise<unknown>): Promise<void> => {
      await assert.rejects(work, (error: unknown) => {
        assert.ok(isSourceError(error, 'AuthenticationFailed'), inspect(error));
        assert.ok(!inspect(error, { depth: 10 }).includes(auth.password));
        return true;
      });
    };
    await refused(cache.ensureCommit(url, sha));
    await refused(cache.listTrees(url, sha));
    await refused(cache.treeId(url, sha, 'apps/a'));
    await refused(cache.listFiles(url, sha));
    await refused(cache.export(url, sha, 'apps/a', join(root, 'out-denied')));
    // Other credentials (a wrong password, or the same from another Secret) do not share either.
    await refused(cache.ensureCommit(url, sha, undefined, { type: 'basic', username: 'bot', password: 'wr0ng' }));
    await refused(cache.resolve(url, 'main', { type: 'basic', username: 'bot', password: 'wr0ng' }));
    assert.notEqual(cache.mirrorPath(url, credentials), cache.mirrorPath(url, { ...credentials, scope: 'team-b/repo-creds' }));
  });
});

describe('withGitCredentials', () => {
  test('scopes a basic-auth helper to the origin and passes the secret by environment only', async () => {
    const seen = await withGitCredentials({ type: 'basic', username: 'u', password: 'p4ss' }, parseGitUrl('https://git.example.org:8443/team/repo.git'), '/nonexistent', (setup) =>
      Promise.resolve(setup),
    );
    assert.deepEqual(
      seen.config.map(([key]) => key),
      ['credential.helper', 'credential.https://git.example.org:8443.helper'],
    );
    assert.ok(!JSON.stringify(seen.config).includes('p4ss'));
    assert.deepEqual(seen.extraEnv, { BEAMLINE_GIT_USERNAME: 'u', BEAMLINE_GIT_PASSWORD: 'p4ss' });
  });

  test('writes an ssh key to a 0600 file in a 0700 folder for the command, and removes it after', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'beamline-git-key-'));
    try {
      const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----';
      let command = '';
      await withGitCredentials({ type: 'ssh', privateKey: key, knownHosts: 'host ssh-ed25519 AAAA' }, parseGitUrl('git@host:team/repo.git'), join(dir, 'creds'), async (setup) => {
        command = setup.extraEnv.GIT_SSH_COMMAND ?? '';
        const file = /-i '([^']+)'/.exec(command)?.[1] ?? '';
        assert.equal((await stat(file)).mode & 0o777, 0o600);
        assert.equal((await stat(join(file, '..'))).mode & 0o777, 0o700);
        assert.equal(await readFile(file, 'utf8'), `${key}\n`);
      });
      assert.match(command, /IdentitiesOnly=yes/);
      assert.match(command, /StrictHostKeyChecking=yes/);
      assert.match(command, /UserKnownHostsFile=/);
      assert.match(command, /ConnectTimeout=/);
      assert.ok(!command.includes('AAAA'));
      assert.deepEqual(await readdir(join(dir, 'creds')), []);
      // A password is not sent over ssh, nor a key over https.
      assert.deepEqual(await withGitCredentials({ type: 'basic', username: 'u', password: 'p' }, parseGitUrl('ssh://git@host/repo'), dir, (setup) => Promise.resolve(setup)), { config: [], extraEnv: {} });
      assert.deepEqual(await withGitCredentials({ type: 'ssh', privateKey: key }, parseGitUrl('https://host/repo'), dir, (setup) => Promise.resolve(setup)), { config: [], extraEnv: {} });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('killStaleGit kills git processes a previous process left working in the cache root, and nothing else', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'beamline-git-stale-'));
  const root = join(dir, 'git');
  const elsewhere = join(dir, 'elsewhere');
  await mkdir(root);
  await mkdir(elsewhere);
  // Started by a shell that exits, as a killed manager's git would be: not our child.
  const groups: number[] = [];
  const start = (cwd: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const shell = spawn('sh', ['-c', 'sleep 600 | git hash-object --stdin >/dev/null & echo $!'], { cwd, detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
      if (shell.pid !== undefined) groups.push(shell.pid);
      let out = '';
      shell.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      shell.once('error', reject);
      shell.once('close', () => resolve(Number(out.trim())));
    });
  // Gone, or a zombie nobody reaped yet (PID 1 of a container may not reap at once).
  const running = async (pid: number): Promise<boolean> => {
    const state = await readFile(`/proc/${pid}/stat`, 'utf8').then(
      (text) => text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3),
      () => 'gone',
    );
    return state !== 'gone' && state !== 'Z' && state !== 'X';
  };
  try {
    const stale = await start(root);
    const other = await start(elsewhere);
    assert.ok((await running(stale)) && (await running(other)));
    const killed = await killStaleGit(root);
    assert.deepEqual(
      killed.map((entry) => entry.pid),
      [stale],
    );
    assert.match(killed[0]?.command ?? '', /^git hash-object --stdin/);
    for (let i = 0; i < 100 && (await running(stale)); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await running(stale), false);
    assert.equal(await running(other), true);
  } finally {
    for (const group of groups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
    await rm(dir, { recursive: true, force: true });
  }
});
