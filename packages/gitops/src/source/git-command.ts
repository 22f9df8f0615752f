import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { redactCredentials } from './git-url.ts';

/** How to run one git command (see {@link runGit}). */
export interface GitCommandOptions {
  /** Kills the command (its whole process group) after this long. Required: git can hang on a network. */
  readonly timeoutMs: number;
  /** The git executable; `git` (from PATH) by default. */
  readonly gitBinary?: string;
  /** The environment to start from (`process.env` by default); see {@link gitEnvironment}. */
  readonly env?: NodeJS.ProcessEnv;
  /** Read the user's and the system's git config (`~/.gitconfig`, `/etc/gitconfig`); off by default. */
  readonly inheritGitConfig?: boolean;
  /**
   * Config for this command only, passed through `GIT_CONFIG_KEY_<n>`/`GIT_CONFIG_VALUE_<n>`: unlike
   * `-c`, it never shows on the command line (`ps`), so it may carry an `http.extraHeader` secret.
   */
  readonly config?: readonly (readonly [key: string, value: string])[];
  /** Extra environment variables (after {@link gitEnvironment}'s). */
  readonly extraEnv?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Written to the command's stdin, which is then closed. Otherwise stdin is empty. */
  readonly input?: string;
  /**
   * Consumes stdout instead of collecting it (e.g. `git archive` into a tar extractor). The command
   * counts as done when both the process and this promise have settled; if it rejects, the command
   * is killed and fails with that error as cause.
   */
  readonly consumeStdout?: (stdout: Readable) => Promise<void>;
  /** Caps collected stdout; the command is killed beyond it. 64 MiB by default. */
  readonly maxStdoutBytes?: number;
}

/** What a git command printed. `stdout` is empty when it was streamed elsewhere. */
export interface GitResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A git command that failed, timed out or could not start. Safe to log: `command` and `stderr`
 * have any URL credentials redacted, and credentials passed as config never appear.
 */
export class GitCommandError extends Error {
  /** `git <args>`, redacted. */
  readonly command: string;
  readonly exitCode: number | undefined;
  readonly signal: NodeJS.Signals | undefined;
  readonly stderr: string;
  readonly timedOut: boolean;

  constructor(
    message: string,
    details: { command: string; exitCode?: number; signal?: NodeJS.Signals; stderr: string; timedOut: boolean },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'GitCommandError';
    this.command = details.command;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.stderr = details.stderr;
    this.timedOut = details.timedOut;
  }

  /** git's first `fatal:`/`error:` line (or first line), redacted, for messages. */
  get firstErrorLine(): string {
    return firstErrorLine(this.stderr) ?? this.message;
  }
}

/**
 * The first `fatal:`/`error:` line of git's stderr, or its first non-empty line, redacted. When
 * that line is ssh's generic `Could not read from remote repository.`, the line before it (ssh's
 * own reason: connection refused, permission denied, host key) comes first.
 */
export function firstErrorLine(stderr: string): string | undefined {
  const lines = stderr.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const index = lines.findIndex((candidate) => /^(fatal|error):/.test(candidate));
  let line = index === -1 ? lines[0] : lines[index];
  if (index > 0 && line !== undefined && /Could not read from remote repository/.test(line)) line = `${lines[index - 1] ?? ''} (${line})`;
  return line === undefined ? undefined : redactCredentials(line.length > 300 ? `${line.slice(0, 300)}...` : line);
}

// Inherited GIT_* variables that may stay: transport tuning and debugging. Everything else (GIT_DIR,
// GIT_INDEX_FILE, GIT_CONFIG_*, GIT_ASKPASS, ... set by a hook or a shell) would change what runs.
const KEPT_GIT_VARIABLES = new Set([
  'GIT_SSH',
  'GIT_SSH_COMMAND',
  'GIT_SSH_VARIANT',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
  'GIT_SSL_NO_VERIFY',
  'GIT_HTTP_USER_AGENT',
  'GIT_TRACE',
  'GIT_TRACE_PACKET',
  'GIT_TRACE_CURL',
  'GIT_TRACE_PERFORMANCE',
  'GIT_CURL_VERBOSE',
]);

/**
 * The ssh command git runs when none is configured: batch mode (no prompts), a connect timeout and
 * keep-alives, so a dead server or a stalled connection ends the command instead of leaving an ssh
 * waiting forever.
 */
export const DEFAULT_GIT_SSH_COMMAND = 'ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=4';

/**
 * The environment every git command runs with: `base` without repository-selecting `GIT_*`
 * variables and without askpass helpers; prompts off (`GIT_TERMINAL_PROMPT=0`, ssh in batch mode,
 * with {@link DEFAULT_GIT_SSH_COMMAND}'s timeouts); an http transfer slower than 1 KB/s for 60 s
 * aborted (`GIT_HTTP_LOW_SPEED_LIMIT/TIME`);
 * only the http, https, ssh and file transports (`GIT_ALLOW_PROTOCOL`); English messages (`LC_ALL=C`,
 * they are matched to tell failure reasons apart); and unless `inheritGitConfig`, no user or system
 * git config, so the same command behaves the same on every machine.
 */
export function gitEnvironment(base: NodeJS.ProcessEnv = process.env, inheritGitConfig = false): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if (name.startsWith('GIT_') && !KEPT_GIT_VARIABLES.has(name)) continue;
    if (name === 'SSH_ASKPASS' || name === 'SSH_ASKPASS_REQUIRE' || name === 'LANGUAGE') continue;
    env[name] = value;
  }
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_ALLOW_PROTOCOL = 'http:https:ssh:file';
  env.LC_ALL = 'C';
  if (env.GIT_SSH === undefined && env.GIT_SSH_COMMAND === undefined) env.GIT_SSH_COMMAND = DEFAULT_GIT_SSH_COMMAND;
  env.GIT_HTTP_LOW_SPEED_LIMIT = '1000';
  env.GIT_HTTP_LOW_SPEED_TIME = '60';
  if (!inheritGitConfig) {
    env.GIT_CONFIG_NOSYSTEM = '1';
    env.GIT_CONFIG_GLOBAL = '/dev/null';
  }
  return env;
}

const KILL_GRACE_MS = 2_000;

// Every git started by runGit and not yet exited. Each runs in its own process group (so a timeout
// kills its transport helpers too), which also means it would outlive this process: the exit hook
// kills the groups left when the process exits.
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroupNow(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Kills (SIGKILL) every git command {@link runGit} started that is still running, with its
 * transport helpers (its process group). Runs by itself when the process exits; a manager calls
 * it on shutdown too. Git killed mid-fetch leaves at most lock files, which a mirror removes when
 * it is next opened.
 */
export function killRunningGit(): void {
  for (const child of running) killGroupNow(child, 'SIGKILL');
  running.clear();
}

/** How many git commands {@link runGit} started are running now (for tests and metrics). */
export function runningGitCount(): number {
  return running.size;
}

/**
 * Runs `git <args>` without a shell, in its own process group: on timeout the group gets SIGTERM
 * (git removes its lock files) and SIGKILL 2s later, so transport helpers die with it. Resolves
 * with the output on exit code 0; rejects with a {@link GitCommandError} otherwise.
 */
export function runGit(args: readonly string[], options: GitCommandOptions): Promise<GitResult> {
  const command = redactCredentials(`git ${args.join(' ')}`);
  const env = gitEnvironment(options.env, options.inheritGitConfig);
  const config = options.config ?? [];
  if (config.length > 0) {
    env.GIT_CONFIG_COUNT = String(config.length);
    config.forEach(([key, value], index) => {
      env[`GIT_CONFIG_KEY_${index}`] = key;
      env[`GIT_CONFIG_VALUE_${index}`] = value;
    });
  }
  Object.assign(env, options.extraEnv);
  const maxStdout = options.maxStdoutBytes ?? 64 * 1024 * 1024;

  return new Promise<GitResult>((resolve, reject) => {
    const child = spawn(options.gitBinary ?? 'git', [...args], {
      cwd: options.cwd,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      windowsHide: true,
    });
    running.add(child);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', killRunningGit);
    }
    const stdoutChunks: Buffer[] = [];
    const stderrChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderrBytes = 0;
    let timedOut = false;
    let overflow = false;
    let streamError: unknown;
    let killTimer: NodeJS.Timeout | undefined;

    const killGroup = (signal: NodeJS.Signals): void => killGroupNow(child, signal);
    const terminate = (): void => {
      killGroup('SIGTERM');
      killTimer ??= setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, options.timeoutMs);

    child.stderr.on('data', (chunk: Buffer) => {
      // git's stderr is short; keep the first 64 KiB (progress output can be long).
      if (stderrBytes < 65_536) stderrChunks.push(chunk);
      stderrBytes += chunk.length;
    });
    let streamed: Promise<void> = Promise.resolve();
    if (options.consumeStdout === undefined) {
      child.stdout.on('data', (chunk: Buffer) => {
        stdoutBytes += chunk.length;
        if (stdoutBytes > maxStdout) {
          overflow = true;
          terminate();
          return;
        }
        stdoutChunks.push(chunk);
      });
    } else {
      streamed = options.consumeStdout(child.stdout).catch((error: unknown) => {
        streamError = error;
        terminate();
      });
    }
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input);

    let spawnError: Error | undefined;
    let settled = false;
    const settle = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      running.delete(child);
      clearTimeout(timer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      void (spawnError === undefined ? streamed : Promise.resolve()).then(() => {
        const stderr = redactCredentials(Buffer.concat(stderrChunks).toString('utf8'));
        const stdout = Buffer.concat(stdoutChunks).toString('utf8');
        const fail = (message: string, cause?: unknown): void => {
          reject(
            new GitCommandError(
              message,
              { command, exitCode: code ?? undefined, signal: signal ?? undefined, stderr, timedOut },
              cause === undefined ? undefined : { cause },
            ),
          );
        };
        if (spawnError !== undefined) return fail(`failed to run ${command}: ${spawnError.message}`, spawnError);
        if (timedOut) return fail(`${command} timed out after ${Math.round(options.timeoutMs / 1000)}s`);
        if (overflow) return fail(`${command} printed more than ${maxStdout} bytes`);
        if (streamError !== undefined) return fail(`failed to read the output of ${command}: ${(streamError as Error).message}`, streamError);
        if (code !== 0) {
          const why = firstErrorLine(stderr) ?? (signal === null ? `exit code ${String(code)}` : `killed by ${signal}`);
          return fail(`${command} failed: ${why}`);
        }
        resolve({ stdout, stderr });
      });
    };
    child.once('error', (error) => {
      spawnError = error;
      // A process that never started emits no 'close' of its own on every Node version.
      if (child.pid === undefined) settle(null, null);
    });
    child.once('close', settle);
  });
}
