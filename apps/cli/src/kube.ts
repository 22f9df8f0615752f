import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { CliError } from './output.ts';
import { sandboxKubeconfigPath } from './home.ts';

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
 * A one-line message for an API error: the API server's own Status message (which names the field
 * for validation errors), or what to do when the server cannot be reached.
 */
export function apiErrorMessage(error: unknown, server?: string): string {
  const e = error as ApiErrorShape;
  if (typeof e.code === 'number') {
    const raw = typeof e.body === 'string' ? e.body : JSON.stringify(e.body ?? '');
    try {
      const status = JSON.parse(raw) as { message?: string };
      if (typeof status.message === 'string') return status.message;
    } catch {
      // not a Status object
    }
    return `the API server answered ${e.code}`;
  }
  const text = `${e.message ?? ''} ${e.cause?.code ?? ''}`;
  if (/ECONNREFUSED|fetch failed|ENOTFOUND|EHOSTUNREACH/.test(text)) {
    return `cannot reach the management cluster${server === undefined ? '' : ` at ${server}`}: is it running? (\`beamline up\`)`;
  }
  return e.message ?? String(error);
}

/** Wraps an API call so that its failure becomes a {@link CliError} with the server's message. */
export async function callApi<T>(config: KubeConfig, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof CliError) throw error;
    const status = apiStatus(error);
    const message = apiErrorMessage(error, config.getCurrentCluster()?.server);
    throw new CliError(status === 404 ? `${what}: not found` : `failed to ${what}: ${message}`);
  }
}
