/**
 * The Projects pages: the projects the user may get with usage against quota, and a page per
 * project with its members as a table. For who may patch the Project (its owners, platform
 * admins): add and remove members and change roles. Each change is one JSON merge patch of the
 * whole `spec.members` list (a merge patch replaces lists) carrying the `resourceVersion` the page
 * read, so a concurrent change is refused as a conflict instead of being overwritten; the admission
 * webhook's refusals (the last owner is never removed) are shown as it words them.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { useAccess } from '../access.ts';
import { ApiError, getJson, useLiveResource } from '../api.ts';
import { DataTable } from '../components/data-table.tsx';
import { FormError, SelectField, TextField } from '../components/form.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { beamlinePath, KubeWriteError, mergePatch } from '../kube.ts';
import { useSession } from '../session.ts';
import { ResourceView } from '../states.tsx';
import type { ProjectItem, ProjectMember, ProjectQuota, ProjectsUsage } from '../types.ts';
import './clusters.css';

/** "3 / 10", "3 / unlimited", or "—" when the project has no usage yet. */
function usageOf(used: number | string | undefined, quota: ProjectQuota | null, field: keyof ProjectQuota): string {
  if (used === undefined) return '—';
  const limit = quota?.[field];
  return `${used} / ${limit === undefined ? 'unlimited' : String(limit)}`;
}

type UsageRow = ProjectsUsage['projects'][number];
type ProjectRow = UsageRow & { readonly members: readonly ProjectMember[] | undefined };

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

/** `/projects/<name>`. */
export function projectHref(name: string): string {
  return `/projects/${encodeURIComponent(name)}`;
}

/** "alice@example.org (owner), group physics (member)". */
function membersOf(members: readonly ProjectMember[] | undefined): string {
  if (members === undefined) return '—';
  if (members.length === 0) return 'none';
  return members.map((member) => `${member.kind === 'Group' ? 'group ' : ''}${member.name} (${member.role})`).join(', ');
}

function projectLabel(project: UsageRow): ReactNode {
  return project.displayName !== '' && project.displayName !== project.name ? (
    <>
      {project.displayName} <span className="muted">({project.name})</span>
    </>
  ) : (
    project.name
  );
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
              { header: 'Project', cell: (project) => <Link to={projectHref(project.name)}>{projectLabel(project)}</Link> },
              { header: 'Namespace', cell: (project) => project.namespace },
              { header: 'Members', cell: (project) => membersOf(project.members) },
              ...usageColumns,
            ]}
          />
        )}
      </ResourceView>
    </>
  );
}

const usageColumns = [
  { header: 'Clusters', cell: (project: UsageRow) => usageOf(project.usage?.clusters, project.quota, 'clusters') },
  { header: 'Nodes', cell: (project: UsageRow) => usageOf(project.usage?.nodes, project.quota, 'nodes') },
  { header: 'GPUs', cell: (project: UsageRow) => usageOf(project.usage?.gpus, project.quota, 'gpus') },
  { header: 'CPU', cell: (project: UsageRow) => usageOf(project.usage?.cpu, project.quota, 'cpu') },
  { header: 'Memory', cell: (project: UsageRow) => usageOf(project.usage?.memory, project.quota, 'memory') },
];

/** A Project as the detail page reads it: with the resourceVersion its writes send back. */
interface ProjectObject extends ProjectItem {
  readonly metadata: { readonly name: string; readonly resourceVersion?: string };
  readonly spec?: { readonly displayName?: string; readonly description?: string; readonly members?: readonly ProjectMember[]; readonly templates?: readonly string[] };
}

interface ProjectDetail {
  readonly project: ProjectObject;
  readonly usage: UsageRow | undefined;
}

async function loadProject(name: string, signal: AbortSignal): Promise<ProjectDetail> {
  const [project, usage] = await Promise.all([getJson<ProjectObject>(beamlinePath('projects', undefined, name), signal), getJson<ProjectsUsage>('/api/projects/usage', signal)]);
  return { project, usage: usage.projects.find((row) => row.name === name) };
}

const ROLES = ['owner', 'member', 'viewer'] as const;

/** One project: facts, usage against quota, members (editable by who may patch the Project). */
export function ProjectDetailPage(): ReactNode {
  const { name = '' } = useParams();
  const detail = useLiveResource(`project/${name}`, (signal) => loadProject(name, signal));
  const mayEdit = useAccess({ verb: 'patch', resource: 'projects.beamline.dev', name });
  return (
    <>
      <PageTitle>{`Project ${name}`}</PageTitle>
      <p>
        <Link to="/projects">All projects</Link>
      </p>
      <ResourceView resource={detail} what={`the project ${name}`}>
        {({ project, usage }) => (
          <>
            <section aria-labelledby="project-facts-heading">
              <h2 id="project-facts-heading">Overview</h2>
              <dl className="facts">
                <dt>Display name</dt>
                <dd>{project.spec?.displayName ?? name}</dd>
                {project.spec?.description === undefined ? null : (
                  <>
                    <dt>Description</dt>
                    <dd>{project.spec.description}</dd>
                  </>
                )}
                <dt>Namespace</dt>
                <dd>{usage?.namespace ?? '—'}</dd>
                <dt>Templates</dt>
                <dd>{(project.spec?.templates ?? []).length === 0 ? 'any' : (project.spec?.templates ?? []).join(', ')}</dd>
              </dl>
            </section>
            {usage === undefined ? null : (
              <section aria-labelledby="project-usage-heading">
                <h2 id="project-usage-heading">Usage against quota</h2>
                <DataTable<UsageRow> caption={`Usage of the project ${name} against its quota`} rows={[usage]} rowKey={(row) => row.name} empty="No usage." columns={[{ header: 'Project', cell: (row) => row.name }, ...usageColumns]} />
              </section>
            )}
            <Members project={project} mayEdit={mayEdit === true} />
          </>
        )}
      </ResourceView>
    </>
  );
}

function memberKey(member: ProjectMember): string {
  return `${member.kind}/${member.name}`;
}

/** What a refused write says: a conflict in words a person can act on, else the server's message. */
function writeProblem(error: unknown): string {
  if (error instanceof ApiError && error.status === 409) return 'Someone else changed this project since the page loaded it; nothing was changed. The members shown are now current: try again.';
  if (error instanceof KubeWriteError && error.fields.length > 0) return error.fields.map((field) => `${field.field}: ${field.message}`).join('; ');
  return error instanceof Error ? error.message : String(error);
}

function Members({ project, mayEdit }: { readonly project: ProjectObject; readonly mayEdit: boolean }): ReactNode {
  const { csrfToken } = useSession();
  const members = project.spec?.members ?? [];
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | undefined>();
  const [kind, setKind] = useState<'User' | 'Group'>('User');
  const [memberName, setMemberName] = useState('');
  const [role, setRole] = useState<string>('member');
  const [nameProblem, setNameProblem] = useState<string | undefined>();

  /** Writes `next` as the whole list, guarded by the resourceVersion read. */
  const write = (next: readonly ProjectMember[], then?: () => void): void => {
    setBusy(true);
    setProblem(undefined);
    mergePatch(beamlinePath('projects', undefined, project.metadata.name), { metadata: { resourceVersion: project.metadata.resourceVersion }, spec: { members: next } }, csrfToken).then(
      () => {
        setBusy(false);
        then?.();
      },
      (error: unknown) => {
        setBusy(false);
        setProblem(writeProblem(error));
      },
    );
  };

  const add = (event: FormEvent): void => {
    event.preventDefault();
    const trimmed = memberName.trim();
    if (trimmed === '') return setNameProblem('required');
    if (trimmed.length > 256) return setNameProblem('at most 256 characters');
    if (members.some((member) => member.kind === kind && member.name === trimmed)) return setNameProblem(`${trimmed} is already a member; change their role in the table`);
    setNameProblem(undefined);
    write([...members, { kind, name: trimmed, role }], () => setMemberName(''));
  };

  return (
    <section aria-labelledby="members-heading">
      <h2 id="members-heading">Members</h2>
      <FormError message={problem} />
      <DataTable<ProjectMember>
        caption={`Members of the project ${project.metadata.name}`}
        rows={members}
        rowKey={memberKey}
        empty="No members."
        columns={[
          { header: 'Name', cell: (member) => member.name },
          { header: 'Kind', cell: (member) => member.kind },
          {
            header: 'Role',
            cell: (member) =>
              mayEdit ? (
                <select
                  aria-label={`Role of ${member.name}`}
                  value={member.role}
                  disabled={busy}
                  onChange={(event) => write(members.map((other) => (memberKey(other) === memberKey(member) ? { ...other, role: event.target.value } : other)))}
                >
                  {ROLES.map((option) => (
                    <option key={option} value={option}>
                      {option}
                    </option>
                  ))}
                </select>
              ) : (
                member.role
              ),
          },
          ...(mayEdit
            ? [
                {
                  header: 'Actions',
                  cell: (member: ProjectMember) => (
                    <button type="button" className="danger" disabled={busy} onClick={() => write(members.filter((other) => memberKey(other) !== memberKey(member)))}>
                      Remove {member.name}
                    </button>
                  ),
                },
              ]
            : []),
        ]}
      />
      {mayEdit ? (
        <form className="add-member" onSubmit={add} noValidate aria-labelledby="add-member-heading">
          <h3 id="add-member-heading">Add a member</h3>
          <SelectField label="Kind" value={kind} onChange={(next) => setKind(next === 'Group' ? 'Group' : 'User')} options={[{ value: 'User', label: 'User' }, { value: 'Group', label: 'Group' }]} />
          <TextField label="User or group name" value={memberName} onChange={setMemberName} hint="As the identity provider names them (a user's name or email), without the platform's prefix." {...(nameProblem === undefined ? {} : { problems: [nameProblem] })} />
          <SelectField label="Role" value={role} onChange={(next) => setRole(ROLES.find((option) => option === next) ?? 'member')} options={ROLES.map((option) => ({ value: option, label: option }))} />
          <div className="actions">
            <button type="submit" className="primary" disabled={busy}>
              Add member
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
