import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBinaries, stderrProgress, type BinaryPaths } from '@beamline/binaries';
import { destroyControlPlane, startControlPlane, type ControlPlaneMode } from '@beamline/control-plane';
import { median, type BenchResult } from '../report.ts';

const RUNS: Readonly<Record<ControlPlaneMode, number>> = { minimal: 5, full: 3 };
const HA_RUNS = 3;

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
 * Starts of an HA plane as the kwok provider starts a cluster: `detached` (etcd fsyncs), all
 * components, 3 etcd members and 3 apiservers behind the load balancer; ready = every component's
 * probe, the load balancer's being `/readyz` through it. Each plane is destroyed before the next.
 */
async function timeHaStarts(binaries: BinaryPaths): Promise<number[]> {
  const root = await mkdtemp(join(tmpdir(), 'beamline-bench-ha-'));
  const samples: number[] = [];
  try {
    for (let run = 0; run < HA_RUNS; run++) {
      const dir = join(root, `ha-${run}`);
      const started = performance.now();
      try {
        await startControlPlane({ binaries, dir, mode: 'full', controlPlaneReplicas: 3, lifetime: 'detached', name: 'bench-ha' });
        samples.push((performance.now() - started) / 1000);
      } finally {
        await destroyControlPlane(dir);
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  return samples;
}

/**
 * Suite `controlplane`: time from `startControlPlane()` to a ready plane (PKI generated, processes
 * started, every component's health endpoint answering 200), the median of several cold starts.
 * `minimal` is etcd + kube-apiserver (`/readyz`); `full` adds kube-controller-manager,
 * kube-scheduler and kwok (`/healthz` of each); `ha` is a full plane with 3 etcd members and 3
 * apiservers behind the load balancer, started `detached` as provider clusters are.
 */
export async function controlPlaneSuite(): Promise<BenchResult> {
  const binaries = (await ensureBinaries({ progress: stderrProgress('setup') })).paths;
  // One warm-up start so the first measured run does not pay for the page cache.
  await (await startControlPlane({ binaries, mode: 'minimal', name: 'bench-warmup' })).stop();
  const minimal = await timeStarts('minimal', binaries);
  const full = await timeStarts('full', binaries);
  const ha = await timeHaStarts(binaries);
  const minimalMedian = median(minimal);
  const fullMedian = median(full);
  const haMedian = median(ha);
  return {
    suite: 'controlplane',
    rows: [
      { metric: 'control_plane_ready_s', value: minimalMedian, unit: 's', target: '<= 5', pass: minimalMedian <= 5, samples: minimal },
      { metric: 'full_control_plane_ready_s', value: fullMedian, unit: 's', target: '<= 10', pass: fullMedian <= 10, samples: full },
      // The target of ha_cluster_ready_s (suite clusters), which adds the Cluster controller around this.
      { metric: 'ha_control_plane_ready_s', value: haMedian, unit: 's', target: '<= 20', pass: haMedian <= 20, samples: ha },
    ],
    notes: [`median of ${RUNS.minimal} (minimal), ${RUNS.full} (full) and ${HA_RUNS} (ha) starts on ${cpus().length} cores, after one warm-up start`],
  };
}
