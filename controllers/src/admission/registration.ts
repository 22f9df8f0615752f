/**
 * The webhook configurations that send Beamline's admission requests to this manager: the
 * ValidatingWebhookConfiguration `beamline-quota` (quota, and what project owners may change in
 * their Project) and the MutatingWebhookConfiguration
 * `beamline-changed-by`, both pointing at `https://127.0.0.1:<port>` with the admission CA as
 * caBundle. Written by server-side apply at every start: every manager registers its own URL, the
 * last one started wins; a manager repairs a registration whose server no longer answers, and
 * removes its own when it stops (see docs/design/admission.md).
 */
import { request as httpsRequest } from 'node:https';
import { CLUSTER, GROUP, NODE_GROUP, PROJECT, PROJECT_LABEL } from '@beamline/api';
import { isConflict, isNotFound, resourcePath, type KubeClient, type KubeObject, type ResourceType } from '@beamline/kube';

/** The validating configuration (quota and templates). */
export const QUOTA_WEBHOOK_CONFIGURATION = 'beamline-quota';
/** The mutating configuration (the changed-by stamp). */
export const CHANGED_BY_WEBHOOK_CONFIGURATION = 'beamline-changed-by';
/** The path the apiserver posts quota reviews to. */
export const QUOTA_PATH = '/validate/quota';
/** The path the apiserver posts Project updates to (what an owner may change). */
export const PROJECT_PATH = '/validate/project';
/** The path the apiserver posts changed-by reviews to. */
export const CHANGED_BY_PATH = '/mutate/changed-by';

/** The two configuration kinds, as the client addresses them. */
export const VALIDATING_WEBHOOK_CONFIGURATIONS: ResourceType = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingWebhookConfiguration',
  plural: 'validatingwebhookconfigurations',
  namespaced: false,
};
/** See {@link VALIDATING_WEBHOOK_CONFIGURATIONS}. */
export const MUTATING_WEBHOOK_CONFIGURATIONS: ResourceType = {
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'MutatingWebhookConfiguration',
  plural: 'mutatingwebhookconfigurations',
  namespaced: false,
};

/** A label selector, as webhook configurations take it. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly { readonly key: string; readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; readonly values?: readonly string[] }[];
}

/** Options of {@link webhookConfigurations}. */
export interface WebhookRegistration {
  /** `https://127.0.0.1:<port>`: the server's base URL. */
  readonly baseUrl: string;
  /** PEM of the CA that signed the serving certificate. */
  readonly caPem: string;
  /** Which namespaces' requests are sent. Default: those labelled PROJECT_LABEL (any value). */
  readonly namespaceSelector?: LabelSelector;
  /** The configurations' names. Default {@link QUOTA_WEBHOOK_CONFIGURATION} and {@link CHANGED_BY_WEBHOOK_CONFIGURATION}. */
  readonly names?: { readonly quota: string; readonly changedBy: string };
  /**
   * Which Projects' updates are sent (an `objectSelector`). Default: every Project. Projects are
   * cluster-scoped, so the namespaceSelector cannot narrow them; tests narrow by a label of theirs.
   */
  readonly projectSelector?: LabelSelector;
}

/**
 * The CEL match condition that skips the Project webhook for whoever may update every Project
 * (platform admins), decided by the apiserver's own authorizer: their changes never wait on the
 * manager, and they can still repair a Project while no manager answers (failurePolicy Fail).
 */
export const NOT_PROJECT_ADMIN_CONDITION = `!authorizer.group('${GROUP}').resource('${PROJECT.plural}').check('update').allowed()`;

/** Every namespace of a project. */
export const PROJECT_NAMESPACES: LabelSelector = { matchExpressions: [{ key: PROJECT_LABEL, operator: 'Exists' }] };

/** The two configurations to apply: validating (quota) and mutating (changed-by). */
export function webhookConfigurations(options: WebhookRegistration): { readonly validating: KubeObject; readonly mutating: KubeObject } {
  const caBundle = Buffer.from(options.caPem, 'utf8').toString('base64');
  const namespaceSelector = options.namespaceSelector ?? PROJECT_NAMESPACES;
  const common = {
    namespaceSelector,
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    matchPolicy: 'Equivalent',
    timeoutSeconds: 5,
  };
  const validating = {
    apiVersion: VALIDATING_WEBHOOK_CONFIGURATIONS.apiVersion,
    kind: VALIDATING_WEBHOOK_CONFIGURATIONS.kind,
    metadata: { name: options.names?.quota ?? QUOTA_WEBHOOK_CONFIGURATION },
    webhooks: [
      {
        name: 'quota.beamline.dev',
        clientConfig: { url: `${options.baseUrl}${QUOTA_PATH}`, caBundle },
        rules: [
          { apiGroups: [GROUP], apiVersions: ['*'], operations: ['CREATE'], resources: [CLUSTER.plural], scope: 'Namespaced' },
          { apiGroups: [GROUP], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: [NODE_GROUP.plural, `${NODE_GROUP.plural}/scale`], scope: 'Namespaced' },
        ],
        // A quota that cannot be checked is not granted: refuse while the webhook is down.
        failurePolicy: 'Fail',
        ...common,
      },
      {
        // Second, so that `webhooks[0]` stays the quota webhook whose URL the keep-registered loop reads.
        name: 'project-owner.beamline.dev',
        clientConfig: { url: `${options.baseUrl}${PROJECT_PATH}`, caBundle },
        // The main resource only: status is the controller's, and owners have no RBAC for it.
        rules: [{ apiGroups: [GROUP], apiVersions: ['*'], operations: ['UPDATE'], resources: [PROJECT.plural], scope: 'Cluster' }],
        // The apiserver applies the namespaceSelector to namespaced objects only: a cluster-scoped Project is never skipped by it.
        ...(options.projectSelector === undefined ? {} : { objectSelector: options.projectSelector }),
        matchConditions: [{ name: 'not-platform-admin', expression: NOT_PROJECT_ADMIN_CONDITION }],
        // An owner's change that cannot be checked could be a quota lifted: refuse while the webhook is down.
        failurePolicy: 'Fail',
        ...common,
      },
    ],
  };
  const mutating = {
    apiVersion: MUTATING_WEBHOOK_CONFIGURATIONS.apiVersion,
    kind: MUTATING_WEBHOOK_CONFIGURATIONS.kind,
    metadata: { name: options.names?.changedBy ?? CHANGED_BY_WEBHOOK_CONFIGURATION },
    webhooks: [
      {
        name: 'changed-by.beamline.dev',
        clientConfig: { url: `${options.baseUrl}${CHANGED_BY_PATH}`, caBundle },
        // `*`: every namespaced Beamline kind, main resources only (a status write is no change of what was asked for;
        // cluster-scoped kinds are the platform's, outside any project namespace).
        rules: [{ apiGroups: [GROUP], apiVersions: ['*'], operations: ['CREATE', 'UPDATE'], resources: ['*'], scope: 'Namespaced' }],
        // The stamp is a record, not a guard: a manager that is down must not block every change.
        failurePolicy: 'Ignore',
        reinvocationPolicy: 'Never',
        ...common,
      },
    ],
  };
  return { validating, mutating };
}

/** Applies both configurations (server-side apply, forced: this manager's URL and CA win). */
export async function registerWebhooks(client: KubeClient, options: WebhookRegistration): Promise<void> {
  const { validating, mutating } = webhookConfigurations(options);
  await client.apply(VALIDATING_WEBHOOK_CONFIGURATIONS, validating);
  await client.apply(MUTATING_WEBHOOK_CONFIGURATIONS, mutating);
}

/** What the quota configuration names: the URL, the CA (PEM) and the resourceVersion; `undefined` when it is missing. */
export interface RegisteredWebhook {
  readonly url: string | undefined;
  readonly caPem: string | undefined;
  readonly resourceVersion: string | undefined;
}

/** The registered quota webhook, or `undefined` when the configuration is missing. */
export async function registeredQuotaWebhook(client: KubeClient, names?: WebhookRegistration['names']): Promise<RegisteredWebhook | undefined> {
  const configuration = await client.get<KubeObject & { webhooks?: { clientConfig?: { url?: string; caBundle?: string } }[] }>(
    VALIDATING_WEBHOOK_CONFIGURATIONS,
    names?.quota ?? QUOTA_WEBHOOK_CONFIGURATION,
  );
  if (configuration === undefined) return undefined;
  const clientConfig = configuration.webhooks?.[0]?.clientConfig;
  return {
    url: clientConfig?.url,
    caPem: clientConfig?.caBundle === undefined ? undefined : Buffer.from(clientConfig.caBundle, 'base64').toString('utf8'),
    resourceVersion: configuration.metadata?.resourceVersion,
  };
}

/**
 * Whether the registered webhook answers as the apiserver would reach it: its server's
 * `/healthz` at the registered URL, over TLS trusting the registered caBundle, within two seconds.
 * The registration of a manager that crashed names a port nobody serves.
 */
export function registrationAnswers(registered: RegisteredWebhook): Promise<boolean> {
  if (registered.url === undefined || registered.caPem === undefined) return Promise.resolve(false);
  return webhookAnswers(registered.url, registered.caPem);
}

/**
 * Whether a webhook server answers at `url` (its `/healthz`, over TLS with `caPem`) within two
 * seconds: the registration of a manager that crashed names a port nobody serves.
 */
export function webhookAnswers(url: string, caPem: string): Promise<boolean> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL('/healthz', url);
    } catch {
      resolve(false);
      return;
    }
    const request = httpsRequest(target, { method: 'GET', ca: caPem, timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
    request.end();
  });
}

/**
 * Deletes both configurations, on the condition that the quota one is still at `resourceVersion`
 * (another manager that registered since keeps its registration).
 */
export async function unregisterWebhooks(client: KubeClient, resourceVersion: string | undefined, names?: WebhookRegistration['names']): Promise<void> {
  const preconditions = resourceVersion === undefined ? undefined : { resourceVersion };
  try {
    await client.request('DELETE', resourcePath(VALIDATING_WEBHOOK_CONFIGURATIONS, { name: names?.quota ?? QUOTA_WEBHOOK_CONFIGURATION }), {
      body: { apiVersion: 'v1', kind: 'DeleteOptions', ...(preconditions === undefined ? {} : { preconditions }) },
    });
  } catch (error) {
    // Gone already, or re-registered by another manager since it was read (409): leave it.
    if (isNotFound(error) || isConflict(error)) return;
    throw error;
  }
  await client.delete(MUTATING_WEBHOOK_CONFIGURATIONS, names?.changedBy ?? CHANGED_BY_WEBHOOK_CONFIGURATION);
}
