import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { beamlineHome } from '../home.ts';
import { CliError } from '../output.ts';
import { parseDuration } from '../wait.ts';

/** What the manager's `GET /api/auth/config` answers: the platform's issuer and the management apiserver. */
export interface AuthConfig {
  readonly issuer: string;
  readonly clientID: string;
  readonly certificateAuthority?: string;
  readonly usernamePrefix?: string;
  readonly groupsPrefix?: string;
  readonly managementServer?: string;
  readonly managementCertificateAuthority?: string | null;
}

interface LoginOptions {
  readonly issuer?: string;
  readonly clientId?: string;
  readonly caFile?: string;
  readonly manager?: string;
  readonly device?: boolean;
  readonly timeout: string;
}

/** The manager's URL: `--manager`, else the sandbox's (`$BEAMLINE_HOME/manager.json`). */
export function managerUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (flag !== undefined && flag !== '') return flag.replace(/\/+$/, '');
  try {
    const record = JSON.parse(readFileSync(join(beamlineHome(env), 'manager.json'), 'utf8')) as { url?: unknown };
    return typeof record.url === 'string' ? record.url : undefined;
  } catch {
    return undefined;
  }
}

/** Asks the manager which issuer to log in with. */
export async function fetchAuthConfig(manager: string): Promise<AuthConfig> {
  let response: Response;
  try {
    response = await fetch(`${manager}/api/auth/config`, { signal: AbortSignal.timeout(15_000), headers: { accept: 'application/json' } });
  } catch (error) {
    throw new CliError(`cannot reach the manager at ${manager} (${(error as Error).message}): start it with \`beamline up\`, pass --manager URL, or --issuer URL`);
  }
  if (!response.ok) throw new CliError(`the manager at ${manager} answered ${response.status} to /api/auth/config: is an identity configured in the PlatformConfig?`);
  const body = (await response.json()) as Partial<AuthConfig>;
  if (typeof body.issuer !== 'string' || typeof body.clientID !== 'string') throw new CliError(`the manager at ${manager} names no issuer: configure spec.identity of the PlatformConfig`);
  return body as AuthConfig;
}

function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read --ca-file ${path}: ${(error as Error).message}`);
  }
}

/**
 * `beamline login` and `beamline logout`. Login runs the authorization code flow with PKCE on a
 * loopback redirect (or the device flow with `--device`) against the platform's issuer, stores the
 * tokens 0600 under `$BEAMLINE_HOME/identity/`, and writes a management kubeconfig whose user is
 * `beamline token`. No token is printed.
 */
export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('log in with the platform\'s OpenID issuer (browser, or --device) and write a kubeconfig that uses your login')
    .option('--issuer <url>', 'the OpenID issuer (default: the one the manager names)')
    .option('--client-id <id>', 'the OpenID client (with --issuer; default beamline)')
    .option('--ca-file <file>', "PEM of the CA of the issuer's TLS certificate (with --issuer)")
    .option('--manager <url>', 'the manager to ask for the issuer (default: the sandbox\'s)')
    .option('--device', 'use the device flow: open the printed URL on any device')
    .option('--timeout <duration>', 'how long to wait for the browser', '5m')
    .action(async (options: LoginOptions) => {
      const timeoutMs = parseDuration(options.timeout, '--timeout');
      const manager = managerUrl(options.manager);
      let auth: AuthConfig | undefined;
      if (options.issuer === undefined) {
        if (manager === undefined) throw new CliError('no manager to ask for the issuer: start the sandbox with `beamline up`, pass --manager URL, or --issuer URL', 2);
        auth = await fetchAuthConfig(manager);
      } else if (manager !== undefined) {
        // The issuer is given; the manager, if it answers, still names the management apiserver.
        auth = await fetchAuthConfig(manager).catch(() => undefined);
      }
      const caPem = options.caFile !== undefined ? readCa(options.caFile) : options.issuer === undefined ? auth?.certificateAuthority : undefined;
      const settings = {
        issuer: options.issuer ?? auth?.issuer ?? '',
        clientID: options.clientId ?? (options.issuer === undefined ? auth?.clientID : undefined) ?? 'beamline',
        ...(caPem === undefined || caPem === '' ? {} : { certificateAuthority: caPem }),
      };

      const oidc = await import('../identity/oidc.ts');
      const store = await import('../identity/store.ts');
      const { execConfig, execKubeconfig } = await import('../identity/exec-credential.ts');
      let config;
      try {
        config = await oidc.discover(settings);
      } catch (error) {
        throw new CliError(`cannot read the OpenID configuration of ${settings.issuer}: ${oidc.describeOidcError(error)}`);
      }
      const io = { say: (text: string) => process.stderr.write(`${text}\n`), timeoutMs, ...(process.env.BROWSER === undefined ? {} : { browser: process.env.BROWSER }) };
      let tokens;
      try {
        tokens = options.device === true ? await oidc.deviceFlow(config, io) : await oidc.codeFlow(config, io);
      } catch (error) {
        throw new CliError(`login failed: ${oidc.describeOidcError(error)}`);
      }
      const login = oidc.loginOf(settings, tokens);
      store.writeLogin(login);

      const prefix = auth?.usernamePrefix ?? '';
      process.stdout.write(`Logged in as ${login.user} at ${settings.issuer}${prefix === '' ? '' : ` (Kubernetes user ${prefix}${login.user})`}.\n`);
      if (auth?.managementServer !== undefined) {
        const path = store.managementKubeconfigPath();
        const ca = auth.managementCertificateAuthority ?? undefined;
        store.writePrivateFile(
          path,
          execKubeconfig({ name: 'beamline-management', server: auth.managementServer, ...(ca === undefined ? {} : { certificateAuthority: ca }), exec: execConfig() }),
        );
        process.stdout.write(`Wrote ${path}: kubectl and beamline use your login with it:\n  export KUBECONFIG=${path}\n  kubectl auth whoami\n`);
      } else {
        process.stdout.write('No management kubeconfig written: the manager did not answer (pass --manager URL).\n');
      }
    });

  program
    .command('logout')
    .description('forget the tokens of `beamline login`')
    .action(async () => {
      const store = await import('../identity/store.ts');
      process.stdout.write(store.removeLogin() ? 'Logged out.\n' : 'Not logged in.\n');
    });
}
