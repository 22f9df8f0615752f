import { hostname } from 'node:os';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { ensureBinaries, stderrProgress } from '@beamline/binaries';
import { beamlineHome } from '../home.ts';
import { loadManagementKubeConfig } from '../kube.ts';
import { CliError } from '../output.ts';
import { ensurePrivateDir } from '../sandbox/private-files.ts';

/** Creates the namespace of the leader-election Lease when it is missing (a fresh management cluster). */
async function ensureNamespace(kubeConfig: KubeConfig, name: string): Promise<void> {
  try {
    await kubeConfig.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
  } catch (error) {
    if ((error as { code?: number }).code !== 409) throw new CliError(`failed to create namespace "${name}" for the leader-election Lease: ${(error as Error).message}`);
  }
}

/** `beamline manager`: the controllers and the manager's HTTP server, in the foreground. */
export function registerManager(program: Command): void {
  program
    .command('manager')
    .description('run the Beamline controllers (leader-elected) with /healthz, /readyz and /metrics; `beamline up` starts it for you')
    .option('--home <dir>', 'where kwok clusters keep their processes (default $BEAMLINE_HOME or ~/.beamline)')
    .option('--port <port>', 'port of the HTTP server on 127.0.0.1 (0 = any free port)', '8080')
    .option('--admission-port <port>', 'port of the admission webhooks\' HTTPS server on 127.0.0.1 (0 = any free port)', '0')
    .option('--identity <id>', 'leader-election identity (default hostname and pid)')
    .option('--lease-namespace <namespace>', 'namespace of the leader-election Lease', 'beamline-system')
    .action(async (options: { home?: string; port: string; admissionPort: string; identity?: string; leaseNamespace: string }, command: Command) => {
      if (!/^\d+$/.test(options.port)) throw new CliError(`invalid value "${options.port}" for --port: a port number is needed`, 2);
      if (!/^\d+$/.test(options.admissionPort)) throw new CliError(`invalid value "${options.admissionPort}" for --admission-port: a port number is needed`, 2);
      const kubeConfig = loadManagementKubeConfig(command.optsWithGlobals<{ kubeconfig?: string }>().kubeconfig);
      const binaries = await ensureBinaries({ progress: stderrProgress('setup') });
      await ensureNamespace(kubeConfig, options.leaseNamespace);
      // Loaded here, not at the top: every other command would pay for the controllers' imports.
      const { beamlineCapabilities, runManager } = await import('@beamline/manager');
      const home = options.home ?? beamlineHome();
      // Owner-only, each level: mirrors of private repositories and rendered Secrets are inside.
      await ensurePrivateDir(home);
      await runManager({
        kubeConfig,
        // The composition root: clusters, delivery (its git mirrors in a stable folder of this
        // process, its webhook beside the Lease's namespace) and admission (its TLS Secret there too).
        capabilities: await beamlineCapabilities({
          kubeConfig,
          home,
          binaries: binaries.paths,
          kubernetesVersion: binaries.pins.kubernetes,
          namespace: options.leaseNamespace,
          admissionPort: Number(options.admissionPort),
        }),
        port: Number(options.port),
        identity: options.identity ?? `${hostname()}-${process.pid}`,
        leaseNamespace: options.leaseNamespace,
      });
    });
}
