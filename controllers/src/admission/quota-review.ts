/**
 * The validating half of admission: a Cluster created, a NodeGroup created, updated or scaled in
 * a project namespace is refused when it would exceed the project's quota, or when the Cluster's
 * template is not one the project may use. It needs other objects (the Project, the namespace's
 * Clusters and NodeGroups, the templates, the flavors), which is why it is a webhook and not a
 * CEL policy; what it reads comes through an {@link AdmissionReader}, so the decision is tested
 * without an apiserver.
 */
import {
  CLUSTER,
  GROUP,
  NODE_GROUP,
  PLATFORM_CONFIG_NAME,
  PROJECT,
  PROJECT_LABEL,
  type Cluster,
  type ClusterTemplate,
  type Flavor,
  type NodeGroup,
  type PlatformConfig,
  type Project,
} from '@beamline/api';
import type { KubeClient, KubeObject, ResourceType } from '@beamline/kube';
import type { CacheReader } from '@beamline/reconcile';
import { RESOURCES } from '../resources.ts';
import { checkQuota, computeProjectUsage } from '../quota/usage.ts';
import { allow, deny, type AdmissionRequest, type AdmissionResponse } from './review.ts';

/** What the quota review reads of the world. */
export interface AdmissionReader {
  /** The value of the namespace's PROJECT_LABEL, or `undefined` when it has none (or does not exist). */
  namespaceProject(namespace: string): Promise<string | undefined>;
  project(name: string): Promise<Project | undefined>;
  clusters(namespace: string): Promise<Cluster[]>;
  nodeGroups(namespace: string): Promise<NodeGroup[]>;
  templates(): Promise<ClusterTemplate[]>;
  flavors(): Promise<Flavor[]>;
}

/** The Project kind and namespaces as the client addresses them. */
export const PROJECT_RESOURCE: ResourceType = { apiVersion: `${GROUP}/v1alpha1`, kind: PROJECT.kind, plural: PROJECT.plural, namespaced: false };
const NAMESPACE_RESOURCE: ResourceType = { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };

/** The cache, when the manager's is there and synced; `undefined` makes every read live. */
export interface SyncedCache {
  readonly cache: CacheReader;
  synced(): boolean;
}

/**
 * Reads through the client, except templates and the PlatformConfig, which come from the manager's
 * cache when it holds them and has synced: they change rarely and are read on every review. The
 * namespace's Clusters and NodeGroups and the Project are always read live: a cache a moment
 * behind would let two quick creates both fit a quota only one fits.
 */
export function admissionReader(client: KubeClient, cached?: () => SyncedCache | undefined): AdmissionReader {
  const fromCache = <O extends KubeObject>(resource: ResourceType): O[] | undefined => {
    const source = cached?.();
    if (source === undefined || !source.synced()) return undefined;
    try {
      return source.cache.list<O>(resource);
    } catch {
      // No controller of this process watches the kind: read it live.
      return undefined;
    }
  };
  return {
    namespaceProject: async (namespace) => (await client.get(NAMESPACE_RESOURCE, namespace))?.metadata?.labels?.[PROJECT_LABEL],
    project: (name) => client.get<Project>(PROJECT_RESOURCE, name),
    clusters: async (namespace) => (await client.list<Cluster>(RESOURCES.cluster, { namespace })).items,
    nodeGroups: async (namespace) => (await client.list<NodeGroup>(RESOURCES.nodeGroup, { namespace })).items,
    templates: async () => fromCache<ClusterTemplate>(RESOURCES.clusterTemplate) ?? (await client.list<ClusterTemplate>(RESOURCES.clusterTemplate)).items,
    flavors: async () => {
      const config = fromCache<PlatformConfig>(RESOURCES.platformConfig)?.find((object) => object.metadata?.name === PLATFORM_CONFIG_NAME) ??
        (await client.get<PlatformConfig>(RESOURCES.platformConfig, PLATFORM_CONFIG_NAME));
      return config?.spec.flavors ?? [];
    },
  };
}

/** The replicas a NodeGroup (or its Scale) asks for; 0 when absent. */
function replicasOf(object: Record<string, unknown> | undefined): number {
  const replicas = (object?.spec as { replicas?: unknown } | undefined)?.replicas;
  return typeof replicas === 'number' && Number.isFinite(replicas) ? replicas : 0;
}

function flavorOf(object: Record<string, unknown> | undefined): unknown {
  return (object?.spec as { flavor?: unknown } | undefined)?.flavor;
}

function isDeleting(object: Record<string, unknown> | undefined): boolean {
  return (object?.metadata as { deletionTimestamp?: unknown } | undefined)?.deletionTimestamp !== undefined;
}

/** What the request changes, when it is one the quota review decides; `undefined`: allow without reading anything. */
type Change =
  | { readonly type: 'cluster'; readonly cluster: Cluster }
  | { readonly type: 'nodeGroup'; readonly group: NodeGroup }
  | { readonly type: 'scale'; readonly name: string; readonly replicas: number };

/**
 * The change to decide, or `undefined` when the request cannot grow usage: another kind or
 * operation, an object being deleted (its finalizer removal must never be blocked), an update
 * that keeps the flavor and does not add replicas (scaling down is always allowed).
 */
export function quotaChange(request: AdmissionRequest): Change | undefined {
  if (request.kind.group !== GROUP && request.resource.group !== GROUP) return undefined;
  const { resource, operation, object, oldObject } = request;
  if (resource.resource === CLUSTER.plural && request.subResource === undefined) {
    return operation === 'CREATE' && object !== undefined ? { type: 'cluster', cluster: object as unknown as Cluster } : undefined;
  }
  if (resource.resource !== NODE_GROUP.plural) return undefined;
  if (request.subResource === 'scale') {
    if (operation !== 'UPDATE' || request.name === undefined || replicasOf(object) <= replicasOf(oldObject)) return undefined;
    return { type: 'scale', name: request.name, replicas: replicasOf(object) };
  }
  if (request.subResource !== undefined || object === undefined || isDeleting(object)) return undefined;
  if (operation === 'CREATE') return { type: 'nodeGroup', group: object as unknown as NodeGroup };
  if (operation !== 'UPDATE') return undefined;
  if (flavorOf(object) === flavorOf(oldObject) && replicasOf(object) <= replicasOf(oldObject)) return undefined;
  return { type: 'nodeGroup', group: object as unknown as NodeGroup };
}

function nameOf(object: KubeObject): string | undefined {
  return object.metadata?.name;
}

/**
 * Decides a review: allowed, or refused (403) naming the quota and what is left, the template the
 * project may not use, or the missing Project. Requests that cannot grow usage are allowed
 * without a read.
 */
export async function reviewQuota(request: AdmissionRequest, reader: AdmissionReader): Promise<AdmissionResponse> {
  const change = quotaChange(request);
  const namespace = request.namespace;
  if (change === undefined || namespace === undefined) return allow(request.uid);
  const projectName = await reader.namespaceProject(namespace);
  // Not a project namespace (only reachable when a test narrows the selector): no quota applies.
  if (projectName === undefined) return allow(request.uid);
  const project = await reader.project(projectName);
  if (project === undefined) {
    return deny(request.uid, `namespace ${namespace} belongs to project ${projectName}, which does not exist: its Clusters and NodeGroups cannot be admitted until the Project is created`);
  }
  if (change.type === 'cluster') {
    const template = change.cluster.spec?.templateRef?.name ?? '';
    const allowed = project.spec.templates;
    if (allowed !== undefined && !allowed.includes(template)) {
      return deny(request.uid, `template ${template} is not allowed in project ${projectName} (allowed: ${allowed.length === 0 ? 'none' : allowed.join(', ')})`);
    }
  }
  const [clusters, nodeGroups, templates, flavors] = await Promise.all([reader.clusters(namespace), reader.nodeGroups(namespace), reader.templates(), reader.flavors()]);
  const before = computeProjectUsage({ clusters, nodeGroups, templates, flavors });
  let after;
  if (change.type === 'cluster') {
    const name = nameOf(change.cluster);
    after = computeProjectUsage({ clusters: [...clusters.filter((cluster) => nameOf(cluster) !== name), change.cluster], nodeGroups, templates, flavors });
  } else if (change.type === 'nodeGroup') {
    const name = nameOf(change.group);
    after = computeProjectUsage({ clusters, nodeGroups: [...nodeGroups.filter((group) => nameOf(group) !== name), change.group], templates, flavors });
  } else {
    const stored = nodeGroups.find((group) => nameOf(group) === change.name);
    // Scaling a NodeGroup that is gone fails in the apiserver anyway.
    if (stored === undefined) return allow(request.uid);
    const scaled: NodeGroup = { ...stored, spec: { ...stored.spec, replicas: change.replicas } };
    after = computeProjectUsage({ clusters, nodeGroups: nodeGroups.map((group) => (group === stored ? scaled : group)), templates, flavors });
  }
  const violations = checkQuota(project.spec.quota, before, after, projectName);
  if (violations.length === 0) return allow(request.uid);
  const what = change.type === 'cluster' ? `Cluster ${nameOf(change.cluster) ?? ''}` : `NodeGroup ${change.type === 'scale' ? change.name : (nameOf(change.group) ?? '')}`;
  return deny(request.uid, `${what} ${violations.map((violation) => violation.message).join('; ')}`);
}
