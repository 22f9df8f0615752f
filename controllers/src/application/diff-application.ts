import { IN_CLUSTER, type Application, type Cluster, type ResourceStatus } from '@beamline/api';
import { objectKey, unifiedDiff, type Manifest } from '@beamline/gitops';
import { workloadKubeConfig } from '@beamline/providers';
import { KubeClient, type ResourceType } from '@beamline/kube';
import { RESOURCES } from '../resources.ts';
import { ignoredPointers, prepareDesired, type LiveReader } from './compare.ts';
import { readClusterKubeconfig } from './destinations.ts';
import { decodeSecretData } from './source-credentials.ts';
import { SourceLoader } from './source-loader.ts';

/** Options of {@link diffApplication}. */
export interface DiffApplicationOptions {
  /** A client of the management cluster (reads the destination Cluster and its kubeconfig Secret). */
  readonly client: KubeClient;
  /** Paths of the pinned binaries: helm, kubectl (kustomize). */
  readonly binaries: { readonly helm: string; readonly kubectl: string };
  /** A folder for git mirrors and exports (the CLI uses $BEAMLINE_HOME/cache/gitops). */
  readonly workDir: string;
  /** Also list objects of the inventory the source no longer has (they would be pruned). Default true. */
  readonly showPrune?: boolean;
}

/** What {@link diffApplication} found. */
export interface ApplicationDiff {
  /** The revision the source resolved to. */
  readonly revision: string;
  /** A unified YAML diff of desired against live (Secrets redacted); '' when in sync. */
  readonly text: string;
  /** Objects that differ, are missing, or would be pruned. */
  readonly changed: number;
}

/** A client of the app's destination cluster, through the management client. */
async function destinationClient(app: Application, client: KubeClient): Promise<KubeClient> {
  if (app.spec.destination.cluster === IN_CLUSTER) return client;
  const namespace = app.metadata.namespace ?? 'default';
  const cluster = await client.get<Cluster>(RESOURCES.cluster, app.spec.destination.cluster, namespace);
  if (cluster === undefined) throw new Error(`destination Cluster ${namespace}/${app.spec.destination.cluster} does not exist`);
  const found = await readClusterKubeconfig(client, cluster);
  if (!found.ok) throw new Error(found.message);
  try {
    return new KubeClient(workloadKubeConfig(found.text));
  } catch (error) {
    throw new Error(`destination Cluster ${namespace}/${app.spec.destination.cluster} has a kubeconfig that cannot be used: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Renders the Application's source as the controller does (same engine, same cache keys) and
 * diffs each object against the live one read from the destination: the answer to "what would a
 * sync change". Objects of the inventory the source no longer has are listed as deletions.
 */
export async function diffApplication(app: Application, options: DiffApplicationOptions): Promise<ApplicationDiff> {
  const target = await destinationClient(app, options.client);
  const version = await target.request<{ gitVersion?: string }>('GET', '/version');
  const readSecret = async (namespace: string, name: string): Promise<Record<string, string> | undefined> => {
    const secret = await options.client.get<Manifest & { data?: Record<string, string> }>(RESOURCES.secret, name, namespace);
    return secret === undefined ? undefined : decodeSecretData(secret.data);
  };
  const loader = new SourceLoader({ workDir: options.workDir, tools: options.binaries, kubeVersion: version.gitVersion ?? '1.36.0', readSecret });
  const loaded = await loader.load(app.spec.source, { appName: app.metadata.name ?? '', namespace: app.spec.destination.namespace, appNamespace: app.metadata.namespace ?? 'default' });
  const reader: LiveReader = { resourceFor: (apiVersion, kind) => target.resourceFor(apiVersion, kind), live: () => undefined };
  const appKey = `${app.metadata.namespace ?? 'default'}/${app.metadata.name ?? ''}`;
  const desired = await prepareDesired(loaded.objects, { namespace: app.spec.destination.namespace, appKey, reader });
  const parts: string[] = [];
  let changed = 0;
  const desiredKeys = new Set<string>();
  for (const { object, resource, hook } of desired) {
    // Hooks are created by a sync, never compared.
    if (hook === true) continue;
    desiredKeys.add(objectKey(object));
    const live = resource === undefined ? undefined : await target.get<Manifest>(resource, object.metadata.name, resource.namespaced ? object.metadata.namespace : undefined);
    const text = unifiedDiff(object, live, { ignoreDifferences: ignoredPointers(object, app.spec.ignoreDifferences) });
    if (text === '') continue;
    changed += 1;
    parts.push(`===== ${objectKey(object)} ${live === undefined ? '(missing: a sync creates it)' : ''}`.trimEnd(), text.trimEnd());
  }
  if (options.showPrune ?? true) {
    for (const entry of app.status?.resources ?? []) {
      const key = `${entry.group ?? ''}/${entry.kind}/${entry.namespace ?? ''}/${entry.name}`;
      if (desiredKeys.has(key) || !(await exists(target, entry))) continue;
      changed += 1;
      parts.push(`===== ${key} (not in the source any more: a sync with prune deletes it)`);
    }
  }
  return { revision: loaded.revision, text: parts.length === 0 ? '' : `${parts.join('\n')}\n`, changed };
}

async function exists(client: KubeClient, entry: ResourceStatus): Promise<boolean> {
  let resource: ResourceType;
  try {
    resource = await client.resourceFor(entry.group === undefined || entry.group === '' ? entry.version : `${entry.group}/${entry.version}`, entry.kind);
  } catch {
    return false;
  }
  return (await client.get(resource, entry.name, resource.namespaced ? entry.namespace : undefined)) !== undefined;
}
