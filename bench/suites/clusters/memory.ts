/**
 * Memory of simulated clusters as a user asks about it ("how many fit on my machine"): PSS, the
 * proportional set size, from `/proc/<pid>/smaps_rollup`. A page shared by N processes counts 1/N
 * in each, so summing PSS over every process counts the shared binaries' pages once — unlike RSS,
 * which counts kube-apiserver's 100 MB of mapped binary again in every cluster.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSameProcessAlive, readPidRecords } from '@beamline/control-plane';
import type { ProcessRef } from './cpu.ts';

/** One process's PSS, split into anonymous memory (its own heap) and file pages (binaries, shared). */
export interface ProcessPss {
  readonly name: string;
  readonly pid: number;
  readonly pssMib: number;
  readonly anonMib: number;
  readonly fileMib: number;
}

/** PSS of one process, from smaps_rollup (Linux ≥ 4.14). */
export async function processPss(process: ProcessRef): Promise<ProcessPss> {
  const text = await readFile(`/proc/${process.pid}/smaps_rollup`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (match === null) throw new Error(`no ${name} in /proc/${process.pid}/smaps_rollup (${process.name})`);
    return Number(match[1]) / 1024;
  };
  return { name: process.name, pid: process.pid, pssMib: field('Pss'), anonMib: field('Pss_Anon'), fileMib: field('Pss_File') };
}

/** The running processes of a kwok cluster's folder (its pid files). */
export function clusterProcesses(dir: string): ProcessRef[] {
  const records = readPidRecords(join(dir, 'pids'));
  if (records.length === 0) throw new Error(`no pid files in ${dir}/pids`);
  return records.map((record) => {
    if (!isSameProcessAlive(record)) throw new Error(`${record.name} (pid ${record.pid}) of ${dir} is not running`);
    return { name: record.name, pid: record.pid };
  });
}

/** Summed PSS of `processes`, read at (nearly) the same moment. */
export async function totalPss(processes: readonly ProcessRef[]): Promise<{ totalMib: number; processes: ProcessPss[] }> {
  const each = await Promise.all(processes.map((process) => processPss(process)));
  return { totalMib: each.reduce((sum, process) => sum + process.pssMib, 0), processes: each };
}

/**
 * The memory one more idle cluster adds: the least-squares slope of total PSS (every cluster's
 * processes, plus `baseline` — manager and management plane, whose PSS moves when binaries they
 * share with clusters get more sharers) against the number of clusters running.
 */
export function marginalMib(samples: readonly { readonly clusters: number; readonly totalMib: number }[]): number {
  if (samples.length < 2) throw new Error('the marginal memory needs at least two samples');
  const n = samples.length;
  const meanX = samples.reduce((sum, sample) => sum + sample.clusters, 0) / n;
  const meanY = samples.reduce((sum, sample) => sum + sample.totalMib, 0) / n;
  let numerator = 0;
  let denominator = 0;
  for (const sample of samples) {
    numerator += (sample.clusters - meanX) * (sample.totalMib - meanY);
    denominator += (sample.clusters - meanX) ** 2;
  }
  return numerator / denominator;
}

/**
 * How many idle clusters fit in `budgetMib` (16 GiB: a laptop): what is left after the fixed part
 * (the total with no cluster, extrapolated from the samples' line) divided by the marginal memory.
 */
export function clustersInBudget(samples: readonly { readonly clusters: number; readonly totalMib: number }[], budgetMib: number): { clusters: number; fixedMib: number } {
  const slope = marginalMib(samples);
  const meanX = samples.reduce((sum, sample) => sum + sample.clusters, 0) / samples.length;
  const meanY = samples.reduce((sum, sample) => sum + sample.totalMib, 0) / samples.length;
  const fixedMib = meanY - slope * meanX;
  return { clusters: Math.max(0, Math.floor((budgetMib - fixedMib) / slope)), fixedMib };
}
