import { createHash, randomBytes } from 'node:crypto';
import { appendFile, chmod, mkdir, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, posix, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { x as extractTar } from 'tar';
import { GitCommandError, runGit, type GitResult } from './git-command.ts';
import { gitCredentialsId, withGitCredentials, type GitCredentialSetup, type GitCredentials } from './git-credentials.ts';
import { parseGitUrl, type GitUrl } from './git-url.ts';
import { killStaleGit } from './kill-stale-git.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { isSourceError, SourceError, type SourceErrorReason } from './source-error.ts';
import { RenderError } from '../render/render-error.ts';

/** Options of {@link GitMirrorCache}. */
export interface GitMirrorCacheOptions {
  /** The folder holding one bare mirror per repository. Owned by this process alone (see the class). */
  readonly root: string;
  /** The git executable; `git` (from PATH) by default. */
  readonly gitBinary?: string;
  /** The environment git starts from; `process.env` by default (see `gitEnvironment`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Read `~/.gitconfig` and `/etc/gitconfig` (credential helpers, `insteadOf`); off by default. */
  readonly inheritGitConfig?: boolean;
  /** Limit of a `git ls-remote`; 60s by default. */
  readonly remoteTimeoutMs?: number;
  /** Limit of a `git fetch` (a first fetch of a large repository takes a while); 10 min by default. */
  readonly fetchTimeoutMs?: number;
  /** Limit of a local command (`cat-file`, `archive`); 2 min by default. */
  readonly localTimeoutMs?: number;
}

/** A file of a commit, as `git ls-tree -r` lists it. */
export interface GitFileEntry {
  /** `100644`, `100755` (files), `120000` (symbolic links), `160000` (submodules). */
  readonly mode: string;
  /** `blob` or `commit` (a submodule). */
  readonly type: string;
  readonly id: string;
  /** Relative to the repository's root, `/`-separated. */
  readonly path: string;
  /** The size in bytes (of a blob; a link's is the length of its target; 0 for a submodule), known before anything is read. */
  readonly size: number;
}

/** Caps on an export, checked on git's listing before writing and again on every entry while extracting. */
export interface ExportLimits {
  /** Files (and links) the export may hold. */
  readonly maxFiles: number;
  /** Bytes of one file. */
  readonly maxFileBytes: number;
  /** Bytes of all files together. */
  readonly maxTotalBytes: number;
}

/** What {@link GitMirrorCache.ensureCommit} did. */
export interface EnsureCommitResult {
  /** Whether it had to fetch (false: the commit was already in the mirror, nothing went over the wire). */
  readonly fetched: boolean;
}

const FULL_SHA = /^[0-9a-fA-F]{40}$/;
const ABBREVIATED_SHA = /^[0-9a-fA-F]{4,39}$/;
const LOCAL_REFS = 'refs/beamline';

/**
 * The mirror folder name of a repository URL: sha256 of its normalised form ({@link GitUrl.key}),
 * and of the identity of the credentials it is read with (those in `credentials`, or userinfo in
 * the URL) when there are any: what one set of credentials fetched is never served to another.
 */
export function mirrorFolderName(url: string, credentials?: GitCredentials): string {
  return mirrorId(parseGitUrl(url), credentials);
}

function mirrorId(gitUrl: GitUrl, credentials: GitCredentials | undefined): string {
  const hash = createHash('sha256').update(gitUrl.key);
  // Without credentials the name is that of earlier versions: their mirrors are reused.
  if (credentials !== undefined) hash.update(`\0credentials:${gitCredentialsId(credentials)}`);
  if (gitUrl.authorization !== undefined) hash.update(`\0userinfo:${createHash('sha256').update(gitUrl.authorization).digest('hex')}`);
  return hash.digest('hex');
}

/** A parsed URL with the credentials it is read with and the mirror that belongs to both. */
interface Remote extends GitUrl {
  readonly credentials: GitCredentials | undefined;
  /** The mirror's folder name ({@link mirrorFolderName}); also its mutex key. */
  readonly mirror: string;
}

function remoteOf(url: string, credentials: GitCredentials | undefined): Remote {
  const gitUrl = parseGitUrl(url);
  return { ...gitUrl, credentials, mirror: mirrorId(gitUrl, credentials) };
}

/** Where ssh keys live while a command runs (see withGitCredentials); removed on start. */
const CREDENTIALS_FOLDER = '.credentials';

/**
 * Whether `revision` is acceptable as a branch, tag, ref or commit name: git's `check-ref-format`
 * rules (one-level names allowed) plus no leading `-`, so it can never be read as an option or
 * change a refspec.
 */
export function isValidRevision(revision: string): boolean {
  if (revision === '' || revision.length > 1024 || revision === '@') return false;
  for (let i = 0; i < revision.length; i++) {
    const code = revision.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return false;
  }
  if (/[~^:?*[\\]/.test(revision)) return false;
  if (revision.startsWith('-') || revision.startsWith('/') || revision.endsWith('/') || revision.endsWith('.')) return false;
  if (revision.includes('..') || revision.includes('//') || revision.includes('@{')) return false;
  return revision.split('/').every((part) => !part.startsWith('.') && !part.endsWith('.lock'));
}

/**
 * A folder inside a repository in canonical form: no leading, trailing or doubled `/`, no `.`
 * segments; `''` is the repository's root. Returns `undefined` for a path that leaves the
 * repository (`..`) or holds a NUL or newline.
 */
export function normaliseSourcePath(path: string): string | undefined {
  if (path.includes('\0') || path.includes('\n')) return undefined;
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return undefined;
  return parts.join('/');
}

/** The local ref a fetched revision is kept under, so gc never drops what was fetched. */
function localRef(revision: string): string {
  return `${LOCAL_REFS}/revisions/${revision.replaceAll('%', '%25').replaceAll('/', '%2F')}`;
}

function classify(error: GitCommandError): SourceErrorReason {
  if (error.timedOut) return 'Unreachable';
  const text = error.stderr;
  if (
    /Authentication failed|could not read (Username|Password)|terminal prompts disabled|returned error: 40[13]|Permission denied \(|Host key verification failed|HTTP Basic: Access denied/i.test(
      text,
    )
  ) {
    return 'AuthenticationFailed';
  }
  if (/couldn't find remote ref|not our ref|no such remote ref|unadvertised object|not a valid object name|invalid refspec/i.test(text)) return 'RevisionNotFound';
  return 'Unreachable';
}

function why(error: GitCommandError): string {
  if (error.timedOut) return error.message.replace(/^git .* (timed out)/, '$1');
  return error.firstErrorLine;
}

/**
 * A cache of bare git mirrors, one per repository under `root/<sha256 of the normalised URL>/`,
 * driven through the real `git` CLI (no shell, every call with a timeout, no prompts, only the
 * http, https, ssh and file transports).
 *
 * - Branches and tags are resolved with `git ls-remote` (no fetch); a full sha is taken as is.
 * - {@link GitMirrorCache.ensureCommit} fetches only when the commit is missing, and only the ref
 *   (or the commit) asked for, with `--no-tags`: git's negotiation sends only the new objects.
 * - {@link GitMirrorCache.treeId} is the render cache key: a commit that does not touch a folder
 *   keeps its tree id.
 *
 * Operations on one mirror run one at a time (an in-process mutex per mirror); different
 * repositories run in parallel. The cache root belongs to one process: two manager processes must
 * each have their own (nothing locks a mirror across processes; stale git lock files left by a
 * killed command are removed when a mirror is first opened).
 *
 * Mirrors are per repository *and credentials* ({@link mirrorFolderName}): a caller without
 * credentials (or with others) gets its own mirror, so a private commit another caller fetched is
 * never served to it from disk; its fetch asks the server, which refuses. Credentials are given to
 * git through the environment and private files, never on a command line or in a URL (see
 * {@link withGitCredentials}).
 *
 * The root is made owner-only (0700). When the cache is first used, git processes a previous
 * process left running in it (killed without a chance to stop them) are killed, and leftover ssh
 * key files removed.
 */
export class GitMirrorCache {
  /** The cache folder. */
  readonly root: string;
  readonly #gitBinary: string | undefined;
  readonly #env: NodeJS.ProcessEnv | undefined;
  readonly #inheritGitConfig: boolean;
  readonly #remoteTimeoutMs: number;
  readonly #fetchTimeoutMs: number;
  readonly #localTimeoutMs: number;
  readonly #mutex = new KeyedMutex();
  readonly #opened = new Set<string>();
  #prepared: Promise<void> | undefined;

  /** A cache under `options.root` (created on first use). */
  constructor(options: GitMirrorCacheOptions) {
    this.root = resolve(options.root);
    this.#gitBinary = options.gitBinary;
    this.#env = options.env;
    this.#inheritGitConfig = options.inheritGitConfig ?? false;
    this.#remoteTimeoutMs = options.remoteTimeoutMs ?? 60_000;
    this.#fetchTimeoutMs = options.fetchTimeoutMs ?? 600_000;
    this.#localTimeoutMs = options.localTimeoutMs ?? 120_000;
  }

  /** The mirror folder of `url` (which may not exist yet). Throws `InvalidUrl` for a refused URL. */
  mirrorPath(url: string, credentials?: GitCredentials): string {
    return join(this.root, mirrorFolderName(url, credentials));
  }

  /**
   * Resolves a revision to a full commit sha:
   * - a full (40 hex) sha is returned as is, lowercased, without contacting the server;
   * - `HEAD`, a full ref (`refs/heads/main`, `refs/pull/1/head`) or a short name through
   *   `git ls-remote`: tags first, then branches (git's own order); annotated tags give the
   *   commit they point at;
   * - otherwise an abbreviated sha (4 to 39 hex) is looked up in the mirror, fetching every branch
   *   and tag once if it is not there.
   *
   * @throws {SourceError} `RevisionNotFound` (unknown or invalid revision), `Unreachable`,
   *   `AuthenticationFailed`, `InvalidUrl`.
   */
  async resolve(url: string, revision: string, credentials?: GitCredentials): Promise<string> {
    const gitUrl = remoteOf(url, credentials);
    this.#checkRevision(gitUrl, revision);
    if (FULL_SHA.test(revision)) return revision.toLowerCase();

    const refs = await this.#lsRemote(gitUrl, revision);
    const candidates = revision === 'HEAD' || revision.startsWith('refs/') ? [revision] : [`refs/tags/${revision}`, `refs/heads/${revision}`];
    for (const candidate of candidates) {
      const sha = refs.get(`${candidate}^{}`) ?? refs.get(candidate);
      if (sha !== undefined) return sha;
    }
    if (ABBREVIATED_SHA.test(revision)) {
      return this.#mutex.run(gitUrl.mirror, async () => {
        const dir = await this.#open(gitUrl);
        const found = await this.#revParseCommit(dir, revision);
        if (found !== undefined) return found;
        await this.#fetch(gitUrl, dir, ['--prune', `+refs/heads/*:${LOCAL_REFS}/heads/*`, `+refs/tags/*:${LOCAL_REFS}/tags/*`], revision);
        const fetched = await this.#revParseCommit(dir, revision);
        if (fetched !== undefined) return fetched;
        throw this.#notFound(gitUrl, revision, 'no branch or tag by that name, and no commit reachable from one starts with it (or more than one does)');
      });
    }
    throw this.#notFound(gitUrl, revision, 'no branch or tag by that name');
  }

  /**
   * Makes sure the commit (and everything it references) is in the mirror. Fetches only when it
   * is missing: `ref` (the branch or tag the sha was resolved from, short or full) if given and
   * still containing the commit, else the commit itself. Fetches use `--no-tags` and full depth,
   * so the server sends only the objects the mirror lacks.
   *
   * @throws {SourceError} `RevisionNotFound` (the server has no such commit or does not let it be
   *   fetched), `Unreachable`, `AuthenticationFailed`, `InvalidUrl`.
   */
  async ensureCommit(url: string, sha: string, ref?: string, credentials?: GitCredentials): Promise<EnsureCommitResult> {
    const gitUrl = remoteOf(url, credentials);
    const commit = this.#checkSha(gitUrl, sha);
    if (ref !== undefined) this.#checkRevision(gitUrl, ref);
    return this.#mutex.run(gitUrl.mirror, async () => this.#ensureCommit(gitUrl, await this.#open(gitUrl), commit, ref));
  }

  /**
   * The id of the tree at `path` (a folder; `''` or `.` for the repository's root) in the commit:
   * `git rev-parse <sha>:<path>`. It changes exactly when something under the folder changes, so
   * it keys rendered output. Fetches the commit first if the mirror lacks it.
   *
   * @throws {SourceError} `PathNotFound` (missing, a file, or leaving the repository), and those
   *   of {@link GitMirrorCache.ensureCommit}.
   */
  async treeId(url: string, sha: string, path: string, credentials?: GitCredentials): Promise<string> {
    const gitUrl = remoteOf(url, credentials);
    const commit = this.#checkSha(gitUrl, sha);
    const folder = this.#checkPath(gitUrl, commit, path);
    return this.#mutex.run(gitUrl.mirror, async () => {
      const dir = await this.#open(gitUrl);
      await this.#ensureCommit(gitUrl, dir, commit, undefined);
      return this.#treeId(gitUrl, dir, commit, folder);
    });
  }

  /**
   * Every folder of the commit with its tree id, in one `git ls-tree -r -d` (the root as `''`):
   * a caller with many apps in one repository looks their tree ids up here instead of running
   * {@link GitMirrorCache.treeId} once per app. Fetches the commit first if the mirror lacks it.
   *
   * @throws {SourceError} those of {@link GitMirrorCache.ensureCommit}.
   */
  async listTrees(url: string, sha: string, credentials?: GitCredentials): Promise<Map<string, string>> {
    const gitUrl = remoteOf(url, credentials);
    const commit = this.#checkSha(gitUrl, sha);
    return this.#mutex.run(gitUrl.mirror, async () => {
      const dir = await this.#open(gitUrl);
      await this.#ensureCommit(gitUrl, dir, commit, undefined);
      const trees = new Map<string, string>([['', await this.#treeId(gitUrl, dir, commit, '')]]);
      let stdout: string;
      try {
        // -z: paths are NUL-terminated and never quoted, whatever characters they hold.
        ({ stdout } = await this.#run(['--git-dir', dir, 'ls-tree', '-r', '-d', '-z', '--full-tree', commit], this.#localTimeoutMs));
      } catch (error) {
        throw new Error(`failed to list the folders of ${commit} in the mirror of ${gitUrl.display}: ${(error as Error).message}`, { cause: error });
      }
      for (const record of stdout.split('\0')) {
        const tab = record.indexOf('\t');
        if (tab === -1) continue;
        const [, type, id] = record.slice(0, tab).split(' ');
        if (type === 'tree' && id !== undefined) trees.set(record.slice(tab + 1), id);
      }
      return trees;
    });
  }

  /**
   * Every file of the commit (blobs, links and submodules; not folders) with its mode, object id
   * and size, in one `git ls-tree -r -l`: with {@link GitMirrorCache.readBlobs}, a folder of
   * manifests is read without writing it to disk, and its sizes are known before anything is read.
   * Fetches the commit first if the mirror lacks it.
   *
   * @throws {SourceError} those of {@link GitMirrorCache.ensureCommit}.
   */
  async listFiles(url: string, sha: string, credentials?: GitCredentials): Promise<GitFileEntry[]> {
    const gitUrl = remoteOf(url, credentials);
    const commit = this.#checkSha(gitUrl, sha);
    return this.#mutex.run(gitUrl.mirror, async () => {
      const dir = await this.#open(gitUrl);
      await this.#ensureCommit(gitUrl, dir, commit, undefined);
      let stdout: string;
      try {
        ({ stdout } = await this.#run(['--git-dir', dir, 'ls-tree', '-r', '-l', '-z', '--full-tree', commit], this.#localTimeoutMs));
      } catch (error) {
        throw new Error(`failed to list the files of ${commit} in the mirror of ${gitUrl.display}: ${(error as Error).message}`, { cause: error });
      }
      const files: GitFileEntry[] = [];
      for (const record of stdout.split('\0')) {
        const tab = record.indexOf('\t');
        if (tab === -1) continue;
        // `<mode> <type> <id> <size, padded with spaces or - for a submodule>\t<path>`
        const [mode = '', type = '', id = '', size = ''] = record.slice(0, tab).split(' ').filter((field) => field !== '');
        files.push({ mode, type, id, path: record.slice(tab + 1), size: Number(size) || 0 });
      }
      return files;
    });
  }

  /**
   * The contents of blobs by object id, through one `git cat-file --batch`. Reads only: runs
   * beside other work on the mirror (git's object store is safe to read while a fetch adds to it).
   * Callers check sizes first ({@link GitFileEntry.size}); `options.maxBytes` (64 MiB by default)
   * still bounds what is held: past it, git is killed and the read fails.
   *
   * @throws Error when an object is missing or not a blob, or the blobs are larger than `maxBytes`.
   */
  async readBlobs(url: string, ids: readonly string[], credentials?: GitCredentials, options: { readonly maxBytes?: number } = {}): Promise<Map<string, Buffer>> {
    const gitUrl = remoteOf(url, credentials);
    const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    for (const id of ids) if (!FULL_SHA.test(id)) throw new Error(`failed to read blob ${JSON.stringify(id)} from ${gitUrl.display}: not an object id`);
    const dir = await this.#mutex.run(gitUrl.mirror, () => this.#open(gitUrl));
    const chunks: Buffer[] = [];
    let read = 0;
    try {
      await this.#run(['--git-dir', dir, 'cat-file', '--batch'], this.#localTimeoutMs, {
        input: ids.map((id) => `${id}\n`).join(''),
        consumeStdout: async (stdout) => {
          for await (const chunk of stdout) {
            read += (chunk as Buffer).length;
            // Each answer's header and newline take a few bytes on top of the contents.
            if (read > maxBytes + ids.length * 64) throw new Error(`the blobs are larger than ${maxBytes} bytes`);
            chunks.push(chunk as Buffer);
          }
        },
      });
    } catch (error) {
      throw new Error(`failed to read ${ids.length} blobs from the mirror of ${gitUrl.display}: ${(error as Error).message}`, { cause: error });
    }
    // Each answer: `<id> <type> <size>\n<size bytes>\n`, or `<id> missing\n`.
    const out = Buffer.concat(chunks);
    const blobs = new Map<string, Buffer>();
    let at = 0;
    while (at < out.length) {
      const end = out.indexOf(10, at);
      if (end === -1) break;
      const [id = '', type = '', size = ''] = out.subarray(at, end).toString('latin1').split(' ');
      if (type !== 'blob') throw new Error(`failed to read blob ${id} from the mirror of ${gitUrl.display}: ${type === 'missing' ? 'missing' : `a ${type}, not a blob`}`);
      const length = Number(size);
      blobs.set(id, out.subarray(end + 1, end + 1 + length));
      at = end + 1 + length + 1;
    }
    return blobs;
  }

  /**
   * Writes the files of the folder at `path` in the commit into `targetDir` (created; it must be
   * missing or empty), through `git archive` of the folder's tree: the folder's content at the
   * top, no `.git`, file modes as in git (0644/0755), symlinks as symlinks. `.gitattributes`
   * `export-ignore`/`export-subst` are ignored, so the files are those of a checkout.
   * `options.treeId`, the folder's tree id as {@link GitMirrorCache.listTrees} or
   * {@link GitMirrorCache.treeId} gave it for this commit, saves looking it up again.
   *
   * Refuses (a `RenderError` `OutsideSource` naming the link) a symlink that leads outside the
   * folder, absolute or through `..` or through other symlinks, or that resolves nowhere: the
   * renderers run in the export and must never read the manager's own files. With
   * `options.limits`, every entry is checked while extracting, before its bytes are written, and
   * the first file over a cap stops the export (a `RenderError` `LimitExceeded` naming it). On any
   * failure `targetDir` is removed. Returns the folder's tree id.
   *
   * @throws {RenderError} `OutsideSource`, `LimitExceeded`.
   * @throws {SourceError} `InvalidContent` (an entry that is neither file, folder nor link), and
   *   those of {@link GitMirrorCache.treeId}.
   */
  async export(
    url: string,
    sha: string,
    path: string,
    targetDir: string,
    options: { readonly treeId?: string; readonly credentials?: GitCredentials; readonly limits?: ExportLimits } = {},
  ): Promise<string> {
    const gitUrl = remoteOf(url, options.credentials);
    const commit = this.#checkSha(gitUrl, sha);
    const folder = this.#checkPath(gitUrl, commit, path);
    const target = resolve(targetDir);
    const known = options.treeId !== undefined && FULL_SHA.test(options.treeId) ? options.treeId.toLowerCase() : undefined;
    return this.#mutex.run(gitUrl.mirror, async () => {
      const dir = await this.#open(gitUrl);
      // A tree id from listTrees/treeId of this commit: the commit is in the mirror already, and
      // two git processes fewer per export count when a thousand apps export at once.
      if (known === undefined) await this.#ensureCommit(gitUrl, dir, commit, undefined);
      const tree = known ?? (await this.#treeId(gitUrl, dir, commit, folder));
      await mkdir(target, { recursive: true });
      if ((await readdir(target)).length > 0) throw new Error(`failed to export ${gitUrl.display} into ${target}: the folder is not empty`);
      try {
        await this.#extract(gitUrl, dir, commit, folder, tree, target, options.limits);
      } catch (error) {
        // An extraction stopped mid-way may still be finishing a file: retry on ENOTEMPTY.
        await rm(target, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
        throw error;
      }
      return tree;
    });
  }

  #checkRevision(gitUrl: Remote, revision: string): void {
    if (!isValidRevision(revision)) {
      throw new SourceError('RevisionNotFound', `failed to resolve ${JSON.stringify(revision)} in ${gitUrl.display}: not a valid branch, tag or commit name`, {
        url: gitUrl.display,
        revision,
      });
    }
  }

  #checkSha(gitUrl: Remote, sha: string): string {
    if (!FULL_SHA.test(sha)) {
      throw new SourceError('RevisionNotFound', `failed to find commit ${JSON.stringify(sha)} in ${gitUrl.display}: not a full (40 hex) commit sha`, {
        url: gitUrl.display,
        revision: sha,
      });
    }
    return sha.toLowerCase();
  }

  #checkPath(gitUrl: Remote, sha: string, path: string): string {
    const folder = normaliseSourcePath(path);
    if (folder === undefined) {
      throw new SourceError('PathNotFound', `failed to find path ${JSON.stringify(path)} at ${sha} in ${gitUrl.display}: the path leaves the repository`, {
        url: gitUrl.display,
        revision: sha,
        path,
      });
    }
    return folder;
  }

  #notFound(gitUrl: Remote, revision: string, detail: string): SourceError {
    return new SourceError('RevisionNotFound', `failed to resolve ${JSON.stringify(revision)} in ${gitUrl.display}: ${detail}`, { url: gitUrl.display, revision });
  }

  #run(
    args: readonly string[],
    timeoutMs: number,
    extra: { gitUrl?: Remote; input?: string; consumeStdout?: (stdout: Readable) => Promise<void> } = {},
  ): Promise<GitResult> {
    const authorization = extra.gitUrl?.authorization;
    const run = (setup: GitCredentialSetup): Promise<GitResult> =>
      runGit(args, {
        timeoutMs,
        gitBinary: this.#gitBinary,
        env: this.#env,
        inheritGitConfig: this.#inheritGitConfig,
        // The cache root as working folder: a git left behind by a killed process is recognised by it.
        cwd: this.root,
        config: [...(authorization === undefined ? [] : [['http.extraHeader', `Authorization: ${authorization}`] as const]), ...setup.config],
        extraEnv: setup.extraEnv,
        input: extra.input,
        consumeStdout: extra.consumeStdout,
      });
    this.#prepared ??= this.#prepare().catch((error: unknown) => {
      this.#prepared = undefined;
      throw error;
    });
    // Only commands that talk to the server get credentials; local ones never see them.
    return this.#prepared.then(() => (extra.gitUrl === undefined ? run({ config: [], extraEnv: {} }) : withGitCredentials(extra.gitUrl.credentials, extra.gitUrl, join(this.root, CREDENTIALS_FOLDER), run)));
  }

  /**
   * Makes the root (owner-only: mirrors of private repositories are inside), removes ssh key files
   * and kills git processes a previous process left in it.
   */
  async #prepare(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await chmod(this.root, 0o700);
    await rm(join(this.root, CREDENTIALS_FOLDER), { recursive: true, force: true });
    await killStaleGit(this.root);
  }

  async #lsRemote(gitUrl: Remote, revision: string): Promise<Map<string, string>> {
    // Ask only for the namespaces the revision can be in: with protocol v2 the server then sends
    // just those (not, say, GitHub's thousands of refs/pull/*).
    const flags =
      revision.startsWith('refs/heads/') ? ['--heads']
      : revision.startsWith('refs/tags/') ? ['--tags']
      : revision === 'HEAD' || revision.startsWith('refs/') ? []
      : ['--heads', '--tags'];
    let result: GitResult;
    try {
      result = await this.#run(['ls-remote', ...flags, '--', gitUrl.url], this.#remoteTimeoutMs, { gitUrl });
    } catch (error) {
      throw this.#remoteError(error, gitUrl, `failed to resolve ${JSON.stringify(revision)} in`, revision);
    }
    const refs = new Map<string, string>();
    for (const line of result.stdout.split('\n')) {
      const [sha, name] = line.split('\t');
      if (sha !== undefined && name !== undefined && FULL_SHA.test(sha)) refs.set(name, sha.toLowerCase());
    }
    return refs;
  }

  #remoteError(error: unknown, gitUrl: Remote, action: string, revision: string): Error {
    if (!(error instanceof GitCommandError)) return error instanceof Error ? error : new Error(String(error));
    return new SourceError(classify(error), `${action} ${gitUrl.display}: ${why(error)}`, { url: gitUrl.display, revision, cause: error });
  }

  async #fetch(gitUrl: Remote, dir: string, refspecs: readonly string[], revision: string): Promise<void> {
    const options = refspecs.filter((spec) => spec.startsWith('--'));
    const specs = refspecs.filter((spec) => !spec.startsWith('--'));
    try {
      await this.#run(
        ['--git-dir', dir, 'fetch', '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', ...options, '--', gitUrl.url, ...specs],
        this.#fetchTimeoutMs,
        { gitUrl },
      );
    } catch (error) {
      // A command killed mid-way may leave lock files, and a mirror removed behind our back must be
      // made again: either way, open it afresh next time.
      if (error instanceof GitCommandError && (error.timedOut || /not a git repository/i.test(error.stderr))) this.#opened.delete(dir);
      throw this.#remoteError(error, gitUrl, `failed to fetch ${JSON.stringify(revision)} from`, revision);
    }
  }

  async #hasCommit(dir: string, sha: string): Promise<boolean> {
    try {
      await this.#run(['--git-dir', dir, 'cat-file', '-e', `${sha}^{commit}`], this.#localTimeoutMs);
      return true;
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode !== undefined && !error.timedOut) return false;
      throw new Error(`failed to look up commit ${sha} in ${dir}: ${(error as Error).message}`, { cause: error });
    }
  }

  async #revParseCommit(dir: string, abbreviated: string): Promise<string | undefined> {
    try {
      const { stdout } = await this.#run(['--git-dir', dir, 'rev-parse', '--verify', '--quiet', `${abbreviated.toLowerCase()}^{commit}`], this.#localTimeoutMs);
      const sha = stdout.trim();
      return FULL_SHA.test(sha) ? sha : undefined;
    } catch (error) {
      if (error instanceof GitCommandError && error.exitCode !== undefined && !error.timedOut) return undefined;
      throw new Error(`failed to look up commit ${abbreviated} in ${dir}: ${(error as Error).message}`, { cause: error });
    }
  }

  async #ensureCommit(gitUrl: Remote, dir: string, sha: string, ref: string | undefined): Promise<EnsureCommitResult> {
    if (await this.#hasCommit(dir, sha)) return { fetched: false };
    if (ref !== undefined && ref.toLowerCase() !== sha) {
      try {
        await this.#fetch(gitUrl, dir, [`+${ref}:${localRef(ref)}`], ref);
      } catch (error) {
        // The ref is gone or moved on: the commit itself may still be fetchable.
        if (!isSourceError(error, 'RevisionNotFound')) throw error;
      }
      if (await this.#hasCommit(dir, sha)) return { fetched: true };
    }
    try {
      await this.#fetch(gitUrl, dir, [`+${sha}:${localRef(sha)}`], sha);
    } catch (error) {
      if (!isSourceError(error, 'RevisionNotFound')) throw error;
      throw new SourceError(
        'RevisionNotFound',
        `failed to fetch commit ${sha} from ${gitUrl.display}: ${ref === undefined ? '' : `not reachable from ${JSON.stringify(ref)}, and `}the server does not have it or does not allow fetching it (${(error.cause as GitCommandError).firstErrorLine})`,
        { url: gitUrl.display, revision: sha, cause: error.cause },
      );
    }
    if (!(await this.#hasCommit(dir, sha))) {
      throw new SourceError('RevisionNotFound', `failed to fetch commit ${sha} from ${gitUrl.display}: the object fetched is not a commit`, {
        url: gitUrl.display,
        revision: sha,
      });
    }
    return { fetched: true };
  }

  async #treeId(gitUrl: Remote, dir: string, sha: string, folder: string): Promise<string> {
    // `--batch-check` reads the name from stdin: the path is taken literally, never as an option.
    let line: string;
    try {
      const { stdout } = await this.#run(['--git-dir', dir, 'cat-file', '--batch-check'], this.#localTimeoutMs, { input: `${sha}:${folder}\n` });
      line = stdout.trim();
    } catch (error) {
      throw new Error(`failed to look up ${sha}:${folder} in the mirror of ${gitUrl.display}: ${(error as Error).message}`, { cause: error });
    }
    const [id = '', type] = line.split(' ');
    if (type === 'tree' && FULL_SHA.test(id)) return id;
    const shown = folder === '' ? '.' : folder;
    throw new SourceError(
      'PathNotFound',
      `failed to find path ${JSON.stringify(shown)} at ${sha} in ${gitUrl.display}: ${type === undefined || type === 'missing' || line.endsWith(' missing') ? 'no such folder' : `not a folder (a ${type})`}`,
      { url: gitUrl.display, revision: sha, path: shown },
    );
  }

  async #extract(gitUrl: Remote, dir: string, sha: string, folder: string, tree: string, target: string, limits: ExportLimits | undefined): Promise<void> {
    const shown = folder === '' ? '.' : folder;
    const refuse = (detail: string): SourceError =>
      new SourceError('InvalidContent', `failed to export ${JSON.stringify(shown)} at ${sha} from ${gitUrl.display}: ${detail}`, {
        url: gitUrl.display,
        revision: sha,
        path: shown,
      });
    // Links and sizes are the content's fault, not the fetch's: render errors, naming the file.
    const linkOut = (name: string, detail: string): RenderError =>
      new RenderError('OutsideSource', `failed to export ${JSON.stringify(shown)}: symlink ${JSON.stringify(name)} ${detail}`, { file: name });
    const overLimit = (name: string, detail: string): RenderError =>
      new RenderError('LimitExceeded', `failed to export ${JSON.stringify(shown)}: ${detail}`, { file: name });
    let refused: SourceError | RenderError | undefined;
    let files = 0;
    let bytes = 0;
    // Checked on each tar header, before the entry's bytes are written; the first breach stops
    // the extraction (and so git) at once.
    const overCap = (entryPath: string, size: number): RenderError | undefined => {
      if (limits === undefined) return undefined;
      files += 1;
      bytes += size;
      if (files > limits.maxFiles) return overLimit(entryPath, `more than ${limits.maxFiles} files (the limit of files per export), ${entryPath} is one too many`);
      if (size > limits.maxFileBytes) return overLimit(entryPath, `${entryPath} is ${size} bytes, more than the limit of ${limits.maxFileBytes} bytes per file`);
      if (bytes > limits.maxTotalBytes) return overLimit(entryPath, `the files up to ${entryPath} make more than ${limits.maxTotalBytes} bytes, the limit per export`);
      return undefined;
    };
    const extractor = extractTar({
      cwd: target,
      strict: true,
      preserveOwner: false,
      filter: (entryPath, entry) => {
        if (!('type' in entry)) return true;
        if (entry.type === 'Directory') return true;
        if (entry.type === 'File' || entry.type === 'SymbolicLink') {
          const breach = overCap(entryPath, entry.type === 'File' ? entry.size : 0);
          if (breach !== undefined) {
            refused ??= breach;
            queueMicrotask(() => extractor.abort(breach));
            return false;
          }
        }
        if (entry.type === 'File') return true;
        if (entry.type === 'SymbolicLink') {
          const link = entry.linkpath ?? '';
          const landing = posix.normalize(posix.join(posix.dirname(entryPath), link));
          if (link === '' || posix.isAbsolute(link) || landing === '..' || landing.startsWith('../')) {
            refused ??= linkOut(entryPath, `points outside the folder (${JSON.stringify(link)})`);
            return false;
          }
          return true;
        }
        refused ??= refuse(`unexpected ${entry.type} entry ${JSON.stringify(entryPath)}`);
        return false;
      },
    });
    try {
      await this.#run(['--git-dir', dir, 'archive', '--format=tar', tree], this.#localTimeoutMs, {
        consumeStdout: (stdout) =>
          new Promise<void>((done, fail) => {
            extractor.on('error', fail);
            extractor.on('close', () => done());
            stdout.on('error', fail);
            stdout.pipe(extractor);
          }),
      });
    } catch (error) {
      if (refused !== undefined) throw refused;
      throw new Error(`failed to export ${JSON.stringify(shown)} at ${sha} from ${gitUrl.display}: ${(error as Error).message}`, { cause: error });
    }
    if (refused !== undefined) throw refused;

    // Symlinks chained through other symlinks can leave the folder although each looks inside.
    const root = await realpath(target);
    const entries = await readdir(target, { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isSymbolicLink()) continue;
      const full = join(entry.parentPath, entry.name);
      const name = full.slice(target.length + 1).split(sep).join('/');
      let landing: string;
      try {
        landing = await realpath(full);
      } catch {
        throw linkOut(name, 'does not resolve to anything inside the folder');
      }
      if (landing !== root && !landing.startsWith(`${root}${sep}`)) throw linkOut(name, 'points outside the folder');
    }
  }

  async #open(gitUrl: Remote): Promise<string> {
    const dir = join(this.root, gitUrl.mirror);
    if (this.#opened.has(dir)) return dir;
    const exists = await stat(join(dir, 'HEAD')).then(
      () => true,
      () => false,
    );
    if (exists) {
      await removeStaleLocks(dir);
    } else {
      await rm(dir, { recursive: true, force: true });
      await this.#init(gitUrl, dir);
    }
    this.#opened.add(dir);
    return dir;
  }

  async #init(gitUrl: Remote, dir: string): Promise<void> {
    // Built aside and renamed into place: a half-made mirror never has the final name.
    const partial = `${dir}.init-${randomBytes(4).toString('hex')}`;
    try {
      await this.#run(['init', '--bare', '--quiet', '--template=', partial], this.#localTimeoutMs);
      // transfer.unpackLimit=1: every fetch lands as one pack, which appears whole or not at all (a
      // killed unpack-objects could leave a commit without its trees). gc.autoDetach=false: the
      // occasional auto gc runs inside the fetch, under the mirror's mutex.
      await appendFile(join(partial, 'config'), '[core]\n\tlogAllRefUpdates = false\n[gc]\n\tautoDetach = false\n[transfer]\n\tunpackLimit = 1\n');
      await mkdir(join(partial, 'info'), { recursive: true });
      // Exports are checkouts: the repository's own .gitattributes must not drop or rewrite files.
      await writeFile(join(partial, 'info', 'attributes'), '* -export-ignore -export-subst\n');
      await writeFile(join(partial, 'beamline-source.json'), `${JSON.stringify({ key: gitUrl.key, created: new Date().toISOString() }, undefined, 2)}\n`);
      await rename(partial, dir);
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      throw new Error(`failed to create the mirror of ${gitUrl.display} in ${dir}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** Removes `*.lock` files a killed git left in a mirror (only this process uses it, see GitMirrorCache). */
async function removeStaleLocks(dir: string): Promise<void> {
  const top = await readdir(dir);
  const locks = top.filter((name) => name.endsWith('.lock')).map((name) => join(dir, name));
  const refs = await readdir(join(dir, 'refs'), { recursive: true }).catch(() => [] as string[]);
  locks.push(...refs.filter((name) => name.endsWith('.lock')).map((name) => join(dir, 'refs', name)));
  await Promise.all(locks.map((file) => rm(file, { force: true })));
}
