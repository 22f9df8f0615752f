import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Options every renderer that runs a binary takes. */
export interface ToolRunOptions {
  /** Kill the binary after this long (default: 60 s for rendering, 120 s for pulling). */
  readonly timeoutMs?: number;
  /** Kill the binary when this aborts (e.g. at shutdown). */
  readonly signal?: AbortSignal;
  /**
   * Kill the binary once its output passes this many bytes (default 256 MiB; renderers pass
   * `RenderLimits.maxTotalBytes`): a template that prints forever must not fill the manager's heap.
   */
  readonly maxOutputBytes?: number;
}

/**
 * How a binary failed: it `exited` non-zero (the input's fault, usually), `timedOut`, printed
 * more than its output cap (`outputTooLarge`, killed), was `aborted` by the caller's signal, or
 * was `notStarted` (missing, not executable).
 */
export type ToolOutcome = 'exited' | 'timedOut' | 'outputTooLarge' | 'aborted' | 'notStarted';

/** A binary that did not succeed; its message is cleaned up and redacted. */
export class ToolFailure extends Error {
  override readonly name = 'ToolFailure';
  /** What the binary said (its stderr, cleaned up and redacted), or why it did not run. */
  readonly detail: string;
  /** How it failed. */
  readonly outcome: ToolOutcome;

  constructor(detail: string, outcome: ToolOutcome) {
    super(detail);
    this.detail = detail;
    this.outcome = outcome;
  }

  /** Whether the failure says something about the input (rather than about this machine). */
  get aboutInput(): boolean {
    return this.outcome === 'exited' || this.outcome === 'timedOut' || this.outcome === 'outputTooLarge';
  }
}

// Credentials in URLs (https://user:token@host/...) must never reach a status condition or a log.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"']+@/gi;

/** `text` with the user-info part of every URL replaced by `***`. */
export function redactUrls(text: string): string {
  return text.replace(URL_USERINFO, '$1***@');
}

/** helm and kubectl say `Error: x` and sometimes a hint about `--debug`; keep the substance. */
export function cleanToolMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '' && !line.startsWith('Use --debug flag') && !line.startsWith('# Warning:') && !/^(WARNING|walk\.go):/.test(line))
    .map((line) => line.replace(/^(Error|error): /, ''));
  return redactUrls(lines.join('\n')).trim();
}

/**
 * `text` with the absolute path `path` taken out, so messages name files relative to the rendered
 * folder and never show private temporary folders.
 */
export function withoutPath(text: string, path: string): string {
  return text.split(`${path}/`).join('').split(path).join('.');
}

interface ExecError extends Error {
  readonly code?: number | string;
  readonly killed?: boolean;
  readonly signal?: NodeJS.Signals | null;
  readonly stderr?: string;
}

const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

/** Options of {@link runTool}. */
export interface RunToolOptions {
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly cwd?: string;
  /** Kill the binary (SIGKILL) once stdout or stderr passes this many bytes; 256 MiB by default. */
  readonly maxOutputBytes?: number;
}

/**
 * Runs `file` with `args` (no shell) and returns its stdout.
 *
 * @throws {@link ToolFailure} when it does not start, exits non-zero or times out.
 */
export function runTool(file: string, args: readonly string[], options: RunToolOptions): Promise<string> {
  // execFile stops reading and kills the child (killSignal) as soon as maxBuffer is passed: at
  // most that much output is ever held.
  const maxOutputBytes = options.maxOutputBytes ?? MAX_OUTPUT_BYTES;
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        env: options.env,
        cwd: options.cwd,
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: maxOutputBytes,
        signal: options.signal,
        encoding: 'utf8',
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout);
          return;
        }
        const failure = error as ExecError;
        if (options.signal?.aborted === true) reject(new ToolFailure('aborted', 'aborted'));
        else if (failure.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') reject(new ToolFailure(`output larger than ${maxOutputBytes} bytes`, 'outputTooLarge'));
        else if (failure.killed === true) reject(new ToolFailure(`timed out after ${options.timeoutMs} ms`, 'timedOut'));
        else if (typeof failure.code === 'string') reject(new ToolFailure(redactUrls(failure.message), 'notStarted'));
        else reject(new ToolFailure(cleanToolMessage(stderr) || `exited with code ${String(failure.code)}`, 'exited'));
      },
    );
  });
}

/** Whether a binary may reach the network (pulling charts) or must not (rendering). */
export type NetworkPolicy = 'none' | 'allowed';

// Nothing listens on the discard port: Go's HTTP client fails every proxied request at once.
const DEAD_PROXY = 'http://127.0.0.1:9';
const PASSED_THROUGH = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'SSL_CERT_FILE', 'SSL_CERT_DIR'];

/**
 * The environment of a helm or kubectl child: nothing of the user's (no kubeconfig, helm repos,
 * registry logins, plugins), HOME and every helm folder in the private `home`. Without network,
 * PATH is empty (kustomize finds no `git` to clone remote bases) and every HTTP request goes
 * through a proxy that refuses connections.
 */
export function isolatedEnv(home: string, network: NetworkPolicy): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    HOME: home,
    TMPDIR: join(home, 'tmp'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_DATA_HOME: join(home, 'data'),
    HELM_CACHE_HOME: join(home, 'helm', 'cache'),
    HELM_CONFIG_HOME: join(home, 'helm', 'config'),
    HELM_DATA_HOME: join(home, 'helm', 'data'),
    KUBECONFIG: join(home, 'kubeconfig-none'),
  };
  if (network === 'none') {
    for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy']) env[name] = DEAD_PROXY;
    env.NO_PROXY = '';
    env.no_proxy = '';
    env.PATH = '';
  } else {
    for (const name of PASSED_THROUGH) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
  }
  return env;
}

/**
 * Runs `use` with a fresh private folder for HOME, helm's folders and temporary files, and removes
 * it afterwards, whatever happens.
 */
export async function withPrivateHome<T>(use: (home: string) => Promise<T>): Promise<T> {
  const home = await mkdtemp(join(tmpdir(), 'beamline-render-'));
  try {
    await mkdir(join(home, 'tmp'), { mode: 0o700 });
    return await use(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
