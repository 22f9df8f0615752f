import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import * as client from 'openid-client';
import { isSameProcessAlive } from '@beamline/control-plane';
import { waitFor } from '@beamline/testenv';
import { fetchTrusting, startIdentityProvider, stopIdentityProvider, type DemoUser, type IdentityProvider } from './index.ts';
import { approveDeviceCode, browserLogin } from './testing.ts';

const USERS: DemoUser[] = [
  { username: 'alice', email: 'alice@example.org', password: 'alice-secret-1', groups: ['physics', 'beamline-admins'] },
  { username: 'bob', email: 'bob@example.org', password: 'bob-secret-2', groups: ['chemistry'] },
];
const alice = USERS[0]!;

describe('the identity provider process', () => {
  let dir: string;
  let provider: IdentityProvider;
  let config: client.Configuration;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'beamline-oidc-'));
    provider = await startIdentityProvider({ dir, port: 0, users: USERS, idTokenTtlSeconds: 5 });
    config = await client.discovery(new URL(provider.issuer), provider.clientID, undefined, client.None(), {
      [client.customFetch]: fetchTrusting(provider.caPem),
    });
  });
  after(async () => {
    await provider.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves discovery at its issuer over HTTPS signed by its CA, on 127.0.0.1', () => {
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, provider.issuer);
    assert.match(provider.issuer, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(metadata.code_challenge_methods_supported?.includes('S256'));
    assert.ok(metadata.device_authorization_endpoint?.startsWith(provider.issuer));
    assert.ok(metadata.grant_types_supported?.includes('refresh_token'));
  });

  it('keeps its keys and config 0600 in a 0700 folder, and never the passwords in clear', () => {
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    for (const file of ['secrets.json', 'config.json', 'ca.key', 'server.key']) assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600, file);
    const stored = readFileSync(join(dir, 'config.json'), 'utf8');
    for (const user of USERS) assert.ok(!stored.includes(user.password));
  });

  it('logs in with authorization code + PKCE on a loopback redirect of any port, and refreshes', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const redirectUri = 'http://127.0.0.1:49152/callback';
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email profile groups',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    });
    const callback = await browserLogin(url, alice, { caPem: provider.caPem });
    assert.ok(callback.startsWith(`${redirectUri}?`), callback);
    const tokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
    const claims = tokens.claims();
    assert.ok(claims !== undefined);
    assert.equal(claims.iss, provider.issuer);
    assert.equal(claims.aud, 'beamline');
    assert.equal(claims['email'], alice.email);
    assert.equal(claims['email_verified'], true);
    assert.equal(claims['preferred_username'], 'alice');
    assert.deepEqual(claims['groups'], alice.groups);
    assert.ok(tokens.refresh_token !== undefined, 'a refresh token for the first-party client');
    assert.ok(claims.exp - claims.iat <= 5, 'the configured ID token lifetime');

    // Once the ID token has expired, the refresh token gets a new one.
    await waitFor(() => Date.now() / 1000 > claims.exp, { what: 'the ID token to expire', timeoutMs: 15_000 });
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
    const fresh = refreshed.claims();
    assert.ok(fresh !== undefined && fresh.exp > Date.now() / 1000);
    assert.equal(fresh['email'], alice.email);
  });

  it('refuses an authorization request without PKCE', async () => {
    const url = client.buildAuthorizationUrl(config, { redirect_uri: 'http://127.0.0.1:5000/callback', scope: 'openid', state: 'x' });
    const callback = await browserLogin(url, alice, { caPem: provider.caPem }).catch((error: unknown) => (error as Error).message);
    assert.match(callback, /code_challenge|PKCE|invalid_request/i);
  });

  it("accepts a manager portal's loopback `/auth/callback` on any port, and no other loopback path", async () => {
    const verifier = client.randomPKCECodeVerifier();
    const authorize = async (redirectUri: string): Promise<URL> =>
      client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
    const portal = 'http://127.0.0.1:41234/auth/callback';
    const callback = await browserLogin(await authorize(portal), alice, { caPem: provider.caPem });
    assert.ok(callback.startsWith(`${portal}?code=`), callback);
    await assert.rejects(browserLogin(await authorize('http://127.0.0.1:41234/elsewhere'), alice, { caPem: provider.caPem }), /redirect_uri/);
  });

  it('refuses a redirect URI that is neither loopback nor listed', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'https://evil.example/callback',
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    await assert.rejects(browserLogin(url, alice, { caPem: provider.caPem }), /redirect_uri/);
  });

  it('shows the form again on a wrong password, with the same words as for an unknown user', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const build = async (): Promise<URL> =>
      client.buildAuthorizationUrl(config, {
        redirect_uri: 'http://localhost:8000/callback',
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
    const wrongPassword = await browserLogin(await build(), { username: 'alice', password: 'nope' }, { caPem: provider.caPem }).catch((error: unknown) => (error as Error).message);
    const unknownUser = await browserLogin(await build(), { username: 'mallory', password: 'nope' }, { caPem: provider.caPem }).catch((error: unknown) => (error as Error).message);
    assert.match(wrongPassword, /^login refused: Wrong user name or password\.$/);
    assert.equal(unknownUser, wrongPassword);
  });

  it('signs in a device: the device code grant gives tokens once the user approved in the browser', async () => {
    const response = await client.initiateDeviceAuthorization(config, { scope: 'openid email groups' });
    assert.ok(response.verification_uri_complete !== undefined);
    const polling = client.pollDeviceAuthorizationGrant(config, response);
    // Both ways a user reaches it: the complete URI, or the URI and the code typed in.
    await approveDeviceCode({ uri: response.verification_uri, userCode: response.user_code }, { username: 'bob', password: 'bob-secret-2' }, { caPem: provider.caPem });
    const tokens = await polling;
    assert.equal(tokens.claims()?.['email'], 'bob@example.org');
    assert.deepEqual(tokens.claims()?.['groups'], ['chemistry']);
    assert.ok(tokens.refresh_token !== undefined);

    const second = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const secondPolling = client.pollDeviceAuthorizationGrant(config, second);
    await approveDeviceCode(second.verification_uri_complete!, alice, { caPem: provider.caPem });
    assert.equal((await secondPolling).claims()?.['email'], alice.email);
  });

  it('publishes a JWKS that verifies its tokens and refuses a token signed by another key', async () => {
    const response = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
    const polling = client.pollDeviceAuthorizationGrant(config, response);
    await approveDeviceCode(response.verification_uri_complete!, alice, { caPem: provider.caPem });
    const idToken = (await polling).id_token!;
    const jwksAnswer = await fetchTrusting(provider.caPem)(config.serverMetadata().jwks_uri!);
    const jwks = createLocalJWKSet((await jwksAnswer.json()) as Parameters<typeof createLocalJWKSet>[0]);
    const verified = await jwtVerify(idToken, jwks, { issuer: provider.issuer, audience: 'beamline' });
    assert.equal(verified.payload['email'], alice.email);

    const { privateKey } = await generateKeyPair('RS256');
    const kid = decodeProtectedHeader(idToken).kid;
    const forged = await new SignJWT({ ...decodeJwt(idToken), email: 'admin@example.org' })
      .setProtectedHeader({ alg: 'RS256', ...(kid === undefined ? {} : { kid }) })
      .sign(privateKey);
    await assert.rejects(jwtVerify(forged, jwks, { issuer: provider.issuer, audience: 'beamline' }));
  });

  it('is idempotent: a second start with the same settings returns the running process', async () => {
    const again = await startIdentityProvider({ dir, users: USERS, idTokenTtlSeconds: 5 });
    assert.equal(again.pid, provider.pid);
    assert.equal(again.issuer, provider.issuer);
  });
});

describe('restarts of the identity provider', () => {
  it('keeps issuer, CA, signing keys and refresh tokens across a restart', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'beamline-oidc-'));
    t.after(async () => {
      await stopIdentityProvider(dir);
      rmSync(dir, { recursive: true, force: true });
    });
    const first = await startIdentityProvider({ dir, users: USERS, lifetime: 'detached' });
    const firstJwks = await (await fetchTrusting(first.caPem)(`${first.issuer}/jwks`)).text();
    const discover = (issuer: string, caPem: string): Promise<client.Configuration> =>
      client.discovery(new URL(issuer), 'beamline', undefined, client.None(), { [client.customFetch]: fetchTrusting(caPem) });
    const config = await discover(first.issuer, first.caPem);
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: 'http://127.0.0.1:8400/callback',
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const callback = await browserLogin(url, alice, { caPem: first.caPem });
    const tokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier });
    assert.ok(tokens.refresh_token !== undefined);
    assert.equal(statSync(join(dir, 'store.json')).mode & 0o777, 0o600);
    await first.stop();
    assert.ok(!isSameProcessAlive({ pid: first.pid, startTicks: undefined }));
    const second = await startIdentityProvider({ dir, users: USERS, lifetime: 'detached' });
    assert.notEqual(second.pid, first.pid);
    assert.equal(second.issuer, first.issuer);
    assert.equal(second.caPem, first.caPem);
    assert.equal(await (await fetchTrusting(second.caPem)(`${second.issuer}/jwks`)).text(), firstJwks);
    // The login survives the restart: its refresh token still works.
    const refreshed = await client.refreshTokenGrant(await discover(second.issuer, second.caPem), tokens.refresh_token);
    assert.equal(refreshed.claims()?.['email'], alice.email);
    assert.ok(existsSync(join(dir, 'oidc-provider.log')));
  });

  it('an owned provider exits when the process that started it is gone', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'beamline-oidc-'));
    t.after(async () => {
      await stopIdentityProvider(dir);
      rmSync(dir, { recursive: true, force: true });
    });
    const script = `import { startIdentityProvider } from ${JSON.stringify(new URL('./index.ts', import.meta.url).href)};
const p = await startIdentityProvider({ dir: ${JSON.stringify(dir)}, users: [] });
process.stdout.write(String(p.pid) + '\\n');
setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => parent.kill('SIGKILL'));
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout.on('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      parent.on('exit', (code) => reject(new Error(`the parent exited (${String(code)}) before the provider started`)));
    });
    assert.ok(isSameProcessAlive({ pid, startTicks: undefined }));
    parent.kill('SIGKILL');
    await waitFor(() => !isSameProcessAlive({ pid, startTicks: undefined }), { what: 'the owned provider to exit', timeoutMs: 15_000 });
  });
});
