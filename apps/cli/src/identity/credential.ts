/**
 * What `beamline token` does: the stored ID token while it has more than a minute left, else a
 * refreshed one, under a lock so that parallel kubectl calls refresh once (the issuer rotates the
 * refresh token: a second refresh with the old one would be refused, or revoke the grant).
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureIdentityDir, readLogin, writeLogin, type StoredLogin } from './store.ts';

/** A token within this many seconds of its expiry is refreshed first. */
export const REFRESH_MARGIN_S = 60;
const LOCK_STALE_MS = 60_000;
const LOCK_WAIT_MS = 90_000;

/** Not logged in, or the login cannot be renewed: the user must run `beamline login`. */
export class NotLoggedInError extends Error {
  override readonly name = 'NotLoggedInError';
}

async function withLock<T>(dir: string, work: () => Promise<T>): Promise<T> {
  const lock = join(dir, 'tokens.lock');
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left by a process that died mid-refresh: older than any refresh takes.
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new Error(`another \`beamline token\` holds ${lock}`, { cause: error });
      await sleep(100);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The stored login with an ID token valid for more than {@link REFRESH_MARGIN_S}, refreshed if needed. */
export async function currentLogin(
  env: NodeJS.ProcessEnv = process.env,
  renew: (login: StoredLogin) => Promise<StoredLogin> = async (login) => (await import('./oidc.ts')).refresh(login),
): Promise<StoredLogin> {
  const fresh = (login: StoredLogin | undefined): login is StoredLogin => login !== undefined && login.expiresAt - Date.now() / 1000 > REFRESH_MARGIN_S;
  const stored = readLogin(env);
  if (stored === undefined) throw new NotLoggedInError('not logged in: run `beamline login`');
  if (fresh(stored)) return stored;
  return withLock(ensureIdentityDir(env), async () => {
    // Another process may have refreshed while this one waited for the lock.
    const again = readLogin(env);
    if (again === undefined) throw new NotLoggedInError('not logged in: run `beamline login`');
    if (fresh(again)) return again;
    let renewed: StoredLogin;
    try {
      renewed = await renew(again);
    } catch (error) {
      const { describeOidcError } = await import('./oidc.ts');
      throw new NotLoggedInError(`the login has expired and could not be renewed (${describeOidcError(error)}): run \`beamline login\``, { cause: error });
    }
    writeLogin(renewed, env);
    return renewed;
  });
}
