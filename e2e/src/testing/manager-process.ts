import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { freePort, probeStatus } from '@beamline/control-plane';
import { CLI_BIN } from './cli.ts';

/** A `beamline manager` child process. */
export interface ManagerProcess {
  readonly pid: number;
  readonly url: string;
  /** SIGKILL: nothing runs in the manager, as in a crash. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

/** Starts `beamline manager` against a management cluster and waits for its /readyz. */
export async function startManagerProcess(options: { kubeconfigPath: string; home: string; leaseNamespace: string; logFile: string }): Promise<ManagerProcess> {
  const port = await freePort();
  const out = openSync(options.logFile, 'a');
  const child = spawn(
    process.execPath,
    [CLI_BIN, 'manager', '--kubeconfig', options.kubeconfigPath, '--home', options.home, '--port', String(port), '--lease-namespace', options.leaseNamespace],
    { stdio: ['ignore', out, out], env: { ...process.env, BEAMLINE_HOME: options.home } },
  );
  closeSync(out);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while ((await probeStatus(`${url}/readyz`)) !== 200) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the manager did not become ready (see ${options.logFile})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    pid: child.pid ?? 0,
    url,
    kill: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited(child);
      clearTimeout(timer);
    },
  };
}
