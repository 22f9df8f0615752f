/**
 * The Applications pages' pure parts, without React, so the unit tests run them in Node
 * (apps/portal/src/application-model.unit.test.ts): the list's query, the create form's checks
 * and object, the patches a sync, a rollback and a refresh write, the conditions worth showing.
 */

/** Rows per page of the list: the server's default too. */
export const PAGE_SIZE = 100;

/** The filters the list sends to the server, as they sit in the URL. */
export const FILTERS = ['project', 'sync', 'health', 'cluster', 'search'] as const;

/** A filter of the list. */
export type FilterName = (typeof FILTERS)[number];

/** A Kubernetes name, as the server checks the `cluster` filter. */
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The query string of `GET /api/applications` for the page's URL query (only the known keys, so the URL cannot smuggle others). */
export function applicationsQuery(params: URLSearchParams): string {
  const query = new URLSearchParams();
  for (const name of FILTERS) {
    const value = params.get(name);
    if (value === null || value === '') continue;
    // A half-typed cluster name ("lab-") is not a name the server accepts: no filter until it is one.
    if (name === 'cluster' && !NAME.test(value)) continue;
    query.set(name, value);
  }
  const offset = Number(params.get('offset') ?? '0');
  if (Number.isInteger(offset) && offset > 0) query.set('offset', String(offset));
  query.set('limit', String(PAGE_SIZE));
  return query.toString();
}

/** The first seven characters of a commit (a chart version or a branch is shown whole). */
export function shortRevision(revision: string | undefined): string {
  if (revision === undefined || revision === '') return '—';
  return /^[0-9a-f]{40,64}$/.test(revision) ? revision.slice(0, 7) : revision;
}

/** The annotation a sync request is written to (`beamline.dev/sync-request`, as `beamline app sync` writes it). */
export const SYNC_REQUEST_ANNOTATION = 'beamline.dev/sync-request';

/** The annotation that asks the controller to fetch the source again now (its value: any new text). */
export const REFRESH_ANNOTATION = 'beamline.dev/refresh-requested-at';

/** What to ask the controller for: a sync (optionally pruning) or a rollback to a history entry. */
export interface SyncRequestOptions {
  readonly id: string;
  readonly prune?: boolean;
  readonly rollbackTo?: number;
  /** Remove `spec.syncPolicy.automated` in the same patch (`--disable-auto-sync`). */
  readonly disableAutoSync?: boolean;
}

/**
 * The merge patch `beamline app sync` / `beamline app rollback` send (apps/cli/src/app-request.ts
 * `syncRequestPatch`, which the unit test compares with): the request as JSON in the annotation
 * and, to turn auto-sync off, `automated: null` in the same patch, so auto-sync cannot undo the
 * rollback between two writes. Written here again because the browser bundle must not import the
 * API package's schema module.
 */
export function syncRequestPatch(options: SyncRequestOptions): object {
  const request = {
    id: options.id,
    ...(options.prune === undefined ? {} : { prune: options.prune }),
    ...(options.rollbackTo === undefined ? {} : { rollbackTo: options.rollbackTo }),
  };
  const patch: { metadata: object; spec?: object } = { metadata: { annotations: { [SYNC_REQUEST_ANNOTATION]: JSON.stringify(request) } } };
  if (options.disableAutoSync === true) patch.spec = { syncPolicy: { automated: null } };
  return patch;
}

/** The merge patch of a refresh: the annotation with the time, new for each click. */
export function refreshPatch(now: Date = new Date()): object {
  return { metadata: { annotations: { [REFRESH_ANNOTATION]: now.toISOString() } } };
}

/** What the create form holds (all text, as typed). */
export interface AppForm {
  readonly namespace: string;
  readonly name: string;
  readonly kind: 'git' | 'helm';
  readonly repoURL: string;
  readonly targetRevision: string;
  readonly path: string;
  readonly chart: string;
  readonly chartVersion: string;
  readonly cluster: string;
  readonly destinationNamespace: string;
  readonly autoSync: boolean;
  readonly prune: boolean;
  readonly selfHeal: boolean;
  readonly createNamespace: boolean;
}

/** An empty form: a git source at HEAD, manual sync. */
export const EMPTY_APP_FORM: AppForm = {
  namespace: '',
  name: '',
  kind: 'git',
  repoURL: '',
  targetRevision: 'HEAD',
  path: '',
  chart: '',
  chartVersion: '',
  cluster: '',
  destinationNamespace: '',
  autoSync: false,
  prune: false,
  selfHeal: false,
  createNamespace: false,
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// The CRD's own patterns (api/v1alpha1/application.ts): the apiserver has the last word anyway.
const REPO_URL = /^(https?|oci|ssh|file):\/\/\S+$|^[A-Za-z0-9._-]+@[A-Za-z0-9][A-Za-z0-9.-]*:\S+$/;
const CREDENTIALS = /^(https?|oci):\/\/[^/?#]*@|^ssh:\/\/[^/?#@]*:[^/?#]*@/i;

/** The form's own checks, per field path of the Application (the same paths the apiserver names). */
export function localProblems(form: AppForm): Record<string, string[]> {
  const problems: Record<string, string[]> = {};
  const add = (field: string, message: string): void => {
    problems[field] = [...(problems[field] ?? []), message];
  };
  if (form.name === '') add('metadata.name', 'a name is required');
  else if (form.name.length > 63 || !DNS_LABEL.test(form.name)) add('metadata.name', 'lower-case letters, digits and -, starting and ending with a letter or digit, at most 63');
  if (form.repoURL === '') add('spec.source.repoURL', 'a repository URL is required');
  else if (!REPO_URL.test(form.repoURL)) add('spec.source.repoURL', 'start with https://, http://, oci://, ssh:// or file://, or be scp-like (git@host:path)');
  else if (CREDENTIALS.test(form.repoURL)) add('spec.source.repoURL', 'no credentials in the URL: put them in a Secret of the namespace');
  if (form.kind === 'helm') {
    if (form.chart === '') add('spec.source.chart', 'a chart is required');
    if (form.chartVersion === '') add('spec.source.chartVersion', 'a chart version is required');
    if (form.repoURL !== '' && REPO_URL.test(form.repoURL) && !/^(https?|oci):\/\//.test(form.repoURL)) add('spec.source.repoURL', 'a Helm repository is https://, http:// or oci://');
  }
  if (form.cluster === '') add('spec.destination.cluster', 'choose a cluster');
  if (form.destinationNamespace === '') add('spec.destination.namespace', 'a namespace is required');
  else if (form.destinationNamespace.length > 63 || !DNS_LABEL.test(form.destinationNamespace)) add('spec.destination.namespace', 'a DNS label: lower-case letters, digits and -');
  return problems;
}

/** The Application the form describes (only what was chosen: the CRD's defaults fill the rest). */
export function applicationOf(form: AppForm): object {
  const source =
    form.kind === 'helm'
      ? { repoURL: form.repoURL, chart: form.chart, chartVersion: form.chartVersion }
      : { repoURL: form.repoURL, ...(form.targetRevision === '' ? {} : { targetRevision: form.targetRevision }), ...(form.path === '' ? {} : { path: form.path }) };
  return {
    apiVersion: 'beamline.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: form.name, namespace: form.namespace },
    spec: {
      source,
      destination: { cluster: form.cluster, namespace: form.destinationNamespace },
      syncPolicy: {
        ...(form.autoSync ? { automated: { prune: form.prune, selfHeal: form.selfHeal } } : {}),
        ...(form.createNamespace ? { syncOptions: { createNamespace: true } } : {}),
      },
    },
  };
}

/** A condition as the detail page judges it. */
export interface ConditionLike {
  readonly type: string;
  readonly status: string;
}

/** Conditions worth a reader's attention: Ready not True, Stalled or Reconciling True. */
export function troubledConditions<C extends ConditionLike>(conditions: readonly C[] | undefined): C[] {
  return (conditions ?? []).filter((condition) => (condition.type === 'Ready' ? condition.status !== 'True' : condition.status === 'True' && (condition.type === 'Stalled' || condition.type === 'Reconciling')));
}
