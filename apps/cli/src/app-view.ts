// How `beamline app` shows Applications (tables, the `get` summary, an operation's result, the
// history) and the decisions it takes on what it reads (is a wait over, which history entry a
// rollback goes back to, the exit code of a diff). Pure: the commands do the I/O.
import type { Application, HistoryEntry, OperationState } from '@beamline/api';
import { APPLICATION } from '@beamline/api/names';
import { redactUrl } from '@beamline/gitops/redact';
import { age, CliError, formatTable } from './output.ts';
import { cell } from './print.ts';
import type { BeamlineObject } from './resources.ts';

/** An Application as the CLI reads it: the API's type, with the timestamps that type leaves out. */
export type AppObject = Omit<Application, 'metadata'> & {
  metadata: Application['metadata'] & { creationTimestamp?: string | Date; deletionTimestamp?: string | Date };
};

/** An object of kind Application, as the API server sent it. */
export function asApp(object: BeamlineObject): AppObject {
  return object as unknown as AppObject;
}

interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
}

/** A full git commit (SHA-1 or SHA-256) → its first 7 characters, as git and Argo CD show it; other revisions as they are. */
export function shortRevision(revision: string | undefined): string | undefined {
  if (revision === undefined) return undefined;
  return /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(revision) ? revision.slice(0, 7) : revision;
}

/**
 * The destination Cluster as `app list` and `app get` show it: its name, or `<namespace>/<name>`
 * for a Cluster of another namespace (`destination.clusterNamespace`, a shared cluster), as
 * `status.inventoryDestination` names it.
 */
export function destinationCluster(app: AppObject): string {
  const { cluster, clusterNamespace } = app.spec.destination;
  return clusterNamespace === undefined || clusterNamespace === app.metadata.namespace ? cluster : `${clusterNamespace}/${cluster}`;
}

/**
 * Text from a tenant (a user name from an ID token's claim) made safe for a terminal: control
 * characters (escape sequences that would move the cursor or rewrite what was printed) become `?`.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** A row of `beamline app list`: NAME SYNC HEALTH REVISION DEST-CLUSTER DEST-NAMESPACE AGE. */
export function appRow(object: BeamlineObject, now = new Date()): string[] {
  const app = asApp(object);
  return [
    cell(app.metadata.name),
    cell(app.status?.sync?.status),
    cell(app.status?.health?.status),
    cell(shortRevision(app.status?.sync?.revision)),
    cell(destinationCluster(app)),
    cell(app.spec.destination.namespace),
    age(app.metadata.creationTimestamp, now),
  ];
}

/** The table of `beamline app list`, as `printObjects` (print.ts) takes it. */
export const APP_TABLE = {
  kind: APPLICATION.kind,
  headers: ['name', 'sync', 'health', 'revision', 'dest-cluster', 'dest-namespace', 'age'],
  // One argument only: printObjects maps over the objects, and Array.map's index is no clock.
  row: (object: BeamlineObject): string[] => appRow(object),
};

/** `2026-11-21T20:00:00Z (5m ago)`; `<none>` when absent. */
export function timeAndAge(timestamp: string | undefined, now = new Date()): string {
  return timestamp === undefined ? '<none>' : `${timestamp} (${age(timestamp, now)} ago)`;
}

/** Conditions worth showing: Ready that is not True, and Reconciling or Stalled that are True. */
export function conditionsNotOk(conditions: readonly Condition[] | undefined): Condition[] {
  return (conditions ?? []).filter((c) => (c.type === 'Ready' ? c.status !== 'True' : c.status === 'True'));
}

/** Aligned `Key:   value` lines, as `argocd app get` prints them. */
function fields(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([key]) => key.length)) + 2;
  return pairs.map(([key, value]) => `${`${key}:`.padEnd(width)}${value}`.trimEnd()).join('\n');
}

/** What a source delivers, in a few words: `apps/guestbook` or `podinfo@6.7.0` (the repository root is `.`). */
export function describeSource(source: Application['spec']['source']): string {
  if (source.chart !== undefined) return `${source.chart}@${source.chartVersion ?? '?'}`;
  return source.path ?? '.';
}

/** `Automated (Prune, Self Heal)` or `Manual`, with the sync options. */
export function describeSyncPolicy(policy: Application['spec']['syncPolicy']): string {
  const automated = policy?.automated;
  const options = [automated?.prune === true ? 'Prune' : '', automated?.selfHeal === true ? 'Self Heal' : ''].filter((o) => o !== '');
  const mode = automated === undefined ? 'Manual' : options.length === 0 ? 'Automated' : `Automated (${options.join(', ')})`;
  return policy?.syncOptions?.createNamespace === true ? `${mode}, Create Namespace` : mode;
}

/** What started an operation: `Sync (manual)`, `Sync (automated)`, `Rollback to 3`. */
function operationName(op: OperationState): string {
  if (op.initiatedBy === 'rollback' || op.rollbackTo !== undefined) return `Rollback to ${op.rollbackTo ?? '?'}`;
  return op.initiatedBy === undefined ? 'Sync' : `Sync (${op.initiatedBy})`;
}

/** The fields of an operation (phase, message, revision, times), as `argocd app get` shows them. */
export function formatOperation(op: OperationState, now = new Date()): string {
  const pairs: [string, string][] = [
    ['Operation', operationName(op)],
    ['Phase', op.phase],
    ['Message', op.message ?? ''],
    ['Revision', cell(op.revision)],
    ['Started', timeAndAge(op.startedAt, now)],
  ];
  if (op.finishedAt !== undefined) pairs.push(['Finished', timeAndAge(op.finishedAt, now)]);
  if (op.retryCount !== undefined && op.retryCount > 0) pairs.push(['Retries', String(op.retryCount)]);
  if (op.syncRequest !== undefined) pairs.push(['Request', op.syncRequest]);
  return fields(pairs);
}

/** The per-object results of an operation: KIND NAMESPACE NAME STATUS MESSAGE. */
export function formatOperationResults(op: OperationState): string {
  const results = op.results ?? [];
  if (results.length === 0) return 'No objects were changed.';
  return formatTable(
    ['kind', 'namespace', 'name', 'status', 'message'],
    results.map((r) => [r.kind, r.namespace ?? '', r.name, r.status, r.message ?? '']),
  );
}

/**
 * The inventory as `argocd app get` lists it: GROUP KIND NAMESPACE NAME STATUS HEALTH MESSAGE.
 * MESSAGE is the object's health message, else what the last operation did to it.
 */
export function resourceRows(app: AppObject): string[][] {
  const results = app.status?.operationState?.results ?? [];
  return (app.status?.resources ?? []).map((r) => {
    const result = results.find((x) => x.kind === r.kind && x.name === r.name && (x.namespace ?? '') === (r.namespace ?? ''));
    return [r.group ?? '', r.kind, r.namespace ?? '', r.name, r.status, r.health?.status ?? '', r.health?.message ?? result?.message ?? ''];
  });
}

/** `beamline app get NAME`: the summary, then the inventory. */
export function describeApplication(app: AppObject, now = new Date()): string {
  const { source, destination } = app.spec;
  const status = app.status;
  const pairs: [string, string][] = [
    ['Name', `${app.metadata.namespace ?? ''}/${app.metadata.name ?? ''}`],
    // Stored URLs carry no credentials (the CRD refuses them); older objects might.
    ['Repo', redactUrl(source.repoURL)],
  ];
  if (source.chart === undefined) {
    pairs.push(['Target', source.targetRevision ?? 'HEAD'], ['Path', `${source.path ?? '.'}${source.directory?.recursive === true ? ' (recursive)' : ''}`]);
  } else {
    pairs.push(['Chart', source.chart], ['Chart Version', cell(source.chartVersion)]);
  }
  if (source.helm?.releaseName !== undefined) pairs.push(['Helm Release', source.helm.releaseName]);
  if (source.helm?.valueFiles !== undefined) pairs.push(['Helm Value Files', source.helm.valueFiles.join(', ')]);
  pairs.push(
    ['Cluster', destinationCluster(app)],
    ['Namespace', destination.namespace],
    ['Sync Policy', describeSyncPolicy(app.spec.syncPolicy)],
    ['Deletion Policy', app.spec.deletionPolicy ?? 'Delete'],
  );
  const sync = status?.sync;
  // Argo CD's wording: `Synced to main (3f1c2e9)`; the chart version for a Helm repository.
  const target = source.chart === undefined ? (source.targetRevision ?? 'HEAD') : cell(source.chartVersion);
  pairs.push(['Sync Status', sync === undefined ? '<none>' : `${sync.status} to ${target}${sync.revision === undefined ? '' : ` (${shortRevision(sync.revision) ?? ''})`}`]);
  // Who made the change the last sync delivered (history's newest entry), when the admission webhook recorded it.
  const lastSync = newestHistoryEntry(status?.history);
  if (lastSync?.changedBy !== undefined && lastSync.changedBy !== '') pairs.push(['Changed By', `${printable(lastSync.changedBy)} (synced as history id ${lastSync.id})`]);
  pairs.push(['Health Status', cell(status?.health?.status)]);
  if (status?.health?.message !== undefined && status.health.message !== '') pairs.push(['Health Message', status.health.message]);
  if (status?.reconciledAt !== undefined) pairs.push(['Reconciled', timeAndAge(status.reconciledAt, now)]);
  if (app.metadata.deletionTimestamp !== undefined) pairs.push(['Deleting Since', String(app.metadata.deletionTimestamp)]);
  if ((status?.observedGeneration ?? 0) < (app.metadata.generation ?? 0)) {
    pairs.push(['Observed', `generation ${status?.observedGeneration ?? 0} of ${app.metadata.generation ?? 0}: the controller has not seen the latest change yet`]);
  }
  const sections = [fields(pairs)];
  const notOk = conditionsNotOk(status?.conditions);
  if (notOk.length > 0) {
    sections.push('', 'Conditions:', formatTable(['type', 'status', 'reason', 'message'], notOk.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? ''])).replace(/^/gm, '  '));
  }
  if (status?.operationState !== undefined) sections.push('', 'Last Operation:', formatOperation(status.operationState, now).replace(/^/gm, '  '));
  const rows = resourceRows(app);
  sections.push('', rows.length === 0 ? 'No resources.' : formatTable(['group', 'kind', 'namespace', 'name', 'status', 'health', 'message'], rows));
  return sections.join('\n');
}

/** The history entry of the latest sync (the highest id), or undefined without history. */
function newestHistoryEntry(history: readonly HistoryEntry[] | undefined): HistoryEntry | undefined {
  return (history ?? []).reduce<HistoryEntry | undefined>((newest, h) => (newest === undefined || h.id > newest.id ? h : newest), undefined);
}

/** The columns of `beamline app history`. */
export const HISTORY_HEADERS: readonly string[] = ['id', 'deployed', 'revision', 'source', 'by'];

/**
 * The rows of `beamline app history`: ID DEPLOYED REVISION SOURCE BY, oldest first (newest last,
 * as Argo CD prints). BY is who last changed the Application before that sync (`changedBy`),
 * empty when unknown (syncs recorded before it existed, or no admission webhook).
 */
export function historyRows(history: readonly HistoryEntry[] | undefined, now = new Date()): string[][] {
  return [...(history ?? [])]
    .sort((a, b) => a.id - b.id)
    .map((h) => [String(h.id), timeAndAge(h.deployedAt, now), h.revision, describeSource(h.source), printable(h.changedBy ?? '')]);
}

/**
 * The history id `beamline app rollback NAME [ID]` goes back to: `ID` when the history has it,
 * else the entry before the latest (the one deployed before the current one).
 */
export function chooseRollbackId(name: string, history: readonly HistoryEntry[] | undefined, requested?: string): number {
  const ids = [...(history ?? [])].map((h) => h.id).sort((a, b) => a - b);
  if (requested !== undefined) {
    if (!/^\d+$/.test(requested)) throw new CliError(`invalid value "${requested}" for ID: a history id is a whole number (see beamline app history ${name})`, 2);
    const id = Number(requested);
    if (!ids.includes(id)) {
      throw new CliError(
        ids.length === 0
          ? `application "${name}" has no history id ${id}: it has no history yet (nothing was synced)`
          : `application "${name}" has no history id ${id}: available ids: ${ids.join(', ')}`,
      );
    }
    return id;
  }
  const previous = ids.at(-2);
  if (previous === undefined) {
    throw new CliError(
      ids.length === 0
        ? `application "${name}" has no history yet: there is nothing to roll back to`
        : `application "${name}" has only one history entry (id ${ids[0] ?? ''}): there is no previous one to roll back to`,
    );
  }
  return previous;
}

/** What `beamline app wait` waits for. */
export interface WaitFor {
  /** `sync.status` Synced. */
  readonly sync: boolean;
  /** `health.status` Healthy. */
  readonly health: boolean;
}

/** Whether an Application is where `app wait` wants it, and a line saying what it is now. */
export interface WaitState {
  readonly done: boolean;
  readonly line: string;
}

/**
 * The state `beamline app wait` waits on: the controller has seen the latest spec
 * (`observedGeneration`), no operation runs, and (as asked) Synced and Healthy. Degraded does not
 * end the wait: a rollout may still recover, as Argo CD keeps waiting too.
 */
export function waitState(app: AppObject, wanted: WaitFor): WaitState {
  const status = app.status;
  const generation = app.metadata.generation ?? 0;
  const observed = status?.observedGeneration ?? 0;
  const op = status?.operationState;
  const parts: string[] = [];
  if (observed < generation) parts.push(`generation ${generation} not observed yet (observed ${observed})`);
  const revision = shortRevision(status?.sync?.revision);
  parts.push(`sync ${status?.sync?.status ?? '<none>'}${revision === undefined ? '' : ` at ${revision}`}`);
  const health = status?.health;
  parts.push(`health ${health?.status ?? '<none>'}${health?.message === undefined || health.message === '' ? '' : ` (${health.message})`}`);
  if (op !== undefined) parts.push(`operation ${op.phase}${op.message === undefined || op.message === '' ? '' : ` (${op.message})`}`);
  const ready = (status?.conditions ?? []).find((c) => c.type === 'Ready');
  if (ready !== undefined && ready.status !== 'True' && ready.reason !== 'OutOfSync' && ready.reason !== 'NotHealthy') {
    parts.push(`Ready ${ready.status} ${ready.reason}${ready.message === '' ? '' : `: ${ready.message}`}`);
  }
  const done =
    observed >= generation &&
    op?.phase !== 'Running' &&
    (!wanted.sync || status?.sync?.status === 'Synced') &&
    (!wanted.health || health?.status === 'Healthy');
  return { done, line: parts.join(', ') };
}

/** Whether the sync request `id` has been handled and its operation is over (not Running). */
export function syncRequestDone(app: AppObject, id: string): boolean {
  return app.status?.lastHandledSyncRequest === id && app.status.operationState?.phase !== 'Running';
}

/** Whether an operation's phase is a failure, for the exit code of `sync` and `rollback`. */
export function operationFailed(op: OperationState | undefined): boolean {
  return op?.phase === 'Failed' || op?.phase === 'Error';
}

/** The exit code of `beamline app diff` (as `diff` and `argocd app diff`): 0 no differences, 1 differences; errors are 2. */
export function diffExitCode(diff: { readonly text: string; readonly changed: number }): 0 | 1 {
  return diff.changed > 0 || diff.text !== '' ? 1 : 0;
}

/** Ready reasons no amount of waiting fixes: the spec, the repository or the destination must change first. */
const PERMANENT_REASONS = new Set(['FetchFailed', 'RenderFailed', 'SyncFailed', 'DestinationNotPermitted']);

/**
 * Why waiting for this Application is pointless, or undefined while it may still get there: the
 * controller, having seen the latest spec, reports a fetch or render failure, a failed sync of the
 * target revision (a refused object, a kind whose CRD the destination lacks), a destination
 * cluster that does not exist, a destination the app's project may not deliver to
 * (`DestinationNotPermitted`: only a change of the spec or of the Project fixes it), or Stalled. `app create --wait` and `app wait` end at once with it
 * (as `argocd app wait` does on a failed operation) instead of waiting out the timeout.
 */
export function permanentFailure(app: AppObject): string | undefined {
  const generation = app.metadata.generation ?? 0;
  if ((app.status?.observedGeneration ?? 0) < generation) return undefined;
  const conditions = (app.status?.conditions ?? []) as readonly (Condition & { readonly observedGeneration?: number })[];
  const current = (type: string): (Condition & { readonly observedGeneration?: number }) | undefined => {
    const condition = conditions.find((c) => c.type === type);
    return condition !== undefined && (condition.observedGeneration ?? generation) >= generation ? condition : undefined;
  };
  const stalled = current('Stalled');
  const ready = current('Ready');
  const said = (c: Condition): string => `${c.reason ?? 'Unknown'}${c.message === undefined || c.message === '' ? '' : `: ${c.message}`}`;
  if (stalled?.status === 'True') return said(stalled);
  if (ready === undefined || ready.status === 'True') return undefined;
  if (PERMANENT_REASONS.has(ready.reason ?? '')) return said(ready);
  // A destination that is down may come back (a cluster resuming after `beamline up`); one that does not exist will not.
  if (ready.reason === 'DestinationNotReady' && /does not exist/.test(ready.message ?? '')) return said(ready);
  return undefined;
}
