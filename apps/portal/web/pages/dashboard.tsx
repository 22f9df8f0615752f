/**
 * The Dashboard: the fleet's totals and each project's counts, reloaded on every visible change,
 * and the reconciler panel (Flux's cluster stats, for Beamline's kinds): readiness per kind,
 * failing objects, sources, and small charts of the last hour.
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { getJson, useLiveResource } from '../api.ts';
import { DataTable } from '../components/data-table.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { Sparkline } from '../components/sparkline.tsx';
import { periodOf } from '../components/sparkline-geometry.ts';
import { Age } from '../components/time.tsx';
import { ResourceView } from '../states.tsx';
import type { FleetCounts, FleetView, ReconcilerKind, ReconcilerPanel } from '../types.ts';
import './applications.css';

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
        <dt>GPUs in use</dt>
        <dd className="big">
          {totals.gpusInUse} <span className="muted">of {totals.gpus}</span>
        </dd>
        <dd>asked for by running pods, of the nodes&apos; GPUs</dd>
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
type Failing = ReconcilerPanel['failing'][number];

/** Seconds as people read them: "0.42 s", "12 s", "—" when unknown. */
export function seconds(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '—';
  return value < 10 ? `${value.toFixed(2)} s` : `${Math.round(value)} s`;
}

/** The page of a failing object, when the portal has one for its kind. */
function failingLink(object: Failing): ReactNode {
  const namespace = object.namespace ?? '';
  if (object.kind === 'Application' && namespace !== '') return <Link to={`/applications/${encodeURIComponent(namespace)}/${encodeURIComponent(object.name)}`}>{object.name}</Link>;
  if (object.kind === 'Cluster' && namespace !== '') return <Link to={`/clusters/${encodeURIComponent(namespace)}/${encodeURIComponent(object.name)}`}>{object.name}</Link>;
  if (object.kind === 'Project') return <Link to={`/projects/${encodeURIComponent(object.name)}`}>{object.name}</Link>;
  return object.name;
}

/** The reconciler panel: readiness per kind, charts over time, failing objects, sources. */
function Reconcilers({ panel }: { readonly panel: ReconcilerPanel }): ReactNode {
  const at = panel.series.at;
  const period = periodOf(at[0], at[at.length - 1]);
  const over = period === undefined ? {} : { period };
  return (
    <>
      <DataTable<ReconcilerKind>
        caption="Readiness per kind"
        rows={panel.kinds}
        rowKey={(row) => row.kind}
        empty="No objects reconciled yet."
        columns={[
          { header: 'Kind', cell: (row) => row.kind },
          { header: 'Total', cell: (row) => row.total, numeric: true },
          { header: 'Ready', cell: (row) => row.ready, numeric: true },
          { header: 'Not ready', cell: (row) => row.notReady, numeric: true },
          { header: 'Reconciling', cell: (row) => row.reconciling, numeric: true },
          { header: 'Stalled', cell: (row) => row.stalled, numeric: true },
          { header: 'Average duration', cell: (row) => seconds(row.avgDurationS), numeric: true },
          { header: 'Reconciles/min', cell: (row) => (row.reconcilesPerMin === null ? '—' : row.reconcilesPerMin.toFixed(1)), numeric: true },
        ]}
      />
      <h3>The last hour</h3>
      <div className="charts">
        {panel.kinds.map((row) => {
          const series = panel.series.kinds[row.kind];
          return (
            <figure className="chart" key={row.kind}>
              <figcaption>
                <strong>{row.kind}</strong>
              </figcaption>
              <p className="muted">Ready</p>
              <Sparkline values={series?.ready ?? []} label={`${row.kind} ready`} {...over} />
              <p className="muted">Not ready</p>
              <Sparkline values={series?.notReady ?? []} label={`${row.kind} not ready`} bad {...over} />
              <p className="muted">Average reconcile duration</p>
              <Sparkline values={series?.avgDurationS ?? []} label={`${row.kind} average reconcile duration`} format={seconds} {...over} />
            </figure>
          );
        })}
      </div>
      <h3>Failing</h3>
      <DataTable<Failing>
        caption="Objects whose reconciliation fails"
        rows={panel.failing}
        rowKey={(row) => `${row.kind}/${row.namespace ?? ''}/${row.name}`}
        empty="Nothing is failing."
        columns={[
          { header: 'Object', cell: failingLink },
          { header: 'Kind', cell: (row) => row.kind },
          { header: 'Namespace', cell: (row) => row.namespace ?? '—' },
          { header: 'Reason', cell: (row) => row.reason },
          { header: 'Message', cell: (row) => row.message },
          { header: 'Since', cell: (row) => <Age iso={row.since} /> },
        ]}
      />
      <h3>Sources</h3>
      <dl className="cards">
        <div className="card">
          <dt>Sources</dt>
          <dd className="big">{panel.sources.total}</dd>
          <dd>
            git {panel.sources.git}, Helm {panel.sources.helm}
          </dd>
        </div>
        <div className="card">
          <dt>Failing sources</dt>
          <dd className="big">{panel.sources.failing}</dd>
          <dd>cannot be fetched or rendered</dd>
        </div>
      </dl>
    </>
  );
}

/** The fleet: totals, then each project's (namespace's) counts. */
export function DashboardPage(): ReactNode {
  const fleet = useLiveResource('fleet', (signal) => getJson<FleetView>('/api/fleet', signal));
  const reconcilers = useLiveResource('reconcilers', (signal) => getJson<ReconcilerPanel>('/api/reconcilers', signal));
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
                  { header: 'GPUs in use', cell: (row) => `${row.gpusInUse} / ${row.gpus}`, numeric: true },
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
      <section aria-labelledby="reconcilers-heading">
        <h2 id="reconcilers-heading">Reconcilers</h2>
        <ResourceView resource={reconcilers} what="the reconcilers">
          {(panel) => <Reconcilers panel={panel} />}
        </ResourceView>
      </section>
    </>
  );
}
