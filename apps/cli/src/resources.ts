import { CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
// The names only: the whole of @beamline/api (TypeBox and the schemas) would slow every command's start-up.
import { APPLICATION, CLUSTER, CLUSTER_TEMPLATE, GROUP, NODE_GROUP, PLATFORM_CONFIG, VERSION, type KindNames } from '@beamline/api/names';

/** A Beamline kind as the API serves it. */
export interface ResourceKind {
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

/** A kind of the api as the CLI's resource client serves it. */
function resourceKind(names: KindNames): ResourceKind {
  return { kind: names.kind, plural: names.plural, namespaced: names.scope === 'Namespaced' };
}

/** The kinds the CLI reads and writes. */
export const KINDS = {
  clusterTemplate: resourceKind(CLUSTER_TEMPLATE),
  cluster: resourceKind(CLUSTER),
  nodeGroup: resourceKind(NODE_GROUP),
  platformConfig: resourceKind(PLATFORM_CONFIG),
  application: resourceKind(APPLICATION),
} as const satisfies Record<string, ResourceKind>;

/** A Beamline object as the CLI handles it: metadata, spec and status left open. */
export interface BeamlineObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
    labels?: Record<string, string>;
    managedFields?: unknown;
    [key: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

/** CRUD on one Beamline kind. */
export interface ResourceClient {
  list(namespace?: string, labelSelector?: string): Promise<BeamlineObject[]>;
  get(name: string, namespace?: string): Promise<BeamlineObject>;
  /** Creates an object; with `dryRun` the API server validates it (schema, CEL, admission) and stores nothing. */
  create(body: BeamlineObject, namespace?: string, dryRun?: boolean): Promise<BeamlineObject>;
  /** JSON merge patch of the main resource. */
  patch(name: string, patch: object, namespace?: string): Promise<BeamlineObject>;
  delete(name: string, namespace?: string): Promise<void>;
}

/** A {@link ResourceClient} for a Beamline kind. */
export function resourceClient(config: KubeConfig, kind: ResourceKind): ResourceClient {
  const api = config.makeApiClient(CustomObjectsApi);
  const base = { group: GROUP, version: VERSION, plural: kind.plural };
  const ns = (namespace: string | undefined): string => namespace ?? 'default';
  return {
    list: async (namespace, labelSelector) => {
      const list = (kind.namespaced
        ? await api.listNamespacedCustomObject({ ...base, namespace: ns(namespace), labelSelector })
        : await api.listClusterCustomObject({ ...base, labelSelector })) as { items: BeamlineObject[] };
      return list.items;
    },
    get: async (name, namespace) =>
      (kind.namespaced
        ? await api.getNamespacedCustomObject({ ...base, namespace: ns(namespace), name })
        : await api.getClusterCustomObject({ ...base, name })) as BeamlineObject,
    create: async (body, namespace, dryRun) => {
      const dry = dryRun === true ? { dryRun: 'All' } : {};
      return (kind.namespaced
        ? await api.createNamespacedCustomObject({ ...base, namespace: ns(namespace), body, ...dry })
        : await api.createClusterCustomObject({ ...base, body, ...dry })) as BeamlineObject;
    },
    patch: async (name, patch, namespace) => {
      const options = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
      return (kind.namespaced
        ? await api.patchNamespacedCustomObject({ ...base, namespace: ns(namespace), name, body: patch }, options)
        : await api.patchClusterCustomObject({ ...base, name, body: patch }, options)) as BeamlineObject;
    },
    delete: async (name, namespace) => {
      if (kind.namespaced) await api.deleteNamespacedCustomObject({ ...base, namespace: ns(namespace), name });
      else await api.deleteClusterCustomObject({ ...base, name });
    },
  };
}

/** Server-side apply of any object with the CLI's field manager. */
export async function applyObject(config: KubeConfig, body: BeamlineObject): Promise<BeamlineObject> {
  const client = KubernetesObjectApi.makeApiClient(config);
  return (await client.patch(body as Parameters<typeof client.patch>[0], undefined, undefined, 'beamline-cli', false, PatchStrategy.ServerSideApply)) as BeamlineObject;
}
