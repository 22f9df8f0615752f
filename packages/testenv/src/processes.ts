import { readdir, readFile } from 'node:fs/promises';
import { isSameProcessAlive } from '@beamline/control-plane';

/** True while `pid` runs (zombies count as gone). */
export const alive = (pid: number): boolean => isSameProcessAlive({ pid, startTicks: undefined });

/** Pids of live processes whose command line mentions `text` (a plane's folder appears in every component's flags). */
export async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text) && alive(Number(entry))) pids.push(Number(entry));
  }
  return pids;
}

/** SIGKILLs every live process that mentions `text`: the last resort of a test's `after`. */
export async function killProcessesMentioning(text: string): Promise<void> {
  for (const pid of await processesMentioning(text)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
