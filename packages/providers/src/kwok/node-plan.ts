import type { V1Node, V1Taint } from '@kubernetes/client-node';

import { CLUSTER_NAME_LABEL, NODE_GROUP_NAME_LABEL } from '@beamline/api/names';

/** Label on every node: the short name of its node group (`gpu`, not `mycluster-gpu`). */
export const NODE_GROUP_LABEL = NODE_GROUP_NAME_LABEL;
/** Label on every node: the Beamline cluster it belongs to. */
export const CLUSTER_LABEL = CLUSTER_NAME_LABEL;
/** Well-known label naming the machine size (the flavor). */
export const INSTANCE_TYPE_LABEL = 'node.kubernetes.io/instance-type';
/** Well-known zone label; nodes are spread round-robin over their group's zones. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
/** The extended resource GPU pods request (1 pod = 1 GPU: no sharing, as the NVIDIA device plugin does). */
export const GPU_RESOURCE = 'nvidia.com/gpu';
/** The label naming the GPU model, as NVIDIA's GPU feature discovery sets it. */
export const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';
/** Pods a node admits, as the kubelet's default. */
const PODS_PER_NODE = '110';

/** A flavor: the size of one node. */
export interface NodeFlavor {
  readonly name: string;
  readonly cpu: string;
  readonly memory: string;
  readonly gpus?: { readonly count: number; readonly product: string };
}

/** Everything that decides what the nodes of one group look like. */
export interface NodeGroupShape {
  /** The group's short name within its cluster. */
  readonly group: string;
  readonly cluster: string;
  readonly flavor: NodeFlavor;
  readonly replicas: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly taints?: readonly V1Taint[];
  readonly zones?: readonly string[];
  readonly role?: string;
}

/** `<group>-<index>`: stable names, so scaling down removes the newest nodes first. */
export function nodeName(group: string, index: number): string {
  return `${group}-${index}`;
}

/** The index of a node of the group, or undefined when the name is not `<group>-<n>`. */
export function nodeIndex(group: string, name: string): number | undefined {
  const prefix = `${group}-`;
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

/** The labels of node `index` of a group. */
export function nodeLabels(shape: NodeGroupShape, index: number): Record<string, string> {
  const name = nodeName(shape.group, index);
  const zones = shape.zones ?? [];
  const labels: Record<string, string> = {
    ...(shape.labels ?? {}),
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    type: 'kwok',
    [NODE_GROUP_LABEL]: shape.group,
    [CLUSTER_LABEL]: shape.cluster,
    [INSTANCE_TYPE_LABEL]: shape.flavor.name,
    [`node-role.kubernetes.io/${shape.role ?? 'worker'}`]: '',
  };
  if (zones.length > 0) labels[ZONE_LABEL] = zones[index % zones.length] ?? '';
  if (shape.flavor.gpus !== undefined) {
    labels[GPU_PRODUCT_LABEL] = shape.flavor.gpus.product;
    labels['nvidia.com/gpu.count'] = String(shape.flavor.gpus.count);
  }
  return labels;
}

/** Capacity (= allocatable: nothing is reserved on simulated nodes) from the flavor. */
export function nodeCapacity(flavor: NodeFlavor): Record<string, string> {
  const capacity: Record<string, string> = { cpu: flavor.cpu, memory: flavor.memory, pods: PODS_PER_NODE };
  if (flavor.gpus !== undefined) capacity[GPU_RESOURCE] = String(flavor.gpus.count);
  return capacity;
}

/** The Node object for node `index` of a group, as kwok's controller expects it. */
export function desiredNode(shape: NodeGroupShape, index: number): V1Node {
  const capacity = nodeCapacity(shape.flavor);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: nodeName(shape.group, index),
      labels: nodeLabels(shape, index),
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { taints: (shape.taints ?? []).map((taint) => ({ ...taint })) },
    // A Node's status may be set on create: this is the capacity the scheduler sees.
    status: { capacity, allocatable: { ...capacity } },
  };
}

/** What has to change to make a group's nodes match its shape. */
export interface NodePlan {
  /** Nodes to create, lowest index first. */
  readonly create: readonly V1Node[];
  /** Existing nodes whose labels or taints drifted: the desired object (metadata + spec) to apply. */
  readonly update: readonly V1Node[];
  /** Names of nodes to drain and delete, highest index first (the newest go first). */
  readonly remove: readonly string[];
}

function taintKey(taint: V1Taint): string {
  return `${taint.key}=${taint.value ?? ''}:${taint.effect}`;
}

function drifted(desired: V1Node, existing: V1Node): boolean {
  const want = desired.metadata?.labels ?? {};
  const have = existing.metadata?.labels ?? {};
  if (Object.entries(want).some(([key, value]) => have[key] !== value)) return true;
  const wantTaints = (desired.spec?.taints ?? []).map(taintKey).sort();
  // Only the taints of the group count: kube-controller-manager adds its own (not-ready, unschedulable).
  const haveTaints = (existing.spec?.taints ?? []).map(taintKey).filter((key) => !key.startsWith('node.kubernetes.io/')).sort();
  return JSON.stringify(wantTaints) !== JSON.stringify(haveTaints);
}

/**
 * Compares a group's existing nodes (those labelled with its name) with its shape. Pure: the
 * caller applies the plan. Nodes whose names do not follow `<group>-<n>` are removed, since
 * nothing else creates nodes with the group's label.
 */
export function planNodes(shape: NodeGroupShape, existing: readonly V1Node[]): NodePlan {
  const byIndex = new Map<number, V1Node>();
  const strays: string[] = [];
  for (const node of existing) {
    const name = node.metadata?.name ?? '';
    const index = nodeIndex(shape.group, name);
    if (index === undefined) strays.push(name);
    else byIndex.set(index, node);
  }
  const create: V1Node[] = [];
  const update: V1Node[] = [];
  for (let index = 0; index < shape.replicas; index++) {
    const desired = desiredNode(shape, index);
    const current = byIndex.get(index);
    if (current === undefined) create.push(desired);
    else if (drifted(desired, current)) update.push(desired);
  }
  const surplus = [...byIndex.keys()].filter((index) => index >= shape.replicas).sort((a, b) => b - a);
  return { create, update, remove: [...surplus.map((index) => nodeName(shape.group, index)), ...strays] };
}
