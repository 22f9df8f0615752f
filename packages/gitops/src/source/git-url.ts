import { SourceError } from './source-error.ts';

/** The URL forms git is allowed to use. `scp` is `[user@]host:path` (ssh). */
export type GitUrlScheme = 'https' | 'http' | 'file' | 'ssh' | 'scp';

/** A repository URL checked by {@link parseGitUrl}, split into what git, logs and the cache need. */
export interface GitUrl {
  readonly scheme: GitUrlScheme;
  /**
   * What git is given. Credentials are never in it: http(s) userinfo travels in
   * {@link GitUrl.authorization} (an environment variable, not the command line), and an ssh
   * password is dropped (ssh takes keys, not passwords in URLs).
   */
  readonly url: string;
  /** Safe to log and to put in messages and status: no userinfo for http(s), no password ever. */
  readonly display: string;
  /**
   * The repository's identity: lowercase scheme and host, no credentials, no default port, no
   * trailing `/` or `.git`. Two spellings of one repository share a key (and so a mirror).
   */
  readonly key: string;
  /** `Basic <base64>` when an http(s) URL carried `user[:password]@`; sent as an extra header. */
  readonly authorization: string | undefined;
}

const MAX_URL_LENGTH = 4096;
const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
// git runs `<transport>::<address>` through `git-remote-<transport>` (ext:: runs any command).
const TRANSPORT_HELPER = /^[A-Za-z0-9+.-]+::/;
const SCP_LIKE = /^(?:([^@/:]+)@)?(\[[^\]/]+\]|[^@/:[\]]+):(.+)$/;

function hasControlOrSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Removes anything that looks like URL credentials (`scheme://user:secret@`) from free text, such as
 * a URL that failed to parse or a line of git's stderr.
 */
export function redactCredentials(text: string): string {
  return text.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/\s@'"]*@/g, '$1***@');
}

function trimRepositoryPath(path: string): string {
  return path.replace(/\/+$/, '').replace(/\.git$/, '').replace(/\/+$/, '');
}

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/**
 * Checks a repository URL and splits it (see {@link GitUrl}). Accepted: `https://`, `http://`,
 * `file://`, `ssh://` and scp-like `[user@]host:path`. Refused with a {@link SourceError} of reason
 * `InvalidUrl`: other schemes (`git://`, `ext::`, `fd::` and any `<transport>::`), local paths
 * (use `file://`), anything starting with `-` (option injection), whitespace or control
 * characters, query strings and fragments, hosts or users starting with `-`.
 */
export function parseGitUrl(input: string): GitUrl {
  const shown = redactCredentials(input.length > 200 ? `${input.slice(0, 200)}...` : input);
  const invalid = (why: string): SourceError => new SourceError('InvalidUrl', `failed to use git URL ${JSON.stringify(shown)}: ${why}`, { url: shown });

  if (input === '') throw invalid('empty URL');
  if (input.length > MAX_URL_LENGTH) throw invalid(`longer than ${MAX_URL_LENGTH} characters`);
  if (TRANSPORT_HELPER.test(input)) throw invalid('git transport helpers ("<transport>::") are not allowed');
  if (input.startsWith('-')) throw invalid('starts with "-"');
  if (hasControlOrSpace(input)) throw invalid('whitespace or control characters');

  const scheme = URL_SCHEME.exec(input)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (scheme !== 'https' && scheme !== 'http' && scheme !== 'ssh' && scheme !== 'file') {
      throw invalid(`unsupported scheme "${scheme}" (use https://, http://, ssh://, file:// or user@host:path)`);
    }
    if (input.includes('?') || input.includes('#')) throw invalid('query strings and fragments are not supported');
    let parsed: URL;
    try {
      parsed = new URL(input);
    } catch {
      throw invalid('not a valid URL');
    }
    const path = parsed.pathname;
    if (scheme === 'file') {
      if (parsed.hostname !== '' && parsed.hostname !== 'localhost') throw invalid('file:// URLs name a local path: no host');
      if (parsed.username !== '' || parsed.password !== '') throw invalid('file:// URLs take no credentials');
      if (path === '' || path === '/') throw invalid('no repository path');
      const url = `file://${path}`;
      return { scheme, url, display: url, key: `file://${trimRepositoryPath(path)}`, authorization: undefined };
    }
    const host = parsed.hostname.toLowerCase();
    // The WHATWG parser reads `https:///repo` as host `repo`; git would not.
    if (host === '' || input.slice(scheme.length + 3).startsWith('/')) throw invalid('no host');
    if (host.startsWith('-')) throw invalid('host starts with "-"');
    if (scheme === 'ssh') {
      const user = parsed.username;
      if (user.startsWith('-')) throw invalid('user starts with "-"');
      // The WHATWG parser keeps a default port for non-special schemes: drop ssh's.
      const port = parsed.port === '' || parsed.port === '22' ? '' : `:${parsed.port}`;
      const url = `ssh://${user === '' ? '' : `${user}@`}${host}${port}${path}`;
      return { scheme, url, display: url, key: `ssh://${user === '' ? '' : `${user}@`}${host}${port}${trimRepositoryPath(path)}`, authorization: undefined };
    }
    const username = decode(parsed.username);
    const password = decode(parsed.password);
    if (username === undefined || password === undefined) throw invalid('malformed percent-encoding in credentials');
    const clean = new URL(parsed.href);
    clean.username = '';
    clean.password = '';
    const url = clean.href;
    const authorization = username === '' && password === '' ? undefined : `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    return { scheme, url, display: url, key: `${clean.protocol}//${clean.host}${trimRepositoryPath(clean.pathname)}`, authorization };
  }

  const scp = SCP_LIKE.exec(input);
  const slash = input.indexOf('/');
  const colon = input.indexOf(':');
  if (scp === null || colon === -1 || (slash !== -1 && slash < colon)) throw invalid('local paths are not supported (use file:///path)');
  const [, user, rawHost = '', path = ''] = scp;
  if (user?.startsWith('-') === true) throw invalid('user starts with "-"');
  if (rawHost.startsWith('-')) throw invalid('host starts with "-"');
  if (path.startsWith('-')) throw invalid('path starts with "-"');
  // `user:password@host:path` would otherwise parse as host `user`: scp-like URLs carry no password.
  if (path.includes('@')) throw invalid('scp-like URLs take no password (use an ssh key)');
  const host = rawHost.toLowerCase();
  const prefix = `${user === undefined ? '' : `${user}@`}${host}`;
  return { scheme: 'scp', url: `${prefix}:${path}`, display: `${prefix}:${path}`, key: `scp://${prefix}:${trimRepositoryPath(path)}`, authorization: undefined };
}
