// What `beamline app create` sends: the flags checked locally (the mistakes a flag parser can see,
// as usage errors naming the flag) and turned into an Application. Everything else (URL forms,
// DNS labels, CEL rules) is left to the API server, whose 422 names the field.
import { readFile } from 'node:fs/promises';
import type { Application, ApplicationSource, ApplicationSpec, SyncPolicy } from '@beamline/api';
import { API_VERSION, APPLICATION } from '@beamline/api/names';
import { parseAllDocuments } from 'yaml';
import { CliError } from './output.ts';
import { parseDuration } from './wait.ts';

/** The flags of `beamline app create`, as commander parses them. */
export interface AppCreateFlags {
  readonly repo: string;
  readonly revision?: string;
  readonly path?: string;
  readonly recursive?: boolean;
  readonly chart?: string;
  readonly chartVersion?: string;
  /** The parsed `--values` file (see {@link parseValuesFile}). */
  readonly values?: Record<string, unknown>;
  readonly valueFile?: readonly string[];
  readonly releaseName?: string;
  readonly destCluster: string;
  /** `--dest-cluster-namespace`: the namespace of the destination Cluster when not the app's (a shared cluster). */
  readonly destClusterNamespace?: string;
  readonly destNamespace: string;
  readonly autoSync?: boolean;
  readonly prune?: boolean;
  readonly selfHeal?: boolean;
  readonly createNamespace?: boolean;
  readonly refreshInterval?: string;
}

/**
 * An RFC 1123 DNS label, as the API's `DNS_LABEL_PATTERN` (api/v1alpha1/common.ts; a unit test
 * keeps them equal). Copied, not imported: that module loads TypeBox, which every command would pay
 * for at start-up.
 */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** The longest DNS label. */
const DNS_LABEL_MAX_LENGTH = 63;

/** The destination cluster name that means the management cluster (the API's `IN_CLUSTER`). */
const IN_CLUSTER = 'in-cluster';

/** The bounds of `spec.refreshIntervalSeconds`, checked here so the error names the flag. */
const REFRESH_MIN_SECONDS = 10;
const REFRESH_MAX_SECONDS = 86_400;

/** `--refresh-interval 3m` → 180; a usage error when it is not whole seconds within the API's bounds. */
export function refreshIntervalSeconds(value: string): number {
  const ms = parseDuration(value, '--refresh-interval');
  if (ms % 1000 !== 0) throw new CliError(`invalid value "${value}" for --refresh-interval: use whole seconds (e.g. 90s, 3m)`, 2);
  const seconds = ms / 1000;
  if (seconds < REFRESH_MIN_SECONDS || seconds > REFRESH_MAX_SECONDS) {
    throw new CliError(`invalid value "${value}" for --refresh-interval: it must be between ${REFRESH_MIN_SECONDS}s and 24h`, 2);
  }
  return seconds;
}

/** Refuses flag combinations the Application cannot hold, as usage errors naming the flags. */
export function checkCreateFlags(flags: AppCreateFlags): void {
  const usage = (message: string): never => {
    throw new CliError(message, 2);
  };
  if (flags.chart !== undefined) {
    if (flags.chartVersion === undefined) usage('--chart needs --chart-version: a chart from a Helm repository is pinned to a version');
    if (flags.path !== undefined) usage('--path and --chart are mutually exclusive: --path is a directory of a git repository, --chart a chart of a Helm repository');
    if (flags.recursive === true) usage('--recursive is for a directory of a git repository (--path), not for --chart');
    if (flags.revision !== undefined) usage('--revision is for git sources: with --chart, --chart-version says which version');
  } else if (flags.chartVersion !== undefined) {
    usage('--chart-version needs --chart');
  }
  // Both only shape automated syncs; a one-off prune is `beamline app sync --prune`.
  if (flags.autoSync !== true) {
    if (flags.prune === true) usage('--prune needs --auto-sync: it says whether automated syncs delete objects (for a one-off prune: beamline app sync --prune)');
    if (flags.selfHeal === true) usage('--self-heal needs --auto-sync: only automated syncs put back objects changed by hand');
  }
  if (flags.refreshInterval !== undefined) refreshIntervalSeconds(flags.refreshInterval);
  const clusterNamespace = flags.destClusterNamespace;
  if (clusterNamespace !== undefined) {
    // Checked here, not left to the API server: the pre-create checks read Clusters of this
    // namespace first, and a malformed name would come back as a confusing 404 or 400 there.
    if (clusterNamespace.length > DNS_LABEL_MAX_LENGTH || !DNS_LABEL.test(clusterNamespace)) {
      usage(
        `invalid value "${clusterNamespace}" for --dest-cluster-namespace: a namespace is a DNS label (lower-case letters, digits and '-', starting and ending with a letter or digit, at most ${DNS_LABEL_MAX_LENGTH} characters)`,
      );
    }
    // The controller ignores it for in-cluster: refusing says so instead of storing a field with no effect.
    if (flags.destCluster === IN_CLUSTER) usage(`--dest-cluster-namespace does not apply to --dest-cluster ${IN_CLUSTER} (the management cluster is in no namespace)`);
  }
}

/** The Helm-only flags given (`--values`, `--value-file`, `--release-name`): a git path must be a chart for them. */
export function helmOnlyFlags(flags: Pick<AppCreateFlags, 'values' | 'valueFile' | 'releaseName'>): string[] {
  return [
    ...(flags.values === undefined ? [] : ['--values']),
    ...(flags.valueFile !== undefined && flags.valueFile.length > 0 ? ['--value-file'] : []),
    ...(flags.releaseName === undefined ? [] : ['--release-name']),
  ];
}

/** `--validate=false` and friends: true/false/yes/no/1/0; anything else is a usage error naming the flag. */
export function parseBooleanFlag(value: string, flag: string): boolean {
  if (/^(true|yes|1)$/i.test(value)) return true;
  if (/^(false|no|0)$/i.test(value)) return false;
  throw new CliError(`invalid value "${value}" for ${flag}: use true or false`, 2);
}

/** The Application `beamline app create NAME ...` creates (after {@link checkCreateFlags}). */
export function applicationFromFlags(name: string, namespace: string, flags: AppCreateFlags): Application {
  checkCreateFlags(flags);
  const source: ApplicationSource = { repoURL: flags.repo };
  if (flags.revision !== undefined) source.targetRevision = flags.revision;
  if (flags.path !== undefined) source.path = flags.path;
  if (flags.recursive === true) source.directory = { recursive: true };
  if (flags.chart !== undefined) source.chart = flags.chart;
  if (flags.chartVersion !== undefined) source.chartVersion = flags.chartVersion;
  const helm: NonNullable<ApplicationSource['helm']> = {};
  if (flags.releaseName !== undefined) helm.releaseName = flags.releaseName;
  if (flags.values !== undefined && Object.keys(flags.values).length > 0) helm.values = flags.values;
  if (flags.valueFile !== undefined && flags.valueFile.length > 0) helm.valueFiles = [...flags.valueFile];
  if (Object.keys(helm).length > 0) source.helm = helm;

  const syncPolicy: SyncPolicy = {};
  if (flags.autoSync === true) syncPolicy.automated = { prune: flags.prune === true, selfHeal: flags.selfHeal === true };
  if (flags.createNamespace === true) syncPolicy.syncOptions = { createNamespace: true };

  const destination: ApplicationSpec['destination'] = { cluster: flags.destCluster, namespace: flags.destNamespace };
  if (flags.destClusterNamespace !== undefined) destination.clusterNamespace = flags.destClusterNamespace;
  const spec: ApplicationSpec = { source, destination };
  if (Object.keys(syncPolicy).length > 0) spec.syncPolicy = syncPolicy;
  if (flags.refreshInterval !== undefined) spec.refreshIntervalSeconds = refreshIntervalSeconds(flags.refreshInterval);
  return { apiVersion: API_VERSION, kind: APPLICATION.kind, metadata: { name, namespace }, spec };
}

/**
 * The Helm values of a `--values` file's text: one YAML mapping (an empty file is no values).
 * Anything else is a usage error naming the file, so a typo never reaches the chart.
 */
export function parseValuesFile(text: string, file: string): Record<string, unknown> {
  const documents = parseAllDocuments(text);
  if (documents.length > 1) throw new CliError(`--values ${file}: one YAML document is needed, found ${documents.length}`, 2);
  const document = documents[0];
  if (document === undefined) return {};
  if (document.errors.length > 0) throw new CliError(`--values ${file}: not valid YAML: ${document.errors[0]?.message.split('\n')[0] ?? ''}`, 2);
  const value = document.toJSON() as unknown;
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new CliError(`--values ${file}: not a YAML mapping (found ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}): values are keys and values, as in values.yaml`, 2);
  }
  return value as Record<string, unknown>;
}

/** Reads and parses a `--values` file; an unreadable file is a usage error naming it. */
export async function readValuesFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`--values ${file}: cannot read it: ${(error as Error).message}`, 2);
  }
  return parseValuesFile(text, file);
}
