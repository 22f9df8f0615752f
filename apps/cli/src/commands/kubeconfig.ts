import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { resolveKubeconfigPath } from '../kube.ts';
import { CliError } from '../output.ts';

/** `beamline kubeconfig`: prints the management cluster's kubeconfig (the sandbox's by default). */
export function registerKubeconfig(program: Command): void {
  program
    .command('kubeconfig')
    .description("print the management cluster's kubeconfig (by default the one `beamline up` wrote); use with kubectl: KUBECONFIG=<(beamline kubeconfig) kubectl get clusters")
    .option('--path', 'print the path of the file instead of its content')
    .action(async (options: { path?: boolean }, command: Command) => {
      const path = resolveKubeconfigPath(command.optsWithGlobals<{ kubeconfig?: string }>().kubeconfig);
      if (options.path === true) {
        process.stdout.write(`${path}\n`);
        return;
      }
      try {
        process.stdout.write(await readFile(path, 'utf8'));
      } catch {
        throw new CliError(`no kubeconfig at ${path}: start the sandbox with \`beamline up\``);
      }
    });
}
