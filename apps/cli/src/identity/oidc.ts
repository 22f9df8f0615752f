/**
 * The OpenID client side of `beamline login` and `beamline token` (openid-client 6): discovery
 * against an issuer signed by a private CA, the authorization code flow with PKCE on a one-shot
 * loopback listener (RFC 8252), the device flow, and refresh.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { fetchTrusting } from '@beamline/oidc-provider/https';
import type { StoredLogin } from './store.ts';

/** Which issuer and client to log in with. */
export interface IssuerSettings {
  readonly issuer: string;
  readonly clientID: string;
  /** PEM to check the issuer's TLS certificate against (else the system's roots). */
  readonly certificateAuthority?: string;
}

/** Scopes asked for when the issuer offers them: `openid` always; groups and email for Kubernetes; offline_access for refresh. */
const WANTED_SCOPES = ['openid', 'email', 'profile', 'groups', 'offline_access'];

/** The issuer's configuration (discovery), with its CA trusted for every later request. */
export async function discover(settings: IssuerSettings): Promise<client.Configuration> {
  return client.discovery(new URL(settings.issuer), settings.clientID, undefined, client.None(), {
    [client.customFetch]: fetchTrusting(settings.certificateAuthority),
    timeout: 30,
  });
}

/** The scopes to ask for: the wanted ones the issuer says it supports (all of them when it does not say). */
export function scopesFor(config: client.Configuration): string {
  const supported = config.serverMetadata().scopes_supported;
  return WANTED_SCOPES.filter((scope) => scope === 'openid' || supported === undefined || supported.includes(scope)).join(' ');
}

/** Turns a token response into what is stored; fails without an ID token (Kubernetes needs one). */
export function loginOf(settings: IssuerSettings, tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers, previousRefreshToken?: string): StoredLogin {
  const claims = tokens.claims();
  if (tokens.id_token === undefined || claims === undefined) throw new Error(`the issuer ${settings.issuer} returned no ID token`);
  const refreshToken = tokens.refresh_token ?? previousRefreshToken;
  const user = [claims['email'], claims['preferred_username'], claims.sub].find((value): value is string => typeof value === 'string' && value !== '') ?? claims.sub;
  return {
    issuer: settings.issuer,
    clientID: settings.clientID,
    ...(settings.certificateAuthority === undefined ? {} : { certificateAuthority: settings.certificateAuthority }),
    idToken: tokens.id_token,
    ...(refreshToken === undefined ? {} : { refreshToken }),
    expiresAt: claims.exp,
    user,
  };
}

/** How a login flow talks to the user (on stderr: stdout stays for results). */
export interface FlowIO {
  /** Tells the user where to go. */
  readonly say: (line: string) => void;
  /** Bound on the wait for the user, in ms. */
  readonly timeoutMs: number;
  /** `$BROWSER`: the command that opens the URL, if any. */
  readonly browser?: string;
}

function openBrowser(command: string, url: string): void {
  // No shell: the URL is an argument, never parsed as a command line.
  const child = spawn(command, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => undefined);
  child.unref();
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'", connection: 'close' });
  res.end(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Beamline login</title></head><body><p>${text}</p></body></html>`);
}

/**
 * The authorization code flow with PKCE (S256), state and nonce, on a loopback listener at
 * `http://127.0.0.1:<random port>/callback`. The listener takes one callback, whatever it says,
 * and is closed afterwards, or when `timeoutMs` has passed.
 */
export async function codeFlow(config: client.Configuration, io: FlowIO): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  try {
    const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: scopesFor(config),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    io.say(`Open this URL in a browser to log in:\n\n  ${url.href}\n`);
    if (io.browser !== undefined && io.browser !== '') openBrowser(io.browser, url.href);
    const callback = await new Promise<{ req: IncomingMessage; res: ServerResponse }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no login within ${Math.round(io.timeoutMs / 1000)} s: run \`beamline login\` again`)), io.timeoutMs);
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        if (new URL(req.url ?? '/', redirectUri).pathname !== '/callback' || req.method !== 'GET') {
          answer(res, 404, 'Not found.');
          return;
        }
        clearTimeout(timer);
        resolve({ req, res });
      });
    });
    // One callback only: whatever comes next is refused.
    server.removeAllListeners('request');
    server.on('request', (_req: IncomingMessage, res: ServerResponse) => answer(res, 410, 'This login is over.'));
    try {
      const tokens = await client.authorizationCodeGrant(config, new URL(callback.req.url ?? '/', redirectUri), {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        idTokenExpected: true,
      });
      answer(callback.res, 200, 'Logged in. You can close this page and go back to the terminal.');
      return tokens;
    } catch (error) {
      answer(callback.res, 400, 'The login failed; see the terminal.');
      throw error;
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** The device authorization grant: prints the URL and code, then polls until the user approved (or `timeoutMs`). */
export async function deviceFlow(config: client.Configuration, io: FlowIO): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
  if (config.serverMetadata().device_authorization_endpoint === undefined) {
    throw new Error(`the issuer ${config.serverMetadata().issuer} offers no device flow: log in without --device`);
  }
  const response = await client.initiateDeviceAuthorization(config, { scope: scopesFor(config) });
  const complete = response.verification_uri_complete;
  io.say(
    complete === undefined
      ? `Open ${response.verification_uri} in a browser and enter the code ${response.user_code}\n`
      : `Open this URL in a browser to log in:\n\n  ${complete}\n\nand check that it shows the code ${response.user_code}\n`,
  );
  if (io.browser !== undefined && io.browser !== '') openBrowser(io.browser, complete ?? response.verification_uri);
  return client.pollDeviceAuthorizationGrant(config, response, undefined, { signal: AbortSignal.timeout(io.timeoutMs) });
}

/** A fresh ID token from the stored refresh token. */
export async function refresh(login: StoredLogin): Promise<StoredLogin> {
  if (login.refreshToken === undefined) throw new Error('the login has expired and holds no refresh token: run `beamline login`');
  const settings: IssuerSettings = {
    issuer: login.issuer,
    clientID: login.clientID,
    ...(login.certificateAuthority === undefined ? {} : { certificateAuthority: login.certificateAuthority }),
  };
  const config = await discover(settings);
  const tokens = await client.refreshTokenGrant(config, login.refreshToken);
  return loginOf(settings, tokens, login.refreshToken);
}

/**
 * One line for an OpenID error: openid-client wraps the useful part ('unexpected "state"
 * response parameter value') in `cause`, and an issuer's refusal in `error`/`error_description`.
 * Messages only: a cause's other fields may hold the code or tokens.
 */
export function describeOidcError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const parts = [error.message];
  const oauth = error as { error?: unknown; error_description?: unknown };
  if (typeof oauth.error === 'string') parts.push(typeof oauth.error_description === 'string' ? `${oauth.error}: ${oauth.error_description}` : oauth.error);
  if (error.cause instanceof Error && error.cause.message !== error.message) parts.push(error.cause.message);
  return parts.join(': ').split('\n')[0] ?? '';
}
