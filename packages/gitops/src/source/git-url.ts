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

/**
 * A repository URL safe to show or store: userinfo removed from `http(s)://`, `oci://` and other
 * URL forms (a token alone, `https://token@host`, is a credential too); for `ssh://` the user stays
 * and only a password goes (`ssh://git@host/x` is how ssh URLs name their user). Scp-like
 * `git@host:path` has no password by construction and is returned as is. Anything that is not a
 * URL goes through {@link redactCredentials}. Use it wherever a `repoURL` is logged, put in a
 * message, an event, a condition or a status field.
 */
export function redactUrl(url: string): string {
  const scheme = URL_SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return redactCredentials(url);
  const rest = url.slice(scheme.length + 3);
  // The authority ends at the first `/`, `?` or `#`; userinfo ends at its last `@`.
  const end = rest.search(/[/?#]/);
  const authority = end === -1 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  if (at === -1) return redactCredentials(url);
  const userinfo = authority.slice(0, at);
  const kept = scheme === 'ssh' && !userinfo.includes(':') ? `${userinfo}@` : scheme === 'ssh' ? `${userinfo.slice(0, userinfo.indexOf(':'))}@` : '';
  return `${url.slice(0, scheme.length + 3)}${kept}${rest.slice(at + 1)}`;
}

/**
 * Whether `host` (percent-decoded) is one git can hand to ssh without it being read as anything but
 * a host name: letters, digits, `.`, `-`, `_` not starting with `-` or `.`, or a bracketed IPv6
 * literal. `ssh://%2doProxyCommand=.../x` (git decodes `%2d` to `-`) and
 * `ssh://[-oProxyCommand=...]/x` are refused here.
 */
function isSafeSshHost(host: string): boolean {
  if (host.startsWith('[') || host.endsWith(']')) return /^\[[0-9A-Fa-f:.]+\]$/.test(host) && host.includes(':');
  return /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(host);
}

/** A user name for ssh that can never be read as an option: no leading `-`, no spaces, quotes or `@`. */
function isSafeSshUser(user: string): boolean {
  return /^[A-Za-z0-9._~+][A-Za-z0-9._~+-]*$/.test(user);
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
 * characters, query strings and fragments, hosts or users starting with `-` (also once
 * percent-decoded: git decodes `%2d` to `-`), ssh hosts with anything but letters, digits, `.`,
 * `-`, `_` and brackets around anything but an IPv6 literal.
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
    // git percent-decodes the whole URL before it splits off the host: `%2d` is a `-` to it.
    const decodedHost = decode(host);
    if (decodedHost === undefined) throw invalid('malformed percent-encoding in the host');
    if (host.startsWith('-') || decodedHost.startsWith('-')) throw invalid('host starts with "-"');
    if (scheme === 'ssh') {
      if (!isSafeSshHost(decodedHost)) throw invalid('the host must be a DNS name, an IPv4 address or a bracketed IPv6 address');
      const user = parsed.username;
      const decodedUser = decode(user);
      if (user.startsWith('-') || decodedUser?.startsWith('-') === true) throw invalid('user starts with "-"');
      if (user !== '' && (decodedUser === undefined || !isSafeSshUser(decodedUser))) throw invalid('the user may hold letters, digits and . _ ~ + - only');
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
  if (!isSafeSshHost(rawHost)) throw invalid('the host must be a DNS name, an IPv4 address or a bracketed IPv6 address');
  if (user !== undefined && !isSafeSshUser(user)) throw invalid('the user may hold letters, digits and . _ ~ + - only');
  if (path.startsWith('-')) throw invalid('path starts with "-"');
  // `user:password@host:path` would otherwise parse as host `user`: scp-like URLs carry no password.
  if (path.includes('@')) throw invalid('scp-like URLs take no password (use an ssh key)');
  const host = rawHost.toLowerCase();
  const prefix = `${user === undefined ? '' : `${user}@`}${host}`;
  return { scheme: 'scp', url: `${prefix}:${path}`, display: `${prefix}:${path}`, key: `scp://${prefix}:${trimRepositoryPath(path)}`, authorization: undefined };
}
