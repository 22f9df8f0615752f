import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_CONTROL_PLANE_ROOT } from './control-plane.ts';
import type { ControlPlaneState } from './state.ts';
import { isSameProcessAlive, readPidRecords, stopProcess } from './processes.ts';

/** What {@link sweepOrphans} cleaned up. */
export interface SweepResult {
  /** Folders of dead owners that were removed. */
  readonly removedDirs: readonly string[];
  /** Component processes that were still running and got stopped. */
  readonly stoppedProcesses: number;
}

/**
 * Cleans up after runs that crashed (SIGKILL, a power cut) before they could stop their control
 * planes: for every `owned` plane under `root` whose owning Node process is gone, stops the
 * components its pid files name (only if they are still the same processes, never a reused pid)
 * and removes its folder. Planes of live owners and `detached` planes are left alone.
 */
export async function sweepOrphans(root = DEFAULT_CONTROL_PLANE_ROOT): Promise<SweepResult> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch {
    return { removedDirs: [], stoppedProcesses: 0 };
  }
  const removedDirs: string[] = [];
  let stoppedProcesses = 0;
  for (const entry of entries) {
    const dir = join(root, entry);
    let state: ControlPlaneState;
    try {
      state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
    } catch {
      continue; // not a control-plane folder, or one still being created
    }
    if (state.lifetime !== 'owned' || isSameProcessAlive(state.owner)) continue;
    for (const record of readPidRecords(join(dir, 'pids')).reverse()) {
      if (isSameProcessAlive(record)) {
        await stopProcess(record, 2_000);
        stoppedProcesses++;
      }
    }
    await rm(dir, { recursive: true, force: true });
    removedDirs.push(dir);
  }
  return { removedDirs, stoppedProcesses };
}
