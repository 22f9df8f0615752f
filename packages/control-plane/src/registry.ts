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
  // Re-raise, always: with no other listener the default action ends the process; with others
  // (signal-exit, loaded by proper-lockfile, stands aside while any other listener exists) they
  // now see the signal without us and act on it. Checking the listener count instead deadlocks
  // with such libraries: each waits for the other.
  process.kill(process.pid, signal);
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
