import type { Command } from 'commander';
import { stderrProgress } from '@beamline/binaries';
import { beamlineHome } from '../home.ts';
import { CliError } from '../output.ts';
import { DEFAULT_MANAGER_PORT, parsePortFlag } from '../sandbox/manager-port.ts';

/** The first SIGINT or SIGTERM, awaited; `cancel` stops listening. */
export interface SignalWait {
  readonly signalled: Promise<NodeJS.Signals>;
  /** Whether a signal has come already. */
  received(): boolean;
  cancel(): void;
}

/**
 * Waits for the first SIGINT or SIGTERM. A pending promise alone does not keep Node running: with
 * every child process unref'd and detached, nothing is left in the event loop and Node ends the
 * process with exit code 13 ("unsettled top-level await"), which is how `beamline up` in the
 * foreground used to end after a few seconds. The interval is what keeps it attached.
 */
export function untilSignal(): SignalWait {
  let keepAlive: NodeJS.Timeout | undefined = setInterval(() => undefined, 1 << 30);
  let received = false;
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const cancel = (): void => {
    if (keepAlive !== undefined) clearInterval(keepAlive);
    keepAlive = undefined;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (signal) => {
      received = true;
      cancel();
      resolve(signal);
    };
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { signalled, received: () => received, cancel };
}

/** `beamline up [--detach] [--port N]` and `beamline down [--purge]`: the local sandbox. */
export function registerSandbox(program: Command): void {
  program
    .command('up')
    .description(
      'start a local Beamline under $BEAMLINE_HOME (default ~/.beamline): a management control plane with the API and default templates, and the manager. ' +
        'Without --detach it stays in the foreground and Ctrl-C stops it (like `beamline down`); clusters survive until `beamline down --purge`',
    )
    .option('-d, --detach', 'return once everything is ready and leave it running')
    .option(
      '--port <port>',
      `port of the manager on 127.0.0.1 (its /api/webhook URL); default: the port this sandbox used before, else ${DEFAULT_MANAGER_PORT} (another free port, said so, when that one is taken)`,
    )
    .action(async (options: { detach?: boolean; port?: string }) => {
      const port = options.port === undefined ? undefined : parsePortFlag(options.port);
      if (options.port !== undefined && port === undefined) throw new CliError(`invalid value "${options.port}" for --port: a port number 1-65535 is needed`, 2);
      const home = beamlineHome();
      const progress = stderrProgress('up');
      const { sandboxDown, sandboxUp } = await import('../sandbox/sandbox.ts');
      const { identityLines } = await import('../sandbox/identity.ts');
      // Listening before the (long) start: a Ctrl-C during it is not lost, and the start is not
      // cut half-way (that would leave processes without pid files); once up, it stops like `down`.
      const wait = options.detach === true ? undefined : untilSignal();
      let info;
      try {
        info = await sandboxUp(home, progress, port === undefined ? {} : { port });
      } catch (error) {
        wait?.cancel();
        throw error;
      }
      if (info.portNotice !== undefined) process.stderr.write(`warning: ${info.portNotice}\n`);
      const lines = [
        info.alreadyRunning ? 'Beamline was already running.' : 'Beamline is running.',
        '',
        `  management kubeconfig:  ${info.kubeconfigPath}`,
        `  manager:                ${info.managerUrl}  (log: ${info.managerLog})`,
        `  webhook URL:            ${info.managerUrl}/api/webhook`,
        `  portal:                 ${info.managerUrl}/  (log in as one of the demo users below)`,
        ...identityLines(info.issuer),
        '',
        'Try:',
        '  npx beamline template list',
        '  npx beamline cluster create demo --template small --wait',
        '  npx beamline kubectl get clusters,nodegroups -A',
        '  npx beamline login --device        (as alice: a cluster of project physics lives in namespace project-physics)',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      if (wait === undefined) return;
      if (!wait.received()) process.stdout.write('\nPress Ctrl-C to stop (the same as `beamline down`).\n');
      await wait.signalled;
      process.stdout.write('\n');
      await sandboxDown(home, false, stderrProgress('down'));
      process.stdout.write('Beamline stopped; `beamline up` brings it back with its clusters.\n');
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
