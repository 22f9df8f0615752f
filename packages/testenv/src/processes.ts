import { readdir, readFile } from 'node:fs/promises';
import { isSameProcessAlive } from '@beamline/control-plane';

/**
 * Pids of live processes whose command line mentions `text`. A control plane's folder appears in
 * the flags of every component it runs, so `processesMentioning(dir)` finds whatever a plane left
 * behind — the check behind every "leaves no process" assertion.
 */
export async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(text) && isSameProcessAlive({ pid: Number(entry), startTicks: undefined })) pids.push(Number(entry));
  }
  return pids;
}
