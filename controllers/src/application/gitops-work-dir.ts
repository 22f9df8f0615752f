import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A GitOps work folder claimed by {@link claimGitopsWorkDir}. */
export interface GitopsWorkDir {
  /** The folder (owner-only): git mirrors, exports and pulled charts go under it. */
  readonly dir: string;
  /** Gives the folder up (its content stays, for the next manager to reuse). */
  release(): Promise<void>;
}

/** How many managers may share one home at once (standby replicas); more is a setup error. */
const MAX_SLOTS = 16;
const OWNER_FILE = 'owner.pid';

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, someone else's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function ownerOf(dir: string): Promise<number | undefined> {
  const text = await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : Number(text.trim());
}

/**
 * Claims a stable GitOps work folder under `<home>/gitops`: `slot-0` normally, so git mirrors
 * survive a restart and are fetched incrementally instead of cloned again; `slot-1`... while other
 * managers on the same home hold the lower ones (a mirror cache belongs to one process). A slot is
 * held by an `owner.pid` file and is free when that process is gone.
 *
 * Folders of earlier versions (one per manager start, `<hostname>-<pid>`, never removed) are
 * deleted when their process is gone, and so are temporary exports a killed manager left in the
 * slot. Every level is made owner-only (0700): mirrors of private
 * repositories and rendered Secrets are inside.
 */
export async function claimGitopsWorkDir(home: string): Promise<GitopsWorkDir> {
  const root = join(home, 'gitops');
  await mkdir(root, { recursive: true, mode: 0o700 });
  await chmod(root, 0o700);
  for (const name of await readdir(root)) {
    const legacy = /-(\d+)$/.exec(name);
    if (legacy === null || name.startsWith('slot-')) continue;
    if (!isAlive(Number(legacy[1]))) await rm(join(root, name), { recursive: true, force: true });
  }
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    const dir = join(root, `slot-${slot}`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    const owner = await ownerOf(dir);
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) continue;
    const ownerFile = join(dir, OWNER_FILE);
    if (owner !== undefined) await rm(ownerFile, { force: true });
    try {
      // `wx`: of two managers starting at once, one creates the file and the other moves on.
      await writeFile(ownerFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new Error(`failed to claim the gitops work folder ${dir}: ${(error as Error).message}`, { cause: error });
    }
    // Exports and charts a killed manager was rendering (the source loader's temporary folders).
    for (const name of await readdir(dir)) if (name.startsWith('export-') || name.startsWith('chart-')) await rm(join(dir, name), { recursive: true, force: true });
    return {
      dir,
      release: async () => {
        if ((await ownerOf(dir)) === process.pid) await rm(ownerFile, { force: true });
      },
    };
  }
  throw new Error(`failed to claim a gitops work folder in ${root}: ${MAX_SLOTS} managers already run on this home`);
}
