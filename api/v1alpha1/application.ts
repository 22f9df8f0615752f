/**
 * Application: a set of Kubernetes objects delivered from a git repository (plain YAML/JSON,
 * kustomize or a Helm chart in git) or from a Helm repository, to a Beamline Cluster (or the
 * management cluster) and namespace. The controller is in `controllers/src/application/`.
 */
import Type, { type Static } from 'typebox';
import { cel, ConditionsSchema, DNS_LABEL_PATTERN, DNS_SUBDOMAIN_PATTERN, DnsLabel, ObservedGenerationSchema } from './common.ts';
import { APPLICATION, type KindDefinition, type PrinterColumn } from './groupversion.ts';
import { kindSchema } from './kind-schema.ts';

/** The destination cluster name that means the management cluster itself. */
export const IN_CLUSTER = 'in-cluster';

/** The URL forms a source may use: `https://`, `http://`, `oci://`, `ssh://`, `file://`. */
export const REPO_URL_SCHEME_PATTERN = '^(https?|oci|ssh|file)://[^\\s]+$';
/** An scp-like git address: `git@host:path` (the host may not start with `-`). */
export const REPO_URL_SCP_PATTERN = '^[A-Za-z0-9._-]+@[A-Za-z0-9][A-Za-z0-9.-]*:[^\\s]+$';

/** The message when `repoURL` is not one of the accepted forms. */
export const REPO_URL_MESSAGE = 'repoURL must start with https://, http://, oci://, ssh:// or file://, or be scp-like (git@host:path)';
/**
 * The message when `repoURL` carries credentials (`user:password@`, or any userinfo for http(s)
 * and OCI, where a token alone is a credential): they would show in status, events and the CLI.
 */
export const REPO_URL_CREDENTIALS_MESSAGE =
  'repoURL must not carry credentials (user:password@ or token@): put them in a Secret of the Application\'s namespace and name it in credentialsSecretRef';
/** The keys a repository credentials Secret may hold. */
export const CREDENTIALS_SECRET_KEYS = { username: 'username', password: 'password', sshPrivateKey: 'sshPrivateKey', knownHosts: 'knownHosts' } as const;
/** The message when `credentialsSecretRef` is set on a `file://` source. */
export const FILE_CREDENTIALS_MESSAGE = 'credentialsSecretRef does not apply to file:// repositories';

/** The message when `chart` is set without `chartVersion`. */
export const CHART_VERSION_MESSAGE = 'chartVersion is required with chart';
/** The message when `path` and `chart` are both set. */
export const PATH_OR_CHART_MESSAGE = 'path (a git source) and chart (a Helm repository source) are mutually exclusive';
/** The message when a Helm-repository source's `repoURL` is not http(s) or OCI. */
export const CHART_REPO_URL_MESSAGE = 'with chart, repoURL must be a Helm repository: https://, http:// or oci://';
/** The message when a JSON pointer of `ignoreDifferences` does not start with `/`. */
export const JSON_POINTER_MESSAGE = 'a JSON pointer starts with / (RFC 6901)';

/** Helm parameters, for a chart in git (`Chart.yaml` at the path) or from a Helm repository. */
export const ApplicationHelmSchema = Type.Object(
  {
    releaseName: Type.Optional(
      Type.String({ description: "the Helm release name; the Application's name when absent.", minLength: 1, maxLength: 53, pattern: DNS_LABEL_PATTERN }),
    ),
    values: Type.Optional(
      Type.Unsafe<Record<string, unknown>>({
        type: 'object',
        description: 'values, as a values.yaml would hold them; they win over valueFiles.',
        'x-kubernetes-preserve-unknown-fields': true,
      }),
    ),
    valueFiles: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
        description: 'values files, relative to the chart (git sources); applied in order, later files win.',
        maxItems: 32,
      }),
    ),
  },
  { description: 'Helm parameters.' },
);
/** Helm parameters: `releaseName`, `values`, `valueFiles`. */
export type ApplicationHelm = Static<typeof ApplicationHelmSchema>;

/** Where the objects come from: a git path, or a chart of a Helm repository. */
export const ApplicationSourceSchema = Type.Object(
  {
    repoURL: Type.String({
      description: 'the git repository (https, http, ssh, file or scp-like git@host:path) or, with chart, the Helm repository (https, http or oci).',
      minLength: 1,
      maxLength: 2048,
      'x-kubernetes-validations': [
        cel(`self.matches(r'${REPO_URL_SCHEME_PATTERN}') || self.matches(r'${REPO_URL_SCP_PATTERN}')`, REPO_URL_MESSAGE),
        // http(s)/oci: no userinfo at all (a token alone is a credential); ssh: a user, no password.
        cel(`!self.matches(r'^(?i)(https?|oci)://[^/?#]*@') && !self.matches(r'^(?i)ssh://[^/?#@]*:[^/?#]*@')`, REPO_URL_CREDENTIALS_MESSAGE),
      ],
    }),
    credentialsSecretRef: Type.Optional(
      Type.Object(
        {
          name: Type.String({
            description: "the Secret's name, in the Application's namespace.",
            minLength: 1,
            maxLength: 253,
            pattern: DNS_SUBDOMAIN_PATTERN,
          }),
        },
        {
          description:
            "a Secret in the Application's namespace with the repository's credentials (like an Argo CD repository Secret): `username` and `password` (a token) for https/http git and Helm repositories and OCI registries; `sshPrivateKey` (unencrypted) and optionally `knownHosts` for ssh. Never shown in status, events or logs.",
        },
      ),
    ),
    targetRevision: Type.Optional(
      Type.String({
        description: 'git: a branch, tag or commit; HEAD is the default branch. Ignored with chart (chartVersion says which).',
        minLength: 1,
        maxLength: 255,
        default: 'HEAD',
      }),
    ),
    path: Type.Optional(
      Type.String({
        description: "git: the directory of the repository to deliver, relative to its root; the root ('.') when absent. Its type is detected: kustomization.yaml (kustomize), Chart.yaml (Helm), else plain YAML/JSON.",
        minLength: 1,
        maxLength: 1024,
      }),
    ),
    directory: Type.Optional(
      Type.Object(
        { recursive: Type.Optional(Type.Boolean({ description: 'read YAML/JSON in sub-directories too.', default: false })) },
        { description: 'git, plain YAML/JSON directories: how the directory is read.' },
      ),
    ),
    helm: Type.Optional(ApplicationHelmSchema),
    chart: Type.Optional(
      Type.String({ description: 'the chart name: the source is then the Helm repository at repoURL.', minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]*$' }),
    ),
    chartVersion: Type.Optional(Type.String({ description: 'the chart version (required with chart).', minLength: 1, maxLength: 128 })),
  },
  {
    description: 'Where the objects come from: a path of a git repository, or a chart of a Helm repository.',
    'x-kubernetes-validations': [
      cel('!has(self.chart) || has(self.chartVersion)', CHART_VERSION_MESSAGE, { fieldPath: '.chartVersion', reason: 'FieldValueRequired' }),
      cel('!has(self.chart) || !has(self.path)', PATH_OR_CHART_MESSAGE, { fieldPath: '.path', reason: 'FieldValueForbidden' }),
      cel(`!has(self.chart) || self.repoURL.matches(r'^(https?|oci)://')`, CHART_REPO_URL_MESSAGE, { fieldPath: '.repoURL' }),
      cel(`!has(self.credentialsSecretRef) || !self.repoURL.startsWith('file://')`, FILE_CREDENTIALS_MESSAGE, { fieldPath: '.credentialsSecretRef' }),
    ],
  },
);
/** Where the objects come from. */
export type ApplicationSource = Static<typeof ApplicationSourceSchema>;

/** Where the objects go. */
export const ApplicationDestinationSchema = Type.Object(
  {
    cluster: Type.String({
      description: `a Beamline Cluster in the Application's namespace, or ${IN_CLUSTER} for the management cluster.`,
      minLength: 1,
      maxLength: 63,
      pattern: DNS_LABEL_PATTERN,
    }),
    clusterNamespace: Type.Optional(
      DnsLabel(
        "the namespace of the Cluster when it is not the Application's: a shared cluster of the platform (labelled beamline.dev/shared=true), where the project must own `namespace`.",
      ),
    ),
    namespace: DnsLabel('the namespace namespaced objects without one go to (a DNS label).'),
  },
  { description: 'Where the objects go: a cluster and a namespace.' },
);
/** Where the objects go: `cluster` and `namespace`. */
export type ApplicationDestination = Static<typeof ApplicationDestinationSchema>;

/** How failed syncs are retried: `limit` times, waiting `durationSeconds × factor^n`, at most `maxDurationSeconds`. */
export const RetrySchema = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ description: 'retries of a failed sync before giving up until the next change; 0 never retries.', minimum: 0, maximum: 100, default: 5 })),
    backoff: Type.Optional(
      Type.Object(
        {
          durationSeconds: Type.Optional(Type.Integer({ description: 'the first wait.', minimum: 1, maximum: 3600, default: 5 })),
          factor: Type.Optional(Type.Integer({ description: 'each wait is the previous one times factor.', minimum: 1, maximum: 10, default: 2 })),
          maxDurationSeconds: Type.Optional(Type.Integer({ description: 'the longest wait.', minimum: 1, maximum: 86400, default: 180 })),
        },
        {
          description: 'the waits between retries.',
          // The whole default (not {}): the API server checks a default against the CEL rules as written.
          default: { durationSeconds: 5, factor: 2, maxDurationSeconds: 180 },
          'x-kubernetes-validations': [
            cel('self.durationSeconds <= self.maxDurationSeconds', 'durationSeconds must not exceed maxDurationSeconds', { fieldPath: '.durationSeconds' }),
          ],
        },
      ),
    ),
  },
  { description: 'How a failed sync is retried.' },
);
/** How a failed sync is retried. */
export type Retry = Static<typeof RetrySchema>;

/** When and how syncs happen. */
export const SyncPolicySchema = Type.Object(
  {
    automated: Type.Optional(
      Type.Object(
        {
          prune: Type.Optional(Type.Boolean({ description: 'delete objects the application owns that the source no longer has.', default: false })),
          selfHeal: Type.Optional(Type.Boolean({ description: 'put back objects edited or deleted by hand in the destination.', default: false })),
        },
        { description: 'sync by itself when the source changes; absent: only manual syncs apply.' },
      ),
    ),
    syncOptions: Type.Optional(
      Type.Object(
        { createNamespace: Type.Optional(Type.Boolean({ description: 'create the destination namespace when it does not exist.', default: false })) },
        { description: 'options of every sync.' },
      ),
    ),
    retry: Type.Optional(RetrySchema),
  },
  { description: 'When and how syncs happen.' },
);
/** When and how syncs happen. */
export type SyncPolicy = Static<typeof SyncPolicySchema>;

/** Differences to ignore when comparing desired and live objects. */
export const IgnoreDifferenceSchema = Type.Object(
  {
    group: Type.Optional(Type.String({ description: "the API group ('' or absent: the core group).", maxLength: 253 })),
    kind: Type.String({ description: 'the kind.', minLength: 1, maxLength: 63 }),
    name: Type.Optional(Type.String({ description: 'only the object of this name.', minLength: 1, maxLength: 253 })),
    namespace: Type.Optional(Type.String({ description: 'only objects in this namespace.', minLength: 1, maxLength: 63 })),
    jsonPointers: Type.Array(
      Type.String({
        maxLength: 1024,
        'x-kubernetes-validations': [cel("self.startsWith('/')", JSON_POINTER_MESSAGE)],
      }),
      { description: 'the fields to ignore, as RFC 6901 JSON pointers (/spec/replicas).', minItems: 1, maxItems: 64 },
    ),
  },
  { description: 'Fields of matching objects that are not compared (drift there is not OutOfSync).' },
);
/** Fields to ignore on matching objects. */
export type IgnoreDifference = Static<typeof IgnoreDifferenceSchema>;

/** The spec of an Application. */
export const ApplicationSpecSchema = Type.Object(
  {
    source: ApplicationSourceSchema,
    destination: ApplicationDestinationSchema,
    syncPolicy: Type.Optional(SyncPolicySchema),
    ignoreDifferences: Type.Optional(Type.Array(IgnoreDifferenceSchema, { description: 'fields not compared, per kind (and name, namespace).', maxItems: 64 })),
    refreshIntervalSeconds: Type.Optional(
      Type.Integer({ description: 'how often the source is checked for changes (with jitter); webhooks refresh sooner.', minimum: 10, maximum: 86400, default: 180 }),
    ),
    deletionPolicy: Type.Optional(
      Type.Enum(['Delete', 'Orphan'], {
        description: 'what deleting the Application does to its objects: Delete them (cascade, the default) or leave them (Orphan).',
        default: 'Delete',
      }),
    ),
  },
  { description: 'What to deliver, where, and how.' },
);
/** The spec of an Application. */
export type ApplicationSpec = Static<typeof ApplicationSpecSchema>;

/** Whether the live objects match the source. */
export const SyncStatusCodeSchema = Type.Enum(['Synced', 'OutOfSync', 'Unknown'], { description: 'Synced, OutOfSync or Unknown.' });
/** `Synced`, `OutOfSync` or `Unknown`. */
export type SyncStatusCode = Static<typeof SyncStatusCodeSchema>;

/** The health of an object or of the whole application. */
export const HealthStatusCodeSchema = Type.Enum(['Healthy', 'Progressing', 'Degraded', 'Suspended', 'Missing', 'Unknown'], {
  description: 'Healthy, Progressing, Degraded, Suspended, Missing or Unknown.',
});
/** `Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing` or `Unknown`. */
export type HealthStatusCode = Static<typeof HealthStatusCodeSchema>;

/** A health status with its explanation. */
export const HealthSchema = Type.Object(
  {
    status: HealthStatusCodeSchema,
    message: Type.Optional(Type.String({ description: 'why, when not Healthy.', maxLength: 4096 })),
  },
  { description: 'A health status and why.' },
);
/** A health status and why. */
export type Health = Static<typeof HealthSchema>;

/** One object the application owns (its inventory entry). */
export const ResourceStatusSchema = Type.Object(
  {
    group: Type.Optional(Type.String({ description: "the API group ('' for the core group).", maxLength: 253 })),
    version: Type.String({ description: 'the API version.', maxLength: 63 }),
    kind: Type.String({ description: 'the kind.', maxLength: 63 }),
    namespace: Type.Optional(Type.String({ description: 'the namespace; absent for cluster-scoped objects.', maxLength: 63 })),
    name: Type.String({ description: 'the name.', maxLength: 253 }),
    status: SyncStatusCodeSchema,
    health: Type.Optional(HealthSchema),
    syncWave: Type.Optional(Type.Integer({ description: 'the beamline.dev/sync-wave annotation (0 when absent).', format: 'int32' })),
  },
  { description: 'An object the application owns: prune deletes only these.' },
);
/** An object the application owns, with its sync and health. */
export type ResourceStatus = Static<typeof ResourceStatusSchema>;

/** The result of one object in a sync operation. */
export const ResourceResultSchema = Type.Object(
  {
    kind: Type.String({ description: 'the kind.', maxLength: 63 }),
    name: Type.String({ description: 'the name.', maxLength: 253 }),
    namespace: Type.Optional(Type.String({ description: 'the namespace; absent for cluster-scoped objects.', maxLength: 63 })),
    status: Type.Enum(['Synced', 'Pruned', 'Failed', 'Skipped'], { description: 'Synced, Pruned, Failed or Skipped.' }),
    message: Type.Optional(Type.String({ description: 'what happened (the API error when Failed).', maxLength: 4096 })),
  },
  { description: 'What a sync did to one object.' },
);
/** What a sync did to one object. */
export type ResourceResult = Static<typeof ResourceResultSchema>;

/** The last (or current) sync operation. */
export const OperationStateSchema = Type.Object(
  {
    phase: Type.Enum(['Running', 'Succeeded', 'Failed', 'Error'], { description: 'Running, Succeeded, Failed (an object was refused) or Error (fetch or render failed).' }),
    message: Type.Optional(Type.String({ description: 'a summary for people.', maxLength: 4096 })),
    startedAt: Type.String({ description: 'when the operation started.', format: 'date-time' }),
    finishedAt: Type.Optional(Type.String({ description: 'when it finished; absent while Running.', format: 'date-time' })),
    revision: Type.Optional(Type.String({ description: 'the revision it applies.', maxLength: 255 })),
    results: Type.Optional(Type.Array(ResourceResultSchema, { description: 'what it did, per object.' })),
    initiatedBy: Type.Optional(
      Type.Enum(['automated', 'manual', 'rollback'], { description: 'automated (auto-sync or self-heal), manual (a sync request) or rollback.' }),
    ),
    syncRequest: Type.Optional(Type.String({ description: 'the id of the sync request it handles (manual syncs and rollbacks).', maxLength: 253 })),
    rollbackTo: Type.Optional(Type.Integer({ description: 'the history id a rollback applies.', format: 'int64', minimum: 0 })),
    retryCount: Type.Optional(Type.Integer({ description: 'how many times this sync was retried after failing.', format: 'int32', minimum: 0 })),
  },
  { description: 'The last (or current) sync operation.' },
);
/** The last (or current) sync operation. */
export type OperationState = Static<typeof OperationStateSchema>;

/** One past sync. */
export const HistoryEntrySchema = Type.Object(
  {
    id: Type.Integer({ description: 'increases by one per sync; a rollback names it.', format: 'int64', minimum: 0 }),
    revision: Type.String({ description: 'the revision applied (a commit, or the chart version).', maxLength: 255 }),
    deployedAt: Type.String({ description: 'when the sync finished.', format: 'date-time' }),
    source: ApplicationSourceSchema,
    destination: Type.Optional(
      Type.Object(
        {
          cluster: Type.String({ description: 'the destination cluster.', maxLength: 253 }),
          namespace: Type.String({ description: 'the destination namespace.', maxLength: 63 }),
        },
        { description: 'where it was applied: a changed destination is a new target for automated sync.' },
      ),
    ),
    changedBy: Type.Optional(
      Type.String({
        description: 'who last changed the Application before this sync (its beamline.dev/changed-by annotation, set at admission); absent when unknown.',
        maxLength: 256,
      }),
    ),
  },
  { description: 'A successful sync: what was applied, when.' },
);
/** A successful sync: what was applied, when. */
export type HistoryEntry = Static<typeof HistoryEntrySchema>;

/** The status of an Application. */
export const ApplicationStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(ObservedGenerationSchema),
    conditions: Type.Optional(ConditionsSchema),
    sync: Type.Optional(
      Type.Object(
        {
          status: SyncStatusCodeSchema,
          revision: Type.Optional(Type.String({ description: 'the revision the source resolved to (a commit, or the chart version).', maxLength: 255 })),
        },
        { description: 'whether the destination matches the source, at which revision.' },
      ),
    ),
    health: Type.Optional(HealthSchema),
    resources: Type.Optional(Type.Array(ResourceStatusSchema, { description: 'the inventory: every object the application owns.' })),
    inventoryDestination: Type.Optional(
      Type.String({
        description:
          "the destination cluster the inventory's objects are in (destination.cluster when they were applied, <clusterNamespace>/<cluster> for a Cluster of another namespace); when the destination cluster changes, the objects left there are pruned there (prune on) or orphaned with an event.",
        maxLength: 253,
      }),
    ),
    operationState: Type.Optional(OperationStateSchema),
    history: Type.Optional(Type.Array(HistoryEntrySchema, { description: 'the last 10 successful syncs, oldest first.', maxItems: 10 })),
    reconciledAt: Type.Optional(Type.String({ description: 'when the source was last compared with the destination.', format: 'date-time' })),
    lastHandledSyncRequest: Type.Optional(Type.String({ description: 'the id of the last sync request (annotation beamline.dev/sync-request) handled.', maxLength: 253 })),
    lastHandledRefresh: Type.Optional(Type.String({ description: 'the last value of the annotation beamline.dev/refresh-requested-at handled.', maxLength: 253 })),
    sourceType: Type.Optional(Type.Enum(['directory', 'kustomize', 'helm'], { description: 'what the source was detected (or declared) to be.' })),
  },
  { description: 'The observed state of the application.' },
);
/** The status of an Application. */
export type ApplicationStatus = Static<typeof ApplicationStatusSchema>;

/** Application: namespaced; what to deliver from git or a Helm repository, to which cluster and namespace. */
export const ApplicationSchema = kindSchema(
  APPLICATION,
  ApplicationSpecSchema,
  ApplicationStatusSchema,
  { description: 'Application delivers the objects of a git path or a Helm chart to a Beamline Cluster (or the management cluster) and namespace.' },
);
/** Application: namespaced; what to deliver from git or a Helm repository, to which cluster and namespace. */
export type Application = Static<typeof ApplicationSchema>;

/**
 * A sync request, as the annotation `beamline.dev/sync-request` carries it (JSON). `beamline app
 * sync` and `beamline app rollback` write it; `kubectl annotate` may write any text, which is
 * read as `{ id: <text> }`.
 */
export interface SyncRequest {
  /** Unique per request: a request is handled once per id. */
  readonly id: string;
  /** Delete objects the source no longer has (default: `syncPolicy.automated.prune`). */
  readonly prune?: boolean;
  /** Apply this history entry instead of the target revision (a rollback). */
  readonly rollbackTo?: number;
}

/** The {@link SyncRequest} of an annotation value; `undefined` for an empty one. */
export function parseSyncRequest(value: string | undefined): SyncRequest | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { id?: unknown }).id === 'string') {
      const { id, prune, rollbackTo } = parsed as { id: string; prune?: unknown; rollbackTo?: unknown };
      return {
        id: id.slice(0, 253),
        ...(typeof prune === 'boolean' ? { prune } : {}),
        ...(typeof rollbackTo === 'number' && Number.isInteger(rollbackTo) && rollbackTo >= 0 ? { rollbackTo } : {}),
      };
    }
  } catch {
    // Not JSON: the text itself is the id (kubectl annotate ... beamline.dev/sync-request=$(date +%s)).
  }
  return { id: value.trim().slice(0, 253) };
}

/** The annotation value of a {@link SyncRequest}. */
export function formatSyncRequest(request: SyncRequest): string {
  return JSON.stringify(request);
}


/** The condition reasons the Application controller sets beyond the common ones. */
export const ApplicationConditionReason = {
  /** An Application's Ready=False: its destination Cluster does not exist (yet) or is not Ready. */
  DestinationNotReady: 'DestinationNotReady',
  /** An Application's Ready=False: the git repository, revision, path or chart cannot be fetched. */
  FetchFailed: 'FetchFailed',
  /** An Application's Ready=False: the source does not render (YAML that does not parse, values that do not render). */
  RenderFailed: 'RenderFailed',
  /**
   * An Application's Ready=False: its project may not deliver there (in-cluster, a Cluster of
   * another namespace that is not a shared cluster it has the namespace on, or an object outside
   * its namespaces of a shared cluster); nothing is applied.
   */
  DestinationNotPermitted: 'DestinationNotPermitted',
  /** An Application's Ready=False: the last sync had objects refused by the destination. */
  SyncFailed: 'SyncFailed',
  /** An Application's Ready=False: the live objects differ from the source (no automated sync, or waiting for one). */
  OutOfSync: 'OutOfSync',
  /** An Application's Ready=False: synced, and objects are not healthy yet (or Degraded). */
  NotHealthy: 'NotHealthy',
} as const;

/** The columns `kubectl get application` prints (Age is appended by the generator). */
export const APPLICATION_PRINTER_COLUMNS = [
  { name: 'Sync', type: 'string', jsonPath: '.status.sync.status', description: 'Synced, OutOfSync or Unknown' },
  { name: 'Health', type: 'string', jsonPath: '.status.health.status', description: 'the aggregated health' },
  { name: 'Revision', type: 'string', jsonPath: '.status.sync.revision', description: 'the revision the source resolved to' },
  { name: 'Dest-Cluster', type: 'string', jsonPath: '.spec.destination.cluster', description: 'the destination Cluster (in-cluster: the management cluster)' },
  { name: 'Dest-Namespace', type: 'string', jsonPath: '.spec.destination.namespace', description: 'the destination namespace' },
  { name: 'Repo', type: 'string', jsonPath: '.spec.source.repoURL', description: 'the git or Helm repository', priority: 1 },
  { name: 'Path', type: 'string', jsonPath: '.spec.source.path', description: 'the path in git', priority: 1 },
  { name: 'Chart', type: 'string', jsonPath: '.spec.source.chart', description: 'the Helm chart', priority: 1 },
  { name: 'Message', type: 'string', jsonPath: '.status.health.message', description: "the health's message", priority: 1 },
] as const satisfies readonly PrinterColumn[];

/** How Application is registered (see `kinds.ts`). */
export const APPLICATION_KIND: KindDefinition = {
  names: APPLICATION,
  schema: ApplicationSchema,
  printerColumns: APPLICATION_PRINTER_COLUMNS,
  subresources: { status: {} },
};
