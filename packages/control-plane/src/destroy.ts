import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { layoutOf } from './layout.ts';
import { processStartTicks, readPidRecords, stopProcess, unrecordedComponents } from './processes.ts';
import { stopInStages, withStages } from './running.ts';
import { readStateIfAny } from './state.ts';

/**
 * Stops every component that the pid files of the plane in `dir` name (reverse start order; only
 * the same processes, never a reused pid), then removes the folder. Works for any plane, owned or
 * detached, running, stopped or half-started; a missing folder means there is nothing to do.
 */
export async function destroyControlPlane(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  let specs: Awaited<ReturnType<typeof readStateIfAny>>;
  try {
    specs = await readStateIfAny(dir);
  } catch {
    specs = undefined; // an unreadable state still leaves the pid files to go by
  }
  const records = readPidRecords(layoutOf(dir).pidDir);
  try {
    await stopInStages(withStages(specs?.components ?? [], records));
    // A starter killed between spawning a component and writing its pid file leaves a component
    // no pid file names: found by its command line instead.
    for (const pid of await unrecordedComponents(dir)) await stopProcess({ pid, startTicks: processStartTicks(pid) });
    await rm(dir, { recursive: true, force: true });
  } catch (error) {
    throw new Error(`failed to destroy control plane ${dir}: ${(error as Error).message}`, { cause: error });
  }
}
