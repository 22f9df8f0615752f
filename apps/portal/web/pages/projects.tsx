/** The Projects page: the projects the user may get, their members, and usage against quota. */
import type { ReactNode } from 'react';
import { ApiError, getJson, useLiveResource } from '../api.ts';
import { DataTable } from '../components/data-table.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { beamlinePath } from '../kube.ts';
import { ResourceView } from '../states.tsx';
import type { ProjectItem, ProjectMember, ProjectQuota, ProjectsUsage } from '../types.ts';

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
        const object = await getJson<ProjectItem>(beamlinePath('projects', undefined, project.name), signal);
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
        {(projects) => (
          <DataTable<ProjectRow>
            caption="Projects: members, usage against quota"
            rows={projects}
            rowKey={(project) => project.name}
            empty="You are not a member of any project yet."
            columns={[
              {
                header: 'Project',
                cell: (project) =>
                  project.displayName !== '' && project.displayName !== project.name ? (
                    <>
                      {project.displayName} <span className="muted">({project.name})</span>
                    </>
                  ) : (
                    project.name
                  ),
              },
              { header: 'Namespace', cell: (project) => project.namespace },
              { header: 'Members', cell: (project) => membersOf(project.members) },
              { header: 'Clusters', cell: (project) => usageOf(project.usage?.clusters, project.quota, 'clusters') },
              { header: 'Nodes', cell: (project) => usageOf(project.usage?.nodes, project.quota, 'nodes') },
              { header: 'GPUs', cell: (project) => usageOf(project.usage?.gpus, project.quota, 'gpus') },
              { header: 'CPU', cell: (project) => usageOf(project.usage?.cpu, project.quota, 'cpu') },
              { header: 'Memory', cell: (project) => usageOf(project.usage?.memory, project.quota, 'memory') },
            ]}
          />
        )}
      </ResourceView>
    </>
  );
}
