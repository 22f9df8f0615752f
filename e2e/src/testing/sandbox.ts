import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { killProcessesMentioning } from '@beamline/testenv';
import { runCli, type CliRun } from './cli.ts';

/** The environment of a sandbox CLI run: `BEAMLINE_HOME` set, `KUBECONFIG` unset (the CLI must find the sandbox's kubeconfig by itself). */
export function sandboxEnv(home: string): NodeJS.ProcessEnv {
  const { KUBECONFIG: _unset, ...rest } = process.env;
  return { ...rest, BEAMLINE_HOME: home };
}

/** Runs `beamline <args>` against the sandbox in `home`; killed after 3 minutes (`up` may build nothing but starts a control plane). */
export function beamline(home: string, ...args: string[]): Promise<CliRun> {
  return runCli(args, sandboxEnv(home), 180_000);
}

/** Asserts that a run exited 0 (the message shows what it printed), and returns it. */
export function ok(run: CliRun): CliRun {
  assert.equal(run.code, 0, `exit ${run.code}\n${run.stdout}\n${run.stderr}`);
  return run;
}

/** After a sandbox test: whatever a failure left running under `home` is killed, and the folder goes. */
export async function removeSandbox(home: string | undefined): Promise<void> {
  if (home === undefined) return;
  await killProcessesMentioning(home);
  await rm(home, { recursive: true, force: true });
}
