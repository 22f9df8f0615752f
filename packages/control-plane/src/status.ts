import { readFile } from 'node:fs/promises';
import { layoutOf } from './layout.ts';
import { isSameProcessAlive, readPidRecord } from './processes.ts';
import { probeStatus } from './readiness.ts';
import { readState } from './state.ts';

/** One component in {@link ControlPlaneStatus}. */
export interface ComponentStatus {
  readonly name: string;
  /** From its pid file; undefined when it never started. */
  readonly pid: number | undefined;
  /** True when that pid is still the same process. */
  readonly alive: boolean;
}

/** What {@link controlPlaneStatus} reports. */
export interface ControlPlaneStatus {
  /** Every component of `state.json`, in start order. */
  readonly components: readonly ComponentStatus[];
  /** The endpoint's `/readyz` answered 200 within 2 s. */
  readonly ready: boolean;
}

/**
 * The state of the plane in `dir` without touching it: which components run (pid files checked
 * against `/proc`, start time included) and whether the endpoint is ready. Throws when the folder
 * holds no plane.
 */
export async function controlPlaneStatus(dir: string): Promise<ControlPlaneStatus> {
  const state = await readState(dir);
  const layout = layoutOf(dir);
  const components = state.components.map((spec): ComponentStatus => {
    const record = readPidRecord(layout.pidDir, spec.name);
    return { name: spec.name, pid: record?.pid, alive: record !== undefined && isSameProcessAlive(record) };
  });
  const caPem = await readFile(layout.pki.caCert, 'utf8').catch(() => undefined);
  const ready = caPem !== undefined && (await probeStatus(`${state.server}/readyz`, { ca: caPem }, 2_000)) === 200;
  return { components, ready };
}
