import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { CliError } from './output.ts';
import { sandboxKubeconfigPath } from './home.ts';
import { joinLines, statusLines, statusOf } from './status-lines.ts';

/**
 * The management cluster's kubeconfig, as kubectl finds it, with the sandbox in between:
 * `--kubeconfig`, then `$KUBECONFIG`, then the one `beamline up` wrote (when the sandbox exists),
 * then `~/.kube/config`.
 */
export function resolveKubeconfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return flag;
  if (env.KUBECONFIG !== undefined && env.KUBECONFIG !== '') return env.KUBECONFIG;
  const sandbox = sandboxKubeconfigPath(env);
  if (existsSync(sandbox)) return sandbox;
  return join(homedir(), '.kube', 'config');
}

/** Loads the management cluster's kubeconfig; a missing file is a clear error, not a stack trace. */
export function loadManagementKubeConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const path = resolveKubeconfigPath(flag, env);
  const config = new KubeConfig();
  // KUBECONFIG may be a list of files, as kubectl allows.
  const files = path.split(':').filter((file) => file !== '');
  const present = files.filter((file) => existsSync(file));
  if (present.length === 0) {
    throw new CliError(`no kubeconfig for the management cluster at ${path}: start the sandbox with \`beamline up\`, or pass --kubeconfig`);
  }
  try {
    if (present.length === 1) config.loadFromFile(present[0] ?? '');
    else config.loadFromDefault({}, false);
  } catch (error) {
    throw new CliError(`failed to read kubeconfig ${path}: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  return config;
}

interface ApiErrorShape {
  readonly code?: number;
  readonly body?: unknown;
  readonly message?: string;
  readonly cause?: { readonly code?: string };
}

/** The HTTP status of a client-node error, if it came from the API server. */
export function apiStatus(error: unknown): number | undefined {
  return (error as ApiErrorShape).code;
}

/**
 * The message of an API error: the API server's refusal as clean `field: message` lines (see
 * {@link statusLines}), or what to do when the server cannot be reached.
 */
export function apiErrorLines(error: unknown, server?: string): string[] {
  const e = error as ApiErrorShape;
  if (typeof e.code === 'number') {
    const status = statusOf(e.body);
    return statusLines({ ...status, code: status?.code ?? e.code });
  }
  const text = `${e.message ?? ''} ${e.cause?.code ?? ''}`;
  if (/ECONNREFUSED|fetch failed|ENOTFOUND|EHOSTUNREACH/.test(text)) {
    return [`cannot reach the management cluster${server === undefined ? '' : ` at ${server}`}: is it running? (\`beamline up\`)`];
  }
  return [e.message ?? String(error)];
}

/** {@link apiErrorLines} as one string (lines joined). */
export function apiErrorMessage(error: unknown, server?: string): string {
  return apiErrorLines(error, server).join('\n');
}

/** Whether namespace `name` exists; undefined when that cannot be told (no permission to read namespaces). */
export async function namespaceExists(config: KubeConfig, name: string): Promise<boolean | undefined> {
  try {
    await config.makeApiClient(CoreV1Api).readNamespace({ name });
    return true;
  } catch (error) {
    return apiStatus(error) === 404 ? false : undefined;
  }
}

/** Refuses to go on in a namespace that does not exist: `namespace "physics" not found`. */
export async function requireNamespace(config: KubeConfig, namespace: string): Promise<void> {
  if ((await namespaceExists(config, namespace)) === false) throw new CliError(`namespace "${namespace}" not found`);
}

/**
 * Wraps an API call so that its failure becomes a {@link CliError}: `failed to <what>: <field:
 * message>` per mistake. A 404 in a namespace that does not exist (`namespace` given) says so
 * instead of naming the object.
 */
export async function callApi<T>(config: KubeConfig, what: string, call: () => Promise<T>, namespace?: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CliError) throw error;
    const status = apiStatus(error);
    const lines = apiErrorLines(error, config.getCurrentCluster()?.server);
    if (status === 404) {
      if (lines[0]?.startsWith('namespace "') === true) throw new CliError(lines[0]);
      if (namespace !== undefined && (await namespaceExists(config, namespace)) === false) throw new CliError(`namespace "${namespace}" not found`);
      throw new CliError(`${what}: not found`);
    }
    throw new CliError(joinLines(`failed to ${what}`, lines));
  }
}
