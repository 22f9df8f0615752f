/**
 * `GET /api/clusters/:namespace/:name/nodes`: a workload cluster's Nodes as a summary, read with
 * the Cluster's admin kubeconfig (the one delivery reads), bounded in time and count.
 */
import { NODE_GROUP_NAME_LABEL, type Cluster } from '@beamline/api';
import { workloadClient } from '@beamline/controllers';
import type { KubeClient, KubeObject } from '@beamline/kube';

/** The most Nodes read (one page: `limit`); beyond it the answer says `truncated`. */
export const MAX_NODES = 1000;
/** How long the workload cluster has to answer. */
export const NODES_TIMEOUT_MS = 10_000;

/** One Node of the summary. */
export interface NodeSummary {
  readonly name: string;
  readonly nodeGroup?: string;
  readonly ready: boolean;
  readonly zone?: string;
  readonly flavor?: string;
  readonly gpus: number;
  readonly kubeletVersion?: string;
  readonly taints: readonly { readonly key: string; readonly value?: string; readonly effect: string }[];
  readonly createdAt: string;
}

/** The answer. */
export interface NodesView {
  readonly items: readonly NodeSummary[];
  readonly truncated: boolean;
}

interface NodeObject extends KubeObject {
  readonly spec?: { readonly taints?: readonly { readonly key?: string; readonly value?: string; readonly effect?: string }[] };
  readonly status?: {
    readonly conditions?: readonly { readonly type?: string; readonly status?: string }[];
    readonly capacity?: Readonly<Record<string, string>>;
    readonly nodeInfo?: { readonly kubeletVersion?: string };
  };
}

/** The summary of a Node list page (pure). */
export function summarizeNodes(list: { readonly items?: readonly NodeObject[]; readonly metadata?: { readonly continue?: string } }): NodesView {
  const items = (list.items ?? []).slice(0, MAX_NODES).map((node): NodeSummary => {
    const labels = node.metadata?.labels ?? {};
    const gpus = Number.parseInt(node.status?.capacity?.['nvidia.com/gpu'] ?? '0', 10);
    const optional = (key: string, value: string | undefined): Record<string, string> => (value === undefined || value === '' ? {} : { [key]: value });
    return {
      name: node.metadata?.name ?? '',
      ...optional('nodeGroup', labels[NODE_GROUP_NAME_LABEL]),
      ready: node.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') === true,
      ...optional('zone', labels['topology.kubernetes.io/zone']),
      ...optional('flavor', labels['node.kubernetes.io/instance-type']),
      gpus: Number.isFinite(gpus) ? gpus : 0,
      ...optional('kubeletVersion', node.status?.nodeInfo?.kubeletVersion),
      taints: (node.spec?.taints ?? []).map((taint) => ({ key: taint.key ?? '', ...optional('value', taint.value), effect: taint.effect ?? '' })),
      createdAt: node.metadata?.creationTimestamp ?? '',
    };
  });
  const more = list.metadata?.continue;
  return { items, truncated: (more !== undefined && more !== '') || (list.items?.length ?? 0) > MAX_NODES };
}

/** Reads the Cluster's Nodes with its admin kubeconfig (through `client`, the manager's); throws when the cluster does not answer in time. */
export async function readClusterNodes(client: KubeClient, cluster: Cluster, timeoutMs = NODES_TIMEOUT_MS): Promise<NodesView> {
  const workload = await workloadClient(client, cluster);
  const list = await workload.request<{ items?: NodeObject[]; metadata?: { continue?: string } }>('GET', '/api/v1/nodes', { query: { limit: MAX_NODES }, signal: AbortSignal.timeout(timeoutMs) });
  return summarizeNodes(list);
}
