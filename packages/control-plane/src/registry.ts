import { killProcessNow, removeDirNow, type PidRecord } from './processes.ts';

/** What must be cleaned up if this Node process ends before a control plane is stopped. */
interface Owned {
  readonly processes: () => readonly Pick<PidRecord, 'pid' | 'startTicks'>[];
  readonly dir: string;
  readonly removeDir: boolean;
}

const owned = new Set<Owned>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const entry of owned) {
    // Reverse start order: clients before the servers they talk to.
    for (const record of [...entry.processes()].reverse()) killProcessNow(record);
    if (entry.removeDir) removeDirNow(entry.dir);
  }
  owned.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAllNow();
  process.off(signal, onSignal);
  // Re-raise so the process ends as it would have without our handler (unless someone else
  // handles the signal too, in which case they decide).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}

/**
 * Registers processes that must not outlive this Node process: on exit and on SIGINT, SIGTERM
 * and SIGHUP they are killed and their folder removed. Returns the function that unregisters them
 * (after a normal stop).
 */
export function registerOwned(entry: Owned): () => void {
  installHooks();
  owned.add(entry);
  return () => owned.delete(entry);
}
