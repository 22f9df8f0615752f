/**
 * One Application, read through the proxy as the user and reloaded on the live stream: its facts,
 * the conditions that are not OK, the last operation with per-object results, then tabs for the
 * resource tree, the diff (the server's sync preview) and the history. Sync, Roll back and Delete
 * are offered only when the server says the user may patch (delete) this Application.
 */
import { useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useAccess } from '../access.ts';
import { ApiError, getJson, useLiveResource } from '../api.ts';
import { StatusBadge } from '../components/badge.tsx';
import { DataTable } from '../components/data-table.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { Age } from '../components/time.tsx';
import { beamlinePath, mergePatch } from '../kube.ts';
import { useSession } from '../session.ts';
import { ErrorState, Loading } from '../states.tsx';
import type { Condition } from '../types.ts';
import { refreshPatch, shortRevision, troubledConditions } from './application-model.ts';
import { DeleteDialog, objectLabel, PreviewLists, RollbackDialog, SyncDialog, usePreview } from './application-sync.tsx';
import './applications.css';

/** An Application's source, as the detail page shows it. */
export interface AppSource {
  readonly repoURL: string;
  readonly targetRevision?: string;
  readonly path?: string;
  readonly chart?: string;
  readonly chartVersion?: string;
}

/** An object the Application owns (`status.resources`). */
export interface AppResource {
  readonly group?: string;
  readonly version: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly status: string;
  readonly health?: { readonly status: string; readonly message?: string };
}

/** A past sync (`status.history`). */
export interface AppHistoryEntry {
  readonly id: number;
  readonly revision: string;
  readonly deployedAt: string;
  readonly source: AppSource;
  readonly changedBy?: string;
}

/** The last (or current) operation. */
export interface AppOperation {
  readonly phase: string;
  readonly message?: string;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly revision?: string;
  readonly initiatedBy?: string;
  readonly syncRequest?: string;
  readonly rollbackTo?: number;
  readonly results?: readonly { readonly kind: string; readonly name: string; readonly namespace?: string; readonly status: string; readonly message?: string }[];
}

/** The Application as the detail page reads it from the API (see api/v1alpha1/application.ts). */
export interface ApplicationObject {
  readonly metadata: { readonly name: string; readonly namespace: string; readonly creationTimestamp?: string; readonly resourceVersion?: string; readonly annotations?: Readonly<Record<string, string>> };
  readonly spec: {
    readonly source: AppSource;
    readonly destination: { readonly cluster: string; readonly clusterNamespace?: string; readonly namespace: string };
    readonly syncPolicy?: { readonly automated?: { readonly prune?: boolean; readonly selfHeal?: boolean }; readonly syncOptions?: { readonly createNamespace?: boolean } };
  };
  readonly status?: {
    readonly conditions?: readonly Condition[];
    readonly sync?: { readonly status: string; readonly revision?: string };
    readonly health?: { readonly status: string; readonly message?: string };
    readonly resources?: readonly AppResource[];
    readonly operationState?: AppOperation;
    readonly history?: readonly AppHistoryEntry[];
    readonly reconciledAt?: string;
    readonly lastHandledSyncRequest?: string;
    readonly sourceType?: string;
  };
}

/** "https://git/x @ main, path apps/web" or "https://charts/x chart web 1.2.3". */
export function sourceText(source: AppSource): string {
  if (source.chart !== undefined) return `${source.repoURL}, chart ${source.chart} ${source.chartVersion ?? ''}`.trim();
  return `${source.repoURL} @ ${source.targetRevision ?? 'HEAD'}${source.path === undefined ? '' : `, path ${source.path}`}`;
}

function syncPolicyText(spec: ApplicationObject['spec']): string {
  const automated = spec.syncPolicy?.automated;
  const parts = [automated === undefined ? 'manual' : `automated${automated.prune === true ? ', prune' : ''}${automated.selfHeal === true ? ', self-heal' : ''}`];
  if (spec.syncPolicy?.syncOptions?.createNamespace === true) parts.push('creates the namespace');
  return parts.join('; ');
}

/** A node of the resource tree: a namespace, a kind in it, or an object. */
interface TreeNode {
  readonly id: string;
  readonly label: ReactNode;
  readonly children?: readonly TreeNode[];
}

/** `status.resources` grouped by namespace, then kind (cluster-scoped objects under "(cluster)"). */
export function resourceTree(resources: readonly AppResource[]): TreeNode[] {
  const byNamespace = new Map<string, Map<string, AppResource[]>>();
  for (const resource of resources) {
    const namespace = resource.namespace ?? '';
    const kinds = byNamespace.get(namespace) ?? new Map<string, AppResource[]>();
    byNamespace.set(namespace, kinds);
    const kind = resource.group === undefined || resource.group === '' ? resource.kind : `${resource.kind}.${resource.group}`;
    kinds.set(kind, [...(kinds.get(kind) ?? []), resource]);
  }
  return [...byNamespace.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([namespace, kinds]) => ({
      id: `ns:${namespace}`,
      label: namespace === '' ? '(cluster-scoped)' : `namespace ${namespace}`,
      children: [...kinds.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([kind, objects]) => ({
          id: `kind:${namespace}:${kind}`,
          label: `${kind} (${objects.length})`,
          children: [...objects]
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((object) => ({
              id: `obj:${namespace}:${kind}:${object.name}`,
              label: (
                <>
                  {/* The hidden words keep the accessible name readable: "web: sync Synced, health Healthy". */}
                  <span>{object.name}</span>
                  <span className="visually-hidden">: sync </span>
                  <StatusBadge status={object.status} />
                  {object.health === undefined ? null : (
                    <>
                      <span className="visually-hidden">, health </span>
                      <StatusBadge status={object.health.status} />
                    </>
                  )}
                  {object.health?.message === undefined || object.health.message === '' ? null : (
                    <>
                      <span className="visually-hidden"> (</span>
                      <span className="muted">{object.health.message}</span>
                      <span className="visually-hidden">)</span>
                    </>
                  )}
                </>
              ),
            })),
        })),
    }));
}

/** The tree items shown now, in order (children of collapsed nodes left out), with their depth and parent. */
function visibleItems(nodes: readonly TreeNode[], collapsed: ReadonlySet<string>, depth = 1, parent?: string): { node: TreeNode; depth: number; parent: string | undefined }[] {
  return nodes.flatMap((node) => [{ node, depth, parent }, ...(node.children !== undefined && !collapsed.has(node.id) ? visibleItems(node.children, collapsed, depth + 1, node.id) : [])]);
}

/**
 * The resource tree (WAI-ARIA tree pattern): one tab stop; Up/Down move, Right opens or goes to
 * the first child, Left closes or goes to the parent, Home/End, Enter/Space toggle.
 */
export function ResourceTree({ resources }: { readonly resources: readonly AppResource[] }): ReactNode {
  const nodes = resourceTree(resources);
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [focused, setFocused] = useState<string | undefined>();
  const refs = useRef(new Map<string, HTMLLIElement>());
  if (nodes.length === 0) return <p className="state state-empty">No objects yet: the application has not been synced.</p>;
  const items = visibleItems(nodes, collapsed);
  const current = items.find((item) => item.node.id === focused) ?? items[0];
  const move = (id: string | undefined): void => {
    if (id === undefined) return;
    setFocused(id);
    refs.current.get(id)?.focus();
  };
  const toggle = (id: string, open?: boolean): void => {
    setCollapsed((previous) => {
      const next = new Set(previous);
      if (open ?? next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>): void => {
    if (current === undefined) return;
    const index = items.indexOf(current);
    const node = current.node;
    const expandable = node.children !== undefined;
    const open = expandable && !collapsed.has(node.id);
    switch (event.key) {
      case 'ArrowDown':
        move(items[index + 1]?.node.id);
        break;
      case 'ArrowUp':
        move(items[index - 1]?.node.id);
        break;
      case 'Home':
        move(items[0]?.node.id);
        break;
      case 'End':
        move(items[items.length - 1]?.node.id);
        break;
      case 'ArrowRight':
        if (expandable && !open) toggle(node.id, true);
        else if (open) move(node.children?.[0]?.id);
        break;
      case 'ArrowLeft':
        if (open) toggle(node.id, false);
        else move(current.parent);
        break;
      case 'Enter':
      case ' ':
        if (expandable) toggle(node.id);
        break;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  };
  const render = (list: readonly TreeNode[], depth: number): ReactNode =>
    list.map((node) => {
      const expandable = node.children !== undefined;
      const open = expandable && !collapsed.has(node.id);
      return (
        <li
          key={node.id}
          ref={(element) => {
            if (element === null) refs.current.delete(node.id);
            else refs.current.set(node.id, element);
          }}
          role="treeitem"
          aria-level={depth}
          aria-expanded={expandable ? open : undefined}
          aria-selected={current?.node.id === node.id}
          tabIndex={current?.node.id === node.id ? 0 : -1}
          onFocus={(event) => {
            if (event.target === event.currentTarget) setFocused(node.id);
          }}
          onClick={(event) => {
            event.stopPropagation();
            setFocused(node.id);
            if (expandable) toggle(node.id);
          }}
        >
          <span className="tree-label">
            {expandable ? (
              <span className="tree-toggle" aria-hidden="true">
                {open ? '▾' : '▸'}
              </span>
            ) : null}
            {node.label}
          </span>
          {expandable && open ? <ul role="group">{render(node.children ?? [], depth + 1)}</ul> : null}
        </li>
      );
    });
  return (
    <ul className="tree" role="tree" aria-label="Resources by namespace and kind" onKeyDown={onKeyDown}>
      {render(nodes, 1)}
    </ul>
  );
}

/** The destination that means the management cluster itself (no Cluster page). */
const IN_CLUSTER = 'in-cluster';

function Facts({ app }: { readonly app: ApplicationObject }): ReactNode {
  const destination = app.spec.destination;
  return (
    <dl className="facts">
      <dt>Project namespace</dt>
      <dd>{app.metadata.namespace}</dd>
      <dt>Source</dt>
      <dd>
        {sourceText(app.spec.source)}
        {app.status?.sourceType === undefined ? null : <span className="muted"> ({app.status.sourceType})</span>}
      </dd>
      <dt>Destination</dt>
      <dd>
        cluster{' '}
        {destination.cluster === IN_CLUSTER ? (
          destination.cluster
        ) : (
          <Link to={`/clusters/${encodeURIComponent(destination.clusterNamespace ?? app.metadata.namespace)}/${encodeURIComponent(destination.cluster)}`}>
            {destination.clusterNamespace === undefined ? destination.cluster : `${destination.clusterNamespace}/${destination.cluster}`}
          </Link>
        )}
        , namespace {destination.namespace}
      </dd>
      <dt>Sync policy</dt>
      <dd>{syncPolicyText(app.spec)}</dd>
      <dt>Sync</dt>
      <dd>
        <StatusBadge status={app.status?.sync?.status ?? 'Unknown'} />
      </dd>
      <dt>Health</dt>
      <dd>
        <StatusBadge status={app.status?.health?.status ?? 'Unknown'} /> {app.status?.health?.message ?? ''}
      </dd>
      <dt>Revision</dt>
      <dd>
        <code title={app.status?.sync?.revision}>{shortRevision(app.status?.sync?.revision)}</code>
      </dd>
      <dt>Last compared</dt>
      <dd>
        <Age iso={app.status?.reconciledAt} />
      </dd>
      <dt>Created</dt>
      <dd>
        <Age iso={app.metadata.creationTimestamp} />
      </dd>
    </dl>
  );
}

type ResultRow = NonNullable<AppOperation['results']>[number];

function Operation({ operation, pending }: { readonly operation: AppOperation | undefined; readonly pending: boolean }): ReactNode {
  return (
    <section aria-labelledby="operation-heading">
      <h2 id="operation-heading">Last operation</h2>
      {pending ? (
        <p className="state" role="status">
          Sync requested; waiting for the controller…
        </p>
      ) : null}
      {operation === undefined ? (
        pending ? null : (
          <p className="state state-empty">No sync has run yet.</p>
        )
      ) : (
        <>
          <p role="status">
            <StatusBadge status={operation.phase} /> {operation.initiatedBy === undefined ? '' : `${operation.initiatedBy}, `}
            {operation.rollbackTo === undefined ? '' : `rollback to ${operation.rollbackTo}, `}
            revision <code>{shortRevision(operation.revision)}</code>, started <Age iso={operation.startedAt} />
            {operation.finishedAt === undefined ? '' : ', finished '}
            {operation.finishedAt === undefined ? null : <Age iso={operation.finishedAt} />}
          </p>
          {operation.message === undefined || operation.message === '' ? null : <p>{operation.message}</p>}
          <DataTable<ResultRow>
            caption="Results of the last operation per object"
            rows={operation.results ?? []}
            rowKey={(row) => `${row.kind}/${row.namespace ?? ''}/${row.name}`}
            empty="No per-object results."
            columns={[
              { header: 'Object', cell: (row) => objectLabel(row) },
              { header: 'Result', cell: (row) => <StatusBadge status={row.status} /> },
              { header: 'Message', cell: (row) => row.message ?? '' },
            ]}
          />
        </>
      )}
    </section>
  );
}

const TABS = ['Resources', 'Diff', 'History'] as const;
type Tab = (typeof TABS)[number];

/** Tabs (WAI-ARIA tabs pattern: arrow keys move between tabs, the panel follows). */
function TabList({ tab, onTab }: { readonly tab: Tab; readonly onTab: (tab: Tab) => void }): ReactNode {
  const refs = useRef(new Map<Tab, HTMLButtonElement>());
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>): void => {
    const index = TABS.indexOf(tab);
    const next = event.key === 'ArrowRight' ? TABS[(index + 1) % TABS.length] : event.key === 'ArrowLeft' ? TABS[(index + TABS.length - 1) % TABS.length] : event.key === 'Home' ? TABS[0] : event.key === 'End' ? TABS[TABS.length - 1] : undefined;
    if (next === undefined) return;
    event.preventDefault();
    onTab(next);
    refs.current.get(next)?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label="Application views" onKeyDown={onKeyDown}>
      {TABS.map((name) => (
        <button
          key={name}
          ref={(element) => {
            if (element !== null) refs.current.set(name, element);
          }}
          type="button"
          role="tab"
          id={`tab-${name}`}
          aria-selected={tab === name}
          aria-controls={`panel-${name}`}
          tabIndex={tab === name ? 0 : -1}
          onClick={() => onTab(name)}
        >
          {name}
        </button>
      ))}
    </div>
  );
}

function DiffPanel({ app }: { readonly app: ApplicationObject }): ReactNode {
  const prune = app.spec.syncPolicy?.automated?.prune === true;
  // Asked again when the Application changes (a new revision, a sync), not on every event of the fleet.
  const preview = usePreview(app.metadata.namespace, app.metadata.name, true, `${app.metadata.resourceVersion ?? ''}`, true);
  if (preview.state === 'loading') return <Loading what="the diff" />;
  if (preview.state === 'error') return <ErrorState what="the diff" error={preview.error} />;
  return (
    <>
      <p className="muted">
        The destination against revision <code>{preview.preview.revision.slice(0, 12)}</code>
        {prune ? '' : '; objects listed as deleted are removed only by a sync with Prune'}.
      </p>
      <PreviewLists preview={preview.preview} prune />
    </>
  );
}

function HistoryPanel({ app, canPatch, onRollback }: { readonly app: ApplicationObject; readonly canPatch: boolean; readonly onRollback: (entry: AppHistoryEntry) => void }): ReactNode {
  const history = [...(app.status?.history ?? [])].reverse();
  const newest = history[0]?.id;
  return (
    <DataTable<AppHistoryEntry>
      caption="Sync history, newest first"
      rows={history}
      rowKey={(entry) => String(entry.id)}
      empty="No successful sync yet."
      columns={[
        { header: 'ID', cell: (entry) => entry.id, numeric: true },
        { header: 'Revision', cell: (entry) => <code title={entry.revision}>{shortRevision(entry.revision)}</code> },
        { header: 'Deployed', cell: (entry) => <Age iso={entry.deployedAt} /> },
        { header: 'By', cell: (entry) => entry.changedBy ?? '—' },
        { header: 'Source', cell: (entry) => sourceText(entry.source) },
        {
          header: 'Actions',
          cell: (entry) =>
            canPatch && entry.id !== newest ? (
              <button type="button" onClick={() => onRollback(entry)}>
                Roll back<span className="visually-hidden"> to {entry.id}</span>
              </button>
            ) : null,
        },
      ]}
    />
  );
}

/** The page of one Application. */
export function ApplicationDetailPage(): ReactNode {
  const { namespace = '', name = '' } = useParams();
  const navigate = useNavigate();
  const app = useLiveResource(`application/${namespace}/${name}`, (signal) => getJson<ApplicationObject>(beamlinePath('applications', namespace, name), signal));
  const canPatch = useAccess({ verb: 'patch', resource: 'applications.beamline.dev', namespace, name });
  const canDelete = useAccess({ verb: 'delete', resource: 'applications.beamline.dev', namespace, name });
  const [tab, setTab] = useState<Tab>('Resources');
  const [syncOpen, setSyncOpen] = useState(false);
  const [deleteOpen, setDeleteOpen] = useState(false);
  const [rollback, setRollback] = useState<AppHistoryEntry | undefined>();
  const [requested, setRequested] = useState<string | undefined>();
  const { csrfToken } = useSession();
  const [refreshError, setRefreshError] = useState<string | undefined>();
  const refresh = (): void => {
    setRefreshError(undefined);
    mergePatch(beamlinePath('applications', namespace, name), refreshPatch(), csrfToken).catch((error: unknown) => setRefreshError(`Could not ask for a refresh: ${error instanceof Error ? error.message : String(error)}`));
  };
  let body: ReactNode;
  if (app.state === 'loading') body = <Loading what="the application" />;
  else if (app.state === 'error') {
    body =
      app.error instanceof ApiError && app.error.status === 404 ? (
        <p className="state state-empty">
          No application {name} in {namespace} (or you may not see it). <Link to="/applications">All applications</Link>
        </p>
      ) : (
        <ErrorState what="the application" error={app.error} />
      );
  } else {
    const data = app.data;
    const status = data.status;
    const operation = status?.operationState;
    // The request is pending until the controller reports handling it.
    const pending = requested !== undefined && status?.lastHandledSyncRequest !== requested && operation?.syncRequest !== requested;
    const troubled = troubledConditions(status?.conditions);
    body = (
      <div aria-busy={app.reloading}>
        {canPatch === true || canDelete === true ? (
          <div className="actions">
            {canPatch === true ? (
              <button type="button" className="primary" onClick={() => setSyncOpen(true)} disabled={operation?.phase === 'Running'}>
                Sync
              </button>
            ) : null}
            {canPatch === true ? (
              <button type="button" onClick={refresh} title="Fetch the source again now and compare">
                Refresh
              </button>
            ) : null}
            {canDelete === true ? (
              <button type="button" className="danger" onClick={() => setDeleteOpen(true)}>
                Delete
              </button>
            ) : null}
          </div>
        ) : null}
        {refreshError === undefined ? null : (
          <p className="state state-error" role="alert">
            {refreshError}
          </p>
        )}
        <Facts app={data} />
        {troubled.length === 0 ? null : (
          <section aria-labelledby="conditions-heading">
            <h2 id="conditions-heading">Conditions</h2>
            <ul>
              {troubled.map((condition) => (
                <li key={condition.type}>
                  <strong>{condition.type}</strong> {condition.status}
                  {condition.reason === undefined ? '' : ` (${condition.reason})`}: {condition.message ?? ''}
                </li>
              ))}
            </ul>
          </section>
        )}
        <Operation operation={operation} pending={pending} />
        <TabList tab={tab} onTab={setTab} />
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
          {tab === 'Resources' ? <ResourceTree resources={status?.resources ?? []} /> : null}
          {tab === 'Diff' ? <DiffPanel app={data} /> : null}
          {tab === 'History' ? <HistoryPanel app={data} canPatch={canPatch === true} onRollback={setRollback} /> : null}
        </div>
        {canPatch === true ? (
          <>
            <SyncDialog
              open={syncOpen}
              namespace={namespace}
              name={name}
              defaultPrune={data.spec.syncPolicy?.automated?.prune === true}
              previewKey={data.metadata.resourceVersion ?? ''}
              onClose={() => setSyncOpen(false)}
              onRequested={setRequested}
            />
            <RollbackDialog entry={rollback} namespace={namespace} name={name} autoSync={data.spec.syncPolicy?.automated !== undefined} onClose={() => setRollback(undefined)} onRequested={setRequested} />
          </>
        ) : null}
        {canDelete === true ? <DeleteDialog open={deleteOpen} namespace={namespace} name={name} onClose={() => setDeleteOpen(false)} onDeleted={() => void navigate('/applications')} /> : null}
      </div>
    );
  }
  return (
    <>
      <p className="muted">
        <Link to="/applications">Applications</Link> / {namespace}
      </p>
      <PageTitle>{name}</PageTitle>
      {body}
    </>
  );
}
