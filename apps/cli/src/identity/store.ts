/**
 * Where `beamline login` keeps a user's tokens: `$BEAMLINE_HOME/identity/` (0700), the tokens in
 * `tokens.json` (0600, written atomically), the management kubeconfig whose user is the exec
 * plugin in `management.kubeconfig`. Tokens are never printed, logged or passed on a command line:
 * this file and the exec plugin's stdout are the only places they go.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beamlineHome } from '../home.ts';

/** Everything a later `beamline token` needs to hand out and refresh an ID token. */
export interface StoredLogin {
  readonly issuer: string;
  readonly clientID: string;
  /** PEM the issuer's TLS certificate is checked against, when it is not a public CA's. */
  readonly certificateAuthority?: string;
  readonly idToken: string;
  readonly refreshToken?: string;
  /** The ID token's `exp`, in seconds since the epoch. */
  readonly expiresAt: number;
  /** Who logged in (the email or preferred user name), for messages. */
  readonly user: string;
}

/** The identity folder of a `$BEAMLINE_HOME`. */
export function identityDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(beamlineHome(env), 'identity');
}

/** The token file. */
export function tokensPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(identityDir(env), 'tokens.json');
}

/** The management cluster's kubeconfig written by `beamline login` (user: the exec plugin). */
export function managementKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(identityDir(env), 'management.kubeconfig');
}

/** Creates the identity folder 0700 (and tightens an existing one). */
export function ensureIdentityDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = identityDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
  return dir;
}

/** Writes a private file atomically: created 0600 under a temporary name, then renamed over. */
export function writePrivateFile(path: string, content: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, path);
}

/** Stores the tokens of a login. */
export function writeLogin(login: StoredLogin, env: NodeJS.ProcessEnv = process.env): void {
  ensureIdentityDir(env);
  writePrivateFile(tokensPath(env), `${JSON.stringify(login, undefined, 2)}\n`);
}

/** The stored login, or undefined when there is none (or it cannot be read). */
export function readLogin(env: NodeJS.ProcessEnv = process.env): StoredLogin | undefined {
  try {
    const login = JSON.parse(readFileSync(tokensPath(env), 'utf8')) as Partial<StoredLogin>;
    if (typeof login.issuer !== 'string' || typeof login.clientID !== 'string' || typeof login.idToken !== 'string' || typeof login.expiresAt !== 'number') return undefined;
    return login as StoredLogin;
  } catch {
    return undefined;
  }
}

/** Removes the stored tokens (`beamline logout`); true when there were some. */
export function removeLogin(env: NodeJS.ProcessEnv = process.env): boolean {
  const path = tokensPath(env);
  let existed = true;
  try {
    statSync(path);
  } catch {
    existed = false;
  }
  rmSync(path, { force: true });
  return existed;
}
