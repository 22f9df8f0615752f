import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureBinaries, stderrProgress } from '@beamline/binaries';
import { startControlPlane, sweepOrphans, type ControlPlane } from '@beamline/control-plane';
import { SHARED_STATE_ENV, type SharedControlPlane } from './shared-state.ts';

let plane: ControlPlane | undefined;

/**
 * node:test global setup (`--test-global-setup`): sweeps what crashed runs left, makes sure the
 * binaries exist, and starts the one control plane (full mode) that every test file of the run
 * shares. Test files isolate themselves by namespace (see `useTestNamespace`).
 */
export async function globalSetup(): Promise<void> {
  const swept = await sweepOrphans();
  if (swept.removedDirs.length > 0) {
    process.stderr.write(`[testenv] swept ${swept.removedDirs.length} control plane(s) left by crashed runs (${swept.stoppedProcesses} processes stopped)\n`);
  }
  const binaries = await ensureBinaries({ progress: stderrProgress('setup') });
  const started = Date.now();
  plane = await startControlPlane({ binaries: binaries.paths, mode: 'full', name: 'testenv' });
  process.stderr.write(`[testenv] control plane ready in ${Date.now() - started} ms at ${plane.server} (${plane.dir})\n`);
  const shared: SharedControlPlane = {
    kubeconfigPath: plane.kubeconfigPath,
    server: plane.server,
    dir: plane.dir,
    binDir: binaries.dir,
    mode: 'full',
  };
  const statePath = join(plane.dir, 'testenv.json');
  await writeFile(statePath, JSON.stringify(shared));
  process.env[SHARED_STATE_ENV] = statePath;
}

/** node:test global teardown: stops the shared control plane. */
export async function globalTeardown(): Promise<void> {
  await plane?.stop();
  plane = undefined;
}
