import { cpus } from 'node:os';
import { ensureBinaries, stderrProgress } from '@beamline/binaries';
import { startControlPlane, type ControlPlaneMode } from '@beamline/control-plane';
import { median, type BenchResult } from '../report.ts';

const RUNS: Readonly<Record<ControlPlaneMode, number>> = { minimal: 5, full: 3 };

async function timeStarts(mode: ControlPlaneMode, binaries: Parameters<typeof startControlPlane>[0]['binaries']): Promise<number[]> {
  const samples: number[] = [];
  for (let run = 0; run < RUNS[mode]; run++) {
    const started = performance.now();
    const plane = await startControlPlane({ binaries, mode, name: `bench-${mode}` });
    samples.push((performance.now() - started) / 1000);
    await plane.stop();
  }
  return samples;
}

/**
 * Suite `controlplane`: time from `startControlPlane()` to a ready plane (PKI generated, processes
 * started, every component's health endpoint answering 200), the median of several cold starts.
 * `minimal` is etcd + kube-apiserver (`/readyz`); `full` adds kube-controller-manager,
 * kube-scheduler and kwok (`/healthz` of each).
 */
export async function controlPlaneSuite(): Promise<BenchResult> {
  const binaries = (await ensureBinaries({ progress: stderrProgress('setup') })).paths;
  // One warm-up start so the first measured run does not pay for the page cache.
  await (await startControlPlane({ binaries, mode: 'minimal', name: 'bench-warmup' })).stop();
  const minimal = await timeStarts('minimal', binaries);
  const full = await timeStarts('full', binaries);
  const minimalMedian = median(minimal);
  const fullMedian = median(full);
  return {
    suite: 'controlplane',
    rows: [
      { metric: 'control_plane_ready_s', value: minimalMedian, unit: 's', target: '<= 5', pass: minimalMedian <= 5, samples: minimal },
      { metric: 'full_control_plane_ready_s', value: fullMedian, unit: 's', target: '<= 10', pass: fullMedian <= 10, samples: full },
    ],
    notes: [`median of ${RUNS.minimal} (minimal) and ${RUNS.full} (full) starts on ${cpus().length} cores, after one warm-up start`],
  };
}
