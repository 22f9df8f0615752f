import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { ensureBinaries, stderrProgress } from '@beamline/binaries';
import { resolveKubeconfigPath } from '../kube.ts';
import { kubectlArgs } from '../kubectl-args.ts';
import { CliError } from '../output.ts';

/**
 * `beamline kubectl ARGS...`: the pinned kubectl (the one `beamline setup` installs, matching the
 * API server's version) with the management cluster's kubeconfig, so no kubectl on PATH and no
 * KUBECONFIG are needed. Its output and exit code are kubectl's.
 */
export function registerKubectl(program: Command, argv: readonly string[]): void {
  program
    .command('kubectl')
    .description(
      'run the pinned kubectl against the management cluster (the sandbox\'s kubeconfig unless --kubeconfig or $KUBECONFIG say otherwise); ' +
        'every argument after "kubectl" goes to kubectl as is, e.g. beamline kubectl get clusters -A',
    )
    .argument('[args...]', 'kubectl arguments')
    .allowUnknownOption()
    .allowExcessArguments()
    .helpOption(false)
    .action(async (_args: string[], _options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<{ kubeconfig?: string; namespace?: string }>();
      const args = kubectlArgs(argv, globals.namespace);
      const binaries = await ensureBinaries({ progress: stderrProgress('setup') });
      // KUBECONFIG, not --kubeconfig: a --kubeconfig among the user's arguments still wins.
      const env = { ...process.env, KUBECONFIG: resolveKubeconfigPath(globals.kubeconfig) };
      const code = await new Promise<number>((resolve, reject) => {
        const child = spawn(binaries.paths.kubectl, args, { env, stdio: 'inherit' });
        // The terminal's Ctrl-C reaches kubectl too (same process group); beamline waits for it.
        const ignore = (): void => undefined;
        process.on('SIGINT', ignore);
        child.on('error', (error) => {
          process.off('SIGINT', ignore);
          reject(new CliError(`failed to run kubectl ${binaries.paths.kubectl}: ${error.message}`));
        });
        child.on('exit', (exitCode, signal) => {
          process.off('SIGINT', ignore);
          resolve(exitCode ?? (signal === null ? 1 : 128 + 2));
        });
      });
      // kubectl printed its own error: only its exit code is passed on.
      if (code !== 0) throw new CliError('', code);
    });
}
