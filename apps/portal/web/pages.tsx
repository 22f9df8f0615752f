/** The pages: Dashboard, Clusters, Projects, Templates, the login page and "not found". */
import { useEffect, useRef, type ReactNode } from 'react';
import { Link } from 'react-router';
import { ApiError, getJson, useLiveResource } from './api.ts';
import { Empty, ResourceView } from './states.tsx';
import type { ClusterItem, FleetCounts, FleetView, KubeList, ProjectItem, ProjectMember, ProjectQuota, ProjectsUsage, TemplateItem } from './types.ts';

const BEAMLINE_API = '/api/kube/apis/beamline.dev/v1alpha1';

/** A page's title: the h1 (focused on navigation, so screen readers hear the new page) and the document title. */
function PageTitle({ children }: { readonly children: string }): ReactNode {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = children === 'Beamline' ? children : `${children} · Beamline`;
    ref.current?.focus();
  }, [children]);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}

/** `{ Running: 2, Pending: 1 }` as "Running 2, Pending 1", or "none". */
function breakdown(counts: Readonly<Record<string, number>>): string {
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

/** The fleet: totals, then each project's (namespace's) counts; reloads on every visible change. */
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
              {view.namespaces.length === 0 ? (
                <Empty>No clusters or applications you may see yet.</Empty>
              ) : (
                <div className="table-scroll">
                  <table>
                    <caption className="visually-hidden">Clusters, nodes, GPUs and applications per project</caption>
                    <thead>
                      <tr>
                        <th scope="col">Project</th>
                        <th scope="col">Namespace</th>
                        <th scope="col">Clusters</th>
                        <th scope="col">Nodes ready</th>
                        <th scope="col">GPUs</th>
                        <th scope="col">Applications</th>
                      </tr>
                    </thead>
                    <tbody>
                      {view.namespaces.map((row) => (
                        <tr key={row.namespace}>
                          <th scope="row">{row.project ?? '—'}</th>
                          <td>{row.namespace}</td>
                          <td>
                            {row.clusters.total} <span className="muted">({breakdown(row.clusters.byPhase)})</span>
                          </td>
                          <td>
                            {row.nodes.ready}/{row.nodes.total}
                          </td>
                          <td>{row.gpus}</td>
                          <td>
                            {row.applications.total} <span className="muted">({breakdown(row.applications.byHealth)})</span>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </section>
          </>
        )}
      </ResourceView>
    </>
  );
}

/**
 * The Clusters the user may see: one list over all namespaces when RBAC allows it, else one list
 * per namespace of the fleet view (the namespaces the server found the user may list clusters in).
 */
async function loadClusters(signal: AbortSignal): Promise<readonly ClusterItem[]> {
  try {
    return (await getJson<KubeList<ClusterItem>>(`${BEAMLINE_API}/clusters`, signal)).items;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 403) throw error;
  }
  const fleet = await getJson<FleetView>('/api/fleet', signal);
  const lists = await Promise.all(
    fleet.namespaces.map(async (row) => {
      try {
        return (await getJson<KubeList<ClusterItem>>(`${BEAMLINE_API}/namespaces/${encodeURIComponent(row.namespace)}/clusters`, signal)).items;
      } catch (error) {
        // Visible for applications only: no clusters to show there.
        if (error instanceof ApiError && error.status === 403) return [];
        throw error;
      }
    }),
  );
  return lists.flat();
}

function readyOf(cluster: ClusterItem): string {
  const ready = cluster.status?.conditions?.find((condition) => condition.type === 'Ready');
  return ready === undefined ? 'Unknown' : ready.status;
}

/** The Clusters list: name, namespace, template, phase, nodes, Ready. */
export function ClustersPage(): ReactNode {
  const clusters = useLiveResource('clusters', loadClusters);
  return (
    <>
      <PageTitle>Clusters</PageTitle>
      <ResourceView resource={clusters} what="clusters">
        {(items) =>
          items.length === 0 ? (
            <Empty>No clusters you may see yet.</Empty>
          ) : (
            <div className="table-scroll">
              <table>
                <caption className="visually-hidden">Clusters</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Namespace</th>
                    <th scope="col">Template</th>
                    <th scope="col">Phase</th>
                    <th scope="col">Nodes ready</th>
                    <th scope="col">Ready</th>
                  </tr>
                </thead>
                <tbody>
                  {[...items]
                    .sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`))
                    .map((cluster) => (
                      <tr key={`${cluster.metadata.namespace ?? ''}/${cluster.metadata.name}`}>
                        <th scope="row">{cluster.metadata.name}</th>
                        <td>{cluster.metadata.namespace ?? ''}</td>
                        <td>{cluster.spec?.templateRef?.name ?? ''}</td>
                        <td>{cluster.status?.phase ?? 'Pending'}</td>
                        <td>{cluster.status?.nodes === undefined ? '—' : `${cluster.status.nodes.ready}/${cluster.status.nodes.total}`}</td>
                        <td>{readyOf(cluster)}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          )
        }
      </ResourceView>
    </>
  );
}

/** "3 / 10", "3 / unlimited", or "—" when the project has no usage yet. */
function usageOf(used: number | string | undefined, quota: ProjectQuota | null, field: keyof ProjectQuota): string {
  if (used === undefined) return '—';
  const limit = quota?.[field];
  return `${used} / ${limit === undefined ? 'unlimited' : String(limit)}`;
}

type ProjectRow = ProjectsUsage['projects'][number] & { readonly members: readonly ProjectMember[] | undefined };

/**
 * The Projects the user may get with their usage (`/api/projects/usage`), and each one's members
 * from the Project itself, read as the user (who may get it, since the usage view lists it).
 */
async function loadProjects(signal: AbortSignal): Promise<readonly ProjectRow[]> {
  const { projects } = await getJson<ProjectsUsage>('/api/projects/usage', signal);
  return Promise.all(
    projects.map(async (project) => {
      try {
        const object = await getJson<ProjectItem>(`${BEAMLINE_API}/projects/${encodeURIComponent(project.name)}`, signal);
        return { ...project, members: object.spec?.members ?? [] };
      } catch (error) {
        // Deleted or access revoked since the usage view answered: show the row without members.
        if (error instanceof ApiError && (error.status === 403 || error.status === 404)) return { ...project, members: undefined };
        throw error;
      }
    }),
  );
}

/** "alice@example.org (owner), group physics (member)". */
function membersOf(members: readonly ProjectMember[] | undefined): string {
  if (members === undefined) return '—';
  if (members.length === 0) return 'none';
  return members.map((member) => `${member.kind === 'Group' ? 'group ' : ''}${member.name} (${member.role})`).join(', ');
}

/** The Projects the user may get: members, usage against quota. */
export function ProjectsPage(): ReactNode {
  const usage = useLiveResource('projects', loadProjects);
  return (
    <>
      <PageTitle>Projects</PageTitle>
      <ResourceView resource={usage} what="projects">
        {(projects) =>
          projects.length === 0 ? (
            <Empty>You are not a member of any project yet.</Empty>
          ) : (
            <div className="table-scroll">
              <table>
                <caption className="visually-hidden">Projects: members, usage against quota</caption>
                <thead>
                  <tr>
                    <th scope="col">Project</th>
                    <th scope="col">Namespace</th>
                    <th scope="col">Members</th>
                    <th scope="col">Clusters</th>
                    <th scope="col">Nodes</th>
                    <th scope="col">GPUs</th>
                    <th scope="col">CPU</th>
                    <th scope="col">Memory</th>
                  </tr>
                </thead>
                <tbody>
                  {projects.map((project) => (
                    <tr key={project.name}>
                      <th scope="row">
                        {project.displayName !== '' && project.displayName !== project.name ? (
                          <>
                            {project.displayName} <span className="muted">({project.name})</span>
                          </>
                        ) : (
                          project.name
                        )}
                      </th>
                      <td>{project.namespace}</td>
                      <td>{membersOf(project.members)}</td>
                      <td>{usageOf(project.usage?.clusters, project.quota, 'clusters')}</td>
                      <td>{usageOf(project.usage?.nodes, project.quota, 'nodes')}</td>
                      <td>{usageOf(project.usage?.gpus, project.quota, 'gpus')}</td>
                      <td>{usageOf(project.usage?.cpu, project.quota, 'cpu')}</td>
                      <td>{usageOf(project.usage?.memory, project.quota, 'memory')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </ResourceView>
    </>
  );
}

/** The ClusterTemplates (cluster-scoped; every authenticated user may read them in Beamline's RBAC). */
export function TemplatesPage(): ReactNode {
  const templates = useLiveResource('templates', async (signal) => (await getJson<KubeList<TemplateItem>>(`${BEAMLINE_API}/clustertemplates`, signal)).items);
  return (
    <>
      <PageTitle>Templates</PageTitle>
      <ResourceView resource={templates} what="templates">
        {(items) =>
          items.length === 0 ? (
            <Empty>No cluster templates yet.</Empty>
          ) : (
            <div className="table-scroll">
              <table>
                <caption className="visually-hidden">Cluster templates</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Kubernetes</th>
                    <th scope="col">Provider</th>
                    <th scope="col">Control plane</th>
                    <th scope="col">Node groups</th>
                    <th scope="col">Clusters</th>
                    <th scope="col">Description</th>
                  </tr>
                </thead>
                <tbody>
                  {[...items]
                    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
                    .map((template) => (
                      <tr key={template.metadata.name}>
                        <th scope="row">{template.metadata.name}</th>
                        <td>{template.spec?.kubernetesVersion ?? ''}</td>
                        <td>{template.spec?.provider ?? 'kwok'}</td>
                        <td>{template.spec?.controlPlane?.replicas ?? 1}</td>
                        <td>{(template.spec?.nodeGroups ?? []).map((group) => group.name).join(', ')}</td>
                        <td>{template.status?.clusters ?? 0}</td>
                        <td>{template.spec?.description ?? ''}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            </div>
          )
        }
      </ResourceView>
    </>
  );
}

/** Any other path. */
export function NotFoundPage(): ReactNode {
  return (
    <>
      <PageTitle>Page not found</PageTitle>
      <p>
        There is no page here. <Link to="/">Go to the dashboard</Link>.
      </p>
    </>
  );
}

/** Not logged in (`/api/session` answered 401): a plain link to the server's login (a full navigation, not a route). */
export function LoginPage({ expired }: { readonly expired: boolean }): ReactNode {
  return (
    <main id="main" className="login">
      <PageTitle>Beamline</PageTitle>
      <p>{expired ? 'You are logged out.' : 'Log in with your organisation’s account to see your clusters and projects.'}</p>
      <p>
        <a className="button" href="/auth/login">
          Log in
        </a>
      </p>
    </main>
  );
}
