/**
 * Test fixtures for anything that reads git: real repositories made with the real `git` (commits
 * from a map of path → content, deletions, tags, branches) and a real smart-HTTP server: node:http
 * in front of `git http-backend` as a CGI, on 127.0.0.1, that logs every request (and the protocol
 * v2 command in it: `ls-refs`, `fetch`), can ask for basic auth, and can fail on purpose (503s,
 * stalls, connection refused).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runGit } from '../git-command.ts';

/** A file's content, or a symbolic link to `symlink` (relative or absolute, not checked). */
export type TestFileContent = string | { readonly symlink: string };

/** Files of a commit: path in the repository (`apps/a/deploy.yaml`) → content. */
export type TestFiles = Readonly<Record<string, TestFileContent>>;

/** Options of {@link TestRepository.commit} and {@link TestRepository.deleteFile}. */
export interface TestCommitOptions {
  /** The branch to commit on (created from the current one if missing); the current branch by default. */
  readonly branch?: string;
  readonly message?: string;
}

const IDENTITY: Readonly<Record<string, string>> = {
  GIT_AUTHOR_NAME: 'Beamline Test',
  GIT_AUTHOR_EMAIL: 'test@beamline.invalid',
  GIT_COMMITTER_NAME: 'Beamline Test',
  GIT_COMMITTER_EMAIL: 'test@beamline.invalid',
};

/**
 * A real (non-bare) git repository on disk, on branch `main`, made and changed with the real git.
 * Every change is a commit; methods return the resulting commit sha.
 */
export class TestRepository {
  /** The repository's working folder (what {@link TestRepository.fileUrl} points at). */
  readonly dir: string;
  /** `file://<dir>`. */
  readonly fileUrl: string;
  #commits = 0;

  /** Use {@link createTestRepository}. */
  constructor(dir: string) {
    this.dir = resolve(dir);
    this.fileUrl = `file://${this.dir}`;
  }

  /** Runs `git <args>` in the repository; returns stdout, trimmed. */
  async git(...args: string[]): Promise<string> {
    const { stdout } = await runGit(args, { cwd: this.dir, timeoutMs: 30_000, extraEnv: IDENTITY });
    return stdout.trim();
  }

  /** The full sha of `revision` (`main`, `v1`, `HEAD~1`), peeled to a commit. */
  revParse(revision = 'HEAD'): Promise<string> {
    return this.git('rev-parse', '--verify', `${revision}^{commit}`);
  }

  /** The tree id of `path` at `revision` (what `GitMirrorCache.treeId` must return). */
  treeId(revision: string, path: string): Promise<string> {
    return this.git('rev-parse', '--verify', `${revision}:${path}`);
  }

  async #onBranch<T>(branch: string | undefined, work: () => Promise<T>): Promise<T> {
    if (branch === undefined) return work();
    const current = await this.git('symbolic-ref', '--short', 'HEAD');
    const exists = await this.git('branch', '--list', branch);
    await this.git('checkout', '--quiet', ...(exists === '' ? ['-b'] : []), branch);
    try {
      return await work();
    } finally {
      await this.git('checkout', '--quiet', current);
    }
  }

  /** Writes (or replaces) `files` and commits them. */
  commit(files: TestFiles, options: TestCommitOptions = {}): Promise<string> {
    return this.#onBranch(options.branch, async () => {
      for (const [path, content] of Object.entries(files)) {
        const file = join(this.dir, path);
        await mkdir(dirname(file), { recursive: true });
        await rm(file, { force: true, recursive: true });
        if (typeof content === 'string') await writeFile(file, content);
        else await symlink(content.symlink, file);
      }
      await this.git('add', '--all');
      this.#commits += 1;
      await this.git('commit', '--quiet', '--allow-empty', '-m', options.message ?? `commit ${this.#commits}`);
      return this.revParse();
    });
  }

  /** Removes a file or folder and commits. */
  deleteFile(path: string, options: TestCommitOptions = {}): Promise<string> {
    return this.#onBranch(options.branch, async () => {
      await this.git('rm', '-r', '--quiet', '--', path);
      await this.git('commit', '--quiet', '-m', options.message ?? `delete ${path}`);
      return this.revParse();
    });
  }

  /** Tags `target` (HEAD by default); annotated with a message when `annotated`. Returns the tagged commit. */
  async tag(name: string, options: { readonly target?: string; readonly annotated?: boolean } = {}): Promise<string> {
    const target = options.target ?? 'HEAD';
    await this.git('tag', ...(options.annotated === true ? ['-a', '-m', `tag ${name}`] : []), name, target);
    return this.revParse(name);
  }

  /** Creates (or moves, with `force`) branch `name` at `from` (HEAD by default). Returns its commit. */
  async branch(name: string, from = 'HEAD', options: { readonly force?: boolean } = {}): Promise<string> {
    await this.git('branch', ...(options.force === true ? ['--force'] : []), name, from);
    return this.revParse(name);
  }
}

/** Creates a repository at `dir` on branch `main`, with a first commit of `files` when given. */
export async function createTestRepository(dir: string, files?: TestFiles): Promise<TestRepository> {
  await mkdir(dir, { recursive: true });
  await runGit(['init', '--quiet', '--initial-branch=main', dir], { timeoutMs: 30_000 });
  const repository = new TestRepository(dir);
  if (files !== undefined) await repository.commit(files, { message: 'initial commit' });
  return repository;
}

/** One request the {@link GitServer} received. */
export interface GitRequest {
  readonly method: string;
  /** Path without the query, e.g. `/repo/info/refs` or `/repo/git-upload-pack`. */
  readonly path: string;
  /** `service=` of the query (`git-upload-pack`), if any. */
  readonly service: string | undefined;
  /** The protocol v2 command of a POST (`ls-refs` for ls-remote, `fetch` for a fetch), if any. */
  readonly command: string | undefined;
  /** The status code answered (0 while stalled). */
  readonly status: number;
}

type MutableGitRequest = { -readonly [K in keyof GitRequest]: GitRequest[K] };

/** Options of {@link startGitServer}. */
export interface GitServerOptions {
  /** The folder whose repositories are served: `<origin>/<name>` serves `<root>/<name>`. */
  readonly root: string;
  /** Require HTTP basic auth with these credentials (401 otherwise). */
  readonly auth?: { readonly username: string; readonly password: string };
}

/** A running smart-HTTP git server (see {@link startGitServer}). */
export interface GitServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** Every request received, in order. */
  readonly requests: readonly GitRequest[];
  /** The URL of the repository `<root>/<name>`, optionally with `user:password@`. */
  urlOf(name: string, credentials?: { readonly username: string; readonly password: string }): string;
  /** How many protocol v2 `fetch` commands arrived (each `git fetch` that had something to get sends one). */
  fetchCount(): number;
  /** Answers the next `count` requests with a 503. */
  failNext(count: number): void;
  /** Accepts the next `count` requests and never answers them (for timeouts). */
  stallNext(count: number): void;
  /** Stops listening (connections are refused) and drops open connections; {@link GitServer.up} resumes. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Closes the server and kills any CGI still running. */
  stop(): Promise<void>;
}

function parseCgiHeaders(head: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}

function v2Command(body: Buffer, encoding: string | undefined): string | undefined {
  try {
    const text = (encoding === 'gzip' ? gunzipSync(body) : body).toString('latin1');
    return /command=([a-z-]+)/.exec(text)?.[1];
  } catch {
    return undefined;
  }
}

/** Serves the repositories under `options.root` with the real `git http-backend`, on 127.0.0.1 and a free port. */
export async function startGitServer(options: GitServerOptions): Promise<GitServer> {
  const root = resolve(options.root);
  const requests: GitRequest[] = [];
  const children = new Set<ChildProcessWithoutNullStreams>();
  const sockets = new Set<Socket>();
  const stalled = new Set<ServerResponse>();
  let failing = 0;
  let stalling = 0;

  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const encoding = request.headers['content-encoding'];
      const entry: MutableGitRequest = {
        method: request.method ?? 'GET',
        path: decodeURIComponent(url.pathname),
        service: url.searchParams.get('service') ?? undefined,
        command: request.method === 'POST' ? v2Command(body, encoding) : undefined,
        status: 0,
      };
      requests.push(entry);
      const answer = (status: number, text: string, headers: Record<string, string> = {}): void => {
        entry.status = status;
        response.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(text);
      };
      if (stalling > 0) {
        stalling -= 1;
        stalled.add(response);
        return;
      }
      if (failing > 0) {
        failing -= 1;
        return answer(503, 'unavailable (failNext)\n');
      }
      if (options.auth !== undefined) {
        const expected = `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;
        if (request.headers.authorization !== expected) return answer(401, 'unauthorized\n', { 'www-authenticate': 'Basic realm="git"' });
      }
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_CONFIG_GLOBAL: '/dev/null',
        PATH_INFO: entry.path,
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: entry.method,
        CONTENT_TYPE: request.headers['content-type'] ?? '',
        CONTENT_LENGTH: String(body.length),
        REMOTE_ADDR: '127.0.0.1',
      };
      const protocol = request.headers['git-protocol'];
      if (typeof protocol === 'string') env.HTTP_GIT_PROTOCOL = protocol;
      if (encoding !== undefined) env.HTTP_CONTENT_ENCODING = encoding;
      const cgi = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      children.add(cgi);
      cgi.on('error', () => undefined);
      cgi.stdin.on('error', () => undefined);
      cgi.stdin.end(body);
      cgi.stderr.resume();
      let head = Buffer.alloc(0);
      let started = false;
      cgi.stdout.on('data', (chunk: Buffer) => {
        if (started) {
          response.write(chunk);
          return;
        }
        head = Buffer.concat([head, chunk]);
        const text = head.toString('latin1');
        const crlf = text.indexOf('\r\n\r\n');
        const lf = text.indexOf('\n\n');
        const end = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf + 4 : lf !== -1 ? lf + 2 : -1;
        if (end === -1) return;
        started = true;
        const { status, headers } = parseCgiHeaders(text.slice(0, end));
        entry.status = status;
        response.writeHead(status, headers);
        response.write(head.subarray(end));
      });
      cgi.on('close', () => {
        children.delete(cgi);
        if (started) response.end();
        else if (!response.headersSent) answer(502, 'http-backend ended without headers\n');
      });
    });
  };

  const server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const listen = (port: number): Promise<void> =>
    new Promise((done, fail) => {
      server.once('error', fail);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', fail);
        done();
      });
    });
  const close = (): Promise<void> =>
    new Promise((done) => {
      for (const response of stalled) response.destroy();
      stalled.clear();
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return done();
      server.close(() => done());
    });

  await listen(0);
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    requests,
    urlOf: (name, credentials) =>
      credentials === undefined ? `${origin}/${name}` : `http://${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/${name}`,
    fetchCount: () => requests.filter((entry) => entry.command === 'fetch').length,
    failNext: (count) => {
      failing = count;
    },
    stallNext: (count) => {
      stalling = count;
    },
    down: close,
    up: () => listen(port),
    stop: async () => {
      for (const child of children) child.kill('SIGKILL');
      children.clear();
      await close();
    },
  };
}

/** A repository served over HTTP in a temporary folder (see {@link startGitFixture}). */
export interface GitFixture {
  /** The temporary folder holding the repository (`repo/`) and free for scratch files. */
  readonly root: string;
  readonly repository: TestRepository;
  readonly server: GitServer;
  /** `http://127.0.0.1:<port>/repo`. */
  readonly url: string;
  /** `file://<root>/repo`. */
  readonly fileUrl: string;
  /** Stops the server and removes the folder. */
  stop(): Promise<void>;
}

/**
 * A repository with a first commit of `files` (if given) served by {@link startGitServer} from a
 * new temporary folder: the usual start of a test that reads git.
 */
export async function startGitFixture(options: { readonly files?: TestFiles; readonly auth?: GitServerOptions['auth'] } = {}): Promise<GitFixture> {
  const root = await mkdtemp(join(tmpdir(), 'beamline-git-'));
  try {
    const repository = await createTestRepository(join(root, 'repo'), options.files);
    const server = await startGitServer({ root, auth: options.auth });
    return {
      root,
      repository,
      server,
      url: server.urlOf('repo'),
      fileUrl: repository.fileUrl,
      stop: async () => {
        await server.stop();
        await rm(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
