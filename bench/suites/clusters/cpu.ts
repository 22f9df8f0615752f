/**
 * CPU accounting from /proc, for the notes of the `clusters` suite: which process spent the CPU
 * of a measured interval, and how busy the machine was. Read at the interval's ends only, so it
 * adds no load while it runs.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A process to account for. */
export interface ProcessRef {
  readonly name: string;
  readonly pid: number;
}

/** CPU use over an interval. */
export interface CpuUsage {
  readonly wallS: number;
  /** Busy CPU-seconds of the whole machine (all cores) over the interval. */
  readonly machineBusyS: number;
  /** CPU-seconds (user + system) of each process, highest first. */
  readonly processes: readonly { readonly name: string; readonly cpuS: number }[];
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of a process, in ticks; undefined when it is gone. */
function processTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): field 3 is index 0; utime is field 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Busy and total ticks of the machine (first line of /proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** A running measurement; {@link CpuMeter.stop} may name processes that started after it began (their baseline is 0). */
export interface CpuMeter {
  stop(processes: readonly ProcessRef[]): CpuUsage;
}

/** Starts accounting; `processes` are the ones that already run (their CPU so far is the baseline). */
export function startCpuMeter(processes: readonly ProcessRef[]): CpuMeter {
  const startedMs = performance.now();
  const machine = machineTicks();
  const baseline = new Map(processes.map((ref) => [ref.pid, processTicks(ref.pid) ?? 0]));
  return {
    stop(refs): CpuUsage {
      const now = machineTicks();
      const hz = clockTicks();
      const seen = new Set<number>();
      const usage: { name: string; cpuS: number }[] = [];
      for (const ref of refs) {
        if (seen.has(ref.pid)) continue;
        seen.add(ref.pid);
        const ticks = processTicks(ref.pid);
        if (ticks !== undefined) usage.push({ name: ref.name, cpuS: (ticks - (baseline.get(ref.pid) ?? 0)) / hz });
      }
      return {
        wallS: (performance.now() - startedMs) / 1000,
        machineBusyS: (now.busy - machine.busy) / hz,
        processes: usage.sort((a, b) => b.cpuS - a.cpuS),
      };
    },
  };
}

/** One line: wall time, machine busy, and the processes that used at least 0.1 CPU-second. */
export function formatCpu(usage: CpuUsage, cores: number): string {
  const top = usage.processes.filter((p) => p.cpuS >= 0.1).map((p) => `${p.name} ${p.cpuS.toFixed(1)}`);
  const accounted = usage.processes.reduce((sum, p) => sum + p.cpuS, 0);
  return (
    `CPU-s over ${usage.wallS.toFixed(1)} s wall: machine busy ${usage.machineBusyS.toFixed(1)} of ${(usage.wallS * cores).toFixed(1)} ` +
    `(${Math.round((100 * usage.machineBusyS) / (usage.wallS * cores))}%): ${top.join(', ')}; ` +
    `outside this bench (other processes, kernel) ${Math.max(0, usage.machineBusyS - accounted).toFixed(1)}`
  );
}
