/**
 * The identity provider's own process: `node provider-process.ts <dir>`. Reads the folder that
 * {@link startIdentityProvider} prepared (config, keys, serving certificate), serves the OpenID
 * provider over HTTPS on 127.0.0.1, and writes `endpoint.json` once it listens.
 *
 * Its own process (not a library inside the manager or the CLI) because it must outlive any one
 * command in the sandbox, like the control planes, and because a test's provider then behaves as
 * an outside issuer does: the apiserver, the CLI and the portal reach it over the network only.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { isSameProcessAlive } from '@beamline/control-plane';
import { FILES, readJsonIfAny, writeFileAtomic, type ProviderConfig, type ProviderEndpoint, type ProviderSecrets } from './config.ts';
import { fileAdapter } from './file-adapter.ts';
import { deviceSuccessPage, errorPage, loginPage, userCodeConfirmPage, userCodeInputPage } from './pages.ts';
import { authenticate, type StoredUser } from './users.ts';

const dir = process.argv[2];
if (dir === undefined) {
  process.stderr.write('usage: provider-process.ts <dir>\n');
  process.exit(2);
}

const config = readJsonIfAny<ProviderConfig>(join(dir, FILES.config));
const secrets = readJsonIfAny<ProviderSecrets>(join(dir, FILES.secrets));
if (config === undefined || secrets === undefined) {
  process.stderr.write(`provider-process: ${dir} has no ${FILES.config} or ${FILES.secrets}\n`);
  process.exit(2);
}
const usersByName = new Map<string, StoredUser>(config.users.map((user) => [user.username, user]));
const REFRESH_TOKEN_TTL = 30 * 24 * 3600;
// One wrong answer for every failed login: it never tells whether the user exists.
const LOGIN_FAILED = 'Wrong user name or password.';
const MAX_FORM_BYTES = 16 * 1024;

function log(message: string, fields: Record<string, unknown> = {}): void {
  // Never a password, token or cookie: only names of things.
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields })}\n`);
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  });
  res.end(body);
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(new Error('form too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

const configuration: Configuration = {
  // Grants and refresh tokens survive a restart of the provider; the rest lives in memory.
  adapter: fileAdapter(join(dir, FILES.store)),
  clients: [
    {
      client_id: config.clientID,
      client_name: 'Beamline',
      // Native: any port on a loopback redirect URI is allowed (RFC 8252 7.3), which the CLI's
      // one-shot listener on a random port needs; `/auth/callback` is a manager's portal on
      // loopback (the sandbox, a test's manager on a port it learns only once it listens).
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback', 'http://127.0.0.1/auth/callback', ...config.redirectUris],
      post_logout_redirect_uris: config.redirectUris.filter((uri) => uri.startsWith('https:')),
    },
  ],
  jwks: { keys: secrets.jwks.keys },
  cookies: { keys: [...secrets.cookieKeys] },
  findAccount(_ctx, sub) {
    const user = usersByName.get(sub);
    if (user === undefined) return undefined;
    return {
      accountId: sub,
      claims: () => ({ sub, email: user.email, email_verified: true, preferred_username: user.username, name: user.username, groups: [...user.groups] }),
    };
  },
  // Every identity claim rides on `openid`: Kubernetes reads the ID token only, so it must carry
  // email and groups whatever scopes a client asked for.
  claims: {
    openid: ['sub', 'email', 'email_verified', 'preferred_username', 'name', 'groups'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username', 'name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
  // The ID token carries the claims even though an access token is issued too (see `claims`).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    deviceFlow: {
      enabled: true,
      userCodeInputSource(ctx, form, _out, error) {
        ctx.type = 'html';
        ctx.body = userCodeInputPage(form, error === undefined ? undefined : 'That code is unknown, used or expired. Try again.');
      },
      userCodeConfirmSource(ctx, form, client, _deviceInfo, userCode) {
        ctx.type = 'html';
        ctx.body = userCodeConfirmPage(form, client.clientName ?? client.clientId, userCode);
      },
      successSource(ctx) {
        ctx.type = 'html';
        ctx.body = deviceSuccessPage();
      },
    },
  },
  ttl: {
    IdToken: config.idTokenTtlSeconds,
    AccessToken: config.idTokenTtlSeconds,
    RefreshToken: REFRESH_TOKEN_TTL,
    Grant: REFRESH_TOKEN_TTL,
    Session: 24 * 3600,
    Interaction: 3600,
    DeviceCode: 600,
    AuthorizationCode: 60,
  },
  // Refresh tokens for the first-party client always, offline_access or not: the CLI's exec
  // plugin refreshes ID tokens of a few minutes for hours, and the session cookie is no help there.
  issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  expiresWithSession: () => false,
  // Consent is implied for the first-party client: a grant of every scope asked for.
  async loadExistingGrant(ctx: KoaContextWithOIDC) {
    const oidc = ctx.oidc;
    const client = oidc.client;
    const accountId = oidc.session?.accountId;
    if (client === undefined || accountId === undefined) return undefined;
    const grantId = oidc.result?.consent?.grantId ?? oidc.session?.grantIdFor(client.clientId);
    const existing = grantId === undefined ? undefined : await oidc.provider.Grant.find(grantId);
    const grant = existing ?? new oidc.provider.Grant({ clientId: client.clientId, accountId });
    const requested = typeof oidc.params?.scope === 'string' ? oidc.params.scope : 'openid';
    grant.addOIDCScope(requested);
    await grant.save();
    return grant;
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = errorPage(out);
  },
};

async function handleInteraction(provider: Provider, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const [, , uid, action] = path.split('/');
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) {
    html(res, 400, errorPage({ error: 'invalid_request', error_description: 'interaction mismatch' }));
    return;
  }
  const clientName = 'Beamline';
  const loginAction = `/interaction/${details.uid}/login`;
  if (req.method === 'GET' && action === undefined) {
    if (details.prompt.name === 'login') {
      html(res, 200, loginPage({ action: loginAction, clientName }));
      return;
    }
    // Consent (should not happen, see loadExistingGrant): granted for the first-party client.
    const grant = new provider.Grant({ clientId: String(details.params['client_id']), accountId: details.session?.accountId ?? '' });
    const scope = details.params['scope'];
    grant.addOIDCScope(typeof scope === 'string' ? scope : 'openid');
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await readForm(req);
    const username = form.get('username') ?? '';
    const user = authenticate(config!.users, username, form.get('password') ?? '');
    if (user === undefined) {
      log('login refused', { uid: details.uid });
      html(res, 200, loginPage({ action: loginAction, clientName, username, error: LOGIN_FAILED }));
      return;
    }
    log('login', { uid: details.uid, user: user.username });
    await provider.interactionFinished(req, res, { login: { accountId: user.username } }, { mergeWithLastSubmission: false });
    return;
  }
  html(res, 404, errorPage({ error: 'not_found' }));
}

function watchParent(): void {
  if (config!.parentPid === undefined) return;
  const parent = { pid: config!.parentPid, startTicks: config!.parentStartTicks };
  // Lifetime `owned`: a provider never outlives the test or command that started it, even when
  // that one was killed before it could stop it.
  setInterval(() => {
    if (!isSameProcessAlive(parent)) {
      log('parent gone, exiting', { parent: parent.pid });
      process.exit(0);
    }
  }, 1000).unref();
}

const server: Server = createServer({ cert: readFileSync(join(dir, FILES.serverCert)), key: readFileSync(join(dir, FILES.serverKey)) });
server.listen(config.port, '127.0.0.1', () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const issuer = `https://127.0.0.1:${address.port}`;
  const provider = new Provider(issuer, configuration);
  provider.on('server_error', (_ctx, error) => log('server error', { error: error.message }));
  const callback = provider.callback();
  server.on('request', (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    if (path.startsWith('/interaction/')) {
      handleInteraction(provider, req, res, path).catch((error: unknown) => {
        log('interaction failed', { error: (error as Error).message });
        if (!res.headersSent) html(res, 400, errorPage({ error: 'invalid_request', error_description: 'the sign-in expired or failed; start again' }));
        else res.end();
      });
      return;
    }
    void callback(req, res);
  });
  const endpoint: ProviderEndpoint = { pid: process.pid, port: address.port, issuer };
  writeFileAtomic(join(dir, FILES.endpoint), `${JSON.stringify(endpoint)}\n`);
  log('listening', { issuer });
  watchParent();
});

function shutdown(): void {
  // endpoint.json stays: the next start reuses its port (the issuer URL the apiservers trust).
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
