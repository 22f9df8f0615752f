import { Command, CommanderError } from 'commander';
import { registerApp } from './commands/app.ts';
import { registerCluster } from './commands/cluster.ts';
import { registerKubeconfig } from './commands/kubeconfig.ts';
import { registerKubectl } from './commands/kubectl.ts';
import { registerLogin } from './commands/login.ts';
import { registerManager } from './commands/manager.ts';
import { registerProject } from './commands/project.ts';
import { registerSandbox } from './commands/sandbox.ts';
import { registerSetup } from './commands/setup.ts';
import { registerTemplate } from './commands/template.ts';
import { registerToken } from './commands/token.ts';
import { registerVersion } from './commands/version.ts';
import { redactCredentials } from '@beamline/gitops/redact';
import { CliError } from './output.ts';
import { BEAMLINE_VERSION } from './version.ts';

/**
 * Builds the command tree. Exported for tests, which run commands without a child process.
 * `argv` is what `beamline kubectl` hands on as typed (commander would read kubectl's flags).
 */
export function buildProgram(argv: readonly string[] = process.argv): Command {
  const program = new Command('beamline')
    .description('Beamline: self-service Kubernetes for research computing (clusters, projects, GitOps apps, catalog)')
    .version(BEAMLINE_VERSION, '--version', 'print the version')
    .option('--kubeconfig <path>', 'kubeconfig of the management cluster (default: $KUBECONFIG, then the sandbox of `beamline up`, then ~/.kube/config)')
    .option('-n, --namespace <namespace>', 'namespace of clusters and node groups (default: the kubeconfig context\'s, else "default")')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerSandbox(program);
  registerTemplate(program);
  registerCluster(program);
  registerApp(program);
  registerProject(program);
  registerKubeconfig(program);
  registerKubectl(program, argv);
  registerLogin(program);
  registerToken(program);
  registerManager(program);
  registerSetup(program);
  registerVersion(program);
  return program;
}

/**
 * Runs the CLI and returns the exit code: 0 on success, 1 on an error (printed as one line
 * starting with `error:`), 2 on a usage error, like kubectl.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram(argv);
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed help or the usage error.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    // Whatever an error quotes (an API refusal echoes the value it refused) shows no URL credentials.
    const message = redactCredentials(error instanceof Error ? error.message : String(error));
    // An empty CliError only sets the exit code (`app diff` found differences: not an error).
    if (!(error instanceof CliError && message === '')) process.stderr.write(`error: ${message}\n`);
    return error instanceof CliError ? error.exitCode : 1;
  }
}
