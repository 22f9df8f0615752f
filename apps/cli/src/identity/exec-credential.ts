/**
 * The client.authentication.k8s.io/v1 exec credential plugin's shapes: the ExecCredential that
 * `beamline token` prints, and the kubeconfig `users[].user.exec` stanza that runs it.
 */
import { stringify } from 'yaml';

/** The API version of the exec credential protocol. */
export const EXEC_API_VERSION = 'client.authentication.k8s.io/v1';

/** What `beamline token` prints: kubectl caches it until `expirationTimestamp`. */
export interface ExecCredential {
  readonly apiVersion: typeof EXEC_API_VERSION;
  readonly kind: 'ExecCredential';
  readonly status: { readonly token: string; readonly expirationTimestamp: string };
}

/** The ExecCredential of an ID token expiring at `expiresAt` (seconds since the epoch). */
export function execCredential(idToken: string, expiresAt: number): ExecCredential {
  return { apiVersion: EXEC_API_VERSION, kind: 'ExecCredential', status: { token: idToken, expirationTimestamp: new Date(expiresAt * 1000).toISOString() } };
}

/** A kubeconfig exec stanza. */
export interface ExecConfig {
  readonly apiVersion: typeof EXEC_API_VERSION;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[] | null;
  readonly interactiveMode: 'Never';
  readonly provideClusterInfo: false;
}

/**
 * The exec stanza that runs `beamline token` as this very CLI runs: the Node binary running now
 * and the `beamline` entry script, both absolute. Not the bin script alone: its `#!/usr/bin/env
 * node` would find whatever `node` is first on kubectl's PATH, often an older one that Beamline
 * refuses. `BEAMLINE_HOME` is passed on when set, so the plugin reads this home's tokens.
 * Interactive mode `Never`: the plugin never prompts; an expired login is an error telling the user
 * to run `beamline login`.
 */
export function execConfig(options: { readonly nodePath?: string; readonly entry?: string; readonly env?: NodeJS.ProcessEnv } = {}): ExecConfig {
  const env = options.env ?? process.env;
  const home = env.BEAMLINE_HOME;
  return {
    apiVersion: EXEC_API_VERSION,
    command: options.nodePath ?? process.execPath,
    args: [options.entry ?? cliEntry(), 'token'],
    env: home !== undefined && home !== '' ? [{ name: 'BEAMLINE_HOME', value: home }] : null,
    interactiveMode: 'Never',
    provideClusterInfo: false,
  };
}

/** The absolute path of the script this CLI was started from (`bin/beamline.js`). */
export function cliEntry(): string {
  const entry = process.argv[1];
  if (entry === undefined || entry === '') throw new Error('cannot tell which script runs the CLI (process.argv[1] is empty)');
  return entry;
}

/** A kubeconfig for one cluster whose user is the exec plugin: no credentials in it at all. */
export function execKubeconfig(options: { readonly name: string; readonly server: string; readonly certificateAuthority?: string; readonly exec: ExecConfig; readonly user?: string }): string {
  const user = options.user ?? 'beamline-oidc';
  const cluster: Record<string, string> = { server: options.server };
  if (options.certificateAuthority !== undefined) cluster['certificate-authority-data'] = Buffer.from(options.certificateAuthority).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: options.name, cluster }],
    users: [{ name: user, user: { exec: options.exec } }],
    contexts: [{ name: options.name, context: { cluster: options.name, user } }],
    'current-context': options.name,
  });
}
