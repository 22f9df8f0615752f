import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firstErrorLine, GitCommandError, gitEnvironment, runGit } from './git-command.ts';

test('gitEnvironment drops repository-selecting variables and askpass, and turns prompts off', () => {
  const env = gitEnvironment({
    PATH: '/usr/bin',
    HOME: '/home/x',
    GIT_DIR: '/elsewhere/.git',
    GIT_INDEX_FILE: '/tmp/index',
    GIT_ASKPASS: '/usr/bin/askpass',
    SSH_ASKPASS: '/usr/bin/askpass',
    GIT_CONFIG_PARAMETERS: "'core.sshcommand'='evil'",
    GIT_SSH_COMMAND: 'ssh -i key',
    LANGUAGE: 'de',
  });
  assert.deepEqual(env, {
    PATH: '/usr/bin',
    HOME: '/home/x',
    GIT_SSH_COMMAND: 'ssh -i key',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ALLOW_PROTOCOL: 'http:https:ssh:file',
    LC_ALL: 'C',
    GIT_HTTP_LOW_SPEED_LIMIT: '1000',
    GIT_HTTP_LOW_SPEED_TIME: '60',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  });
  const inherited = gitEnvironment({ PATH: '/usr/bin' }, true);
  assert.equal(inherited.GIT_CONFIG_GLOBAL, undefined);
  assert.equal(inherited.GIT_SSH_COMMAND, 'ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=4');
});

test('runGit passes config through the environment, not the command line', async () => {
  const { stdout } = await runGit(['config', '--get', 'http.extraheader'], { timeoutMs: 10_000, config: [['http.extraHeader', 'Authorization: Basic c2VjcmV0']] });
  assert.equal(stdout.trim(), 'Authorization: Basic c2VjcmV0');
});

test('runGit fails with a redacted GitCommandError carrying git\'s first error line', async () => {
  const error = await runGit(['ls-remote', 'http://bot:s3cr3t@127.0.0.1:1/repo'], { timeoutMs: 10_000 }).then(
    () => assert.fail('expected a failure'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof GitCommandError);
  assert.equal(error.exitCode, 128);
  assert.equal(error.timedOut, false);
  assert.match(error.firstErrorLine, /^fatal: unable to access/);
  assert.doesNotMatch(`${error.message} ${error.command} ${error.stderr}`, /s3cr3t/);
});

test('runGit kills the whole process group on timeout', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'beamline-git-command-'));
  try {
    // A stand-in for git whose child (like git-remote-https) holds stdout open.
    const started = Date.now();
    const error = await runGit(['-c', `sleep 30 & echo $! > ${dir}/pid; wait`], { gitBinary: '/bin/sh', timeoutMs: 300 }).then(
      () => assert.fail('expected a timeout'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof GitCommandError && error.timedOut, String(error));
    assert.match(error.message, /timed out after 0s/);
    assert.ok(Date.now() - started < 10_000, 'the grandchild must not keep the command alive');
    const pid = Number((await readFile(join(dir, 'pid'), 'utf8')).trim());
    const state = await readFile(`/proc/${pid}/stat`, 'utf8').then((stat) => stat.split(' ')[2], () => 'gone');
    assert.ok(state === 'gone' || state === 'Z', `sleep ${pid} is ${state}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('firstErrorLine prefers fatal/error lines and ssh\'s reason over its generic line', () => {
  assert.equal(firstErrorLine('hint: x\nfatal: boom\n'), 'fatal: boom');
  assert.equal(firstErrorLine('just text\n'), 'just text');
  assert.equal(firstErrorLine(''), undefined);
  assert.equal(
    firstErrorLine('git@host: Permission denied (publickey).\r\nfatal: Could not read from remote repository.\n\nPlease make sure'),
    'git@host: Permission denied (publickey). (fatal: Could not read from remote repository.)',
  );
});

test('git commands still running when the process exits are killed with their process group', async () => {
  const { execFile } = await import('node:child_process');
  const { readdir } = await import('node:fs/promises');
  const { randomInt } = await import('node:crypto');
  // A git that would run for ten minutes, through a shell alias (so it has a child of its own).
  const marker = `599.${randomInt(100_000, 999_999)}`;
  const script = `
    import { runGit } from ${JSON.stringify(new URL('./git-command.ts', import.meta.url).href)};
    runGit(['-c', 'alias.wait=!sleep ${marker}', 'wait'], { timeoutMs: 600000 }).catch(() => undefined);
    setTimeout(() => process.exit(0), 500);
  `;
  const running = async (): Promise<string[]> => {
    const found: string[] = [];
    for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
      const state = await readFile(`/proc/${pid}/stat`, 'utf8').then((text) => text.slice(text.lastIndexOf(')') + 2, text.lastIndexOf(')') + 3), () => 'Z');
      if (cmdline.includes(marker) && state !== 'Z') found.push(pid);
    }
    return found;
  };
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 30_000 }, (error) => (error === null ? resolve() : reject(new Error(`the child process failed: ${error.message}`))));
  });
  let left = await running();
  for (let i = 0; i < 100 && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    left = await running();
  }
  for (const pid of left) process.kill(Number(pid), 'SIGKILL');
  assert.deepEqual(left, [], 'git and its children outlived the process that started them');
});
