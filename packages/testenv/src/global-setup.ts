import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sweepOrphans } from '@beamline/control-plane';
import { startSharedPlane, type StartedSharedPlane } from './shared-plane.ts';
import { SHARED_STATE_ENV } from './shared-state.ts';

let started: StartedSharedPlane | undefined;

/**
 * node:test global setup (`--test-global-setup`): sweeps what crashed runs left, makes sure the
 * binaries exist, and starts what every test file of the run shares: one control plane (full
 * mode) and the OIDC provider its apiserver trusts. Test files isolate themselves by namespace
 * (see `useTestEnv`).
 */
export async function globalSetup(): Promise<void> {
  const swept = await sweepOrphans();
  if (swept.removedDirs.length > 0) {
    process.stderr.write(`[testenv] swept ${swept.removedDirs.length} control plane(s) left by crashed runs (${swept.stoppedProcesses} processes stopped)\n`);
  }
  const begun = Date.now();
  started = await startSharedPlane();
  const { shared } = started;
  process.stderr.write(`[testenv] control plane ready in ${Date.now() - begun} ms at ${shared.server} (${shared.dir}), trusting ${shared.identity.issuer}\n`);
  const statePath = join(shared.dir, 'testenv.json');
  await writeFile(statePath, JSON.stringify(shared));
  process.env[SHARED_STATE_ENV] = statePath;
}

/** node:test global teardown: stops the shared control plane and the identity provider. */
export async function globalTeardown(): Promise<void> {
  await started?.stop();
  started = undefined;
}
