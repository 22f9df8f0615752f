/**
 * The Clusters list: `GET /api/clusters` (the server filters, counts and pages, so the list stays
 * fast with thousands of clusters), with filters by project and phase and a name search kept in
 * the URL (a filtered list can be bookmarked or shared), and "Create cluster" only for a user who
 * may create clusters in at least one of their projects.
 */
import { useEffect, useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { getJson, useLiveResource } from '../api.ts';
import { DataTable } from '../components/data-table.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { Pager } from '../components/pager.tsx';
import { StatusBadge } from '../components/badge.tsx';
import { Age } from '../components/time.tsx';
import { ResourceView } from '../states.tsx';
import type { ClusterPage, ClusterRow } from '../types.ts';
import { useCreatableProjects } from './cluster-create.tsx';
import './clusters.css';

/** Rows per page. */
const PAGE_SIZE = 50;
/** How long the name search waits after the last key before asking the server. */
const SEARCH_DEBOUNCE_MS = 300;

/** `/clusters/<namespace>/<name>`, each part encoded. */
export function clusterHref(namespace: string, name: string): string {
  return `/clusters/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

/** The options of a facet's select: "All" and every value with its count. */
function facetOptions(counts: Readonly<Record<string, number>> | undefined, selected: string): { value: string; label: string }[] {
  const values = Object.entries(counts ?? {}).sort(([a], [b]) => a.localeCompare(b));
  // The selected value stays offered even when nothing matches it any more.
  if (selected !== '' && !values.some(([value]) => value === selected)) values.push([selected, 0]);
  return [{ value: '', label: 'All' }, ...values.map(([value, count]) => ({ value, label: `${value} (${count})` }))];
}

/** The Clusters list page. */
export function ClustersPage(): ReactNode {
  const [params, setParams] = useSearchParams();
  const project = params.get('project') ?? '';
  const phase = params.get('phase') ?? '';
  const search = params.get('search') ?? '';
  const offset = Math.max(0, Number.parseInt(params.get('offset') ?? '0', 10) || 0);
  const [typed, setTyped] = useState(search);
  const creatable = useCreatableProjects();

  // From the URL as it is when applied (not as this render saw it): the delayed search must not undo a filter chosen meanwhile.
  const update = (changes: Record<string, string>): void => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [key, value] of Object.entries(changes)) {
          if (value === '' || value === '0') next.delete(key);
          else next.set(key, value);
        }
        // Another filter is another list: start at its first page.
        if (!('offset' in changes)) next.delete('offset');
        return next;
      },
      { replace: true },
    );
  };

  // The search asks the server once typing pauses, not on every key.
  useEffect(() => {
    if (typed === search) return undefined;
    const timer = setTimeout(() => update({ search: typed.trim() }), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [typed]);

  const query = new URLSearchParams({ offset: String(offset), limit: String(PAGE_SIZE) });
  if (project !== '') query.set('project', project);
  if (phase !== '') query.set('phase', phase);
  if (search !== '') query.set('search', search);
  const path = `/api/clusters?${query.toString()}`;
  const clusters = useLiveResource(path, (signal) => getJson<ClusterPage>(path, signal));
  const facets = clusters.state === 'ready' ? clusters.data.facets : undefined;

  return (
    <>
      <PageTitle>Clusters</PageTitle>
      <div className="toolbar">
        <form className="filters" role="search" aria-label="Filter clusters" onSubmit={(event) => event.preventDefault()}>
          <label>
            Project{' '}
            <select value={project} onChange={(event) => update({ project: event.target.value })}>
              {facetOptions(facets?.project, project).map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Phase{' '}
            <select value={phase} onChange={(event) => update({ phase: event.target.value })}>
              {facetOptions(facets?.phase, phase).map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </label>
          <label>
            Name{' '}
            <input type="search" value={typed} onChange={(event) => setTyped(event.target.value)} placeholder="Search by name" spellCheck={false} autoComplete="off" />
          </label>
        </form>
        {creatable !== undefined && creatable.length > 0 ? (
          <Link className="button primary" to="/clusters/new">
            Create cluster
          </Link>
        ) : null}
      </div>
      <ResourceView resource={clusters} what="clusters">
        {(page) => (
          <>
            <DataTable<ClusterRow>
              caption="Clusters"
              rows={page.items}
              rowKey={(row) => `${row.namespace}/${row.name}`}
              empty={project === '' && phase === '' && search === '' ? 'No clusters you may see yet.' : 'No clusters match these filters.'}
              columns={[
                { header: 'Name', cell: (row) => <Link to={clusterHref(row.namespace, row.name)}>{row.name}</Link> },
                { header: 'Project', cell: (row) => row.project ?? row.namespace },
                { header: 'Template', cell: (row) => row.template },
                { header: 'Phase', cell: (row) => <StatusBadge status={row.phase} /> },
                { header: 'Ready', cell: (row) => <StatusBadge status={row.ready} title={[row.readyReason, row.readyMessage].filter((part) => part !== undefined && part !== '').join(': ')} /> },
                { header: 'Nodes ready', cell: (row) => `${row.nodes.ready}/${row.nodes.total}`, numeric: true },
                { header: 'GPUs in use', cell: (row) => `${row.gpusInUse} / ${row.gpus}`, numeric: true },
                { header: 'Version', cell: (row) => row.kubernetesVersion ?? '—' },
                { header: 'Age', cell: (row) => <Age iso={row.createdAt} /> },
              ]}
            />
            <Pager offset={page.offset} limit={page.limit} total={page.total} onOffset={(next) => update({ offset: String(next) })} what="clusters" />
          </>
        )}
      </ResourceView>
    </>
  );
}
