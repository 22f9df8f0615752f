import type { KubeConfig } from '@kubernetes/client-node';
import { IN_CLUSTER, PROJECT_LABEL, projectOfNamespaceName, type Application, type Cluster, type Project, type ResourceStatus } from '@beamline/api';
import { objectKey, unifiedDiff, type Manifest } from '@beamline/gitops';
import { workloadKubeConfig } from '@beamline/providers';
import { KubeApiError, KubeClient, type Impersonation, type KubeObject, type ResourceType } from '@beamline/kube';
import { RESOURCES } from '../resources.ts';
import { ignoredPointers, prepareDesired, type LiveReader } from './compare.ts';
import { readClusterKubeconfig } from './destinations.ts';
import { decodeSecretData } from './source-credentials.ts';
import { SourceLoader } from './source-loader.ts';
import { NAMESPACES, PROJECTS } from './tenancy-facts.ts';
import { deliveryPermission, isOtherClusterNamespace, objectsOutsideScope, type DeliveryScope } from './tenancy.ts';

/** Options of {@link diffApplication}. */
export interface DiffApplicationOptions {
  /** A client of the management cluster (reads the app's Namespace, its Project, the destination Cluster and its kubeconfig Secret). */
  readonly client: KubeClient;
  /** Paths of the pinned binaries: helm, kubectl (kustomize). */
  readonly binaries: { readonly helm: string; readonly kubectl: string };
  /** A folder for git mirrors and exports (the CLI uses $BEAMLINE_HOME/cache/gitops). */
  readonly workDir: string;
  /** Also list objects of the inventory the source no longer has (they would be pruned). Default true. */
  readonly showPrune?: boolean;
}

/** One object a sync would change. */
export interface DiffObject {
  /** The API group ('' for the core group). */
  readonly group: string;
  readonly version?: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /** `create`: missing in the destination; `update`: differs; `prune`: in the inventory, not in the source any more. */
  readonly action: 'create' | 'update' | 'prune';
  /** A unified YAML diff of live against desired (Secrets redacted); '' for a prune. */
  readonly diff: string;
}

/** What {@link diffApplication} found. */
export interface ApplicationDiff {
  /** The revision the source resolved to. */
  readonly revision: string;
  /** A unified YAML diff of desired against live (Secrets redacted); '' when in sync. */
  readonly text: string;
  /** Objects that differ, are missing, or would be pruned. */
  readonly changed: number;
  /** The same, per object (unchanged objects left out). */
  readonly objects: readonly DiffObject[];
}

/** The controller would not deliver this Application where it points (a tenancy rule): nothing was read there. */
export class DeliveryRefusedError extends Error {
  override readonly name = 'DeliveryRefusedError';
}

/** The admin kubeconfig of a Cluster, from its Secret, as the delivery controller reads it. */
async function clusterKubeConfig(client: KubeClient, cluster: Cluster): Promise<KubeConfig> {
  const where = `Cluster ${cluster.metadata.namespace ?? 'default'}/${cluster.metadata.name ?? ''}`;
  const found = await readClusterKubeconfig(client, cluster);
  if (!found.ok) throw new Error(found.message);
  try {
    return workloadKubeConfig(found.text);
  } catch (error) {
    throw new Error(`${where} has a kubeconfig that cannot be used: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * A client of a Cluster's API server with the admin kubeconfig of its Secret (as the delivery
 * controller reads it), optionally impersonating `identity` there.
 */
export async function workloadClient(client: KubeClient, cluster: Cluster, identity?: Impersonation): Promise<KubeClient> {
  return new KubeClient(await clusterKubeConfig(client, cluster), identity === undefined ? {} : { impersonate: identity });
}

/** Where a sync of the app would write, decided by the controller's tenancy rules. */
export interface DeliveryTarget {
  readonly scope: DeliveryScope;
  /** Reads live objects as the identity the controller delivers as (the project's, impersonated, for a project's app). */
  readonly target: KubeClient;
  /** Discovery and `/version`: the kubeconfig's own identity, as the controller's destination does. */
  readonly reader: KubeClient;
}

/** A management Namespace's labels; a caller who may not read Namespaces (a project member's CLI) gets the project its name says. */
async function namespaceLabels(client: KubeClient, name: string): Promise<Readonly<Record<string, string>> | undefined> {
  try {
    return (await client.get<KubeObject>(NAMESPACES, name))?.metadata?.labels ?? {};
  } catch (error) {
    if (!(error instanceof KubeApiError) || error.code !== 403) throw error;
    const project = projectOfNamespaceName(name);
    return project === undefined ? undefined : { [PROJECT_LABEL]: project };
  }
}

/**
 * The destination of an Application as the controller decides it (`tenancy.ts`): refused
 * ({@link DeliveryRefusedError}) where the controller would not deliver (a project's app to
 * `in-cluster`, another project's Cluster, a shared cluster not granted); else the Cluster of
 * `destination.clusterNamespace` or of the app's namespace, read as the project's delivery identity
 * (impersonated with the cluster's admin kubeconfig) for a project's app.
 */
export async function deliveryTarget(app: Application, client: KubeClient): Promise<DeliveryTarget> {
  const appNamespace = app.metadata.namespace ?? 'default';
  const { destination } = app.spec;
  const appNamespaceLabels = await namespaceLabels(client, appNamespace);
  let permission;
  if (!isOtherClusterNamespace(appNamespace, destination)) {
    permission = deliveryPermission({ appNamespace, repoURL: app.spec.source.repoURL, destination, appNamespaceLabels });
  } else {
    const project = appNamespaceLabels?.[PROJECT_LABEL];
    const [clusterNamespaceLabels, cluster, projectObject] = await Promise.all([
      namespaceLabels(client, destination.clusterNamespace),
      client.get<Cluster>(RESOURCES.cluster, destination.cluster, destination.clusterNamespace),
      project === undefined || project === '' ? undefined : client.get<Project>(PROJECTS, project),
    ]);
    permission = deliveryPermission({ appNamespace, repoURL: app.spec.source.repoURL, destination, appNamespaceLabels, clusterNamespaceLabels: clusterNamespaceLabels ?? {}, clusterLabels: cluster?.metadata.labels, projectSpec: projectObject?.spec });
  }
  if (!permission.allowed) throw new DeliveryRefusedError(permission.message);
  const { scope } = permission;
  if (destination.cluster === IN_CLUSTER) return { scope, target: client, reader: client };
  const namespace = destination.clusterNamespace ?? appNamespace;
  const cluster = await client.get<Cluster>(RESOURCES.cluster, destination.cluster, namespace);
  if (cluster === undefined) throw new Error(`destination Cluster ${namespace}/${destination.cluster} does not exist`);
  const kubeConfig = await clusterKubeConfig(client, cluster);
  const reader = new KubeClient(kubeConfig);
  const target = scope.kind === 'admin' ? reader : new KubeClient(kubeConfig, { impersonate: scope.identity });
  return { scope, target, reader };
}

/**
 * Renders the Application's source as the controller does (same engine, same limits) and diffs
 * each object against the live one read from the destination, where and as whom the controller
 * would deliver ({@link deliveryTarget}): the answer to "what would a sync change". Objects of the
 * inventory the source no longer has are listed as prunes.
 */
export async function diffApplication(app: Application, options: DiffApplicationOptions): Promise<ApplicationDiff> {
  const { scope, target, reader } = await deliveryTarget(app, options.client);
  const version = await reader.request<{ gitVersion?: string }>('GET', '/version');
  const readSecret = async (namespace: string, name: string): Promise<Record<string, string> | undefined> => {
    const secret = await options.client.get<Manifest & { data?: Record<string, string> }>(RESOURCES.secret, name, namespace);
    return secret === undefined ? undefined : decodeSecretData(secret.data);
  };
  const loader = new SourceLoader({ workDir: options.workDir, tools: options.binaries, kubeVersion: version.gitVersion ?? '1.36.0', readSecret });
  const loaded = await loader.load(app.spec.source, { appName: app.metadata.name ?? '', namespace: app.spec.destination.namespace, appNamespace: app.metadata.namespace ?? 'default' });
  const liveReader: LiveReader = { resourceFor: (apiVersion, kind) => reader.resourceFor(apiVersion, kind), live: () => undefined };
  const appKey = `${app.metadata.namespace ?? 'default'}/${app.metadata.name ?? ''}`;
  const desired = await prepareDesired(loaded.objects, { namespace: app.spec.destination.namespace, appKey, reader: liveReader });
  // A shared cluster takes only the project's namespaces: the controller refuses the rest before writing, so nothing else is read.
  const outside = objectsOutsideScope(
    scope,
    desired
      .filter((entry) => entry.hook !== true)
      .map(({ object, resource }) => ({ kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace, namespaced: resource?.namespaced ?? object.metadata.namespace !== undefined })),
  );
  if (outside !== undefined) throw new DeliveryRefusedError(outside);
  const parts: string[] = [];
  const objects: DiffObject[] = [];
  const desiredKeys = new Set<string>();
  for (const { object, resource, hook } of desired) {
    // Hooks are created by a sync, never compared.
    if (hook === true) continue;
    desiredKeys.add(objectKey(object));
    const live = resource === undefined ? undefined : await target.get<Manifest>(resource, object.metadata.name, resource.namespaced ? object.metadata.namespace : undefined);
    const text = unifiedDiff(object, live, { ignoreDifferences: ignoredPointers(object, app.spec.ignoreDifferences) });
    if (text === '') continue;
    const slash = object.apiVersion.indexOf('/');
    objects.push({
      group: slash === -1 ? '' : object.apiVersion.slice(0, slash),
      version: slash === -1 ? object.apiVersion : object.apiVersion.slice(slash + 1),
      kind: object.kind,
      ...(object.metadata.namespace === undefined ? {} : { namespace: object.metadata.namespace }),
      name: object.metadata.name,
      action: live === undefined ? 'create' : 'update',
      diff: text,
    });
    parts.push(`===== ${objectKey(object)} ${live === undefined ? '(missing: a sync creates it)' : ''}`.trimEnd(), text.trimEnd());
  }
  if (options.showPrune ?? true) {
    for (const entry of app.status?.resources ?? []) {
      const key = `${entry.group ?? ''}/${entry.kind}/${entry.namespace ?? ''}/${entry.name}`;
      if (desiredKeys.has(key) || !(await exists(reader, target, entry))) continue;
      objects.push({ group: entry.group ?? '', version: entry.version, kind: entry.kind, ...(entry.namespace === undefined ? {} : { namespace: entry.namespace }), name: entry.name, action: 'prune', diff: '' });
      parts.push(`===== ${key} (not in the source any more: a sync with prune deletes it)`);
    }
  }
  return { revision: loaded.revision, text: parts.length === 0 ? '' : `${parts.join('\n')}\n`, changed: objects.length, objects };
}

/** Whether an inventory entry still exists, read as the delivery identity (one it may not read is one a prune could not delete either). */
async function exists(reader: KubeClient, target: KubeClient, entry: ResourceStatus): Promise<boolean> {
  let resource: ResourceType;
  try {
    resource = await reader.resourceFor(entry.group === undefined || entry.group === '' ? entry.version : `${entry.group}/${entry.version}`, entry.kind);
  } catch {
    return false;
  }
  try {
    return (await target.get(resource, entry.name, resource.namespaced ? entry.namespace : undefined)) !== undefined;
  } catch (error) {
    if (error instanceof KubeApiError && error.code === 403) return false;
    throw error;
  }
}
