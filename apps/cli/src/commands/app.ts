import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Command } from 'commander';
import { ensureBinaries, stderrProgress } from '@beamline/binaries';
import { checkDestination, checkGitSource } from '../app-checks.ts';
import { applicationFromFlags, checkCreateFlags, helmOnlyFlags, parseBooleanFlag, readValuesFile, type AppCreateFlags } from '../app-spec.ts';
import {
  APP_TABLE,
  asApp,
  chooseRollbackId,
  describeApplication,
  diffExitCode,
  formatOperation,
  formatOperationResults,
  HISTORY_HEADERS,
  historyRows,
  operationFailed,
  permanentFailure,
  syncRequestDone,
  waitState,
  type AppObject,
  type WaitFor,
} from '../app-view.ts';
import { beamlineHome } from '../home.ts';
import { apiStatus, callApi, loadManagementKubeConfig, requireNamespace } from '../kube.ts';
import { CliError, formatTable, parseOutputFormat } from '../output.ts';
import { listObjects, listTable } from '../list-objects.ts';
import { cell, printObjects } from '../print.ts';
import { ensurePrivateDir } from '../sandbox/private-files.ts';
import { GROUP, VERSION } from '@beamline/api/names';
import { KINDS, resourceClient, type BeamlineObject, type ResourceClient } from '../resources.ts';
import { parseDuration, waitUntil, waitUntilGone } from '../wait.ts';

interface GlobalOptions {
  readonly kubeconfig?: string;
  readonly namespace?: string;
}

/** The Application kind as the CLI's resource client serves it. */
const APPLICATIONS = KINDS.application;

/** The message of a rollback refused because of auto-sync (Argo CD refuses it too). */
const AUTO_SYNC_ROLLBACK_MESSAGE =
  'rollback cannot run while auto-sync is on: it would sync back to the target revision at once; pass --disable-auto-sync to turn it off in the same step';

function context(command: Command): { config: KubeConfig; namespace: string; apps: ResourceClient } {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const config = loadManagementKubeConfig(globals.kubeconfig);
  return {
    config,
    namespace: globals.namespace ?? config.getContextObject(config.getCurrentContext())?.namespace ?? 'default',
    apps: resourceClient(config, APPLICATIONS),
  };
}

async function getApp(config: KubeConfig, apps: ResourceClient, namespace: string, name: string): Promise<AppObject> {
  return asApp(await callApi(config, `get application "${name}" in namespace "${namespace}"`, () => apps.get(name, namespace), namespace));
}

/** `Synced and Healthy`, `Synced`, `Healthy`, or (neither asked) `observed by the controller`. */
function goalOf(wanted: WaitFor): string {
  const goals = [wanted.sync ? 'Synced' : '', wanted.health ? 'Healthy' : ''].filter((g) => g !== '');
  return goals.length === 0 ? 'observed by the controller' : goals.join(' and ');
}

/**
 * Polls the Application until {@link waitState} says done, printing each change of state on
 * stderr; on timeout the error says what it last saw.
 */
async function waitForApp(config: KubeConfig, apps: ResourceClient, namespace: string, name: string, wanted: WaitFor, timeout: string): Promise<AppObject> {
  let last = '';
  let app: AppObject | undefined;
  await waitUntil(
    async () => {
      const current = await getApp(config, apps, namespace, name);
      app = current;
      const state = waitState(current, wanted);
      if (state.line !== last) process.stderr.write(`[wait] application/${name} ${state.line}\n`);
      last = state.line;
      // Before `done`: an app only observed (create --wait without --auto-sync) that cannot fetch its source is not a success either.
      const failure = permanentFailure(current);
      if (failure !== undefined) throw new CliError(`application "${name}" failed: ${failure} (waiting longer will not help: the spec, the repository, the destination or what the project may do must change)`);
      return state.done;
    },
    parseDuration(timeout, '--timeout'),
    () => `timed out after ${timeout} waiting for application "${name}" to be ${goalOf(wanted)} with no operation running; last state: ${last}`,
  );
  if (app === undefined) throw new CliError(`application "${name}" was not read`);
  return app;
}

/** Waits until the controller has handled sync request `id` and its operation is over; prints the result. */
async function waitForSyncRequest(config: KubeConfig, apps: ResourceClient, namespace: string, name: string, id: string, timeout: string, what: string): Promise<void> {
  let last = '';
  let app: AppObject | undefined;
  await waitUntil(
    async () => {
      app = await getApp(config, apps, namespace, name);
      const handled = app.status?.lastHandledSyncRequest === id;
      const line = `${handled ? '' : 'request not picked up yet; '}${waitState(app, { sync: false, health: false }).line}`;
      if (line !== last) process.stderr.write(`[wait] application/${name} ${line}\n`);
      last = line;
      return syncRequestDone(app, id);
    },
    parseDuration(timeout, '--timeout'),
    () =>
      `timed out after ${timeout} waiting for the ${what} of application "${name}" (request ${id}; it stays, the controller handles it when it can); last state: ${last}`,
  );
  const op = app?.status?.operationState;
  if (op === undefined) {
    process.stdout.write(`application/${name} ${what} handled\n`);
    return;
  }
  process.stdout.write(`${formatOperation(op)}\n\n${formatOperationResults(op)}\n`);
  if (operationFailed(op)) throw new CliError(`the ${what} of application "${name}" ended ${op.phase}${op.message === undefined || op.message === '' ? '' : `: ${op.message}`}`);
}

/** An error of `app diff` as exit code 2: 1 means "differences found" there, as for `diff`. */
function diffError(error: unknown): CliError {
  if (error instanceof CliError && error.exitCode >= 2) return error;
  return new CliError(error instanceof Error ? error.message : String(error), 2);
}

/** Renders the Application as the controller would and diffs it against the destination. */
async function diffApp(config: KubeConfig, app: AppObject): Promise<{ revision: string; text: string; changed: number }> {
  const binaries = await ensureBinaries({ progress: stderrProgress('setup') });
  // Loaded here, not at the top: every other command would pay for the controllers' imports.
  const [{ diffApplication }, { clientFor }] = await Promise.all([import('@beamline/controllers'), import('@beamline/kube')]);
  const workDir = join(beamlineHome(), 'cache', 'gitops');
  // The source loader makes its temporary folders inside workDir: it must exist, owner-only
  // (a private repository's files are exported there).
  await ensurePrivateDir(beamlineHome());
  await ensurePrivateDir(workDir);
  return diffApplication(app, { client: clientFor(config), binaries: { helm: binaries.paths.helm, kubectl: binaries.paths.kubectl }, workDir });
}

/** `beamline app create|list|get|diff|sync|wait|history|rollback|delete`. */
export function registerApp(program: Command): void {
  const app = program
    .command('app')
    .alias('apps')
    .description('GitOps applications: objects delivered from a git repository or a Helm chart to a cluster and namespace');

  app
    .command('create <name>')
    .description('create an application (a git path, or a chart of a Helm repository, delivered to a cluster and namespace)')
    .requiredOption('--repo <url>', 'the git repository (https, http, ssh, file, git@host:path) or, with --chart, the Helm repository (https, http, oci)')
    .option('--revision <revision>', 'git: the branch, tag or commit to deliver (default HEAD, the default branch)')
    .option('--path <path>', 'git: the directory to deliver (default the repository root); plain YAML/JSON, kustomize or a Helm chart')
    .option('--recursive', 'git: read the sub-directories of a plain YAML/JSON directory too')
    .option('--chart <chart>', 'a chart of the Helm repository --repo (needs --chart-version; not with --path)')
    .option('--chart-version <version>', 'the version of --chart')
    .option('--values <file>', 'a YAML file of Helm values (spec.source.helm.values)')
    .option('--value-file <file>', 'a values file of the chart, relative to it (repeatable, later files win)', (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--release-name <name>', 'the Helm release name (default: the application name)')
    .requiredOption('--dest-cluster <cluster>', 'the destination: a Cluster in this namespace, or in-cluster for the management cluster')
    .option('--dest-cluster-namespace <namespace>', "the namespace of the destination Cluster when it is not this one: a shared cluster of the platform, where the project owns --dest-namespace")
    .requiredOption('--dest-namespace <namespace>', 'the namespace objects without one go to')
    .option('--auto-sync', 'sync by itself whenever the source or the destination changes (default: only `beamline app sync`)')
    .option('--prune', 'with --auto-sync: delete objects the source no longer has')
    .option('--self-heal', 'with --auto-sync: put back objects changed or deleted by hand')
    .option('--create-namespace', 'create the destination namespace when it does not exist')
    .option('--refresh-interval <duration>', 'how often the source is checked for changes, 10s to 24h (default 3m)')
    .option('--upsert', 'replace the spec of an application that already exists instead of failing')
    .option(
      '--validate [bool]',
      'check first that the repository answers, the revision and path exist (git), Helm flags go with a chart, and the destination cluster exists; --validate=false skips it (default true)',
      (value: string) => parseBooleanFlag(value, '--validate'),
    )
    .option('--wait', 'wait until the controller has seen it (and, with --auto-sync, until it is Synced and Healthy); ends at once on a failure waiting cannot fix')
    .option('--timeout <duration>', 'how long --wait waits (e.g. 90s, 10m)', '5m')
    .action(async (name: string, options: Omit<AppCreateFlags, 'values'> & { values?: string; upsert?: boolean; validate?: boolean; wait?: boolean; timeout: string }, command: Command) => {
      parseDuration(options.timeout, '--timeout');
      const { values: valuesFile, upsert, validate, wait, timeout, ...flags } = options;
      // The flags first: a wrong combination is reported before any file is read.
      checkCreateFlags(flags);
      const values = valuesFile === undefined ? undefined : await readValuesFile(valuesFile);
      const { config, namespace, apps } = context(command);
      await requireNamespace(config, namespace);
      if (validate !== false) {
        await checkDestination(config, namespace, flags.destCluster, flags.destClusterNamespace);
        if (flags.chart === undefined) {
          await checkGitSource(
            { repo: flags.repo, revision: flags.revision, path: flags.path, helmFlags: helmOnlyFlags({ ...flags, ...(valuesFile === undefined ? {} : { values: {} }) }) },
            join(beamlineHome(), 'cache'),
          );
        }
      }
      // The API's ObjectMeta has no index signature, the CLI's open metadata does: same JSON.
      const body = applicationFromFlags(name, namespace, { ...flags, ...(values === undefined ? {} : { values }) }) as unknown as BeamlineObject;
      const what = `create application "${name}" in namespace "${namespace}"`;
      const created = await callApi(config, what, async () => {
        try {
          await apps.create(body, namespace);
          return true;
        } catch (error) {
          if (apiStatus(error) === 409) return false;
          throw error;
        }
      });
      if (!created) {
        if (upsert !== true) throw new CliError(`application "${name}" already exists in namespace "${namespace}": pass --upsert to replace its spec`);
        // Replaced, not merged: a flag left out now (an old --path) must not survive from before.
        await callApi(config, `replace application "${name}" in namespace "${namespace}"`, async () => {
          const existing = await apps.get(name, namespace);
          const { managedFields: _omitted, ...metadata } = existing.metadata ?? {};
          await config.makeApiClient(CustomObjectsApi).replaceNamespacedCustomObject({
            group: GROUP,
            version: VERSION,
            plural: APPLICATIONS.plural,
            namespace,
            name,
            body: { ...existing, metadata, spec: body.spec },
          });
        });
      }
      process.stdout.write(`application/${name} ${created ? 'created' : 'updated'}\n`);
      if (wait === true) {
        const wanted = { sync: flags.autoSync === true, health: flags.autoSync === true };
        const done = await waitForApp(config, apps, namespace, name, wanted, timeout);
        process.stdout.write(`application/${name} is ${goalOf(wanted)}: sync ${cell(done.status?.sync?.status)}, health ${cell(done.status?.health?.status)}\n`);
      }
    });

  app
    .command('list')
    .alias('ls')
    .description('list applications: sync and health, the revision delivered, the destination')
    .option('-A, --all-namespaces', 'list applications of every namespace')
    .option('-o, --output <format>', 'table, json, yaml or name', 'table')
    .action(async (options: { output?: string; allNamespaces?: boolean }, command: Command) => {
      const format = parseOutputFormat(options.output);
      const { config, namespace } = context(command);
      const scope = { namespace, allNamespaces: options.allNamespaces === true };
      const items = await listObjects(config, APPLICATIONS, scope, 'list applications');
      process.stdout.write(`${printObjects(items, format, listTable(APP_TABLE, scope))}\n`);
    });

  app
    .command('get <name>')
    .description('show an application: source, destination, sync policy, sync and health, problems, the last operation and its objects')
    .option('-o, --output <format>', 'table, json, yaml or name', 'table')
    .action(async (name: string, options: { output?: string }, command: Command) => {
      const format = parseOutputFormat(options.output);
      const { config, namespace, apps } = context(command);
      const item = await callApi(config, `get application "${name}" in namespace "${namespace}"`, () => apps.get(name, namespace), namespace);
      const text = format === 'table' ? describeApplication(asApp(item)) : printObjects([item], format, APP_TABLE, true);
      process.stdout.write(`${text}\n`);
    });

  app
    .command('diff <name>')
    .description(
      'show what a sync would change: the source rendered as the controller does, against the live objects (Secrets redacted). ' +
        'Exit code 0: no differences, 1: differences, 2: an error',
    )
    .action(async (name: string, _options: unknown, command: Command) => {
      let diff: { revision: string; text: string; changed: number };
      try {
        const { config, namespace, apps } = context(command);
        const current = await getApp(config, apps, namespace, name);
        try {
          diff = await diffApp(config, current);
        } catch (error) {
          throw new CliError(`failed to diff application "${name}": ${error instanceof Error ? error.message : String(error)}`, 2);
        }
      } catch (error) {
        throw diffError(error);
      }
      if (diff.text !== '') process.stdout.write(diff.text.endsWith('\n') ? diff.text : `${diff.text}\n`);
      if (diffExitCode(diff) === 1) {
        process.stderr.write(`application "${name}" differs from revision ${diff.revision}: ${diff.changed} object${diff.changed === 1 ? '' : 's'} would change\n`);
        // Exit 1 like diff(1) and `argocd app diff`, without an error line: differences are the answer.
        throw new CliError('', 1);
      }
    });

  app
    .command('sync <name>')
    .description('sync an application now (apply its source to the destination) and wait for the result; exit code 1 when the sync failed')
    .option('--prune', 'also delete objects the source no longer has (default: as spec.syncPolicy.automated.prune)')
    .option('--no-wait', 'return once the request is written')
    .option('--timeout <duration>', 'how long to wait for the result', '5m')
    .action(async (name: string, options: { prune?: boolean; wait: boolean; timeout: string }, command: Command) => {
      parseDuration(options.timeout, '--timeout');
      const { config, namespace, apps } = context(command);
      await getApp(config, apps, namespace, name);
      const { syncRequestPatch } = await import('../app-request.ts');
      const id = randomUUID();
      await callApi(config, `request a sync of application "${name}" in namespace "${namespace}"`, () =>
        apps.patch(name, syncRequestPatch({ id, ...(options.prune === true ? { prune: true } : {}) }), namespace),
      );
      process.stdout.write(`application/${name} sync requested (request ${id})\n`);
      if (options.wait) await waitForSyncRequest(config, apps, namespace, name, id, options.timeout, 'sync');
    });

  app
    .command('wait <name>')
    .description('wait until an application is Synced and Healthy (or only what --sync / --health ask), its latest spec seen and no operation running')
    .option('--sync', 'wait until it is Synced')
    .option('--health', 'wait until it is Healthy')
    .option('--timeout <duration>', 'how long to wait; on timeout it exits 1 saying what it last saw', '5m')
    .action(async (name: string, options: { sync?: boolean; health?: boolean; timeout: string }, command: Command) => {
      parseDuration(options.timeout, '--timeout');
      // Neither flag: both, as `argocd app wait`.
      const either = options.sync === true || options.health === true;
      const wanted = { sync: !either || options.sync === true, health: !either || options.health === true };
      const { config, namespace, apps } = context(command);
      const done = await waitForApp(config, apps, namespace, name, wanted, options.timeout);
      process.stdout.write(`application/${name} is ${goalOf(wanted)}: sync ${cell(done.status?.sync?.status)}, health ${cell(done.status?.health?.status)}\n`);
    });

  app
    .command('history <name>')
    .description('list the last successful syncs of an application (newest last): the ids rollback takes')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { config, namespace, apps } = context(command);
      const rows = historyRows((await getApp(config, apps, namespace, name)).status?.history);
      process.stdout.write(`${rows.length === 0 ? `No history: application "${name}" has not been synced yet.` : formatTable(HISTORY_HEADERS, rows)}\n`);
    });

  app
    .command('rollback <name> [id]')
    .description(
      'apply an earlier history entry again (default: the one before the latest) and wait for the result. ' +
        'Refused while auto-sync is on, which would sync back at once: --disable-auto-sync turns it off in the same step',
    )
    .option('--disable-auto-sync', 'remove spec.syncPolicy.automated in the same update')
    .option('--prune', 'also delete objects the entry does not have')
    .option('--no-wait', 'return once the request is written')
    .option('--timeout <duration>', 'how long to wait for the result', '5m')
    .action(async (name: string, requested: string | undefined, options: { disableAutoSync?: boolean; prune?: boolean; wait: boolean; timeout: string }, command: Command) => {
      parseDuration(options.timeout, '--timeout');
      if (requested !== undefined && !/^\d+$/.test(requested)) throw new CliError(`invalid value "${requested}" for ID: a history id is a whole number (see beamline app history ${name})`, 2);
      const { config, namespace, apps } = context(command);
      const current = await getApp(config, apps, namespace, name);
      const autoSync = current.spec.syncPolicy?.automated !== undefined;
      if (autoSync && options.disableAutoSync !== true) throw new CliError(AUTO_SYNC_ROLLBACK_MESSAGE);
      const rollbackTo = chooseRollbackId(name, current.status?.history, requested);
      const { syncRequestPatch } = await import('../app-request.ts');
      const id = randomUUID();
      await callApi(config, `request a rollback of application "${name}" in namespace "${namespace}"`, () =>
        apps.patch(name, syncRequestPatch({ id, rollbackTo, ...(options.prune === true ? { prune: true } : {}), disableAutoSync: autoSync }), namespace),
      );
      if (autoSync) process.stdout.write(`application/${name} auto-sync turned off\n`);
      process.stdout.write(`application/${name} rollback to history id ${rollbackTo} requested (request ${id})\n`);
      if (options.wait) await waitForSyncRequest(config, apps, namespace, name, id, options.timeout, 'rollback');
    });

  app
    .command('delete <name>')
    .description("delete an application; by default the controller deletes its objects first (spec.deletionPolicy), --cascade=orphan leaves them")
    .option('--cascade <mode>', 'foreground: delete its objects too (sets spec.deletionPolicy Delete); orphan: leave them in the destination (sets Orphan); default: as spec.deletionPolicy says')
    .option('--wait', 'wait until it is gone (its objects deleted, unless orphaned)')
    .option('--timeout <duration>', 'how long --wait waits', '5m')
    .action(async (name: string, options: { cascade?: string; wait?: boolean; timeout: string }, command: Command) => {
      const timeoutMs = parseDuration(options.timeout, '--timeout');
      if (options.cascade !== undefined && options.cascade !== 'foreground' && options.cascade !== 'orphan') {
        throw new CliError(`invalid value "${options.cascade}" for --cascade: use foreground or orphan`, 2);
      }
      const { config, namespace, apps } = context(command);
      const what = `delete application "${name}" in namespace "${namespace}"`;
      if (options.cascade !== undefined) {
        // The controller's finalizer reads the policy when it runs, after the delete: set it first.
        const deletionPolicy = options.cascade === 'orphan' ? 'Orphan' : 'Delete';
        await callApi(config, what, () => apps.patch(name, { spec: { deletionPolicy } }, namespace), namespace);
      }
      await callApi(config, what, () => apps.delete(name, namespace), namespace);
      process.stdout.write(`application/${name} deleted${options.cascade === 'orphan' ? ' (its objects are left in the destination)' : ''}\n`);
      if (options.wait === true) {
        await waitUntilGone(apps, name, namespace, timeoutMs, () => `timed out after ${options.timeout} waiting for application "${name}" to be deleted (its finalizer deletes its objects first)`);
      }
    });
}
