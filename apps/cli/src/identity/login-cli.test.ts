// `beamline login`, `token` and `logout` run as a user runs them (child processes) against a real
// OpenID provider process. The manager's `/api/auth/config` is answered by a stand-in here (the
// portal's route has its own tests); the end-to-end test in e2e/ uses the real manager.
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { decodeJwt } from 'jose';
import { startIdentityProvider, type DemoUser, type IdentityProvider } from '@beamline/oidc-provider';
import { approveDeviceCode, browserLogin } from '@beamline/oidc-provider/testing';
import { expectCode, runNode, waitFor } from '@beamline/testenv';

const CLI_BIN = fileURLToPath(new URL('../../bin/beamline.js', import.meta.url));
const USERS: DemoUser[] = [
  { username: 'alice', email: 'alice@example.org', password: 'alice-pw-7', groups: ['physics'] },
  { username: 'bob', email: 'bob@example.org', password: 'bob-pw-8', groups: ['chemistry'] },
];
const MANAGEMENT_SERVER = 'https://127.0.0.1:6443';

/** A CLI process whose output is read while it runs. */
interface RunningCli {
  readonly child: ChildProcessWithoutNullStreams;
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<number>;
}

function startCli(args: readonly string[], env: NodeJS.ProcessEnv): RunningCli {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 128)));
  return { child, output, exited };
}

function urlIn(text: string, pattern: RegExp): string | undefined {
  return pattern.exec(text)?.[0];
}

describe('beamline login, token and logout', () => {
  let dir: string;
  let provider: IdentityProvider;
  let manager: Server;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcessWithoutNullStreams[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'beamline-login-'));
    provider = await startIdentityProvider({ dir: join(dir, 'idp'), port: 0, users: USERS, idTokenTtlSeconds: 300 });
    manager = createServer((req, res) => {
      if (req.url !== '/api/auth/config') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          issuer: provider.issuer,
          clientID: provider.clientID,
          certificateAuthority: provider.caPem,
          usernamePrefix: 'oidc:',
          groupsPrefix: 'oidc:',
          managementServer: MANAGEMENT_SERVER,
          managementCertificateAuthority: provider.caPem,
        }),
      );
    });
    await new Promise<void>((resolve) => manager.listen(0, '127.0.0.1', resolve));
    home = join(dir, 'home');
    env = { ...process.env, BEAMLINE_HOME: home, BROWSER: '' };
    delete env.KUBECONFIG;
    await runNode(CLI_BIN, ['logout'], env); // creates nothing; checks the command exists
    writeFileSync(join(dir, 'ca.pem'), provider.caPem);
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    manager.close();
    await provider.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const loginEnv = (): NodeJS.ProcessEnv => {
    const port = (manager.address() as AddressInfo).port;
    // The sandbox's record of its manager, as `beamline up` writes it.
    writeFileSync(join(home, 'manager.json'), JSON.stringify({ pid: 0, url: `http://127.0.0.1:${port}` }));
    return env;
  };

  test('`beamline token` without a login fails with a clear message and prints nothing on stdout', async () => {
    const run = expectCode(await runNode(CLI_BIN, ['token'], env), 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^error: not logged in: run `beamline login`\n$/);
  });

  test('login with the browser (code + PKCE on a loopback redirect) stores the tokens 0600 and writes an exec kubeconfig', async () => {
    rmSync(home, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(home, { recursive: true });
    const cli = startCli(['login'], loginEnv());
    children.push(cli.child);
    const url = await waitFor(() => urlIn(cli.output.stderr, /https:\/\/127\.0\.0\.1:\d+\/auth\?\S+/), { what: 'the login URL', timeoutMs: 30_000 });
    const authorization = new URL(url);
    assert.equal(authorization.searchParams.get('code_challenge_method'), 'S256');
    assert.match(authorization.searchParams.get('redirect_uri') ?? '', /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const callback = await browserLogin(url, USERS[0]!, { caPem: provider.caPem });
    // The browser follows the redirect to the CLI's listener.
    const page = await fetch(callback);
    assert.equal(page.status, 200);
    assert.equal(await cli.exited, 0, cli.output.stderr);
    assert.match(cli.output.stdout, /^Logged in as alice@example\.org at https:\/\/127\.0\.0\.1:\d+ \(Kubernetes user oidc:alice@example\.org\)\.\n/);

    const identity = join(home, 'identity');
    assert.equal(statSync(identity).mode & 0o777, 0o700);
    assert.equal(statSync(join(identity, 'tokens.json')).mode & 0o777, 0o600);
    assert.equal(statSync(join(identity, 'management.kubeconfig')).mode & 0o777, 0o600);
    const stored = JSON.parse(readFileSync(join(identity, 'tokens.json'), 'utf8')) as { idToken: string; refreshToken: string; expiresAt: number };
    assert.equal(decodeJwt(stored.idToken)['email'], 'alice@example.org');
    assert.ok(stored.refreshToken.length > 0);
    for (const secret of [stored.idToken, stored.refreshToken]) {
      assert.ok(!cli.output.stdout.includes(secret) && !cli.output.stderr.includes(secret), 'no token in the output of login');
    }
    // A second callback on the (closed) listener gets nothing.
    await assert.rejects(fetch(callback));

    const kubeconfig = parse(readFileSync(join(identity, 'management.kubeconfig'), 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
      users: { user: { exec: { apiVersion: string; command: string; args: string[]; env: { name: string; value: string }[]; interactiveMode: string } } }[];
    };
    assert.equal(kubeconfig.clusters[0]?.cluster.server, MANAGEMENT_SERVER);
    assert.equal(Buffer.from(kubeconfig.clusters[0]?.cluster['certificate-authority-data'] ?? '', 'base64').toString(), provider.caPem);
    const exec = kubeconfig.users[0]?.user.exec;
    assert.equal(exec?.apiVersion, 'client.authentication.k8s.io/v1');
    assert.equal(exec?.command, process.execPath);
    assert.deepEqual(exec?.args, [CLI_BIN, 'token']);
    assert.deepEqual(exec?.env, [{ name: 'BEAMLINE_HOME', value: home }]);
    assert.equal(exec?.interactiveMode, 'Never');

    // The exec plugin: the stored token while it is fresh.
    const token = expectCode(await runNode(CLI_BIN, ['token'], env), 0);
    const credential = JSON.parse(token.stdout) as { apiVersion: string; kind: string; status: { token: string; expirationTimestamp: string } };
    assert.equal(credential.apiVersion, 'client.authentication.k8s.io/v1');
    assert.equal(credential.kind, 'ExecCredential');
    assert.equal(credential.status.token, stored.idToken);
    assert.equal(credential.status.expirationTimestamp, new Date(stored.expiresAt * 1000).toISOString());
    assert.equal(token.stderr, '');
  });

  test('`beamline token` refreshes an ID token that expires within a minute, and stores the new one', async () => {
    const path = join(home, 'identity', 'tokens.json');
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { idToken: string; refreshToken: string; expiresAt: number };
    // As if 4.5 of its 5 minutes had passed: within the refresh margin.
    writeFileSync(path, JSON.stringify({ ...stored, expiresAt: Math.floor(Date.now() / 1000) + 30 }), { mode: 0o600 });
    const run = expectCode(await runNode(CLI_BIN, ['token'], env), 0);
    const credential = JSON.parse(run.stdout) as { status: { token: string; expirationTimestamp: string } };
    const claims = decodeJwt(credential.status.token);
    assert.equal(claims['email'], 'alice@example.org');
    assert.ok(Date.parse(credential.status.expirationTimestamp) / 1000 > Date.now() / 1000 + 60, 'a fresh token');
    const after = JSON.parse(readFileSync(path, 'utf8')) as { idToken: string; refreshToken: string; expiresAt: number };
    assert.equal(after.idToken, credential.status.token);
    assert.notEqual(after.refreshToken, stored.refreshToken, 'the provider rotated the refresh token; the new one is kept');
    assert.equal(statSync(path).mode & 0o777, 0o600);

    // A refresh token the issuer refuses: a clear error, not a stack trace.
    writeFileSync(path, JSON.stringify({ ...after, refreshToken: 'forged', expiresAt: Math.floor(Date.now() / 1000) - 1 }), { mode: 0o600 });
    const refused = expectCode(await runNode(CLI_BIN, ['token'], env), 1);
    assert.equal(refused.stdout, '');
    assert.match(refused.stderr, /^error: the login has expired and could not be renewed \(.*\): run `beamline login`\n$/);
  });

  test('login --device with --issuer and --ca-file: the user approves in a browser', async () => {
    const cli = startCli(['login', '--device', '--issuer', provider.issuer, '--ca-file', join(dir, 'ca.pem')], env);
    children.push(cli.child);
    const url = await waitFor(() => urlIn(cli.output.stderr, /https:\/\/127\.0\.0\.1:\d+\/device\?user_code=\S+/), { what: 'the device URL', timeoutMs: 30_000 });
    await approveDeviceCode(url, USERS[1]!, { caPem: provider.caPem });
    assert.equal(await cli.exited, 0, cli.output.stderr);
    assert.match(cli.output.stdout, /^Logged in as bob@example\.org/);
    const stored = JSON.parse(readFileSync(join(home, 'identity', 'tokens.json'), 'utf8')) as { idToken: string };
    assert.deepEqual(decodeJwt(stored.idToken)['groups'], ['chemistry']);
    assert.ok(!cli.output.stdout.includes(stored.idToken) && !cli.output.stderr.includes(stored.idToken));
  });

  test('a callback with the wrong state fails the login, and the listener takes no second one', async () => {
    const cli = startCli(['login', '--timeout', '60s'], loginEnv());
    children.push(cli.child);
    const url = new URL(await waitFor(() => urlIn(cli.output.stderr, /https:\/\/127\.0\.0\.1:\d+\/auth\?\S+/), { what: 'the login URL', timeoutMs: 30_000 }));
    const redirect = new URL(url.searchParams.get('redirect_uri') ?? '');
    // Everything right (the issuer too) but the state: what a forged cross-site callback looks like.
    const forged = await fetch(`${redirect.href}?${new URLSearchParams({ code: 'stolen', state: 'not-the-one', iss: provider.issuer }).toString()}`);
    assert.equal(forged.status, 400);
    assert.equal(await cli.exited, 1);
    assert.match(cli.output.stderr, /error: login failed: .*"state"/);
    await assert.rejects(fetch(redirect.href), 'the listener is closed');
  });

  test('logout removes the tokens', async () => {
    assert.equal(expectCode(await runNode(CLI_BIN, ['logout'], env), 0).stdout, 'Logged out.\n');
    assert.throws(() => statSync(join(home, 'identity', 'tokens.json')));
    expectCode(await runNode(CLI_BIN, ['token'], env), 1);
  });
});
