// Every plane's apiservers read a structured authentication configuration: empty at first, so an
// ID token is refused; once an issuer is written into it the apiserver reloads it by itself and a
// token of that issuer authenticates as `<prefix><email>` in `<prefix><group>`, while a token with
// the issuer's name signed by another key stays refused. With `auditLog`, changes are written to the
// audit log with the user who made them. The issuer here is the smallest real one (discovery and
// JWKS over HTTPS, RS256 tokens signed with node:crypto), so this package's test does not depend on
// the OIDC provider package.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ensureBinaries } from '@beamline/binaries';
import { waitFor } from '@beamline/testenv';
import { startControlPlane, type ControlPlane } from './control-plane.ts';
import { writeAuthenticationConfig, type JwtIssuer } from './authentication.ts';
import { layoutOf } from './layout.ts';
import { createCertificateAuthority } from './pki.ts';

const base64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** An RS256 JWT of these claims signed with `key` under key id `kid`. */
function jwt(claims: Record<string, unknown>, key: KeyObject, kid: string): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }));
  const payload = base64url(JSON.stringify(claims));
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), key);
  return `${header}.${payload}.${base64url(signature)}`;
}

/** A minimal OIDC issuer: discovery and the JWKS of one key, over HTTPS on 127.0.0.1. */
async function startIssuer(): Promise<{ issuer: string; caPem: string; signingKey: KeyObject; server: Server }> {
  const ca = await createCertificateAuthority('test-issuer-ca');
  const serving = await ca.issueServing('issuer', { dns: ['localhost'], ips: ['127.0.0.1'] });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let issuer = '';
  const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (request, response) => {
    response.setHeader('content-type', 'application/json');
    if (request.url === '/.well-known/openid-configuration') {
      response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }));
    } else if (request.url === '/jwks') {
      response.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }] }));
    } else {
      response.statusCode = 404;
      response.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { issuer, caPem: ca.certPem, signingKey: privateKey, server };
}

/** What the apiserver says a bearer token is: the status and user of a SelfSubjectReview. */
function whoAmI(plane: ControlPlane, token: string): Promise<{ status: number; username?: string; groups?: string[] }> {
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  return new Promise((resolve, reject) => {
    const call = request(
      `${plane.server}/apis/authentication.k8s.io/v1/selfsubjectreviews`,
      { method: 'POST', ca: plane.caPem, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, timeout: 10_000 },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => {
          const parsed = JSON.parse(text) as { status?: { userInfo?: { username?: string; groups?: string[] } } };
          resolve({ status: response.statusCode ?? 0, username: parsed.status?.userInfo?.username, groups: parsed.status?.userInfo?.groups });
        });
      },
    );
    call.on('timeout', () => call.destroy(new Error('timeout')));
    call.on('error', reject);
    call.end(body);
  });
}

describe('structured authentication configuration', () => {
  let plane: ControlPlane;
  let issuer: Awaited<ReturnType<typeof startIssuer>>;
  before(async () => {
    issuer = await startIssuer();
    plane = await startControlPlane({ binaries: (await ensureBinaries()).paths, name: 'authn', auditLog: true });
  });
  after(async () => {
    await plane?.stop();
    issuer?.server.close();
  });

  const claims = (): Record<string, unknown> => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: issuer.issuer, aud: 'beamline', sub: 'alice', email: 'alice@example.org', email_verified: true, groups: ['physics'], iat: now, exp: now + 600 };
  };

  test('an ID token is refused until the issuer is trusted, then maps to prefixed user and groups without a restart', async () => {
    const token = jwt(claims(), issuer.signingKey, 'k1');
    assert.equal((await whoAmI(plane, token)).status, 401);

    const trusted: JwtIssuer = {
      issuer: issuer.issuer,
      audiences: ['beamline'],
      certificateAuthority: issuer.caPem,
      usernameClaim: 'email',
      usernamePrefix: 'oidc:',
      groupsClaim: 'groups',
      groupsPrefix: 'oidc:',
    };
    await writeAuthenticationConfig(plane.dir, [trusted]);
    // The apiserver polls the file (every few seconds here) and then fetches the issuer's keys.
    const answer = await waitFor(
      async () => {
        const result = await whoAmI(plane, token);
        return result.status === 201 ? result : undefined;
      },
      { what: 'the apiserver to reload its authentication configuration', timeoutMs: 150_000, intervalMs: 1_000 },
    );
    assert.equal(answer.username, 'oidc:alice@example.org');
    assert.ok(answer.groups?.includes('oidc:physics'), `groups: ${String(answer.groups)}`);

    const { privateKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    assert.equal((await whoAmI(plane, jwt(claims(), otherKey, 'k1'))).status, 401, 'a token signed by another key');
    assert.equal((await whoAmI(plane, jwt({ ...claims(), aud: 'someone-else' }, issuer.signingKey, 'k1'))).status, 401, 'a token for another audience');
    assert.equal((await whoAmI(plane, jwt({ ...claims(), exp: Math.floor(Date.now() / 1000) - 120 }, issuer.signingKey, 'k1'))).status, 401, 'an expired token');
  });

  test('the audit log records who changed what', async () => {
    const { CoreV1Api } = await import('@kubernetes/client-node');
    await plane.kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'audited' } } });
    const line = await waitFor(
      async () =>
        (await readFile(layoutOf(plane.dir).auditLog, 'utf8').catch(() => ''))
          .split('\n')
          .find((entry) => entry.includes('"verb":"create"') && entry.includes('"resource":"namespaces"') && entry.includes('"name":"audited"')),
      { what: 'the namespace creation in the audit log', timeoutMs: 30_000 },
    );
    const entry = JSON.parse(line) as { user: { username: string }; requestObject?: unknown };
    assert.equal(entry.user.username, 'beamline-admin');
    assert.equal(entry.requestObject, undefined, 'bodies are not logged');
  });
});
