/**
 * New application: the form checks what it can as the user types (names, URLs, required fields)
 * and asks the apiserver for a dry run of the create a moment after typing stops, so the CRD's
 * schema and CEL rules (docs/spec/application.md, Validation) show next to their fields before
 * submitting. Submit creates it as the user and opens its page.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { getJson } from '../api.ts';
import { CheckboxField, FormError, SelectField, TextField } from '../components/form.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { beamlinePath, createObject, KubeWriteError, problemsAt } from '../kube.ts';
import { useSession } from '../session.ts';
import { Loading } from '../states.tsx';
import type { ClusterPage } from '../types.ts';
import { applicationOf, EMPTY_APP_FORM, localProblems, type AppForm } from './application-model.ts';
import { useCreatableNamespaces } from './applications.tsx';
import './applications.css';

/** The clusters of a namespace (the destinations the form offers). */
function useClusters(namespace: string): readonly string[] | undefined {
  const [clusters, setClusters] = useState<{ namespace: string; names: readonly string[] } | undefined>();
  useEffect(() => {
    if (namespace === '') return undefined;
    const controller = new AbortController();
    getJson<ClusterPage>(`/api/clusters?namespace=${encodeURIComponent(namespace)}&limit=500`, controller.signal).then(
      (page) => {
        if (!controller.signal.aborted) setClusters({ namespace, names: page.items.map((row) => row.name).sort() });
      },
      () => {
        if (!controller.signal.aborted) setClusters({ namespace, names: [] });
      },
    );
    return () => controller.abort();
  }, [namespace]);
  return clusters?.namespace === namespace ? clusters.names : undefined;
}

/** The create form. */
export function ApplicationCreatePage(): ReactNode {
  const { csrfToken } = useSession();
  const navigate = useNavigate();
  const namespaces = useCreatableNamespaces();
  const [form, setForm] = useState<AppForm>(EMPTY_APP_FORM);
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set());
  const [serverError, setServerError] = useState<unknown>();
  const [submitting, setSubmitting] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const namespace = form.namespace !== '' ? form.namespace : (namespaces?.[0] ?? '');
  const clusters = useClusters(namespace);
  const cluster = form.cluster !== '' ? form.cluster : (clusters?.[0] ?? '');
  const effective: AppForm = { ...form, namespace, cluster };
  const local = localProblems(effective);
  const localOk = Object.keys(local).length === 0;
  const body = JSON.stringify(applicationOf(effective));

  // The dry run, once typing pauses and the form passes its own checks.
  useEffect(() => {
    if (!localOk || namespace === '') {
      setServerError(undefined);
      return undefined;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      createObject(beamlinePath('applications', namespace), JSON.parse(body) as unknown, csrfToken, { dryRun: true, signal: controller.signal }).then(
        () => {
          if (!controller.signal.aborted) setServerError(undefined);
        },
        (error: unknown) => {
          if (!controller.signal.aborted) setServerError(error);
        },
      );
    }, 400);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [body, localOk, namespace]);

  const set = <K extends keyof AppForm>(key: K, field: string) => (value: AppForm[K]): void => {
    setForm((previous) => ({ ...previous, [key]: value }));
    setTouched((previous) => new Set(previous).add(field));
  };
  const problems = (field: string): string[] => [...(submitted || touched.has(field) ? (local[field] ?? []) : []), ...problemsAt(serverError, field)];
  // What no field explains: a refusal without field causes (403, quota, a name taken).
  const formMessage =
    serverError instanceof KubeWriteError && serverError.fields.length === 0 ? serverError.message : serverError instanceof Error && !(serverError instanceof KubeWriteError) ? serverError.message : undefined;

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    setSubmitted(true);
    if (!localOk) return;
    setSubmitting(true);
    createObject(beamlinePath('applications', namespace), applicationOf(effective), csrfToken).then(
      () => void navigate(`/applications/${encodeURIComponent(namespace)}/${encodeURIComponent(effective.name)}`),
      (error: unknown) => {
        setSubmitting(false);
        setServerError(error);
      },
    );
  };

  if (namespaces === undefined) {
    return (
      <>
        <PageTitle>New application</PageTitle>
        <Loading what="the projects you may create applications in" />
      </>
    );
  }
  if (namespaces.length === 0) {
    return (
      <>
        <PageTitle>New application</PageTitle>
        <p className="state state-empty">
          You may not create applications in any project. <Link to="/applications">Back to the applications</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <PageTitle>New application</PageTitle>
      <form onSubmit={submit} noValidate>
        <fieldset>
          <legend>Application</legend>
          {/* Another project has other clusters: the destination is chosen again. */}
          <SelectField label="Project namespace" value={namespace} onChange={(value) => setForm((previous) => ({ ...previous, namespace: value, cluster: '' }))} options={namespaces.map((value) => ({ value, label: value }))} problems={problemsAt(serverError, 'metadata.namespace')} />
          <TextField label="Name" hint="A DNS label: lower-case letters, digits and -." value={form.name} onChange={set('name', 'metadata.name')} problems={problems('metadata.name')} required />
        </fieldset>
        <fieldset>
          <legend>Source</legend>
          <SelectField
            label="Source type"
            value={form.kind}
            onChange={(value) => set('kind', 'kind')(value === 'helm' ? 'helm' : 'git')}
            options={[
              { value: 'git', label: 'Git repository (YAML, kustomize or a chart in git)' },
              { value: 'helm', label: 'Helm repository' },
            ]}
          />
          <TextField label={form.kind === 'helm' ? 'Helm repository URL' : 'Git repository URL'} value={form.repoURL} onChange={set('repoURL', 'spec.source.repoURL')} problems={problems('spec.source.repoURL')} placeholder="https://git.example.org/group/repo.git" required />
          {form.kind === 'git' ? (
            <>
              <TextField label="Revision" hint="A branch, tag or commit; HEAD is the default branch." value={form.targetRevision} onChange={set('targetRevision', 'spec.source.targetRevision')} problems={problems('spec.source.targetRevision')} />
              <TextField label="Path" hint="The directory in the repository; empty for its root." value={form.path} onChange={set('path', 'spec.source.path')} problems={problems('spec.source.path')} />
            </>
          ) : (
            <>
              <TextField label="Chart" value={form.chart} onChange={set('chart', 'spec.source.chart')} problems={problems('spec.source.chart')} required />
              <TextField label="Chart version" value={form.chartVersion} onChange={set('chartVersion', 'spec.source.chartVersion')} problems={problems('spec.source.chartVersion')} required />
            </>
          )}
        </fieldset>
        <fieldset>
          <legend>Destination</legend>
          {clusters === undefined ? (
            <Loading what="the clusters of the project" />
          ) : (
            <SelectField
              label="Cluster"
              hint={clusters.length === 0 ? 'This project has no clusters yet: create one first.' : undefined}
              value={cluster}
              onChange={set('cluster', 'spec.destination.cluster')}
              options={clusters.length === 0 ? [{ value: '', label: 'No clusters' }] : clusters.map((value) => ({ value, label: value }))}
              problems={problems('spec.destination.cluster')}
            />
          )}
          <TextField label="Namespace" hint="Where namespaced objects without a namespace go." value={form.destinationNamespace} onChange={set('destinationNamespace', 'spec.destination.namespace')} problems={problems('spec.destination.namespace')} required />
          <CheckboxField label="Create the namespace" checked={form.createNamespace} onChange={set('createNamespace', 'spec.syncPolicy.syncOptions')} />
        </fieldset>
        <fieldset>
          <legend>Sync policy</legend>
          <CheckboxField label="Sync automatically" hint="Off: only a sync you start applies changes." checked={form.autoSync} onChange={set('autoSync', 'spec.syncPolicy.automated')} />
          {form.autoSync ? (
            <>
              <CheckboxField label="Prune" hint="Delete objects the source no longer has." checked={form.prune} onChange={set('prune', 'spec.syncPolicy.automated.prune')} />
              <CheckboxField label="Self-heal" hint="Put back objects changed or deleted by hand." checked={form.selfHeal} onChange={set('selfHeal', 'spec.syncPolicy.automated.selfHeal')} />
            </>
          ) : null}
        </fieldset>
        <FormError message={formMessage} />
        <div className="actions">
          <button type="submit" className="primary" disabled={submitting}>
            Create
          </button>
          <Link to="/applications">Cancel</Link>
        </div>
      </form>
    </>
  );
}
