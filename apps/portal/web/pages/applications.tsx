/**
 * The Applications list: one page of `GET /api/applications` at a time (the server filters,
 * counts the facets and pages, so ten thousand apps cost the browser one hundred rows), with the
 * filters in the URL's query so a link or the back button keeps them.
 */
import { useEffect, useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { mayI } from '../access.ts';
import { getJson, useLiveResource } from '../api.ts';
import { StatusBadge } from '../components/badge.tsx';
import { DataTable } from '../components/data-table.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { Pager } from '../components/pager.tsx';
import { Age } from '../components/time.tsx';
import { ResourceView } from '../states.tsx';
import type { AppPage, AppRow, ProjectsUsage } from '../types.ts';
import { applicationsQuery, FILTERS, shortRevision, type FilterName } from './application-model.ts';
import './applications.css';

/** "lab/physics" or "in-cluster/physics": where an app delivers. */
export function destinationOf(row: Pick<AppRow, 'destination'>): string {
  const cluster = row.destination.clusterNamespace === undefined ? row.destination.cluster : `${row.destination.clusterNamespace}/${row.destination.cluster}`;
  return `${cluster} → ${row.destination.namespace}`;
}

/**
 * The project namespaces where the user may create Applications (asked per namespace of the
 * projects they see): `undefined` while asking. The list offers "New application" when there is
 * one, the create form lists them.
 */
export function useCreatableNamespaces(): readonly string[] | undefined {
  const [namespaces, setNamespaces] = useState<readonly string[] | undefined>();
  useEffect(() => {
    const controller = new AbortController();
    getJson<ProjectsUsage>('/api/projects/usage', controller.signal)
      .then(async (usage) => {
        const candidates = [...new Set(usage.projects.map((project) => project.namespace))].sort();
        // A platform admin may create everywhere: one question instead of one per project.
        if (await mayI({ verb: 'create', resource: 'applications.beamline.dev' })) return candidates;
        const allowed = await Promise.all(candidates.map((namespace) => mayI({ verb: 'create', resource: 'applications.beamline.dev', namespace })));
        return candidates.filter((_, index) => allowed[index] === true);
      })
      .then(
        (allowed) => {
          if (!controller.signal.aborted) setNamespaces(allowed);
        },
        () => {
          // Not knowing is a "no": the button is not offered.
          if (!controller.signal.aborted) setNamespaces([]);
        },
      );
    return () => controller.abort();
  }, []);
  return namespaces;
}

/** The options of a facet's select: "Any" then each value with its count. */
function facetOptions(counts: Readonly<Record<string, number>> | undefined, current: string): { value: string; label: string }[] {
  const entries = Object.entries(counts ?? {}).sort(([a], [b]) => a.localeCompare(b));
  // The current value stays selectable even when no row has it any more.
  if (current !== '' && !entries.some(([value]) => value === current)) entries.push([current, 0]);
  return [{ value: '', label: 'Any' }, ...entries.map(([value, count]) => ({ value, label: `${value} (${count.toLocaleString('en')})` }))];
}

function FacetSelect({ label, name, counts, params, onChange }: { readonly label: string; readonly name: FilterName; readonly counts: Readonly<Record<string, number>> | undefined; readonly params: URLSearchParams; readonly onChange: (name: FilterName, value: string) => void }): ReactNode {
  const current = params.get(name) ?? '';
  return (
    <label className="filter">
      <span>{label}</span>
      <select value={current} onChange={(event) => onChange(name, event.target.value)}>
        {facetOptions(counts, current).map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** A text filter: what is typed goes to the URL (and the server) after a short pause, not per key. */
function TextFilter({ label, value, placeholder, onCommit }: { readonly label: string; readonly value: string; readonly placeholder: string; readonly onCommit: (value: string) => void }): ReactNode {
  const [text, setText] = useState(value);
  const [seen, setSeen] = useState(value);
  if (seen !== value) {
    // The URL changed by itself (back button, a link): show its value.
    setSeen(value);
    setText(value);
  }
  useEffect(() => {
    if (text.trim() === value) return undefined;
    const timer = setTimeout(() => onCommit(text.trim()), 300);
    return () => clearTimeout(timer);
  }, [text, value]);
  return (
    <label className="filter">
      <span>{label}</span>
      <input type="search" value={text} onChange={(event) => setText(event.target.value)} placeholder={placeholder} spellCheck={false} autoComplete="off" />
    </label>
  );
}

const COLUMNS = [
  {
    header: 'Name',
    cell: (row: AppRow) => (
      // Named by the app's name alone (the bench and the tests find it so); its row says the project.
      <Link to={`/applications/${encodeURIComponent(row.namespace)}/${encodeURIComponent(row.name)}`}>{row.name}</Link>
    ),
  },
  { header: 'Project', cell: (row: AppRow) => row.project ?? row.namespace },
  {
    header: 'Sync',
    cell: (row: AppRow) => (
      <>
        <StatusBadge status={row.sync} />
        {row.operationPhase === 'Running' ? (
          <>
            {' '}
            <StatusBadge status="Syncing" />
          </>
        ) : null}
      </>
    ),
  },
  { header: 'Health', cell: (row: AppRow) => <StatusBadge status={row.health} {...(row.healthMessage === undefined ? {} : { title: row.healthMessage })} /> },
  { header: 'Revision', cell: (row: AppRow) => <code title={row.revision}>{shortRevision(row.revision)}</code> },
  { header: 'Destination', cell: destinationOf },
  { header: 'Age', cell: (row: AppRow) => <Age iso={row.createdAt} /> },
];

/** The Applications page: filters, the page's rows, the pager, and "New application" when allowed. */
export function ApplicationsPage(): ReactNode {
  const [params, setParams] = useSearchParams();
  const query = applicationsQuery(params);
  const apps = useLiveResource(`applications?${query}`, (signal) => getJson<AppPage>(`/api/applications?${query}`, signal));
  const creatable = useCreatableNamespaces();
  const facets = apps.state === 'ready' ? apps.data.facets : undefined;
  const setFilter = (name: FilterName, value: string): void => {
    const next = new URLSearchParams(params);
    if (value === '') next.delete(name);
    else next.set(name, value);
    // A new filter starts at the first page.
    next.delete('offset');
    setParams(next);
  };
  const setOffset = (offset: number): void => {
    const next = new URLSearchParams(params);
    if (offset === 0) next.delete('offset');
    else next.set('offset', String(offset));
    setParams(next);
  };
  const filtered = FILTERS.some((name) => (params.get(name) ?? '') !== '');
  return (
    <>
      <div className="page-head">
        <PageTitle>Applications</PageTitle>
        {creatable !== undefined && creatable.length > 0 ? (
          <Link className="button" to="/applications/new">
            New application
          </Link>
        ) : null}
      </div>
      <search className="toolbar" aria-label="Filter applications">
        <FacetSelect label="Project" name="project" counts={facets?.project} params={params} onChange={setFilter} />
        <FacetSelect label="Sync" name="sync" counts={facets?.sync} params={params} onChange={setFilter} />
        <FacetSelect label="Health" name="health" counts={facets?.health} params={params} onChange={setFilter} />
        <TextFilter label="Cluster" value={params.get('cluster') ?? ''} placeholder="cluster name" onCommit={(value) => setFilter('cluster', value.toLowerCase())} />
        <TextFilter label="Search" value={params.get('search') ?? ''} placeholder="name, repository, cluster" onCommit={(value) => setFilter('search', value)} />
        {filtered ? (
          <button type="button" onClick={() => setParams(new URLSearchParams())}>
            Clear filters
          </button>
        ) : null}
      </search>
      <ResourceView resource={apps} what="applications">
        {(page) => (
          <>
            <p className="muted" aria-live="polite">
              {page.total.toLocaleString('en')} {page.total === 1 ? 'application' : 'applications'}
              {filtered ? (page.total === 1 ? ' matches' : ' match') : ''}
            </p>
            <DataTable<AppRow>
              caption="Applications"
              rows={page.items}
              rowKey={(row) => `${row.namespace}/${row.name}`}
              empty={filtered ? 'No applications match these filters.' : 'No applications you may see yet.'}
              columns={COLUMNS}
            />
            <Pager offset={page.offset} limit={page.limit} total={page.total} onOffset={setOffset} what="applications" />
          </>
        )}
      </ResourceView>
    </>
  );
}
