/**
 * Installs the Beamline API into a cluster: CRDs, admission policies, the PlatformConfig and
 * (optionally) templates, by server-side apply, then waits until the API is usable: CRDs
 * Established and the admission policies enforced. Used by `beamline up` and by tests (safe to run
 * concurrently from several test files: every step is an idempotent apply).
 */
import {
  ApiextensionsV1Api,
  KubernetesObjectApi,
  loadYaml,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { admissionPolicies, customResourceDefinitions, defaultPlatformConfig, NODE_GROUP_POLICY, CLUSTER_TEMPLATE_POLICY } from './generate.ts';
import { API_VERSION, CLUSTER_TEMPLATE, NODE_GROUP, type ClusterTemplate, type PlatformConfig } from '@beamline/api';
import { rbacObjects } from './rbac.ts';

/** Options of {@link installApi}. */
export interface InstallApiOptions {
  /** The server-side apply field manager (default `beamline`). */
  readonly fieldManager?: string;
  /**
   * The PlatformConfig. Given: server-side applied (forced), so the cluster's becomes this one.
   * Absent: {@link defaultPlatformConfig} is created if there is none, and an existing one (the
   * operator's catalogue) is left alone. `false`: none is touched.
   */
  readonly platformConfig?: PlatformConfig | false;
  /**
   * ClusterTemplates to create after the policies are enforced (default none). A template that
   * exists is left alone: templates are versioned, never edited (its spec is immutable).
   */
  readonly templates?: readonly ClusterTemplate[];
  /** A namespace that exists, for the dry-run probes of the NodeGroup policy (default `default`). */
  readonly probeNamespace?: string;
  /** Bound on each wait (default 60 s). */
  readonly timeoutMs?: number;
}

/** The HTTP status and Status message of a failed client-node call. */
function failure(error: unknown): { readonly code: number; readonly message: string } {
  const e = error as { code?: number; body?: unknown; message?: string };
  let message = e.message ?? String(error);
  if (typeof e.body === 'string') {
    try {
      message = (JSON.parse(e.body) as { message?: string }).message ?? e.body;
    } catch {
      message = e.body;
    }
  } else if (typeof e.body === 'object' && e.body !== null) {
    message = (e.body as { message?: string }).message ?? JSON.stringify(e.body);
  }
  return { code: e.code ?? -1, message };
}

async function poll<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = failure(error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === '' ? '' : `: ${last}`}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A generated manifest as client-node's typed model (its serializer drops wire names like `x-kubernetes-validations` on plain objects). */
function typed(manifest: unknown): KubernetesObject {
  return loadYaml<KubernetesObject>(stringify(manifest));
}

/**
 * Installs (or updates) the API: applies the CRDs and waits until they are Established, applies
 * the admission policies and the tenancy ClusterRoles (`rbac.ts`), creates or applies the PlatformConfig (see
 * {@link InstallApiOptions.platformConfig}), waits until both policies refuse a bad object (a
 * dry-run create: policy enforcement lags the policy's creation by a second or so), then creates
 * the missing `templates`. Idempotent, and safe to run concurrently (test files do).
 */
export async function installApi(kubeConfig: KubeConfig, options: InstallApiOptions = {}): Promise<void> {
  const fieldManager = options.fieldManager ?? 'beamline';
  const timeoutMs = options.timeoutMs ?? 60_000;
  const probeNamespace = options.probeNamespace ?? 'default';
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  const extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const apply = (object: KubernetesObject): Promise<KubernetesObject> =>
    objects.patch(object, undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply);

  const definitions = customResourceDefinitions();
  for (const definition of definitions) await apply(typed(definition));
  for (const definition of definitions) {
    await poll(`CRD ${definition.metadata.name} Established`, timeoutMs, async () => {
      const read = await extensions.readCustomResourceDefinition({ name: definition.metadata.name });
      return read.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true ? true : undefined;
    });
  }
  for (const { policy, binding } of admissionPolicies()) {
    await apply(typed(policy));
    await apply(typed(binding));
  }
  // The tenancy roles: a Project's bindings name them, so they come with the API.
  for (const object of rbacObjects()) await apply(typed(object));
  // A CRD's endpoint may lag its Established condition by a moment: retry the first object.
  if (options.platformConfig === undefined) {
    await poll('PlatformConfig created', timeoutMs, async () => createIfMissing(objects, defaultPlatformConfig(), fieldManager));
  } else if (options.platformConfig !== false) {
    const platformConfig = options.platformConfig;
    await poll('PlatformConfig applied', timeoutMs, async () => apply(platformConfig));
  }

  await poll(`policy ${NODE_GROUP_POLICY} enforced`, timeoutMs, async () => {
    const probe = {
      apiVersion: API_VERSION,
      kind: NODE_GROUP.kind,
      metadata: { name: 'probe-policy', namespace: probeNamespace },
      spec: { clusterName: 'probe', flavor: 'beamline-probe.unknown', replicas: 0 },
    };
    return (await refusedByPolicy(objects.create(probe, undefined, 'All'), NODE_GROUP_POLICY)) ? true : undefined;
  });
  await poll(`policy ${CLUSTER_TEMPLATE_POLICY} enforced`, timeoutMs, async () => {
    const probe = {
      apiVersion: API_VERSION,
      kind: CLUSTER_TEMPLATE.kind,
      metadata: { name: 'beamline-probe-policy' },
      spec: { kubernetesVersion: '0.0.0', controlPlane: { replicas: 1, flavor: 'beamline-probe.unknown' } },
    };
    return (await refusedByPolicy(objects.create(probe, undefined, 'All'), CLUSTER_TEMPLATE_POLICY)) ? true : undefined;
  });
  for (const template of options.templates ?? []) {
    await poll(`ClusterTemplate ${template.metadata.name ?? ''} created`, timeoutMs, async () => createIfMissing(objects, template, fieldManager));
  }
}

/** Creates an object unless one of that name exists. */
async function createIfMissing(objects: KubernetesObjectApi, object: KubernetesObject, fieldManager: string): Promise<true> {
  // Read first: admission runs before the existence check, so creating an object that exists can
  // fail on a policy (e.g. one whose parameter kind the apiserver has not rediscovered since a
  // restart) instead of answering 409.
  try {
    await objects.read({ apiVersion: object.apiVersion, kind: object.kind, metadata: { name: object.metadata?.name ?? '', namespace: object.metadata?.namespace } });
    return true;
  } catch (error) {
    if (failure(error).code !== 404) throw error;
  }
  try {
    await objects.create(object, undefined, undefined, fieldManager);
  } catch (error) {
    if (failure(error).code !== 409) throw error;
  }
  return true;
}

/** Whether a (dry-run) call was refused by the named ValidatingAdmissionPolicy; other failures throw. */
async function refusedByPolicy(call: Promise<unknown>, policyName: string): Promise<boolean> {
  try {
    await call;
    return false;
  } catch (error) {
    const { message } = failure(error);
    if (message.includes(`ValidatingAdmissionPolicy '${policyName}'`)) return true;
    throw error;
  }
}
