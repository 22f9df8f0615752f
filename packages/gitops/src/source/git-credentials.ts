import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitUrl } from './git-url.ts';

/**
 * Credentials for a git repository, as an Application's credentials Secret gives them:
 * - `basic`: a user name and a password or token, for `https://` and `http://`;
 * - `ssh`: a private key (OpenSSH or PEM, unencrypted) and optionally the `known_hosts` lines the
 *   server's host key must match, for `ssh://` and scp-like URLs.
 *
 * `scope` names where they came from (e.g. `namespace/secret`): it is part of
 * {@link gitCredentialsId}, so two Secrets with the same content still get separate mirrors.
 */
export type GitCredentials =
  | { readonly type: 'basic'; readonly username: string; readonly password: string; readonly scope?: string }
  | { readonly type: 'ssh'; readonly privateKey: string; readonly knownHosts?: string; readonly scope?: string };

/**
 * The identity of a set of credentials (`''` for none): a sha256 over their scope and content. It
 * keys mirrors, so a commit fetched with one set of credentials is never served to a caller with
 * other credentials or none. The hash is only ever written inside the owner-only cache folder.
 */
export function gitCredentialsId(credentials: GitCredentials | undefined): string {
  if (credentials === undefined) return '';
  const parts =
    credentials.type === 'basic' ? ['basic', credentials.scope ?? '', credentials.username, credentials.password]
    : ['ssh', credentials.scope ?? '', credentials.privateKey, credentials.knownHosts ?? ''];
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${part.length}:${part}`);
  return hash.digest('hex');
}

/** What a git command needs to use credentials: config (through the environment) and variables. */
export interface GitCredentialSetup {
  readonly config: readonly (readonly [key: string, value: string])[];
  readonly extraEnv: Readonly<Record<string, string>>;
}

// The password travels in this process's environment to git and the helper only: /proc/<pid>/environ
// is readable by the owner alone, unlike the command line. The helper answers `get` only, so git's
// `store`/`erase` calls do nothing.
const HELPER = '!f() { test "$1" = get || exit 0; printf "username=%s\\npassword=%s\\n" "$BEAMLINE_GIT_USERNAME" "$BEAMLINE_GIT_PASSWORD"; }; f';

/** Quotes a path for the shell git runs `GIT_SSH_COMMAND` through. Our own paths: no `'` in them. */
function shellQuote(path: string): string {
  return `'${path.replaceAll("'", "'\\''")}'`;
}

/**
 * Runs `work` with what git needs to use `credentials` against `gitUrl`, never on a command line
 * nor in the URL:
 * - `basic`: a credential helper given as config through `GIT_CONFIG_KEY_n` (not `-c`), scoped to
 *   the repository's origin (`credential.<scheme>://<host>.helper`, so a redirect to another host
 *   gets nothing), which prints the user name and password from environment variables;
 * - `ssh`: the key (and known hosts) written to 0600 files in a fresh 0700 folder under
 *   `privateDir`, used by `GIT_SSH_COMMAND` with `-i`, `IdentitiesOnly=yes`, no agent, and
 *   `StrictHostKeyChecking=yes` (against the given known hosts, else the user's); removed after.
 *
 * Credentials of the wrong kind for the URL (a key for https, a password for ssh) are not used.
 */
export async function withGitCredentials<T>(
  credentials: GitCredentials | undefined,
  gitUrl: GitUrl,
  privateDir: string,
  work: (setup: GitCredentialSetup) => Promise<T>,
): Promise<T> {
  if (credentials === undefined) return work({ config: [], extraEnv: {} });
  const http = gitUrl.scheme === 'https' || gitUrl.scheme === 'http';
  if (credentials.type === 'basic') {
    if (!http) return work({ config: [], extraEnv: {} });
    const origin = new URL(gitUrl.url).origin;
    return work({
      // The empty helper first resets any inherited helper list (inheritGitConfig).
      config: [
        ['credential.helper', ''],
        [`credential.${origin}.helper`, HELPER],
      ],
      extraEnv: { BEAMLINE_GIT_USERNAME: credentials.username, BEAMLINE_GIT_PASSWORD: credentials.password },
    });
  }
  if (gitUrl.scheme !== 'ssh' && gitUrl.scheme !== 'scp') return work({ config: [], extraEnv: {} });
  await mkdir(privateDir, { recursive: true, mode: 0o700 });
  const dir = join(privateDir, randomBytes(8).toString('hex'));
  await mkdir(dir, { mode: 0o700 });
  try {
    const key = join(dir, 'id');
    const keyText = credentials.privateKey.endsWith('\n') ? credentials.privateKey : `${credentials.privateKey}\n`;
    await writeFile(key, keyText, { mode: 0o600, flag: 'wx' });
    const options = ['-i', shellQuote(key), '-o', 'IdentitiesOnly=yes', '-o', 'IdentityAgent=none', '-o', 'StrictHostKeyChecking=yes'];
    if (credentials.knownHosts !== undefined && credentials.knownHosts.trim() !== '') {
      const knownHosts = join(dir, 'known_hosts');
      await writeFile(knownHosts, credentials.knownHosts.endsWith('\n') ? credentials.knownHosts : `${credentials.knownHosts}\n`, { mode: 0o600, flag: 'wx' });
      options.push('-o', `UserKnownHostsFile=${shellQuote(knownHosts)}`, '-o', 'GlobalKnownHostsFile=/dev/null');
    }
    const command = `ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=4 ${options.join(' ')}`;
    return await work({ config: [], extraEnv: { GIT_SSH_COMMAND: command } });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
