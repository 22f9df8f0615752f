import { readdir, readFile, readlink } from 'node:fs/promises';
import { basename, sep } from 'node:path';

/** A process {@link killStaleGit} found and killed. */
export interface StaleGitProcess {
  readonly pid: number;
  /** Its command line, NUL-separated arguments joined by spaces. */
  readonly command: string;
}

function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}${sep}`);
}

/**
 * Kills git processes (with their process groups: transport helpers, ssh) that work in `root` (the
 * working folder, or an argument naming a path in it) and that this process did not start: those
 * a previous manager left when it was killed without a chance to stop them (SIGKILL, OOM). Node
 * has no `PR_SET_PDEATHSIG`, so they cannot be made to die with it; this sweep on start is the
 * remedy. Only processes of this user are visible enough to match; elsewhere than Linux (no
 * `/proc`) it does nothing. Returns what it killed.
 */
export async function killStaleGit(root: string): Promise<StaleGitProcess[]> {
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const killed: StaleGitProcess[] = [];
  for (const name of pids) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const args = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0').filter((arg) => arg !== '');
      const program = basename(args[0] ?? '');
      if (program !== 'git' && !program.startsWith('git-')) continue;
      const cwd = await readlink(`/proc/${name}/cwd`).catch(() => '');
      if (!isInside(cwd, root) && !args.some((arg) => isInside(arg, root))) continue;
      // Fields after the command name (which may hold spaces) in /proc/<pid>/stat: state, ppid, pgrp.
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === process.pid) continue;
      try {
        process.kill(Number(pgrp) === pid ? -pid : pid, 'SIGKILL');
      } catch {
        continue;
      }
      killed.push({ pid, command: args.join(' ') });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return killed;
}
