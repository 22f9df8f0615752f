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
  readonly destNamespace: string;
  readonly autoSync?: boolean;
  readonly prune?: boolean;
  readonly selfHeal?: boolean;
  readonly createNamespace?: boolean;
  readonly refreshInterval?: string;
}

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

  const spec: ApplicationSpec = { source, destination: { cluster: flags.destCluster, namespace: flags.destNamespace } };
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
