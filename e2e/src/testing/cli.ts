import { fileURLToPath } from 'node:url';
import { runNode, type NodeRun } from '@beamline/testenv';

/** The CLI entry point, run as a child process the way a user runs it. */
export const CLI_BIN = fileURLToPath(new URL('../../../apps/cli/bin/beamline.js', import.meta.url));

/** What a CLI run printed and how it ended. */
export type CliRun = NodeRun;

/** Runs `beamline <args>` with Node 24 and the given environment; killed after `timeoutMs`. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<CliRun> {
  return runNode(CLI_BIN, args, env, timeoutMs);
}
