import { randomBytes, timingSafeEqual } from 'node:crypto';
import { seal, unseal } from './seal.ts';

/** The session cookie's name. */
export const SESSION_COOKIE = 'beamline_session';
/** The login-state cookie's name (state, nonce, PKCE verifier between `/auth/login` and `/auth/callback`). */
export const LOGIN_COOKIE = 'beamline_login';
/** The header every state-changing call carries: the session's CSRF token. */
export const CSRF_HEADER = 'x-csrf-token';
/** How long a session lasts at most, whatever the ID token says: 8 hours (a working day). */
export const DEFAULT_SESSION_MAX_AGE_S = 8 * 3600;
/** How long a login may take between `/auth/login` and `/auth/callback`. */
export const LOGIN_MAX_AGE_S = 600;
/** Sealed cookies above this size are refused (browsers drop cookies over 4 KiB without a word). */
export const MAX_COOKIE_BYTES = 3800;

/** A logged-in user, as the session cookie holds it. */
export interface Session {
  /** A random id: logout revokes it, and closes its event streams. */
  readonly sid: string;
  /** The Kubernetes user name: the username claim with PlatformConfig's prefix, as the apiserver names the user. */
  readonly user: string;
  /** The Kubernetes groups: the groups claim with PlatformConfig's prefix. */
  readonly groups: readonly string[];
  /** Seconds since the epoch after which the session is refused (the ID token's expiry or the max age, the earlier). */
  readonly exp: number;
  /** The CSRF token (`x-csrf-token`). */
  readonly csrf: string;
}

/** The state of a login in flight, as the login cookie holds it. */
export interface LoginState {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  /** Seconds since the epoch after which the login is refused. */
  readonly exp: number;
}

/** A random token: 32 bytes, base64url. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Seals a session for its cookie; throws when it would not fit a cookie (too many groups). */
export function sealSession(key: Buffer, session: Session): string {
  const sealed = seal(key, SESSION_COOKIE, session);
  if (sealed.length > MAX_COOKIE_BYTES) throw new Error(`the session of ${String(session.groups.length)} groups does not fit a cookie`);
  return sealed;
}

/** The session of a cookie, or `undefined` if it is not one this key sealed, is malformed, or expired at `nowS`. */
export function openSession(key: Buffer, cookie: string, nowS: number): Session | undefined {
  const value = unseal(key, SESSION_COOKIE, cookie);
  if (!isSession(value) || value.exp <= nowS) return undefined;
  return value;
}

/** Seals a login state for its cookie. */
export function sealLoginState(key: Buffer, state: LoginState): string {
  return seal(key, LOGIN_COOKIE, state);
}

/** The login state of a cookie, or `undefined` (forged, altered, expired). */
export function openLoginState(key: Buffer, cookie: string, nowS: number): LoginState | undefined {
  const value = unseal(key, LOGIN_COOKIE, cookie) as Partial<LoginState> | undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  const { state, nonce, verifier, exp } = value;
  if (typeof state !== 'string' || typeof nonce !== 'string' || typeof verifier !== 'string' || typeof exp !== 'number' || exp <= nowS) return undefined;
  return { state, nonce, verifier, exp };
}

/** Whether `presented` is the session's CSRF token, compared in constant time. */
export function csrfMatches(session: Session, presented: string | string[] | undefined): boolean {
  if (typeof presented !== 'string') return false;
  const expected = Buffer.from(session.csrf, 'utf8');
  const given = Buffer.from(presented, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false;
  const session = value as Partial<Session>;
  return (
    typeof session.sid === 'string' &&
    typeof session.user === 'string' &&
    session.user.length > 0 &&
    Array.isArray(session.groups) &&
    session.groups.every((group) => typeof group === 'string') &&
    typeof session.exp === 'number' &&
    typeof session.csrf === 'string' &&
    session.csrf.length > 0
  );
}

/**
 * The Kubernetes user and groups of ID token claims, as the apiserver's structured authentication
 * configuration names them: the username claim (default `email`, which then must be verified)
 * with the user prefix, each group of the groups claim with the group prefix. Throws (a message
 * fit for the user) when the claims name no user.
 */
export function kubernetesIdentity(
  claims: Readonly<Record<string, unknown>>,
  identity: { readonly usernameClaim?: string; readonly usernamePrefix?: string; readonly groupsClaim?: string; readonly groupsPrefix?: string },
): { user: string; groups: string[] } {
  const usernameClaim = identity.usernameClaim ?? 'email';
  const name = claims[usernameClaim];
  if (typeof name !== 'string' || name.length === 0) throw new Error(`the ID token has no ${usernameClaim} claim`);
  if (usernameClaim === 'email' && claims.email_verified !== true) throw new Error('the ID token says the email is not verified');
  const rawGroups = claims[identity.groupsClaim ?? 'groups'];
  const groups = Array.isArray(rawGroups) ? rawGroups.filter((group): group is string => typeof group === 'string' && group.length > 0) : typeof rawGroups === 'string' ? [rawGroups] : [];
  const groupsPrefix = identity.groupsPrefix ?? 'oidc:';
  const user = `${identity.usernamePrefix ?? 'oidc:'}${name}`;
  // With an empty prefix a claim could name a system user or group (system:masters); the portal
  // impersonates with what it gets here, so those are refused outright, as the apiserver's own
  // JWT authenticator refuses them.
  if (user.startsWith('system:')) throw new Error('the ID token names a system: user');
  return { user, groups: groups.map((group) => `${groupsPrefix}${group}`).filter((group) => !group.startsWith('system:')) };
}
