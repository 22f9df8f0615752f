import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/** A user of the embedded identity provider: who may log in, and what the ID token says of them. */
export interface DemoUser {
  /** Login name, also the `preferred_username` claim and the subject (`sub`). */
  readonly username: string;
  /** The `email` claim (always `email_verified: true`): what Kubernetes takes as the user name. */
  readonly email: string;
  readonly password: string;
  /** The `groups` claim. */
  readonly groups: readonly string[];
}

/**
 * The sandbox's demo users, printed by `beamline up` so that a newcomer can log in at once. Their
 * passwords are public on purpose: the sandbox listens on 127.0.0.1 only.
 *
 * - `admin` is in `beamline-admins`, the platform admin group of the default PlatformConfig.
 * - `alice` owns the `physics` project (group `physics`), `bob` is a member (`physics-members`),
 *   `dave` a viewer (`physics-viewers`).
 * - `carol` is in `chemistry`, another project, so that isolation between projects can be seen.
 */
export const DEMO_USERS: readonly DemoUser[] = [
  { username: 'admin', email: 'admin@beamline.example', password: 'admin-password', groups: ['beamline-admins'] },
  { username: 'alice', email: 'alice@beamline.example', password: 'alice-password', groups: ['physics'] },
  { username: 'bob', email: 'bob@beamline.example', password: 'bob-password', groups: ['physics-members'] },
  { username: 'carol', email: 'carol@beamline.example', password: 'carol-password', groups: ['chemistry'] },
  { username: 'dave', email: 'dave@beamline.example', password: 'dave-password', groups: ['physics-viewers'] },
];

/** A user as the provider process stores it: the password only as a salted scrypt hash. */
export interface StoredUser {
  readonly username: string;
  readonly email: string;
  readonly groups: readonly string[];
  /** `scrypt$<salt hex>$<hash hex>`. */
  readonly passwordHash: string;
}

const KEY_LENGTH = 32;

/** Hashes a password for {@link StoredUser} (so the provider's files never hold a password in clear). */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('hex')}$${scryptSync(password, salt, KEY_LENGTH).toString('hex')}`;
}

/** Checks a password against a {@link hashPassword} hash in constant time. */
export function passwordMatches(password: string, passwordHash: string): boolean {
  const [scheme, saltHex, hashHex] = passwordHash.split('$');
  if (scheme !== 'scrypt' || saltHex === undefined || hashHex === undefined) return false;
  const expected = Buffer.from(hashHex, 'hex');
  const actual = scryptSync(password, Buffer.from(saltHex, 'hex'), expected.length);
  return expected.length === KEY_LENGTH && timingSafeEqual(actual, expected);
}

/** A {@link DemoUser} as stored, password hashed. */
export function storedUser(user: DemoUser): StoredUser {
  return { username: user.username, email: user.email, groups: [...user.groups], passwordHash: hashPassword(user.password) };
}

/**
 * Finds the user for a login attempt. A wrong user name costs the same hashing as a wrong password:
 * the answer time does not tell which users exist.
 */
export function authenticate(users: readonly StoredUser[], username: string, password: string): StoredUser | undefined {
  const user = users.find((candidate) => candidate.username === username);
  const matches = passwordMatches(password, user?.passwordHash ?? DUMMY_HASH);
  return user !== undefined && matches ? user : undefined;
}

const DUMMY_HASH = hashPassword(randomBytes(16).toString('hex'));
