import { cpus, totalmem } from 'node:os';
import { median, type BenchResult, type BenchRow } from '../report.ts';
import { formatCpu } from './clusters/cpu.ts';
import { clusterProcesses, clustersInBudget, marginalMib, totalPss } from './clusters/memory.ts';
import { startEnvironment } from './clusters/environment.ts';
import {
  beamlineClient,
  clusterDir,
  clusterRss,
  createClusterAndWait,
  deleteClusterAndWait,
  formatBreakdown,
  scaleNodeGroupAndWait,
  scaleNodeGroupsAndWait,
  type ClusterRss,
  type ReadyRun,
} from './clusters/measure.ts';

const NAMESPACE = 'bench';
const SMALL_RUNS = 3;
const HA_RUNS = 3;
const SCALE_REPLICAS = 1000;
/** `scale_10000_nodes_s`: this many groups of SCALE_REPLICAS each, scaled at once. */
const MANY_GROUPS = 10;
/** How long `scale_10000_nodes_s` may run before it is reported as not reached. */
const SCALE_MANY_TIMEOUT_MS = 600_000;
/** How long the `small` cluster whose memory is read has been Ready first. */
const IDLE_MS = 10_000;
/** Idle `small` clusters started one after another for the marginal memory (PSS read after each). */
const MEMORY_CLUSTERS = 5;
/**
 * How long after each of them is Ready the PSS is read: a new apiserver's heap grows for its first
 * half minute (caches filling, first garbage collections), so a shorter wait measures a young
 * cluster, not an idle one (10 s gave increments from 136 to 392 MiB in one run).
 */
const MEMORY_IDLE_MS = 30_000;
/** A laptop's memory, for `clusters_in_16gib`. */
const BUDGET_MIB = 16 * 1024;

const fixed = (value: number): string => value.toFixed(2);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Suite `clusters`: the clusters capability end to end through the real product on this machine.
 * A management control plane (etcd, kube-apiserver, kube-controller-manager) with the Beamline API
 * and default templates installed, and the real `beamline manager` process running the
 * controllers; Clusters and NodeGroups are created through the management API and their status
 * polled every 100 ms, one cluster at a time.
 *
 * - `cluster_ready_s`: Cluster from template `small` (1 control-plane member, 3 nodes) created →
 *   Ready=True; median of 3.
 * - `ha_cluster_ready_s`: the same with template `ha` (3 etcd, 3 apiservers, load balancer, 3 nodes).
 * - `scale_1000_nodes_s`: a NodeGroup of a Ready `small` cluster patched from 0 to 1000 replicas →
 *   readyReplicas 1000 and Ready=True at the new generation; one run.
 * - `cluster_rss_mib`: summed VmRSS of every process of one `small` cluster (its pid files) after
 *   it has been Ready for 10 s (kept beside the next two: RSS counts shared binaries in each cluster).
 * - `cluster_marginal_mib`: what one more idle `small` cluster adds to the machine's memory: the
 *   slope of total PSS over 1 to 5 clusters running (`clusters/memory.ts`); `clusters_in_16gib`
 *   follows from it and the intercept.
 *
 * Every measured cluster is deleted (object and folder gone) before the next; the manager, any
 * cluster left and the management plane are stopped and the temporary home removed at the end,
 * also on failure.
 */
export async function clustersSuite(): Promise<BenchResult> {
  const parts = selectedParts();
  const environment = await startEnvironment([NAMESPACE]);
  const client = beamlineClient(environment.kubeConfig, NAMESPACE);
  const cpu = cpus();
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const deletions: number[] = [];
  try {
    if (parts.has('ready')) {
      const small: ReadyRun[] = [];
      let rss: ClusterRss | undefined;
      for (let run = 0; run < SMALL_RUNS; run++) {
        const name = `bench-small-${run}`;
        small.push(await createClusterAndWait(environment, client, NAMESPACE, name, 'small'));
        if (run === SMALL_RUNS - 1) {
          await sleep(IDLE_MS);
          rss = await clusterRss(clusterDir(environment, NAMESPACE, name));
        }
        deletions.push(await deleteClusterAndWait(environment, client, NAMESPACE, name));
      }
      const smallMedian = median(small.map((run) => run.seconds));
      rows.push({ metric: 'cluster_ready_s', value: smallMedian, unit: 's', target: '<= 10', pass: smallMedian <= 10, samples: small.map((run) => run.seconds) });
      notes.push(...small.map((run, index) => `small #${index + 1} ${fixed(run.seconds)} s: ${formatBreakdown(run.breakdown)}; ${formatCpu(run.cpu, cpu.length)}`));
      if (rss !== undefined) {
        // Kept for honesty beside the PSS figures: RSS counts the shared binaries in every cluster.
        rows.push({ metric: 'cluster_rss_mib', value: rss.totalMib, unit: 'MiB', target: '-', pass: true });
        notes.push(
          `cluster_rss_mib: small cluster #${SMALL_RUNS} after ${IDLE_MS / 1000} s Ready: ${rss.components.map((c) => `${c.name} ${Math.round(c.mib)} (anon ${Math.round(c.anonMib)} + file ${Math.round(c.fileMib)})`).join(', ')} MiB; ` +
            'file = mapped binaries, shared by every cluster; manager and management plane not counted',
        );
      }
    }
    if (parts.has('ha')) {
      const ha: ReadyRun[] = [];
      for (let run = 0; run < HA_RUNS; run++) {
        const name = `bench-ha-${run}`;
        ha.push(await createClusterAndWait(environment, client, NAMESPACE, name, 'ha'));
        deletions.push(await deleteClusterAndWait(environment, client, NAMESPACE, name));
      }
      const haMedian = median(ha.map((run) => run.seconds));
      rows.push({ metric: 'ha_cluster_ready_s', value: haMedian, unit: 's', target: '<= 20', pass: haMedian <= 20, samples: ha.map((run) => run.seconds) });
      notes.push(...ha.map((run, index) => `ha #${index + 1} ${fixed(run.seconds)} s: ${formatBreakdown(run.breakdown)}; ${formatCpu(run.cpu, cpu.length)}`));
    }
    if (parts.has('memory')) {
      // Idle small clusters added one at a time; total PSS of the manager, the management plane
      // and every cluster after each has been Ready for IDLE_MS.
      const memory: { clusters: number; totalMib: number; perCluster: string; parts: string }[] = [];
      const memoryClusters = Array.from({ length: MEMORY_CLUSTERS }, (_, index) => `bench-mem-${index}`);
      for (const name of memoryClusters) {
        await createClusterAndWait(environment, client, NAMESPACE, name, 'small');
        await sleep(MEMORY_IDLE_MS);
        const running = memoryClusters.slice(0, memory.length + 1);
        const pss = await totalPss([...environment.processes().filter((process) => process.name !== 'bench'), ...running.flatMap((cluster) => clusterProcesses(clusterDir(environment, NAMESPACE, cluster)))]);
        const last = new Set(clusterProcesses(clusterDir(environment, NAMESPACE, name)).map((process) => process.pid));
        const sum = (pids: ReadonlySet<number>): number => pss.processes.filter((process) => pids.has(process.pid)).reduce((total, process) => total + process.pssMib, 0);
        const pidsOf = (names: (process: { name: string }) => boolean): Set<number> => new Set(environment.processes().filter(names).map((process) => process.pid));
        const perCluster = running.map((cluster) => Math.round(sum(new Set(clusterProcesses(clusterDir(environment, NAMESPACE, cluster)).map((process) => process.pid)))));
        memory.push({
          clusters: running.length,
          totalMib: pss.totalMib,
          parts: `manager ${Math.round(sum(pidsOf((process) => process.name === 'manager')))}, management plane ${Math.round(sum(pidsOf((process) => process.name.startsWith('mgmt-'))))}, clusters ${perCluster.join('+')}`,
          perCluster: pss.processes
            .filter((process) => last.has(process.pid))
            .map((process) => `${process.name} ${Math.round(process.pssMib)} (anon ${Math.round(process.anonMib)})`)
            .join(', '),
        });
      }
      for (const name of memoryClusters) deletions.push(await deleteClusterAndWait(environment, client, NAMESPACE, name));
      const marginal = marginalMib(memory);
      const budget = clustersInBudget(memory, BUDGET_MIB);
      rows.push(
        { metric: 'cluster_marginal_mib', value: marginal, unit: 'MiB', target: '<= 250', pass: marginal <= 250 },
        { metric: 'clusters_in_16gib', value: budget.clusters, unit: 'clusters', target: '-', pass: true },
      );
      notes.push(
        `cluster_marginal_mib: ${MEMORY_CLUSTERS} idle small clusters started one after another, total PSS (manager + management plane + every cluster's processes; ` +
          `shared binary pages counted once) after each had been Ready ${MEMORY_IDLE_MS / 1000} s: ${memory.map((sample) => `${sample.clusters} → ${Math.round(sample.totalMib)} MiB (${sample.parts})`).join('; ')}; ` +
          `slope ${marginal.toFixed(0)} MiB per cluster; the last cluster's own processes: ${memory.at(-1)?.perCluster ?? ''} MiB`,
        `clusters_in_16gib: (16384 MiB − ${budget.fixedMib.toFixed(0)} MiB fixed (no cluster: the line's intercept)) / ${marginal.toFixed(0)} MiB; idle clusters, busy ones use more`,
      );
    }
    if (parts.has('scale')) {
      const scaleClusterReady = await createClusterAndWait(environment, client, NAMESPACE, 'bench-scale', 'small');
      const scale = await scaleNodeGroupAndWait(environment, client, NAMESPACE, 'bench-scale', 'scale', SCALE_REPLICAS);
      deletions.push(await deleteClusterAndWait(environment, client, NAMESPACE, 'bench-scale'));
      rows.push({ metric: 'scale_1000_nodes_s', value: scale.seconds, unit: 's', target: '<= 30', pass: scale.seconds <= 30 });
      notes.push(
        `scale_1000_nodes_s: NodeGroup of 0 added to a Ready small cluster (ready in ${fixed(scaleClusterReady.seconds)} s), patched to ${SCALE_REPLICAS}; ` +
          `nodes created ${fixed(scale.nodes.firstCreatedS)} to ${fixed(scale.nodes.lastCreatedS)} s, made Ready by kwok ${fixed(scale.nodes.firstReadyS)} to ${fixed(scale.nodes.lastReadyS)} s ` +
          `(API timestamps, whole seconds); NodeGroup status seen: ${scale.timeline.map((t) => `${fixed(t.atS)} s ${t.readyReplicas}/${t.replicas}`).join(', ')}`,
        `scale_1000_nodes_s ${formatCpu(scale.cpu, cpu.length)}`,
      );
    }
    if (parts.has('scale10k')) {
      await createClusterAndWait(environment, client, NAMESPACE, 'bench-scale-many', 'small');
      let many;
      try {
        many = await scaleNodeGroupsAndWait(environment, client, NAMESPACE, 'bench-scale-many', MANY_GROUPS, SCALE_REPLICAS, SCALE_MANY_TIMEOUT_MS);
      } catch (error) {
        // Not reached in time is a result too: a failed row with what was seen, and the other parts' rows kept.
        rows.push({ metric: 'scale_10000_nodes_s', value: SCALE_MANY_TIMEOUT_MS / 1000, unit: 's', target: '<= 120', pass: false });
        notes.push(`scale_10000_nodes_s did not finish: ${(error as Error).message.split('\n')[0] ?? ''}`);
      }
      deletions.push(await deleteClusterAndWait(environment, client, NAMESPACE, 'bench-scale-many', 600_000));
      if (many !== undefined) {
        rows.push(
          { metric: 'scale_10000_nodes_s', value: many.seconds, unit: 's', target: '<= 120', pass: many.seconds <= 120 },
          { metric: 'scale_10000_manager_cpu_s', value: many.cpu.processes.find((process) => process.name === 'manager')?.cpuS ?? Number.NaN, unit: 'CPU-s', target: '-', pass: true },
        );
        const shown = many.timeline.filter((_, index, all) => index % Math.max(1, Math.ceil(all.length / 12)) === 0 || index === all.length - 1);
        notes.push(
          `scale_10000_nodes_s: ${MANY_GROUPS} NodeGroups of 0 added to a Ready small cluster, all patched to ${SCALE_REPLICAS} at once; ready nodes seen: ` +
            `${shown.map((t) => `${fixed(t.atS)} s ${t.readyReplicas}`).join(', ')}; ${formatCpu(many.cpu, cpu.length)}`,
        );
      }
    }
  } finally {
    await environment.close();
  }
  const { setup } = environment;
  return {
    suite: 'clusters',
    rows,
    notes: [
      `machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB; one cluster at a time but for the memory part; parts run: ${[...parts].join(', ')}`,
      'end to end through the product: management plane (etcd, kube-apiserver, kube-controller-manager) + Beamline API + the `beamline manager` process; ' +
        'Clusters created through the management API, status polled every 100 ms; times from the create (or patch) call to the poll that sees Ready=True',
      `setup (not measured): management plane ${fixed(setup.managementPlaneS)} s, API + templates ${fixed(setup.installApiS)} s, manager ready and leading ${fixed(setup.managerReadyS)} s`,
      ...notes,
      `deletes (object and folder gone): ${deletions.map(fixed).join(', ')} s`,
    ],
  };
}

/** The suite's parts, all by default; `BEAMLINE_BENCH_PARTS=memory,scale10k` runs only those (while working on one). */
function selectedParts(): Set<string> {
  const all = ['ready', 'ha', 'memory', 'scale', 'scale10k'];
  const asked = process.env['BEAMLINE_BENCH_PARTS'];
  if (asked === undefined || asked === '') return new Set(all);
  const parts = asked.split(',').map((part) => part.trim());
  const unknown = parts.filter((part) => !all.includes(part));
  if (unknown.length > 0) throw new Error(`BEAMLINE_BENCH_PARTS: unknown part ${unknown.join(', ')}; the parts are ${all.join(', ')}`);
  return new Set(parts);
}
