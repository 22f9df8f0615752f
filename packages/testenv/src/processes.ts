import { isSameProcessAlive, processesMentioning } from '@beamline/control-plane';

export { processesMentioning };

/** True while `pid` runs (zombies count as gone). */
export const alive = (pid: number): boolean => isSameProcessAlive({ pid, startTicks: undefined });

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
