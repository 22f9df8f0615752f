// Identity end to end: the real `beamline manager` process on the run's shared control plane
// (whose apiserver trusts the run's real OIDC provider), the platform's identity in the
// PlatformConfig, and the real CLI. `beamline login` with no flags but the manager asks the
// manager's /api/auth/config for the issuer, runs the authorization code flow with PKCE on a
// loopback redirect (the provider's real login page driven by browserLogin), and writes a
// management kubeconfig whose user is `beamline token`: plain kubectl with it is oidc:<email>.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { installApi } from '@beamline/install';
import { DEMO_USERS } from '@beamline/oidc-provider';
import { browserLogin } from '@beamline/oidc-provider/testing';
import { runCommand, useTestEnv, waitFor } from '@beamline/testenv';
import { CLI_BIN, runCli, type CliRun } from './testing/cli.ts';
import { removeAdmissionWebhooks, useRunIdentity } from './testing/identity.ts';
import { startManagerProcess, type ManagerProcess } from './testing/manager-process.ts';

const env = useTestEnv('identity');
const FIELD_MANAGER = 'e2e-identity';

/** The pinned kubectl with a kubeconfig, in a user's home (the exec plugin reads its tokens there). */
const kubectl = (home: string, kubeconfig: string, ...args: string[]): Promise<CliRun> =>
  runCommand(env.binaries.kubectl, ['--kubeconfig', kubeconfig, ...args], { ...process.env, BEAMLINE_HOME: home }, 60_000);

describe('identity end to end: beamline login through the manager, then plain kubectl', () => {
  let home: string;
  let userHome: string;
  let manager: ManagerProcess | undefined;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'beamline-e2e-identity-'));
    userHome = await mkdtemp(join(tmpdir(), 'beamline-e2e-identity-user-'));
    await installApi(env.kubeConfig, { probeNamespace: env.namespace });
    // The platform's identity: the run's provider, which the shared apiserver already trusts.
    await useRunIdentity(env.kubeConfig, env.identity, FIELD_MANAGER);
    manager = await startManagerProcess({ kubeconfigPath: env.kubeconfigPath, home, leaseNamespace: env.namespace, logFile: join(home, 'manager.log') });
  });

  after(async () => {
    await manager?.stop();
    await removeAdmissionWebhooks(env.kubeConfig);
    await rm(home, { recursive: true, force: true });
    await rm(userHome, { recursive: true, force: true });
  });

  test('login (code + PKCE, issuer from the manager) writes a kubeconfig that kubectl uses as oidc:<email>', async () => {
    assert.ok(manager !== undefined);
    const carol = DEMO_USERS.find((user) => user.username === 'carol');
    assert.ok(carol !== undefined);
    const child = spawn(process.execPath, [CLI_BIN, 'login', '--manager', manager.url, '--timeout', '60s'], {
      env: { ...process.env, BEAMLINE_HOME: userHome, BROWSER: '', KUBECONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 128)));
    try {
      const url = await waitFor(() => /https:\/\/\S+\/auth\?\S+/.exec(stderr)?.[0], { what: 'the login URL', timeoutMs: 30_000 }).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; the CLI said: ${stderr}`, { cause: error });
      });
      assert.ok(url.startsWith(`${env.identity.issuer}/`), 'the issuer the manager names');
      const callback = await browserLogin(url, carol, { caPem: env.identity.caPem });
      assert.equal((await fetch(callback)).status, 200);
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill('SIGKILL');
    }
    assert.match(stdout, new RegExp(`Logged in as ${carol.email} .*\\(Kubernetes user oidc:${carol.email}\\)`));
    const tokens = JSON.parse(await readFile(join(userHome, 'identity', 'tokens.json'), 'utf8')) as { idToken: string; refreshToken?: string };
    for (const secret of [tokens.idToken, tokens.refreshToken ?? tokens.idToken]) assert.ok(!stdout.includes(secret) && !stderr.includes(secret), 'no token in what login prints');
    assert.equal((await stat(join(userHome, 'identity', 'tokens.json'))).mode & 0o777, 0o600);

    const kubeconfig = join(userHome, 'identity', 'management.kubeconfig');
    const whoami = await kubectl(userHome, kubeconfig, 'auth', 'whoami', '-o', 'json');
    assert.equal(whoami.code, 0, whoami.stderr);
    const review = JSON.parse(whoami.stdout) as { status: { userInfo: { username: string; groups: string[] } } };
    assert.equal(review.status.userInfo.username, `oidc:${carol.email}`);
    assert.ok(review.status.userInfo.groups.includes('oidc:chemistry'), JSON.stringify(review.status.userInfo.groups));
    // Not an admin: RBAC refuses what carol was never granted.
    const secrets = await kubectl(userHome, kubeconfig, 'get', 'secrets', '-n', env.namespace);
    assert.notEqual(secrets.code, 0);
    assert.match(secrets.stderr, /forbidden/i);

    // After logout the plugin refuses, and kubectl says why.
    assert.equal((await runCli(['logout'], { ...process.env, BEAMLINE_HOME: userHome })).code, 0);
    const loggedOut = await kubectl(userHome, kubeconfig, 'auth', 'whoami');
    assert.notEqual(loggedOut.code, 0);
    assert.match(loggedOut.stderr, /not logged in: run `beamline login`/);
  });
});
