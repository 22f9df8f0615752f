import { TRACKING_ANNOTATION, trackingId, type HealthStatusCode, type IgnoreDifference, type ResourceStatus, type SyncStatusCode } from '@beamline/api';
import {
  aggregateHealth,
  apiGroup,
  diffObject,
  inventoryEntryOf,
  inventoryKey,
  objectHealth,
  objectKey,
  syncRole,
  syncWave,
  type HealthOptions,
  type InventoryEntry,
  type Manifest,
  type ResourceHealth,
} from '@beamline/gitops';
import type { ResourceType } from '@beamline/kube';

/** Looks up kinds and live objects of a destination (a {@link Destination} in production). */
export interface LiveReader {
  resourceFor(apiVersion: string, kind: string): Promise<ResourceType>;
  /** The live object (any shape the API returns; it is compared, not trusted). */
  live(resource: ResourceType, name: string, namespace?: string): object | undefined;
  /** What the cluster offers that health depends on (addresses, resource metrics); everything by default. */
  readonly health?: HealthOptions;
}

/** A desired object ready to apply, with where it is served (unknown until its CRD is established). */
export interface PreparedObject {
  readonly object: Manifest;
  readonly resource: ResourceType | undefined;
  /**
   * A hook (Argo CD's or Helm's hook annotation) or an object the sync skips: run or reported by
   * the sync, never compared, never in the inventory, no tracking id.
   */
  readonly hook?: boolean;
  /** Why the kind is not served by the destination (and its CRD is not in the app), when it is not. */
  readonly notServed?: string;
}

/**
 * The objects to apply: copies of the rendered ones with the destination namespace filled in on
 * namespaced kinds that name none, and the tracking annotation that maps them back to the app.
 * Scope comes from discovery; a kind not served yet (its CRD is in this app) takes the scope its
 * CRD declares.
 */
export async function prepareDesired(
  rendered: readonly Manifest[],
  options: { readonly namespace: string; readonly appKey: string; readonly reader: LiveReader; readonly clusterName?: string },
): Promise<PreparedObject[]> {
  const crdScopes = new Map<string, string>();
  for (const obj of rendered) {
    if (obj.kind !== 'CustomResourceDefinition' || apiGroup(obj.apiVersion) !== 'apiextensions.k8s.io') continue;
    const spec = (obj as { spec?: { group?: string; names?: { kind?: string }; scope?: string } }).spec;
    if (spec?.group !== undefined && spec.names?.kind !== undefined) crdScopes.set(`${spec.group}/${spec.names.kind}`, spec.scope ?? 'Namespaced');
  }
  return Promise.all(
    rendered.map(async (obj) => {
      let resource: ResourceType | undefined;
      let notServed: string | undefined;
      const crdScope = crdScopes.get(`${apiGroup(obj.apiVersion)}/${obj.kind}`);
      try {
        resource = await options.reader.resourceFor(obj.apiVersion, obj.kind);
      } catch (error) {
        resource = undefined;
        // Said once here, where discovery fails, in the words a person can act on.
        if (crdScope === undefined) notServed = notServedMessage(obj, options.clusterName, error);
      }
      const namespaced = resource?.namespaced ?? crdScope !== 'Cluster';
      const copy = structuredClone(obj) as { -readonly [K in keyof Manifest]: Manifest[K] } & { metadata: { namespace?: string; annotations?: Record<string, string> } };
      if (namespaced && (copy.metadata.namespace === undefined || copy.metadata.namespace === '')) copy.metadata.namespace = options.namespace;
      if (!isOrdinary(obj)) return { object: copy, resource, hook: true, ...(notServed === undefined ? {} : { notServed }) };
      const [appNamespace = '', appName = ''] = options.appKey.split('/');
      copy.metadata.annotations = { ...copy.metadata.annotations, [TRACKING_ANNOTATION]: trackingId(appNamespace, appName, inventoryEntryOf(copy)) };
      return { object: copy, resource, ...(notServed === undefined ? {} : { notServed }) };
    }),
  );
}

/** What comparing desired objects with the destination found. */
export interface Comparison {
  /** Every desired object and every inventory entry no longer desired, with sync and health. */
  readonly resources: ResourceStatus[];
  readonly sync: SyncStatusCode;
  readonly health: { readonly status: HealthStatusCode; readonly message: string };
  /** Keys of desired objects that differ from live (or are missing). */
  readonly outOfSync: readonly string[];
  /** Inventory entries the source no longer has (prune would delete them). */
  readonly extra: readonly InventoryEntry[];
}

/** The JSON pointers of `ignoreDifferences` that apply to an object. */
export function ignoredPointers(obj: Manifest, rules: readonly IgnoreDifference[] | undefined): string[] {
  if (rules === undefined) return [];
  const group = apiGroup(obj.apiVersion);
  return rules
    .filter((rule) => (rule.group ?? '') === group && rule.kind === obj.kind)
    .filter((rule) => rule.name === undefined || rule.name === obj.metadata.name)
    .filter((rule) => rule.namespace === undefined || rule.namespace === obj.metadata.namespace)
    .flatMap((rule) => rule.jsonPointers);
}

/**
 * Compares desired objects with the live ones of the destination's watch caches: per object its
 * sync (a server-side-apply-aware diff, ignoring `ignoreDifferences`) and health (the engine's
 * rules); an inventory entry the source dropped is OutOfSync while it still exists. The app's
 * health is the worst of the desired objects'.
 */
export async function compare(
  desired: readonly PreparedObject[],
  inventory: readonly InventoryEntry[],
  options: {
    readonly reader: LiveReader;
    readonly ignoreDifferences?: readonly IgnoreDifference[];
    /** `kind/namespace/name` of objects a sync applied a moment ago: not in the watch cache yet means Progressing, not Missing. */
    readonly justApplied?: ReadonlySet<string>;
  },
): Promise<Comparison> {
  const resources: ResourceStatus[] = [];
  const healths: ResourceHealth[] = [];
  const outOfSync: string[] = [];
  const desiredKeys = new Set<string>();
  const healthOptions = options.reader.health ?? {};
  for (const { object, resource, hook, notServed } of desired) {
    if (hook === true) continue;
    const key = objectKey(object);
    desiredKeys.add(key);
    const live = resource === undefined ? undefined : (options.reader.live(resource, object.metadata.name, object.metadata.namespace) as Manifest | undefined);
    const applied = live === undefined && options.justApplied?.has(`${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`) === true;
    const inSync = applied || (live !== undefined && diffObject(object, live, { ignoreDifferences: ignoredPointers(object, options.ignoreDifferences) }).inSync);
    const health = applied ? { status: 'Progressing' as const, message: 'applied; not seen by the watch yet' }
      : live === undefined && notServed !== undefined ? { status: 'Missing' as const, message: notServed }
      : objectHealth(live, healthOptions);
    if (!inSync) outOfSync.push(key);
    healths.push({ resource: key, health });
    resources.push(resourceStatus(inventoryEntryOf(object), inSync ? 'Synced' : 'OutOfSync', health, syncWaveOf(object)));
  }
  const extra: InventoryEntry[] = [];
  for (const entry of inventory) {
    if (desiredKeys.has(inventoryKey(entry))) continue;
    let resource: ResourceType | undefined;
    try {
      resource = await options.reader.resourceFor(entry.group === '' ? entry.version : `${entry.group}/${entry.version}`, entry.kind);
    } catch {
      resource = undefined;
    }
    const live = resource === undefined ? undefined : options.reader.live(resource, entry.name, entry.namespace);
    // Gone already: nothing left to prune, and nothing to show.
    if (resource !== undefined && live === undefined) continue;
    extra.push(entry);
    resources.push(resourceStatus(entry, 'OutOfSync', { status: 'Healthy', message: 'not in the source any more: prune deletes it' }, undefined));
  }
  const health = aggregateHealth(healths);
  return {
    resources,
    sync: outOfSync.length === 0 && extra.length === 0 ? 'Synced' : 'OutOfSync',
    health: { status: health.status, message: health.message },
    outOfSync,
    extra,
  };
}

/** Whether an object is applied, compared and tracked (not a hook, not skipped); bad annotations count as ordinary here and are refused by the sync. */
function isOrdinary(obj: Manifest): boolean {
  try {
    return syncRole(obj).role === 'object';
  } catch {
    return true;
  }
}

/** `kind Rollout (argoproj.io/v1alpha1) is not served by cluster lab; install its CRD`, or the discovery error when it is another. */
function notServedMessage(obj: Manifest, clusterName: string | undefined, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (!/ is not served by /.test(message)) return `failed to look up kind ${obj.kind} (${obj.apiVersion}): ${message.split('\n')[0] ?? ''}`;
  return `kind ${obj.kind} (${obj.apiVersion}) is not served by ${clusterName === undefined ? 'the cluster' : `cluster ${clusterName}`}; install its CRD`;
}

function syncWaveOf(obj: Manifest): number {
  try {
    return syncWave(obj);
  } catch {
    return 0;
  }
}

/** The identifying fields of a `status.resources` entry for an inventory entry. */
export function entryStatus(entry: InventoryEntry): Omit<ResourceStatus, 'status'> {
  return {
    ...(entry.group === '' ? {} : { group: entry.group }),
    version: entry.version,
    kind: entry.kind,
    ...(entry.namespace === undefined ? {} : { namespace: entry.namespace }),
    name: entry.name,
  };
}

function resourceStatus(entry: InventoryEntry, status: SyncStatusCode, health: { status: HealthStatusCode; message: string }, wave: number | undefined): ResourceStatus {
  return {
    ...entryStatus(entry),
    status,
    health: health.message === '' ? { status: health.status } : { status: health.status, message: health.message },
    ...(wave === undefined || wave === 0 ? {} : { syncWave: wave }),
  };
}
