import { readFile } from 'node:fs/promises';
import type { BinaryPaths } from '@beamline/binaries';
import { LB_PROCESS_FILE } from './components.ts';
import type { ControlPlane } from './control-plane.ts';
import { upgradeToEtcdTls } from './etcd-tls.ts';
import { layoutOf } from './layout.ts';
import type { ComponentProcess } from './processes.ts';
import { bringUp, planeHandle, stopInStages, waitForEndpoint, withStages } from './running.ts';
import { readState, writeState, type ComponentSpec, type ControlPlaneState } from './state.ts';

/** Options of {@link resumeControlPlane}. */
export interface ResumeOptions {
  /** Where the binaries are now; they replace the paths in `state.json` for the same components. */
  readonly binaries: BinaryPaths;
  /** How long each restarted component may take to become ready. Default 60 s. */
  readonly componentTimeoutMs?: number;
}

/**
 * A component's command with today's executables: the binary cache may have moved since the plane
 * was started, and the load balancer runs on the Node that resumes it.
 */
function rebased(spec: ComponentSpec, binaries: BinaryPaths): ComponentSpec {
  if (spec.binaryName === 'load-balancer') {
    return { ...spec, binary: process.execPath, args: [LB_PROCESS_FILE, ...spec.args.slice(1)] };
  }
  return { ...spec, binary: binaries[spec.binaryName] };
}

/**
 * Adopts the `detached` control plane in `dir` again: every component in start order whose pid file
 * names a live process (the same one: pid and start time) is kept as it is; every other one is
 * started again with the command line of `state.json` (same ports, PKI and data) and waited for.
 * Finally the endpoint must answer `/readyz`. Also completes a start that never finished.
 *
 * The returned plane's `stop()` stops every component and keeps the folder (a later resume starts
 * them all again); `destroyControlPlane` removes it. On failure, what this call started is stopped
 * again and components that were running are left running. Callers serialise resumes of one plane.
 */
export async function resumeControlPlane(dir: string, options: ResumeOptions): Promise<ControlPlane> {
  let state: ControlPlaneState;
  try {
    state = await readState(dir);
  } catch (error) {
    throw new Error(`failed to resume control plane: ${(error as Error).message}`, { cause: error });
  }
  if (state.lifetime !== 'detached') {
    throw new Error(`failed to resume control plane: ${dir} holds an ${state.lifetime} plane, which ends with its owner`);
  }
  // A plane made before etcd had client TLS gets it now (certificates, flags; old processes restarted).
  try {
    state = await upgradeToEtcdTls(layoutOf(dir), state);
  } catch (error) {
    throw new Error(`failed to resume control plane ${dir}: failed to give etcd TLS: ${(error as Error).message}`, { cause: error });
  }
  const components = state.components.map((spec) => rebased(spec, options.binaries));
  const moved = components.some((spec, i) => JSON.stringify(spec) !== JSON.stringify(state.components[i]));
  if (moved) {
    state = { ...state, components };
    await writeState(dir, state);
  }
  const timeoutMs = options.componentTimeoutMs ?? 60_000;
  const started: ComponentProcess[] = [];
  let running: ComponentProcess[];
  try {
    running = await bringUp({ dir, state, timeoutMs, adopt: true, started });
    const caPem = await readFile(layoutOf(dir).pki.caCert, 'utf8');
    if (!(await waitForEndpoint(state.server, caPem, timeoutMs))) {
      throw new Error(`${state.server}/readyz did not answer 200 within ${timeoutMs} ms`);
    }
  } catch (error) {
    await stopInStages(withStages(state.components, started));
    throw new Error(`failed to resume control plane ${dir}: ${(error as Error).message}`, { cause: error });
  }
  if (!state.ready) {
    state = { ...state, ready: true, readyAt: new Date().toISOString() };
    await writeState(dir, state);
  }
  return planeHandle({ dir, state, components: running, afterStop: () => undefined });
}
