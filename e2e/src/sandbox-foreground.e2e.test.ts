// `beamline up` in the foreground, as `npm start` runs it: it stays attached until Ctrl-C, then
// stops everything like `beamline down`. Also: $BEAMLINE_HOME, the logs and the manager's work
// folders are private (an old world-readable home is fixed on `up`), and the manager's port is
// the same on the next `up`, so a webhook URL set in GitLab keeps working.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { freePort } from '@beamline/control-plane';
import { processesMentioning, waitFor } from '@beamline/testenv';
import { CLI_BIN } from './testing/cli.ts';
import { beamline, ok, removeSandbox, sandboxEnv } from './testing/sandbox.ts';

const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('beamline up in the foreground', () => {
  let home: string | undefined;
  let foreground: ChildProcess | undefined;

  after(async () => {
    if (foreground !== undefined && foreground.exitCode === null && foreground.signalCode === null) foreground.kill('SIGKILL');
    await removeSandbox(home);
  });

  test('stays attached until SIGINT, then stops everything and exits 0; home, logs and work folders are private; the port is kept', async () => {
    home = await mkdtemp(join(tmpdir(), 'beamline-foreground-'));
    // A home an older Beamline left world-readable, with a world-readable log.
    await chmod(home, 0o755);
    await mkdir(join(home, 'logs'), { mode: 0o755 });
    await chmod(join(home, 'logs'), 0o755);
    await writeFile(join(home, 'logs', 'manager.log'), '', { mode: 0o644 });
    await chmod(join(home, 'logs', 'manager.log'), 0o644);
    const port = await freePort();

    const child = spawn(process.execPath, [CLI_BIN, 'up', '--port', String(port)], { env: sandboxEnv(home), stdio: ['ignore', 'pipe', 'pipe'] });
    foreground = child;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    await waitFor(() => Promise.resolve(stdout.includes('Press Ctrl-C to stop') || child.exitCode !== null), { what: '`beamline up` to say it is ready', timeoutMs: 240_000, intervalMs: 200 });
    assert.equal(child.exitCode, null, `up ended by itself (exit ${child.exitCode})\n${stdout}\n${stderr}`);
    assert.match(stdout, new RegExp(`manager: +http://127\\.0\\.0\\.1:${port} `));
    assert.match(stdout, new RegExp(`webhook URL: +http://127\\.0\\.0\\.1:${port}/api/webhook`));

    // The bug this guards against: with nothing left in the event loop, Node ended the process
    // with exit code 13 a few seconds after "ready". It must still be attached well after that.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    assert.equal(child.exitCode, null, `up is still attached\n${stdout}\n${stderr}`);

    assert.equal(await modeOf(home), 0o700, 'an existing world-readable BEAMLINE_HOME is made private');
    assert.equal(await modeOf(join(home, 'logs')), 0o700);
    assert.equal(await modeOf(join(home, 'logs', 'manager.log')), 0o600, 'the old world-readable log is tightened');
    assert.equal(await modeOf(join(home, 'gitops')), 0o700, "the manager's work folder");
    for (const workDir of await readdir(join(home, 'gitops'))) assert.equal(await modeOf(join(home, 'gitops', workDir)), 0o700, workDir);

    child.kill('SIGINT');
    const end = await exited;
    assert.deepEqual(end, { code: 0, signal: null }, `${stdout}\n${stderr}`);
    assert.match(stdout, /Beamline stopped; `beamline up` brings it back/);
    assert.deepEqual(await processesMentioning(home), [], 'Ctrl-C stops every process, as `beamline down` does');

    // The next `up` (no --port) keeps the port: a webhook URL set in a git host keeps working.
    const again = ok(await beamline(home, 'up', '--detach'));
    assert.match(again.stdout, new RegExp(`manager: +http://127\\.0\\.0\\.1:${port} `));
    ok(await beamline(home, 'down', '--purge'));
    assert.deepEqual(await processesMentioning(home), []);
  });
});
