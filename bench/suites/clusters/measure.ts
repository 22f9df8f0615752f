/**
 * Measurements of the `clusters` suite against a {@link BenchEnvironment}: Clusters and NodeGroups
 * created through the management API, their status polled every 100 ms, the kwok cluster's
 * folder read for where the time went and for the memory of its processes.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import { CLUSTER, GROUP, KUBECONFIG_SECRET_KEY, NODE_GROUP, VERSION, kubeconfigSecretName, type Cluster, type NodeGroup } from '@beamline/api';
import { isSameProcessAlive, readPidRecords, readStateIfAny } from '@beamline/control-plane';
import { startCpuMeter, type CpuUsage, type ProcessRef } from './cpu.ts';
import { managerLogTail, type BenchEnvironment } from './environment.ts';

const POLL_MS = 100;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (fromMs: number, toMs: number): number => (toMs - fromMs) / 1000;
const fixed = (value: number): string => value.toFixed(2);

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly observedGeneration?: number;
}

const conditionOf = (object: { status?: { conditions?: readonly Condition[] } }, type: string): Condition | undefined =>
  object.status?.conditions?.find((condition) => condition.type === type);

const statusCode = (error: unknown): number | undefined => (error as { code?: number }).code;

/** Polls `check` every {@link POLL_MS} until it returns a value; on timeout the error says what was last seen. */
async function pollUntil<T>(
  environment: BenchEnvironment,
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  lastSeen: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (!environment.managerAlive()) throw new Error(`the manager exited while waiting for ${what}\n${await managerLogTail(environment)}`);
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000} s waiting for ${what}; last seen: ${lastSeen()}${lastError === '' ? '' : ` (last error: ${lastError})`}\n` +
          `--- manager log ---\n${await managerLogTail(environment)}`,
      );
    }
    await sleep(POLL_MS);
  }
}

/** The Beamline objects of one namespace of the management cluster. */
export interface BeamlineClient {
  createCluster(name: string, template: string): Promise<void>;
  getCluster(name: string): Promise<Cluster | undefined>;
  deleteCluster(name: string): Promise<void>;
  createNodeGroup(group: NodeGroup): Promise<NodeGroup>;
  getNodeGroup(name: string): Promise<NodeGroup>;
  /** JSON merge patch of the spec; returns the object as patched (its new generation). */
  patchNodeGroupSpec(name: string, spec: Partial<NodeGroup['spec']>): Promise<NodeGroup>;
  /** The admin kubeconfig of a kwok cluster, from its `<cluster>-kubeconfig` Secret. */
  workloadKubeConfig(cluster: string): Promise<KubeConfig>;
}

/** A {@link BeamlineClient} for `namespace`. */
export function beamlineClient(kubeConfig: KubeConfig, namespace: string): BeamlineClient {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const clusters = { group: GROUP, version: VERSION, namespace, plural: CLUSTER.plural };
  const groups = { group: GROUP, version: VERSION, namespace, plural: NODE_GROUP.plural };
  const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
  return {
    createCluster: async (name, template) => {
      await api.createNamespacedCustomObject({
        ...clusters,
        body: { apiVersion: `${GROUP}/${VERSION}`, kind: CLUSTER.kind, metadata: { name, namespace }, spec: { templateRef: { name: template } } },
      });
    },
    getCluster: async (name) => {
      try {
        return (await api.getNamespacedCustomObject({ ...clusters, name })) as Cluster;
      } catch (error) {
        if (statusCode(error) === 404) return undefined;
        throw error;
      }
    },
    deleteCluster: async (name) => {
      await api.deleteNamespacedCustomObject({ ...clusters, name });
    },
    createNodeGroup: async (group) => (await api.createNamespacedCustomObject({ ...groups, body: group })) as NodeGroup,
    getNodeGroup: async (name) => (await api.getNamespacedCustomObject({ ...groups, name })) as NodeGroup,
    patchNodeGroupSpec: async (name, spec) => (await api.patchNamespacedCustomObject({ ...groups, name, body: { spec } }, mergePatch)) as NodeGroup,
    workloadKubeConfig: async (cluster) => {
      const secret = await core.readNamespacedSecret({ name: kubeconfigSecretName(cluster), namespace });
      const value = secret.data?.[KUBECONFIG_SECRET_KEY];
      if (value === undefined) throw new Error(`Secret ${namespace}/${kubeconfigSecretName(cluster)} has no key "${KUBECONFIG_SECRET_KEY}"`);
      const config = new KubeConfig();
      config.loadFromString(Buffer.from(value, 'base64').toString('utf8'));
      return config;
    },
  };
}

/** The folder of a kwok cluster of the manager. */
export function clusterDir(environment: BenchEnvironment, namespace: string, name: string): string {
  return join(environment.home, 'clusters', namespace, name);
}

/** The processes of the environment and of a cluster (from its pid files), for CPU accounting. */
export function processesWith(environment: BenchEnvironment, dir: string): ProcessRef[] {
  return [...environment.processes(), ...readPidRecords(join(dir, 'pids')).map((record) => ({ name: record.name, pid: record.pid }))];
}

/** Where the time from create to Ready went, in seconds from the create call. */
export interface ReadyBreakdown {
  /** Create call → the provider wrote `state.json` (manager reaction, finalizer, CA and certificates, ports). */
  readonly beforeStartS: number;
  /** Each stage of the control-plane start: started → every component of it answers its probe. */
  readonly stages: readonly { readonly name: string; readonly seconds: number }[];
  /** `state.json` ready → Cluster Ready=True seen (kubeconfig Secret, node groups, nodes, status). */
  readonly afterControlPlaneS: number;
  /** Create call → ControlPlaneReady=True first seen by the poll. */
  readonly controlPlaneReadySeenS: number;
}

/** One create → Ready measurement. */
export interface ReadyRun {
  readonly seconds: number;
  readonly breakdown: ReadyBreakdown;
  /** CPU from the create call to Ready (the cluster's processes all started within it). */
  readonly cpu: CpuUsage;
}

function stageName(components: readonly string[]): string {
  if (components.every((name) => name.startsWith('etcd'))) return components.length > 1 ? `etcd×${components.length}` : 'etcd';
  if (components.every((name) => name.startsWith('kube-apiserver'))) return components.length > 1 ? `apiserver×${components.length}` : 'apiserver';
  if (components.length === 1) return components[0] ?? '';
  return 'kcm+scheduler+kwok';
}

/**
 * The stage timings of a started plane, from its folder: `state.json` (`createdAt`, `readyAt`, each
 * component's stage) and the pid files, written the moment each process starts: a stage's
 * processes start when the stage before is ready.
 */
async function stageTimings(dir: string): Promise<{ createdAtMs: number; readyAtMs: number; stages: { name: string; seconds: number }[] }> {
  const state = await readStateIfAny(dir);
  if (state?.readyAt === undefined) throw new Error(`${dir}/state.json is not marked ready`);
  const createdAtMs = Date.parse(state.createdAt);
  const readyAtMs = Date.parse(state.readyAt);
  const stageNumbers = [...new Set(state.components.map((component) => component.stage))].sort((a, b) => a - b);
  const starts: number[] = [];
  for (const stage of stageNumbers) {
    const names = state.components.filter((component) => component.stage === stage).map((component) => component.name);
    const times = await Promise.all(names.map(async (name) => (await stat(join(dir, 'pids', `${name}.pid`))).mtimeMs));
    starts.push(Math.min(...times));
  }
  const stages = stageNumbers.map((stage, index) => ({
    name: stageName(state.components.filter((component) => component.stage === stage).map((component) => component.name)),
    seconds: seconds(starts[index] ?? createdAtMs, starts[index + 1] ?? readyAtMs),
  }));
  return { createdAtMs, readyAtMs, stages };
}

/**
 * Creates a Cluster from `template` and polls it every 100 ms until Ready=True; the time is from
 * the create call to the poll that sees Ready. Then reads where the time went from the cluster's
 * folder. The cluster is left running.
 */
export async function createClusterAndWait(
  environment: BenchEnvironment,
  client: BeamlineClient,
  namespace: string,
  name: string,
  template: string,
  timeoutMs = 180_000,
): Promise<ReadyRun> {
  let last: Cluster | undefined;
  let controlPlaneSeenMs: number | undefined;
  const dir = clusterDir(environment, namespace, name);
  const meter = startCpuMeter(environment.processes());
  const startedWall = Date.now();
  const started = performance.now();
  await client.createCluster(name, template);
  await pollUntil(
    environment,
    `Cluster ${namespace}/${name} (template ${template}) Ready`,
    timeoutMs,
    async () => {
      last = await client.getCluster(name);
      if (last === undefined) return undefined;
      if (controlPlaneSeenMs === undefined && conditionOf(last, 'ControlPlaneReady')?.status === 'True') controlPlaneSeenMs = Date.now();
      return conditionOf(last, 'Ready')?.status === 'True' ? true : undefined;
    },
    () => {
      const ready = last === undefined ? undefined : conditionOf(last, 'Ready');
      return ready === undefined ? 'no Ready condition' : `Ready=${ready.status} ${ready.reason ?? ''}: ${ready.message ?? ''}`;
    },
  );
  const elapsed = (performance.now() - started) / 1000;
  const readySeenMs = Date.now();
  const cpu = meter.stop(processesWith(environment, dir));
  const timings = await stageTimings(dir);
  return {
    seconds: elapsed,
    cpu,
    breakdown: {
      beforeStartS: seconds(startedWall, timings.createdAtMs),
      stages: timings.stages,
      afterControlPlaneS: seconds(timings.readyAtMs, readySeenMs),
      controlPlaneReadySeenS: seconds(startedWall, controlPlaneSeenMs ?? readySeenMs),
    },
  };
}

/** One line of a {@link ReadyBreakdown}. */
export function formatBreakdown(breakdown: ReadyBreakdown): string {
  const stages = breakdown.stages.map((stage) => `${stage.name} ${fixed(stage.seconds)}`).join(', ');
  return `before start ${fixed(breakdown.beforeStartS)} | ${stages} | after control plane ${fixed(breakdown.afterControlPlaneS)} (ControlPlaneReady seen at ${fixed(breakdown.controlPlaneReadySeenS)})`;
}

/** Deletes a Cluster and waits until the object and its folder are gone; returns the seconds it took. */
export async function deleteClusterAndWait(environment: BenchEnvironment, client: BeamlineClient, namespace: string, name: string, timeoutMs = 120_000): Promise<number> {
  const dir = clusterDir(environment, namespace, name);
  const started = performance.now();
  await client.deleteCluster(name);
  let phase = '';
  await pollUntil(
    environment,
    `Cluster ${namespace}/${name} deleted and ${dir} removed`,
    timeoutMs,
    async () => {
      const cluster = await client.getCluster(name);
      phase = cluster?.status?.phase ?? 'gone';
      return cluster === undefined && !existsSync(dir) ? true : undefined;
    },
    () => `phase ${phase}, folder ${existsSync(dir) ? 'still there' : 'gone'}`,
  );
  return (performance.now() - started) / 1000;
}

/** Resident memory of a cluster's processes. */
export interface ClusterRss {
  readonly totalMib: number;
  /** VmRSS of each process, and of it RssAnon (its own memory) and RssFile (mapped files, mostly its binary: shared between clusters). */
  readonly components: readonly { readonly name: string; readonly mib: number; readonly anonMib: number; readonly fileMib: number }[];
}

/** Sums VmRSS (`/proc/<pid>/status`) over every process named by the pid files of a cluster's folder. */
export async function clusterRss(dir: string): Promise<ClusterRss> {
  const records = readPidRecords(join(dir, 'pids'));
  if (records.length === 0) throw new Error(`no pid files in ${dir}/pids`);
  const components: { name: string; mib: number; anonMib: number; fileMib: number }[] = [];
  for (const record of records) {
    if (!isSameProcessAlive(record)) throw new Error(`${record.name} (pid ${record.pid}) of ${dir} is not running`);
    const status = await readFile(`/proc/${record.pid}/status`, 'utf8');
    const field = (name: string): number | undefined => {
      const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB$`, 'm').exec(status);
      return match === null ? undefined : Number(match[1]) / 1024;
    };
    const mib = field('VmRSS');
    if (mib === undefined) throw new Error(`no VmRSS in /proc/${record.pid}/status (${record.name})`);
    components.push({ name: record.name, mib, anonMib: field('RssAnon') ?? 0, fileMib: field('RssFile') ?? 0 });
  }
  return { totalMib: components.reduce((sum, component) => sum + component.mib, 0), components };
}

/** One scale-up measurement. */
export interface ScaleRun {
  readonly seconds: number;
  /** Each change of the NodeGroup's status as the poll saw it: seconds from the patch, replicas, ready replicas. */
  readonly timeline: readonly { readonly atS: number; readonly replicas: number; readonly readyReplicas: number }[];
  /**
   * From the workload cluster afterwards, seconds from the patch (whole seconds, the API's
   * resolution): creation timestamps, and the Ready condition's heartbeat, which kwok stamps when
   * it makes the node Ready (its lastTransitionTime is the creation time).
   */
  readonly nodes: { readonly firstCreatedS: number; readonly lastCreatedS: number; readonly firstReadyS: number; readonly lastReadyS: number; readonly count: number };
  /** CPU from the patch call to Ready. */
  readonly cpu: CpuUsage;
}

/**
 * Adds a NodeGroup `<cluster>-<group>` of 0 nodes to a ready cluster, waits until it is Ready, then
 * patches its replicas to `replicas` and polls it every 100 ms until `readyReplicas` is `replicas`
 * and Ready=True at the new generation. Time from the patch call to that poll.
 */
export async function scaleNodeGroupAndWait(
  environment: BenchEnvironment,
  client: BeamlineClient,
  namespace: string,
  cluster: string,
  group: string,
  replicas: number,
  timeoutMs = 300_000,
): Promise<ScaleRun> {
  const name = `${cluster}-${group}`;
  let last: NodeGroup | undefined;
  const describe = (): string => {
    const ready = last === undefined ? undefined : conditionOf(last, 'Ready');
    return `replicas ${last?.status?.replicas ?? '-'}, ready ${last?.status?.readyReplicas ?? '-'}, Ready=${ready?.status ?? '-'} ${ready?.reason ?? ''} (generation ${ready?.observedGeneration ?? '-'})`;
  };
  const readyAt = (generation: number, want: number) => async (): Promise<true | undefined> => {
    last = await client.getNodeGroup(name);
    const ready = conditionOf(last, 'Ready');
    return ready?.status === 'True' && ready.observedGeneration === generation && last.status?.readyReplicas === want ? true : undefined;
  };

  const created = await client.createNodeGroup({
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'NodeGroup',
    metadata: { name, namespace },
    spec: { clusterName: cluster, flavor: 'm1.small', replicas: 0 },
  });
  await pollUntil(environment, `NodeGroup ${namespace}/${name} Ready with 0 nodes`, 60_000, readyAt(created.metadata?.generation ?? 1, 0), describe);

  const timeline: { atS: number; replicas: number; readyReplicas: number }[] = [];
  const dir = clusterDir(environment, namespace, cluster);
  const meter = startCpuMeter(processesWith(environment, dir));
  const startedWall = Date.now();
  const started = performance.now();
  const patched = await client.patchNodeGroupSpec(name, { replicas });
  const generation = patched.metadata?.generation ?? 0;
  const check = readyAt(generation, replicas);
  await pollUntil(
    environment,
    `NodeGroup ${namespace}/${name} Ready with ${replicas} nodes`,
    timeoutMs,
    async () => {
      const done = await check();
      const previous = timeline.at(-1);
      const current = { replicas: last?.status?.replicas ?? 0, readyReplicas: last?.status?.readyReplicas ?? 0 };
      if (previous === undefined || previous.replicas !== current.replicas || previous.readyReplicas !== current.readyReplicas) {
        timeline.push({ atS: (performance.now() - started) / 1000, ...current });
      }
      return done;
    },
    describe,
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = meter.stop(processesWith(environment, dir));

  const workload = await client.workloadKubeConfig(cluster);
  const nodes = (await workload.makeApiClient(CoreV1Api).listNode({ labelSelector: `beamline.dev/node-group=${group}` })).items;
  const createdAtOf = (node: V1Node): number => new Date(node.metadata?.creationTimestamp ?? 0).getTime();
  const readySince = (node: V1Node): number =>
    new Date(node.status?.conditions?.find((condition) => condition.type === 'Ready')?.lastHeartbeatTime ?? 0).getTime();
  return {
    seconds: elapsed,
    timeline,
    cpu,
    nodes: {
      count: nodes.length,
      firstCreatedS: seconds(startedWall, Math.min(...nodes.map(createdAtOf))),
      lastCreatedS: seconds(startedWall, Math.max(...nodes.map(createdAtOf))),
      firstReadyS: seconds(startedWall, Math.min(...nodes.map(readySince))),
      lastReadyS: seconds(startedWall, Math.max(...nodes.map(readySince))),
    },
  };
}

/** One measurement of several node groups scaled at once. */
export interface ManyScaleRun {
  readonly seconds: number;
  /** Nodes ready over all groups, as the polls saw them: seconds from the first patch, ready nodes. */
  readonly timeline: readonly { readonly atS: number; readonly readyReplicas: number }[];
  readonly cpu: CpuUsage;
}

/**
 * Adds `groups` NodeGroups of 0 nodes (`<cluster>-scale-<i>`) to a ready cluster, waits until each
 * is Ready, then patches all of them to `replicas` at once and polls every 100 ms until every one
 * has `readyReplicas == replicas` and Ready=True at its new generation: `groups × replicas` nodes.
 */
export async function scaleNodeGroupsAndWait(
  environment: BenchEnvironment,
  client: BeamlineClient,
  namespace: string,
  cluster: string,
  groups: number,
  replicas: number,
  timeoutMs = 600_000,
): Promise<ManyScaleRun> {
  const names = Array.from({ length: groups }, (_, index) => `${cluster}-scale-${index}`);
  const last = new Map<string, NodeGroup>();
  const readyNodes = (): number => [...last.values()].reduce((sum, group) => sum + (group.status?.readyReplicas ?? 0), 0);
  const describe = (): string => `${readyNodes()} of ${groups * replicas} nodes ready over ${last.size} groups`;
  const allReadyAt = (generations: ReadonlyMap<string, number>, want: number) => async (): Promise<true | undefined> => {
    const read = await Promise.all(names.map((name) => client.getNodeGroup(name)));
    read.forEach((group, index) => last.set(names[index] ?? '', group));
    return read.every((group, index) => {
      const ready = conditionOf(group, 'Ready');
      return ready?.status === 'True' && ready.observedGeneration === generations.get(names[index] ?? '') && group.status?.readyReplicas === want;
    })
      ? true
      : undefined;
  };

  const created = new Map<string, number>();
  for (const name of names) {
    const group = await client.createNodeGroup({ apiVersion: `${GROUP}/${VERSION}`, kind: 'NodeGroup', metadata: { name, namespace }, spec: { clusterName: cluster, flavor: 'm1.small', replicas: 0 } });
    created.set(name, group.metadata?.generation ?? 1);
  }
  await pollUntil(environment, `${groups} NodeGroups of ${namespace}/${cluster} Ready with 0 nodes`, 120_000, allReadyAt(created, 0), describe);

  const timeline: { atS: number; readyReplicas: number }[] = [];
  const dir = clusterDir(environment, namespace, cluster);
  const meter = startCpuMeter(processesWith(environment, dir));
  const started = performance.now();
  const patched = await Promise.all(names.map((name) => client.patchNodeGroupSpec(name, { replicas })));
  const generations = new Map(patched.map((group, index) => [names[index] ?? '', group.metadata?.generation ?? 0]));
  const check = allReadyAt(generations, replicas);
  await pollUntil(
    environment,
    `${groups} NodeGroups of ${namespace}/${cluster} Ready with ${replicas} nodes each`,
    timeoutMs,
    async () => {
      const done = await check();
      if (timeline.at(-1)?.readyReplicas !== readyNodes()) timeline.push({ atS: (performance.now() - started) / 1000, readyReplicas: readyNodes() });
      return done;
    },
    describe,
  );
  const elapsed = (performance.now() - started) / 1000;
  return { seconds: elapsed, timeline, cpu: meter.stop(processesWith(environment, dir)) };
}
