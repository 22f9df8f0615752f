import type { PushEvent } from './parse-push.ts';

/** The fields of an Application source that decide whether a push concerns it. */
export interface WebhookSourceRef {
  readonly repoURL: string;
  readonly targetRevision?: string;
  /** Set for a Helm-repository source, which no git push changes. */
  readonly chart?: string;
}

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'https:': '443', 'http:': '80', 'ssh:': '22', 'git:': '9418' };
const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;
const SCP_LIKE = /^(?:[^@/:]+@)?(\[[^\]/]+\]|[^@/:[\]]+):(.*)$/;
// A full commit (sha-1 or sha-256): a pinned source, which no push moves.
const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i;

function trimPath(path: string): string {
  return path.replace(/[?#].*$/, '').replace(/\/+$/, '').replace(/\.git$/i, '').replace(/\/+$/, '');
}

function hostAndPath(host: string, path: string): string {
  const trimmed = trimPath(path).replace(/^\/+/, '').replace(/\/{2,}/g, '/');
  return `${host}/${trimmed}`.toLowerCase();
}

/**
 * A repository's identity for matching webhooks: `host[:port]/path`, with the scheme, user and
 * credentials, default ports, a query, a trailing `/` and `.git` dropped, all lowercase (as Argo
 * CD does: GitHub, GitLab and most git hosts treat owner and repository names case-insensitively,
 * and a false match costs only a refresh). `file://` URLs give their path, case kept (file systems
 * are case-sensitive). Unparseable input is trimmed and lowercased, so equal strings still match.
 *
 * `https://github.com/Org/Repo.git`, `git@github.com:org/repo.git` and
 * `ssh://git@github.com/org/repo` all give `github.com/org/repo`.
 */
export function normalizeRepoUrl(url: string): string {
  const input = url.trim();
  if (URL_SCHEME.test(input)) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(input);
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined) {
      if (parsed.protocol === 'file:') return trimPath(decodeSafely(parsed.pathname)) || '/';
      if (parsed.hostname !== '') {
        // WHATWG keeps default ports of schemes it does not know (ssh, git): drop those too.
        const port = parsed.port === '' || parsed.port === DEFAULT_PORTS[parsed.protocol] ? '' : `:${parsed.port}`;
        return hostAndPath(`${parsed.hostname}${port}`, parsed.pathname);
      }
    }
  }
  const scp = URL_SCHEME.test(input) ? null : SCP_LIKE.exec(input);
  if (scp !== null) return hostAndPath(scp[1] ?? '', scp[2] ?? '');
  return trimPath(input).toLowerCase();
}

function decodeSafely(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Whether two repository URLs name the same repository (see {@link normalizeRepoUrl}). */
export function sameRepoUrl(a: string, b: string): boolean {
  const left = normalizeRepoUrl(a);
  return left !== '' && left === normalizeRepoUrl(b);
}

/**
 * Whether a push moves `targetRevision`. `HEAD` (or none) follows the default branch: it matches a
 * push to that branch, or to any branch when the payload does not name the default branch (a
 * refresh too many beats a missed one). `refs/heads/x` matches branch x, `refs/tags/x` tag x, a
 * bare name either; a full commit never matches: it is pinned.
 */
export function revisionMatchesPush(push: PushEvent, targetRevision: string | undefined): boolean {
  const revision = targetRevision?.trim() ?? '';
  if (revision === '' || revision === 'HEAD') {
    return push.branch !== undefined && (push.defaultBranch === undefined || push.branch === push.defaultBranch);
  }
  if (FULL_SHA.test(revision)) return false;
  if (revision.startsWith('refs/')) return revision === push.ref;
  return (
    revision === push.branch ||
    revision === push.tag ||
    // git also resolves `heads/x` and `tags/x`.
    (push.branch !== undefined && revision === `heads/${push.branch}`) ||
    (push.tag !== undefined && revision === `tags/${push.tag}`)
  );
}

/**
 * Whether a push concerns an Application source: same repository (one of the push's URLs, see
 * {@link normalizeRepoUrl}) and a revision the push moved (see {@link revisionMatchesPush}).
 * Helm-repository sources (`chart` set) never match: their charts do not come from git.
 */
export function pushMatchesSource(push: PushEvent, source: WebhookSourceRef): boolean {
  if (source.chart !== undefined && source.chart !== '') return false;
  if (!push.repoUrls.some((url) => sameRepoUrl(url, source.repoURL))) return false;
  return revisionMatchesPush(push, source.targetRevision);
}
