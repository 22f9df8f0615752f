import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** A component process started by this package. */
export interface ComponentProcess {
  /** Component name, e.g. `etcd`, `kube-apiserver`. */
  readonly name: string;
  readonly pid: number;
  /** Start time (see {@link processStartTicks}): tells it apart from a later process with the same pid. */
  readonly startTicks: string | undefined;
  /** Where its stdout and stderr go. */
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<string>;
  /** True while the process runs. */
  isRunning(): boolean;
}

/** What a pid file records: enough to tell the process apart from a later one with the same pid. */
export interface PidRecord {
  readonly name: string;
  readonly pid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
  readonly startTicks: string | undefined;
  readonly binary: string;
}

/** Start time of a process (clock ticks since boot), or undefined when it does not exist. */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/** True when the recorded process still runs and is the same process (not a reused pid). */
export function isSameProcessAlive(record: Pick<PidRecord, 'pid' | 'startTicks'>): boolean {
  const ticks = processStartTicks(record.pid);
  if (ticks === undefined) return false;
  // A zombie has exited: it only waits for its parent to reap it.
  try {
    const state = readFileSync(`/proc/${record.pid}/stat`, 'utf8');
    if (state.slice(state.lastIndexOf(')') + 2).startsWith('Z')) return false;
  } catch {
    return false;
  }
  return record.startTicks === undefined || ticks === record.startTicks;
}

/** Options of {@link startProcess}. */
export interface StartProcessOptions {
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  readonly logFile: string;
  /** Folder for `<name>.pid`. */
  readonly pidDir: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Starts a component in its own process group, with stdout and stderr appended to its log file
 * and a pid file beside it. The child is unreferenced: it never keeps Node alive by itself, and
 * whoever started it is responsible for stopping it (see {@link stopProcess}).
 */
export function startProcess(options: StartProcessOptions): ComponentProcess {
  const out = openSync(options.logFile, 'a');
  let child;
  try {
    child = spawn(options.binary, [...options.args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', out, out],
      // Own process group: a Ctrl-C in the terminal reaches our handler, which stops components
      // in order, instead of reaching every component at once.
      detached: true,
    });
  } finally {
    closeSync(out);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`failed to start ${options.name}: ${options.binary} could not be executed`);
  let running = true;
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => {
      running = false;
      resolve(signal ?? `code ${String(code)}`);
    });
    child.on('error', (error) => {
      running = false;
      resolve(`error ${error.message}`);
    });
  });
  child.unref();
  const record: PidRecord = { name: options.name, pid, startTicks: processStartTicks(pid), binary: options.binary };
  writeFileSync(join(options.pidDir, `${options.name}.pid`), `${JSON.stringify(record)}\n`);
  return {
    name: options.name,
    pid,
    startTicks: record.startTicks,
    logFile: options.logFile,
    exited,
    isRunning: () => running && isSameProcessAlive(record),
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Stops a process: SIGTERM, then SIGKILL after `graceMs`. Resolves once it has exited. Works for a
 * process this Node process started and for one found through a pid file.
 */
export async function stopProcess(record: Pick<PidRecord, 'pid' | 'startTicks'>, graceMs = 5_000): Promise<void> {
  if (!isSameProcessAlive(record)) return;
  signalGroup(record.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isSameProcessAlive(record) && Date.now() < deadline) await sleep(25);
  if (isSameProcessAlive(record)) {
    signalGroup(record.pid, 'SIGKILL');
    const killDeadline = Date.now() + 5_000;
    while (isSameProcessAlive(record) && Date.now() < killDeadline) await sleep(25);
  }
}

/** Kills a process at once, synchronously: for `process.on('exit')`, where nothing async runs. */
export function killProcessNow(record: Pick<PidRecord, 'pid' | 'startTicks'>): void {
  if (isSameProcessAlive(record)) signalGroup(record.pid, 'SIGKILL');
}

/**
 * A process found through its pid file (started by another Node process, or by this one earlier),
 * as a {@link ComponentProcess}. It is not this process's child, so nothing tells when it exits:
 * `exited` polls, and only once someone asks for it (a long-running caller that adopts planes over
 * and over must not collect timers).
 */
export function adoptProcess(record: PidRecord, logFile: string): ComponentProcess {
  let exited: Promise<string> | undefined;
  const poll = (): Promise<string> =>
    new Promise<string>((resolve) => {
      if (!isSameProcessAlive(record)) {
        resolve('not running');
        return;
      }
      const timer = setInterval(() => {
        if (isSameProcessAlive(record)) return;
        clearInterval(timer);
        resolve('exited');
      }, 500);
      timer.unref();
    });
  return {
    name: record.name,
    pid: record.pid,
    startTicks: record.startTicks,
    logFile,
    get exited() {
      exited ??= poll();
      return exited;
    },
    isRunning: () => isSameProcessAlive(record),
  };
}

/** Reads one component's pid file, or undefined when there is none (or it cannot be read). */
export function readPidRecord(pidDir: string, name: string): PidRecord | undefined {
  try {
    return JSON.parse(readFileSync(join(pidDir, `${name}.pid`), 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
}

/** Reads every pid file in a folder. */
export function readPidRecords(pidDir: string): PidRecord[] {
  if (!existsSync(pidDir)) return [];
  return readdirSync(pidDir)
    .filter((file) => file.endsWith('.pid'))
    .flatMap((file) => {
      try {
        return [JSON.parse(readFileSync(join(pidDir, file), 'utf8')) as PidRecord];
      } catch {
        return [];
      }
    });
}

/** The last `lines` lines of a log file, for error messages when a component fails to start. */
export async function logTail(logFile: string, lines = 30): Promise<string> {
  try {
    const text = await readFile(logFile, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n').trimEnd();
  } catch {
    return '(no log)';
  }
}

/** Promise-based sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Removes a folder synchronously, ignoring errors (for exit handlers). */
export function removeDirNow(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // best effort at exit
  }
}

/** Pids of live processes whose command line mentions `text` (never this process itself). */
export async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text) && isSameProcessAlive({ pid: Number(entry), startTicks: undefined })) pids.push(Number(entry));
  }
  return pids;
}

/** The executables a control plane runs (Node runs the load balancer). */
const COMPONENT_EXECUTABLES = new Set(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'node']);

/**
 * Components of the plane in `dir` that no pid file names: a starter killed between spawning a
 * component and writing its pid file leaves one. Every component's flags name files in `dir`, so
 * they are found by command line, limited to the executables a plane runs.
 */
export async function unrecordedComponents(dir: string): Promise<number[]> {
  const marker = dir.endsWith('/') ? dir : `${dir}/`;
  const pids = await processesMentioning(marker);
  return pids.filter((pid) => {
    try {
      return COMPONENT_EXECUTABLES.has(basename(readlinkSync(`/proc/${pid}/exe`)));
    } catch {
      return false;
    }
  });
}
