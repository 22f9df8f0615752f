import type { Command } from 'commander';
import { stderrProgress } from '@beamline/binaries';
import { beamlineHome } from '../home.ts';

/** `beamline up [--detach]` and `beamline down [--purge]`: the local sandbox. */
export function registerSandbox(program: Command): void {
  program
    .command('up')
    .description(
      'start a local Beamline under $BEAMLINE_HOME (default ~/.beamline): a management control plane with the API and default templates, and the manager. ' +
        'Without --detach it stays in the foreground and Ctrl-C stops it (like `beamline down`); clusters survive until `beamline down --purge`',
    )
    .option('-d, --detach', 'return once everything is ready and leave it running')
    .action(async (options: { detach?: boolean }) => {
      const home = beamlineHome();
      const progress = stderrProgress('up');
      const { sandboxDown, sandboxUp } = await import('../sandbox/sandbox.ts');
      const info = await sandboxUp(home, progress);
      const lines = [
        info.alreadyRunning ? 'Beamline was already running.' : 'Beamline is running.',
        '',
        `  management kubeconfig:  ${info.kubeconfigPath}`,
        `  manager:                ${info.managerUrl}  (log: ${info.managerLog})`,
        '',
        'Try:',
        '  npx beamline template list',
        '  npx beamline cluster create demo --template small --wait',
        `  KUBECONFIG=${info.kubeconfigPath} kubectl get clusters,nodegroups -A`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      if (options.detach === true) return;
      process.stdout.write('\nPress Ctrl-C to stop (the same as `beamline down`).\n');
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          process.stdout.write('\n');
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await sandboxDown(home, false, stderrProgress('down'));
    });

  program
    .command('down')
    .description('stop the local Beamline: the manager, every cluster and the management control plane (state is kept for the next `up`)')
    .option('--purge', 'also delete every cluster and all state under $BEAMLINE_HOME')
    .action(async (options: { purge?: boolean }) => {
      const { sandboxDown } = await import('../sandbox/sandbox.ts');
      await sandboxDown(beamlineHome(), options.purge === true, stderrProgress('down'));
      process.stdout.write(options.purge === true ? 'Beamline stopped and purged.\n' : 'Beamline stopped; `beamline up` brings it back with its clusters.\n');
    });
}
