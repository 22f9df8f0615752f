import { chmod, mkdir, open, stat } from 'node:fs/promises';

/** Mode of `$BEAMLINE_HOME` and the manager's work folders: the admin kubeconfig, PKI, etcd data and git mirrors are inside. */
export const PRIVATE_DIR_MODE = 0o700;

/** Mode of log files: they name repositories, clusters and errors of every tenant. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` (and missing parents) readable by its owner only, and tightens an existing one
 * (a `$BEAMLINE_HOME` made world-readable by an older Beamline is fixed on the next `up`). Parents
 * that already exist are left alone: they may be the user's home or /tmp.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (((await stat(dir)).mode & 0o777) !== PRIVATE_DIR_MODE) await chmod(dir, PRIVATE_DIR_MODE);
}

/** Creates `file` empty with mode 0600 if missing, or tightens it: a log opened for appending afterwards keeps that mode. */
export async function ensurePrivateFile(file: string): Promise<void> {
  const handle = await open(file, 'a', PRIVATE_FILE_MODE);
  await handle.close();
  if (((await stat(file)).mode & 0o777) !== PRIVATE_FILE_MODE) await chmod(file, PRIVATE_FILE_MODE);
}
