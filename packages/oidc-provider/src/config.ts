import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredUser } from './users.ts';

/**
 * What the provider process reads at start (`<dir>/config.json`, 0600: the users' password hashes
 * are in it). Written by {@link startIdentityProvider}; the process never writes it.
 */
export interface ProviderConfig {
  /** Port to listen on, 127.0.0.1 only; 0 = a free one (the process records which in `endpoint.json`). */
  readonly port: number;
  readonly clientID: string;
  /** Redirect URIs besides the loopback ones every native client gets (e.g. the portal's). */
  readonly redirectUris: readonly string[];
  readonly idTokenTtlSeconds: number;
  readonly users: readonly StoredUser[];
  /** When set, the process exits once this process is gone (lifetime `owned`). */
  readonly parentPid?: number;
  readonly parentStartTicks?: string;
}

/** The provider's secrets (`<dir>/secrets.json`, 0600): signing keys and cookie keys, kept across restarts. */
export interface ProviderSecrets {
  /** Private JWKs the ID tokens are signed with; the first one signs. */
  readonly jwks: { readonly keys: readonly Record<string, unknown>[] };
  readonly cookieKeys: readonly string[];
}

/** What the running process writes once it listens (`<dir>/endpoint.json`). */
export interface ProviderEndpoint {
  readonly pid: number;
  readonly port: number;
  readonly issuer: string;
}

/** File names inside a provider folder. */
export const FILES = {
  config: 'config.json',
  secrets: 'secrets.json',
  endpoint: 'endpoint.json',
  /** Grants and refresh tokens (0600): what keeps a login refreshable across restarts. */
  store: 'store.json',
  caCert: 'ca.crt',
  caKey: 'ca.key',
  serverCert: 'server.crt',
  serverKey: 'server.key',
  log: 'oidc-provider.log',
  pidDir: 'pids',
} as const;

/** The process name in the pid folder. */
export const PROCESS_NAME = 'oidc-provider';

/** Writes a file atomically (temp file + rename), with the given mode from the first byte on. */
export function writeFileAtomic(path: string, content: string, mode = 0o644): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode });
  chmodSync(temp, mode);
  renameSync(temp, path);
}

/** Reads a JSON file, or undefined when it does not exist or cannot be parsed. */
export function readJsonIfAny<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Creates the provider folder, 0700: it holds keys. */
export function ensureDir(dir: string): void {
  mkdirSync(join(dir, FILES.pidDir), { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}
