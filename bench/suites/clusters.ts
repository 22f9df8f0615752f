import { cpus, totalmem } from 'node:os';
import { median, type BenchResult } from '../report.ts';
import { formatCpu } from './clusters/cpu.ts';
import { startEnvironment } from './clusters/environment.ts';
import {
  beamlineClient,
  clusterDir,
  clusterRss,
  createClusterAndWait,
  deleteClusterAndWait,
  formatBreakdown,
  scaleNodeGroupAndWait,
  type ClusterRss,
  type ReadyRun,
  type ScaleRun,
} from './clusters/measure.ts';

const NAMESPACE = 'bench';
const SMALL_RUNS = 3;
const HA_RUNS = 3;
const SCALE_REPLICAS = 1000;
/** How long the `small` cluster whose memory is read has been Ready first. */
const IDLE_MS = 10_000;

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
 *   it has been Ready for 10 s.
 *
 * Every measured cluster is deleted (object and folder gone) before the next; the manager, any
 * cluster left and the management plane are stopped and the temporary home removed at the end,
 * also on failure.
 */
export async function clustersSuite(): Promise<BenchResult> {
  const environment = await startEnvironment([NAMESPACE]);
  const client = beamlineClient(environment.kubeConfig, NAMESPACE);
  const small: ReadyRun[] = [];
  const ha: ReadyRun[] = [];
  const deletions: number[] = [];
  let rss: ClusterRss | undefined;
  let scale: ScaleRun | undefined;
  let scaleClusterReady: ReadyRun | undefined;
  try {
    for (let run = 0; run < SMALL_RUNS; run++) {
      const name = `bench-small-${run}`;
      small.push(await createClusterAndWait(environment, client, NAMESPACE, name, 'small'));
      if (run === SMALL_RUNS - 1) {
        await sleep(IDLE_MS);
        rss = await clusterRss(clusterDir(environment, NAMESPACE, name));
      }
      deletions.push(await deleteClusterAndWait(environment, client, NAMESPACE, name));
    }
    for (let run = 0; run < HA_RUNS; run++) {
      const name = `bench-ha-${run}`;
      ha.push(await createClusterAndWait(environment, client, NAMESPACE, name, 'ha'));
      deletions.push(await deleteClusterAndWait(environment, client, NAMESPACE, name));
    }
    scaleClusterReady = await createClusterAndWait(environment, client, NAMESPACE, 'bench-scale', 'small');
    scale = await scaleNodeGroupAndWait(environment, client, NAMESPACE, 'bench-scale', 'scale', SCALE_REPLICAS);
    deletions.push(await deleteClusterAndWait(environment, client, NAMESPACE, 'bench-scale'));
  } finally {
    await environment.close();
  }
  if (rss === undefined || scale === undefined || scaleClusterReady === undefined) throw new Error('the clusters bench did not complete');

  const smallMedian = median(small.map((run) => run.seconds));
  const haMedian = median(ha.map((run) => run.seconds));
  const cpu = cpus();
  const { setup } = environment;
  return {
    suite: 'clusters',
    rows: [
      { metric: 'cluster_ready_s', value: smallMedian, unit: 's', target: '<= 10', pass: smallMedian <= 10, samples: small.map((run) => run.seconds) },
      { metric: 'ha_cluster_ready_s', value: haMedian, unit: 's', target: '<= 20', pass: haMedian <= 20, samples: ha.map((run) => run.seconds) },
      { metric: 'scale_1000_nodes_s', value: scale.seconds, unit: 's', target: '<= 30', pass: scale.seconds <= 30 },
      { metric: 'cluster_rss_mib', value: rss.totalMib, unit: 'MiB', target: '<= 400', pass: rss.totalMib <= 400 },
    ],
    notes: [
      `machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB; one cluster at a time`,
      'end to end through the product: management plane (etcd, kube-apiserver, kube-controller-manager) + Beamline API + the `beamline manager` process; ' +
        'Clusters created through the management API, status polled every 100 ms; times from the create (or patch) call to the poll that sees Ready=True',
      `setup (not measured): management plane ${fixed(setup.managementPlaneS)} s, API + templates ${fixed(setup.installApiS)} s, manager ready and leading ${fixed(setup.managerReadyS)} s`,
      ...small.map((run, index) => `small #${index + 1} ${fixed(run.seconds)} s: ${formatBreakdown(run.breakdown)}; ${formatCpu(run.cpu, cpu.length)}`),
      ...ha.map((run, index) => `ha #${index + 1} ${fixed(run.seconds)} s: ${formatBreakdown(run.breakdown)}; ${formatCpu(run.cpu, cpu.length)}`),
      `cluster_rss_mib: small cluster #${SMALL_RUNS} after ${IDLE_MS / 1000} s Ready: ${rss.components.map((c) => `${c.name} ${Math.round(c.mib)} (anon ${Math.round(c.anonMib)} + file ${Math.round(c.fileMib)})`).join(', ')} MiB; ` +
        'file = mapped binaries, shared by every cluster; manager and management plane not counted',
      `scale_1000_nodes_s: NodeGroup of 0 added to a Ready small cluster (ready in ${fixed(scaleClusterReady.seconds)} s), patched to ${SCALE_REPLICAS}; ` +
        `nodes created ${fixed(scale.nodes.firstCreatedS)} to ${fixed(scale.nodes.lastCreatedS)} s, made Ready by kwok ${fixed(scale.nodes.firstReadyS)} to ${fixed(scale.nodes.lastReadyS)} s ` +
        `(API timestamps, whole seconds); NodeGroup status seen: ${scale.timeline.map((t) => `${fixed(t.atS)} s ${t.readyReplicas}/${t.replicas}`).join(', ')}`,
      `scale_1000_nodes_s ${formatCpu(scale.cpu, cpu.length)}`,
      `deletes (object and folder gone): ${deletions.map(fixed).join(', ')} s`,
    ],
  };
}
