/**
 * Create a cluster: project, template, name and the node-group editor pre-filled with the
 * template's groups. Validated as the user types: the local checks at once, then (~400 ms after the
 * last change, when the local checks pass) a server-side dry run of the very object submit would
 * create, whose per-field causes (schema, CEL) and webhook messages (quota, templates) show next to
 * their field or over the form. Submit creates it and opens its page.
 */
import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { ApiError, getJson, useLiveResource } from '../api.ts';
import { mayI } from '../access.ts';
import { FormError, SelectField, TextField } from '../components/form.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { beamlinePath, createObject } from '../kube.ts';
import { useSession } from '../session.ts';
import { Empty, ErrorState, Loading } from '../states.tsx';
import type { Flavor, PlatformInfo, ProjectsUsage } from '../types.ts';
import { clusterHref } from './clusters.tsx';
import { checkDraft, clusterBody, clusterNameProblems, draftOf, hasProblems, serverProblemsOf, type GroupProblems, type NodeGroupDraft, type ServerProblems } from './cluster-model.ts';
import { NodeGroupEditor } from './node-group-editor.tsx';
import { loadTemplates, TemplateOffer, type Template } from './templates.tsx';
import './clusters.css';

/** How long after the last change the dry run asks the server. */
const DRY_RUN_DEBOUNCE_MS = 400;

/** A project the user may create clusters in. */
export type CreatableProject = ProjectsUsage['projects'][number];

/**
 * The user's projects whose namespace they may `create clusters.beamline.dev` in (one access
 * review per project namespace): `undefined` while asking, then the list (empty: offer no
 * "Create cluster" at all).
 */
export function useCreatableProjects(): readonly CreatableProject[] | undefined {
  const [projects, setProjects] = useState<readonly CreatableProject[] | undefined>();
  useEffect(() => {
    const controller = new AbortController();
    getJson<ProjectsUsage>('/api/projects/usage', controller.signal)
      .then(async ({ projects: all }) => {
        // A platform admin seeing hundreds of projects: one review cluster-wide, not one per project.
        if (all.length > 1 && (await mayI({ verb: 'create', resource: 'clusters.beamline.dev' }))) {
          if (!controller.signal.aborted) setProjects(all);
          return;
        }
        const allowed = await Promise.all(all.map((project) => mayI({ verb: 'create', resource: 'clusters.beamline.dev', namespace: project.namespace })));
        if (!controller.signal.aborted) setProjects(all.filter((_, index) => allowed[index] === true));
      })
      .catch(() => {
        // Cannot tell: offer nothing (an action that then fails is worse than one not offered).
        if (!controller.signal.aborted) setProjects([]);
      });
    return () => controller.abort();
  }, []);
  return projects;
}

/** The templates a project allows (`spec.templates`; none listed: every template). */
async function allowedTemplates(project: string, signal: AbortSignal): Promise<readonly string[] | undefined> {
  try {
    const object = await getJson<{ spec?: { templates?: readonly string[] } }>(beamlinePath('projects', undefined, project), signal);
    const templates = object.spec?.templates ?? [];
    return templates.length === 0 ? undefined : templates;
  } catch (error) {
    // Not readable: offer every template; the admission webhook still decides.
    if (error instanceof ApiError && (error.status === 403 || error.status === 404)) return undefined;
    throw error;
  }
}

/** The create-cluster page. */
export function ClusterCreatePage(): ReactNode {
  const projects = useCreatableProjects();
  const templates = useLiveResource('templates', loadTemplates);
  const platform = useLiveResource('platform', (signal) => getJson<PlatformInfo>('/api/platform', signal));
  let body: ReactNode;
  if (projects === undefined || templates.state === 'loading' || platform.state === 'loading') body = <Loading what="projects, templates and flavors" />;
  else if (templates.state === 'error') body = <ErrorState what="the templates" error={templates.error} />;
  else if (platform.state === 'error') body = <ErrorState what="the flavors" error={platform.error} />;
  else if (projects.length === 0) body = <Empty>You may not create clusters in any project. A project owner or member can.</Empty>;
  else body = <CreateForm projects={projects} templates={templates.data} flavors={platform.data.flavors} />;
  return (
    <>
      <PageTitle>Create cluster</PageTitle>
      <p>
        <Link to="/clusters">All clusters</Link>
      </p>
      {body}
    </>
  );
}

function CreateForm({ projects, templates, flavors }: { readonly projects: readonly CreatableProject[]; readonly templates: readonly Template[]; readonly flavors: readonly Flavor[] }): ReactNode {
  const { csrfToken } = useSession();
  const navigate = useNavigate();
  const [project, setProject] = useState(projects[0]?.name ?? '');
  const namespace = projects.find((candidate) => candidate.name === project)?.namespace ?? '';
  const [allowed, setAllowed] = useState<{ project: string; templates: readonly string[] | undefined } | undefined>();
  const [templateName, setTemplateName] = useState('');
  const [name, setName] = useState('');
  const [groups, setGroups] = useState<NodeGroupDraft[]>([]);
  const [dryRun, setDryRun] = useState<{ key: string; state: 'checking' | 'ok' | 'refused'; problems: ServerProblems } | undefined>();
  const [submitting, setSubmitting] = useState(false);
  const [submitError, setSubmitError] = useState<unknown>();

  useEffect(() => {
    const controller = new AbortController();
    allowedTemplates(project, controller.signal).then(
      (names) => setAllowed({ project, templates: names }),
      () => setAllowed({ project, templates: undefined }),
    );
    return () => controller.abort();
  }, [project]);

  const offered = templates.filter((template) => allowed?.templates === undefined || allowed.templates.includes(template.metadata.name));
  const template = offered.find((candidate) => candidate.metadata.name === templateName);
  const chooseTemplate = (next: string): void => {
    setTemplateName(next);
    const chosen = templates.find((candidate) => candidate.metadata.name === next);
    setGroups((chosen?.spec?.nodeGroups ?? []).map((group) => draftOf(group, true)));
  };
  // The first offered template is chosen once the project's list is known, and again when the project no longer allows the chosen one.
  useEffect(() => {
    if (allowed?.project !== project) return;
    if (template === undefined && offered[0] !== undefined) chooseTemplate(offered[0].metadata.name);
  }, [allowed, project, templateName]);

  const names = groups.map((group) => group.name);
  const checked = groups.map((group) => checkDraft(group, names, flavors));
  const nameProblems = clusterNameProblems(name);
  const locallyValid = name !== '' && nameProblems.length === 0 && template !== undefined && namespace !== '' && checked.every((group) => !hasProblems(group.problems));
  const request = useMemo(
    () => (template === undefined ? undefined : clusterBody(namespace, name, template.metadata.name, checked.map((group) => group.group))),
    [namespace, name, template?.metadata.name, JSON.stringify(checked.map((group) => group.group))],
  );
  // '' while there is no template: never the key of an answer.
  const requestKey = request === undefined ? '' : JSON.stringify(request);

  // The server's dry run of exactly what submit would send, once typing pauses and the local checks pass.
  useEffect(() => {
    if (!locallyValid || request === undefined) return undefined;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      setDryRun({ key: requestKey, state: 'checking', problems: serverProblemsOf(undefined) });
      createObject(beamlinePath('clusters', namespace), request, csrfToken, { dryRun: true, signal: controller.signal }).then(
        () => setDryRun({ key: requestKey, state: 'ok', problems: serverProblemsOf(undefined) }),
        (error: unknown) => {
          if (!controller.signal.aborted) setDryRun({ key: requestKey, state: 'refused', problems: serverProblemsOf(error) });
        },
      );
    }, DRY_RUN_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [requestKey, locallyValid]);

  // Only the answer about what the form holds now counts; a submit's refusal replaces it.
  const server = submitError !== undefined ? serverProblemsOf(submitError) : dryRun !== undefined && dryRun.key === requestKey ? dryRun.problems : serverProblemsOf(undefined);
  const groupProblems = checked.map((group, index) => {
    const own: GroupProblems = { ...group.problems };
    for (const [field, messages] of Object.entries(server.groups[index] ?? {})) {
      const key = field as keyof GroupProblems;
      own[key] = [...(own[key] ?? []), ...messages];
    }
    return own;
  });

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (!locallyValid || request === undefined) return;
    setSubmitting(true);
    setSubmitError(undefined);
    createObject(beamlinePath('clusters', namespace), request, csrfToken).then(
      () => void navigate(clusterHref(namespace, name)),
      (error: unknown) => {
        setSubmitting(false);
        setSubmitError(error);
      },
    );
  };

  const status = !locallyValid ? (name === '' ? 'Name the cluster to check it with the server.' : 'Fix the fields marked above.') : dryRun === undefined || dryRun.key !== requestKey || dryRun.state === 'checking' ? 'Checking with the server…' : dryRun.state === 'ok' ? 'The server accepts this cluster.' : 'The server refuses this cluster: see the messages at the fields.';

  return (
    <form className="create-cluster" onSubmit={submit} noValidate>
      <SelectField
        label="Project"
        value={project}
        onChange={(next) => {
          setSubmitError(undefined);
          setProject(next);
        }}
        options={projects.map((candidate) => ({ value: candidate.name, label: candidate.displayName !== '' && candidate.displayName !== candidate.name ? `${candidate.displayName} (${candidate.name})` : candidate.name }))}
        hint={`The cluster is created in the namespace ${namespace}.`}
      />
      <SelectField
        label="Template"
        value={templateName}
        onChange={(next) => {
          setSubmitError(undefined);
          chooseTemplate(next);
        }}
        options={offered.length === 0 ? [{ value: '', label: 'No template is allowed in this project' }] : offered.map((candidate) => ({ value: candidate.metadata.name, label: candidate.metadata.name }))}
        {...(server.template.length === 0 ? {} : { problems: server.template })}
      />
      {template === undefined ? null : (
        <section className="template-offer" aria-label={`What the template ${template.metadata.name} offers`}>
          <TemplateOffer template={template} flavors={flavors} />
        </section>
      )}
      <TextField
        label="Name"
        value={name}
        onChange={(next) => {
          setSubmitError(undefined);
          setName(next);
        }}
        hint="A DNS label: lower-case letters, digits and -."
        required
        {...(nameProblems.length + server.name.length === 0 ? {} : { problems: [...nameProblems, ...server.name] })}
      />
      <h2>Node groups</h2>
      <NodeGroupEditor
        groups={groups}
        onChange={(next) => {
          setSubmitError(undefined);
          setGroups(next);
        }}
        flavors={flavors}
        problems={groupProblems}
      />
      <FormError message={server.form.length === 0 ? undefined : server.form.join('; ')} />
      <p className="muted" role="status">
        {status}
      </p>
      <div className="actions">
        <button type="submit" className="primary" disabled={!locallyValid || submitting}>
          {submitting ? 'Creating…' : 'Create cluster'}
        </button>
        <Link to="/clusters">Cancel</Link>
      </div>
    </form>
  );
}
