/** The Dashboard: the fleet's totals and each project's counts, reloaded on every visible change. */
import type { ReactNode } from 'react';
import { getJson, useLiveResource } from '../api.ts';
import { DataTable } from '../components/data-table.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { ResourceView } from '../states.tsx';
import type { FleetCounts, FleetView } from '../types.ts';

/** `{ Running: 2, Pending: 1 }` as "Running 2, Pending 1", or "none". */
export function breakdown(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts).filter(([, count]) => count > 0);
  return entries.length === 0 ? 'none' : entries.map(([key, count]) => `${key} ${count}`).join(', ');
}

function Totals({ totals }: { readonly totals: FleetCounts }): ReactNode {
  return (
    <dl className="cards">
      <div className="card">
        <dt>Clusters</dt>
        <dd className="big">{totals.clusters.total}</dd>
        <dd>{breakdown(totals.clusters.byPhase)}</dd>
      </div>
      <div className="card">
        <dt>Nodes</dt>
        <dd className="big">{totals.nodes.total}</dd>
        <dd>{totals.nodes.ready} ready</dd>
      </div>
      <div className="card">
        <dt>GPUs</dt>
        <dd className="big">{totals.gpus}</dd>
      </div>
      <div className="card">
        <dt>Applications</dt>
        <dd className="big">{totals.applications.total}</dd>
        <dd>Sync: {breakdown(totals.applications.bySync)}</dd>
        <dd>Health: {breakdown(totals.applications.byHealth)}</dd>
      </div>
    </dl>
  );
}

type NamespaceRow = FleetView['namespaces'][number];

/** The fleet: totals, then each project's (namespace's) counts. */
export function DashboardPage(): ReactNode {
  const fleet = useLiveResource('fleet', (signal) => getJson<FleetView>('/api/fleet', signal));
  return (
    <>
      <PageTitle>Dashboard</PageTitle>
      <ResourceView resource={fleet} what="the fleet">
        {(view) => (
          <>
            <section aria-labelledby="totals-heading">
              <h2 id="totals-heading">Fleet</h2>
              <Totals totals={view.totals} />
            </section>
            <section aria-labelledby="per-project-heading">
              <h2 id="per-project-heading">Per project</h2>
              <DataTable<NamespaceRow>
                caption="Clusters, nodes, GPUs and applications per project"
                rows={view.namespaces}
                rowKey={(row) => row.namespace}
                empty="No clusters or applications you may see yet."
                columns={[
                  { header: 'Project', cell: (row) => row.project ?? '—' },
                  { header: 'Namespace', cell: (row) => row.namespace },
                  {
                    header: 'Clusters',
                    cell: (row) => (
                      <>
                        {row.clusters.total} <span className="muted">({breakdown(row.clusters.byPhase)})</span>
                      </>
                    ),
                  },
                  { header: 'Nodes ready', cell: (row) => `${row.nodes.ready}/${row.nodes.total}` },
                  { header: 'GPUs', cell: (row) => row.gpus, numeric: true },
                  {
                    header: 'Applications',
                    cell: (row) => (
                      <>
                        {row.applications.total} <span className="muted">({breakdown(row.applications.byHealth)})</span>
                      </>
                    ),
                  },
                ]}
              />
            </section>
          </>
        )}
      </ResourceView>
    </>
  );
}
