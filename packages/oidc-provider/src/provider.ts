import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair } from 'jose';
import {
  createCertificateAuthority,
  isSameProcessAlive,
  loadCertificateAuthority,
  processStartTicks,
  readPidRecords,
  startProcess,
  stopProcess,
} from '@beamline/control-plane';
import { ensureDir, FILES, PROCESS_NAME, readJsonIfAny, writeFileAtomic, type ProviderConfig, type ProviderEndpoint, type ProviderSecrets } from './config.ts';
import { httpsRequest } from './https.ts';
import { passwordMatches, storedUser, type DemoUser } from './users.ts';

/** Options of {@link startIdentityProvider}. */
export interface IdentityProviderOptions {
  /** The provider's folder: keys, certificates, config, log, pid. Reused across starts. */
  readonly dir: string;
  /**
   * Port on 127.0.0.1. 0 = a free one. Unset = the port of the previous start in `dir` if any (the
   * issuer URL the apiservers trust stays the same), else a free one.
   */
  readonly port?: number;
  readonly users: readonly DemoUser[];
  /** The public client's id; default `beamline`. */
  readonly clientID?: string;
  /** Exact redirect URIs allowed besides the loopback ones (any port), e.g. the portal's callback. */
  readonly redirectUris?: readonly string[];
  /** Lifetime of ID (and access) tokens; default 600. Short in tests that watch expiry and refresh. */
  readonly idTokenTtlSeconds?: number;
  /**
   * `owned` (default): the provider exits when this process does (tests, foreground sandbox);
   * `detached`: it runs until {@link IdentityProvider.stop} or {@link stopIdentityProvider}.
   */
  readonly lifetime?: 'owned' | 'detached';
  /** How long to wait for it to listen; default 20 s. */
  readonly timeoutMs?: number;
}

/** A running identity provider. */
export interface IdentityProvider {
  /** `https://127.0.0.1:<port>`: the `iss` of its tokens, and where discovery is. */
  readonly issuer: string;
  /** PEM of the CA its serving certificate is signed by: what clients and apiservers trust. */
  readonly caPem: string;
  readonly clientID: string;
  readonly dir: string;
  readonly pid: number;
  /** Stops the process (its keys and port stay in `dir` for the next start). */
  stop(): Promise<void>;
}

const DEFAULT_CLIENT_ID = 'beamline';
const DEFAULT_ID_TOKEN_TTL = 600;
const PROCESS_ENTRY = join(dirname(fileURLToPath(import.meta.url)), 'provider-process.ts');

async function ensureTls(dir: string): Promise<string> {
  const caCert = join(dir, FILES.caCert);
  const caKey = join(dir, FILES.caKey);
  if (!existsSync(caCert) || !existsSync(caKey)) {
    const ca = await createCertificateAuthority('beamline-identity-ca');
    writeFileAtomic(caKey, ca.keyPem, 0o600);
    writeFileAtomic(caCert, ca.certPem);
  }
  const caPem = readFileSync(caCert, 'utf8');
  if (!existsSync(join(dir, FILES.serverCert)) || !existsSync(join(dir, FILES.serverKey))) {
    const ca = await loadCertificateAuthority(caPem, readFileSync(caKey, 'utf8'));
    const serving = await ca.issueServing('beamline-identity', { dns: ['localhost'], ips: ['127.0.0.1'] });
    writeFileAtomic(join(dir, FILES.serverKey), serving.keyPem, 0o600);
    writeFileAtomic(join(dir, FILES.serverCert), serving.certPem);
  }
  return caPem;
}

async function ensureSecrets(dir: string): Promise<void> {
  if (readJsonIfAny<ProviderSecrets>(join(dir, FILES.secrets)) !== undefined) return;
  // RS256: the one algorithm every OIDC client and the Kubernetes apiserver must support.
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
  const secrets: ProviderSecrets = { jwks: { keys: [jwk] }, cookieKeys: [randomBytes(32).toString('base64url')] };
  writeFileAtomic(join(dir, FILES.secrets), `${JSON.stringify(secrets)}\n`, 0o600);
}

function runningRecord(dir: string): { pid: number; startTicks: string | undefined } | undefined {
  const record = readPidRecords(join(dir, FILES.pidDir)).find((candidate) => candidate.name === PROCESS_NAME);
  return record !== undefined && isSameProcessAlive(record) ? record : undefined;
}

async function discoveryAnswers(issuer: string, caPem: string): Promise<boolean> {
  try {
    const answer = await httpsRequest(`${issuer}/.well-known/openid-configuration`, { caPem, signal: AbortSignal.timeout(2000) });
    return answer.status === 200;
  } catch {
    return false;
  }
}

function sameConfig(a: ProviderConfig | undefined, b: Omit<ProviderConfig, 'users'> & { users: readonly DemoUser[] }): boolean {
  if (a === undefined) return false;
  const sameUsers =
    a.users.length === b.users.length &&
    b.users.every((user, index) => {
      const stored = a.users[index];
      return (
        stored !== undefined &&
        stored.username === user.username &&
        stored.email === user.email &&
        JSON.stringify(stored.groups) === JSON.stringify(user.groups) &&
        // Stored hashed with a fresh salt: only a check of the password tells whether it changed.
        passwordMatches(user.password, stored.passwordHash)
      );
    });
  return (
    sameUsers &&
    a.clientID === b.clientID &&
    a.idTokenTtlSeconds === b.idTokenTtlSeconds &&
    JSON.stringify(a.redirectUris) === JSON.stringify(b.redirectUris) &&
    a.parentPid === b.parentPid
  );
}

/** Writes the config and starts the process, then waits until discovery answers. */
async function launch(dir: string, config: ProviderConfig, caPem: string, timeoutMs: number): Promise<IdentityProvider> {
  writeFileAtomic(join(dir, FILES.config), `${JSON.stringify(config)}\n`, 0o600);
  rmSync(join(dir, FILES.endpoint), { force: true });
  const child = startProcess({
    name: PROCESS_NAME,
    binary: process.execPath,
    args: [PROCESS_ENTRY, dir],
    logFile: join(dir, FILES.log),
    pidDir: join(dir, FILES.pidDir),
    cwd: dir,
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const endpoint = readJsonIfAny<ProviderEndpoint>(join(dir, FILES.endpoint));
    if (endpoint !== undefined && endpoint.pid === child.pid && (await discoveryAnswers(endpoint.issuer, caPem))) {
      return handle(dir, endpoint, caPem, config.clientID);
    }
    if (!child.isRunning() || Date.now() > deadline) {
      const why = child.isRunning() ? 'timed out' : 'exited';
      await stopProcess(child);
      const tail = readFileSync(join(dir, FILES.log), 'utf8').split('\n').slice(-20).join('\n');
      throw new Error(`the identity provider did not start (${why}); log ${join(dir, FILES.log)}:\n${tail}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
}

/**
 * Starts the identity provider in its own process, or returns the one already running from `dir`
 * with the same settings (idempotent: what `beamline up` calls on every start). The CA, serving
 * certificate, signing keys and cookie keys are created once and kept in `dir` (0600), so tokens
 * and trust survive restarts; so does the port unless `port` says otherwise.
 */
export async function startIdentityProvider(options: IdentityProviderOptions): Promise<IdentityProvider> {
  const dir = resolve(options.dir);
  ensureDir(dir);
  const caPem = await ensureTls(dir);
  await ensureSecrets(dir);
  const clientID = options.clientID ?? DEFAULT_CLIENT_ID;
  const owned = (options.lifetime ?? 'owned') === 'owned';
  const previous = readJsonIfAny<ProviderEndpoint>(join(dir, FILES.endpoint));
  const wanted = {
    port: options.port ?? previous?.port ?? 0,
    clientID,
    redirectUris: [...(options.redirectUris ?? [])],
    idTokenTtlSeconds: options.idTokenTtlSeconds ?? DEFAULT_ID_TOKEN_TTL,
    ...(owned ? { parentPid: process.pid, parentStartTicks: processStartTicks(process.pid) } : {}),
    users: options.users,
  };

  const running = runningRecord(dir);
  if (running !== undefined && previous !== undefined && previous.pid === running.pid) {
    const current = readJsonIfAny<ProviderConfig>(join(dir, FILES.config));
    const portMatches = options.port === undefined || options.port === 0 || options.port === previous.port;
    if (portMatches && sameConfig(current, wanted) && (await discoveryAnswers(previous.issuer, caPem))) {
      return handle(dir, previous, caPem, clientID);
    }
  }
  if (running !== undefined) await stopProcess(running);

  return launch(dir, { ...wanted, users: options.users.map(storedUser) }, caPem, options.timeoutMs ?? 20_000);
}

function handle(dir: string, endpoint: ProviderEndpoint, caPem: string, clientID: string): IdentityProvider {
  const record = { pid: endpoint.pid, startTicks: processStartTicks(endpoint.pid) };
  return { issuer: endpoint.issuer, caPem, clientID, dir, pid: endpoint.pid, stop: () => stopProcess(record) };
}

/**
 * Starts the provider of `dir` again with the settings of its last start (users, client, port),
 * e.g. after a reboot. Fails when `dir` never held a provider. Note: the users' passwords are
 * stored hashed, so they come from the config file as they are.
 */
export async function resumeIdentityProvider(dir: string, lifetime: 'owned' | 'detached' = 'detached'): Promise<IdentityProvider> {
  const root = resolve(dir);
  const config = readJsonIfAny<ProviderConfig>(join(root, FILES.config));
  const previous = readJsonIfAny<ProviderEndpoint>(join(root, FILES.endpoint));
  if (config === undefined) throw new Error(`${root} holds no identity provider (no ${FILES.config})`);
  const caPem = readFileSync(join(root, FILES.caCert), 'utf8');
  const running = runningRecord(root);
  if (running !== undefined && previous !== undefined && previous.pid === running.pid && (await discoveryAnswers(previous.issuer, caPem))) {
    return handle(root, previous, caPem, config.clientID);
  }
  if (running !== undefined) await stopProcess(running);
  const next: ProviderConfig = {
    port: previous?.port ?? config.port,
    clientID: config.clientID,
    redirectUris: config.redirectUris,
    idTokenTtlSeconds: config.idTokenTtlSeconds,
    users: config.users,
    ...(lifetime === 'owned' ? { parentPid: process.pid, parentStartTicks: processStartTicks(process.pid) } : {}),
  };
  return launch(root, next, caPem, 20_000);
}

/** Stops the provider running from `dir`, if any. */
export async function stopIdentityProvider(dir: string): Promise<void> {
  const running = runningRecord(resolve(dir));
  if (running !== undefined) await stopProcess(running);
}
