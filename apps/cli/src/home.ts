import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$BEAMLINE_HOME`, default `~/.beamline`: the sandbox's management plane, clusters and logs. */
export function beamlineHome(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.BEAMLINE_HOME;
  return home !== undefined && home !== '' ? home : join(homedir(), '.beamline');
}

/** Where `beamline up` keeps the management cluster's admin kubeconfig. */
export function sandboxKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(beamlineHome(env), 'management', 'admin.kubeconfig');
}
