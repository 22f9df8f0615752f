import { HttpMethod, IsomorphicFetchHttpLibrary, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { KubeApiError } from './errors.ts';

/** An owner reference, as in `metadata.ownerReferences`. */
export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

/**
 * The metadata fields the runtime reads. Objects are plain JSON as the apiserver sends them:
 * timestamps are RFC 3339 strings (unlike client-node's typed models, which turn them into `Date`).
 */
export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly creationTimestamp?: string;
  readonly deletionTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly finalizers?: readonly string[];
  readonly ownerReferences?: readonly OwnerReference[];
}

/** Any Kubernetes object, as plain JSON. */
export interface KubeObject {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: ObjectMeta;
}

/** A list response. */
export interface KubeList<T> {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items: T[];
}

/**
 * A kind and where it is served: what the runtime needs to list, watch and patch it without
 * asking discovery.
 */
export interface ResourceType {
  /** `v1` for the core group, otherwise `<group>/<version>`. */
  readonly apiVersion: string;
  readonly kind: string;
  /** The resource name in URLs: `configmaps`, `clusters`. */
  readonly plural: string;
  readonly namespaced: boolean;
}

/** The request patch formats of the apiserver. */
export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

const PATCH_CONTENT_TYPES: Readonly<Record<PatchType, string>> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** The field manager Beamline writes with. */
export const FIELD_MANAGER = 'beamline';

/** The API group of an apiVersion (`''` for the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** The URL path of a resource collection, object, or subresource. */
export function resourcePath(resource: ResourceType, where: { readonly namespace?: string; readonly name?: string; readonly subresource?: string } = {}): string {
  const parts = [resource.apiVersion.includes('/') ? `/apis/${resource.apiVersion}` : `/api/${resource.apiVersion}`];
  if (resource.namespaced && where.namespace !== undefined) parts.push('namespaces', encodeURIComponent(where.namespace));
  parts.push(resource.plural);
  if (where.name !== undefined) {
    parts.push(encodeURIComponent(where.name));
    if (where.subresource !== undefined) parts.push(where.subresource);
  }
  return parts.join('/');
}

/** Options of {@link KubeClient.request}. */
export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/** Options of {@link KubeClient.patch}. */
export interface PatchOptions {
  readonly subresource?: string;
  readonly fieldManager?: string;
  /** Server-side apply only: take over fields other managers own. */
  readonly force?: boolean;
  readonly signal?: AbortSignal;
}

interface ApiResourceList {
  readonly resources: readonly { readonly name: string; readonly kind: string; readonly namespaced: boolean }[];
}

/**
 * An identity to act as (Kubernetes impersonation): the apiserver authorizes each request as this
 * user in this group, not as the kubeconfig's own credentials (which need the `impersonate` verb).
 * One group only: client-node's request context holds one value per header, and a comma-joined
 * value would be read as a single group name.
 */
export interface Impersonation {
  readonly user: string;
  readonly group?: string;
}

/** Options of {@link KubeClient}. */
export interface KubeClientOptions {
  /** Send every request as this identity. */
  readonly impersonate?: Impersonation;
}

interface StatusBody {
  readonly reason?: string;
  readonly message?: string;
}

/**
 * A small untyped client over client-node's HTTP layer (its authentication, TLS and fetch): plain
 * JSON in and out, any kind, subresources, every patch format. client-node's typed APIs turn
 * timestamps into `Date` and its `KubernetesObjectApi` cannot reach `/status`; controllers over
 * custom kinds want neither limitation.
 */
export class KubeClient {
  readonly #kubeConfig: KubeConfig;
  readonly #http = new IsomorphicFetchHttpLibrary();
  readonly #discovery = new Map<string, Promise<ApiResourceList>>();
  /** Credentials headers and the TLS dispatcher, made once and reused (see {@link KubeClient.request}). */
  #auth: Promise<Authentication> | undefined;
  #authAt = 0;

  readonly #impersonate: Impersonation | undefined;

  /** `options.impersonate`: send every request as that user (and group), as `kubectl --as --as-group` does. */
  constructor(kubeConfig: KubeConfig, options: KubeClientOptions = {}) {
    this.#kubeConfig = kubeConfig;
    this.#impersonate = options.impersonate;
  }

  /**
   * client-node's `applySecurityAuthentication` builds a new undici Agent (a new TLS context,
   * a new connection and handshake) for every request it is called for. Called once here and
   * reused for {@link AUTH_REUSE_MS}, requests share one keep-alive connection pool: on two cores
   * this took a thousand-app sync from TLS-bound to API-bound. Re-made after that time, so rotating
   * credentials (exec plugins, token files) are picked up.
   */
  #authentication(server: string): Promise<Authentication> {
    const now = Date.now();
    if (this.#auth !== undefined && now - this.#authAt < AUTH_REUSE_MS) return this.#auth;
    const previous = this.#auth;
    this.#authAt = now;
    this.#auth = (async () => {
      const probe = new RequestContext(server, HttpMethod.GET);
      await this.#kubeConfig.applySecurityAuthentication(probe);
      return { headers: probe.getHeaders(), dispatcher: probe.getDispatcher() };
    })();
    this.#auth.catch(() => {
      this.#auth = undefined;
    });
    // The old pool finishes the requests it carries, then closes its connections.
    if (previous !== undefined) {
      previous.then((old) => (old.dispatcher as { close?: () => Promise<void> } | undefined)?.close?.()).catch(() => undefined);
    }
    return this.#auth;
  }

  /**
   * Sends one request and returns the parsed JSON body. A non-2xx answer throws a
   * {@link KubeApiError} carrying the status code and the apiserver's `Status` reason and message.
   */
  async request<R>(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<R> {
    const server = this.#kubeConfig.getCurrentCluster()?.server;
    if (server === undefined) throw new Error(`failed to ${method} ${path}: the kubeconfig has no current cluster; set its current-context`);
    const context = new RequestContext(server + path, method);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) context.setQueryParam(key, String(value));
    }
    context.setHeaderParam('Accept', 'application/json');
    context.setHeaderParam('User-Agent', 'beamline');
    if (options.body !== undefined) {
      context.setHeaderParam('Content-Type', options.contentType ?? 'application/json');
      context.setBody(JSON.stringify(options.body));
    }
    if (options.signal !== undefined) context.setSignal(options.signal);
    let status: number;
    let text: string;
    try {
      const auth = await this.#authentication(server);
      for (const [key, value] of Object.entries(auth.headers)) context.setHeaderParam(key, value);
      // Set after the kubeconfig's headers: its own `as` (Impersonate-User) must not win over ours.
      if (this.#impersonate !== undefined) {
        context.setHeaderParam('Impersonate-User', this.#impersonate.user);
        if (this.#impersonate.group !== undefined) context.setHeaderParam('Impersonate-Group', this.#impersonate.group);
      }
      if (auth.dispatcher !== undefined) context.setDispatcher(auth.dispatcher);
      const response = await this.#http.send(context).toPromise();
      status = response.httpStatusCode;
      text = await response.body.text();
    } catch (error) {
      throw new Error(`failed to ${method} ${path}: ${(error as Error).message}`, { cause: error });
    }
    if (status < 200 || status > 299) {
      let body: StatusBody = {};
      try {
        body = JSON.parse(text) as StatusBody;
      } catch {
        // Not a Status object (a proxy in the way): the code says enough.
      }
      const trimmed = text.trim();
      const detail = body.message ?? (trimmed.length > 0 && trimmed.length < 500 ? trimmed : 'no details');
      throw new KubeApiError(`failed to ${method} ${path}: ${status} ${body.reason ?? ''}: ${detail}`.replace(' :', ':'), status, body.reason);
    }
    if (text === '') return undefined as R;
    try {
      return JSON.parse(text) as R;
    } catch (error) {
      throw new Error(`failed to ${method} ${path}: the answer (${status}) is not JSON; is the kubeconfig's server an apiserver?`, { cause: error });
    }
  }

  /** Reads one object; `undefined` when it does not exist. */
  async get<T extends KubeObject>(resource: ResourceType, name: string, namespace?: string, options: { readonly signal?: AbortSignal } = {}): Promise<T | undefined> {
    try {
      return withKind(resource, await this.request<T>('GET', resourcePath(resource, { namespace, name }), { signal: options.signal }));
    } catch (error) {
      if (error instanceof KubeApiError && error.code === 404) return undefined;
      throw error;
    }
  }

  /**
   * Lists every object (following `continue` pages), in one namespace or all. Items get their
   * `apiVersion` and `kind`, which list responses of built-in kinds leave out.
   */
  async list<T extends KubeObject>(
    resource: ResourceType,
    options: { readonly namespace?: string; readonly labelSelector?: string; readonly signal?: AbortSignal } = {},
  ): Promise<KubeList<T>> {
    const items: T[] = [];
    let resourceVersion: string | undefined;
    let token: string | undefined;
    do {
      const page: KubeList<T> = await this.request<KubeList<T>>('GET', resourcePath(resource, { namespace: options.namespace }), {
        query: { limit: 500, continue: token, labelSelector: options.labelSelector },
        signal: options.signal,
      });
      // Every page is served from the first page's snapshot: its resourceVersion is the list's.
      resourceVersion ??= page.metadata?.resourceVersion;
      for (const item of page.items) items.push(withKind(resource, item));
      token = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
    } while (token !== undefined);
    return { apiVersion: resource.apiVersion, kind: `${resource.kind}List`, metadata: { resourceVersion }, items };
  }

  /** Creates an object. */
  async create<T extends KubeObject>(resource: ResourceType, object: T, options: { readonly fieldManager?: string } = {}): Promise<T> {
    const namespace = object.metadata?.namespace;
    return this.request<T>('POST', resourcePath(resource, { namespace }), {
      body: withKind(resource, object),
      query: { fieldManager: options.fieldManager ?? FIELD_MANAGER },
    });
  }

  /** Replaces an object (PUT); `metadata.resourceVersion`, when set, makes it conditional (409 on conflict). */
  async replace<T extends KubeObject>(resource: ResourceType, object: T, options: { readonly subresource?: string; readonly signal?: AbortSignal } = {}): Promise<T> {
    const name = requireName(object, 'replace');
    return this.request<T>('PUT', resourcePath(resource, { namespace: object.metadata?.namespace, name, subresource: options.subresource }), {
      body: withKind(resource, object),
      query: { fieldManager: FIELD_MANAGER },
      signal: options.signal,
    });
  }

  /** Patches an object (or a subresource such as `status`) in the given format. */
  async patch<T extends KubeObject>(resource: ResourceType, name: string, namespace: string | undefined, patch: unknown, type: PatchType, options: PatchOptions = {}): Promise<T> {
    return this.request<T>('PATCH', resourcePath(resource, { namespace, name, subresource: options.subresource }), {
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      query: { fieldManager: options.fieldManager ?? FIELD_MANAGER, force: type === 'apply' ? (options.force ?? true) : undefined },
      signal: options.signal,
    });
  }

  /** Server-side apply of `object` with field manager `beamline` (forced by default). */
  async apply<T extends KubeObject>(resource: ResourceType, object: T, options: PatchOptions = {}): Promise<T> {
    const name = requireName(object, 'apply');
    return this.patch<T>(resource, name, object.metadata?.namespace, withKind(resource, object), 'apply', options);
  }

  /** Deletes an object; `false` when it was already gone. */
  async delete(resource: ResourceType, name: string, namespace?: string, options: { readonly propagationPolicy?: 'Foreground' | 'Background' | 'Orphan' } = {}): Promise<boolean> {
    try {
      await this.request('DELETE', resourcePath(resource, { namespace, name }), {
        body: options.propagationPolicy === undefined ? undefined : { propagationPolicy: options.propagationPolicy },
      });
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.code === 404) return false;
      throw error;
    }
  }

  /** Looks a kind up through discovery (cached per client): its plural and scope. */
  async resourceFor(apiVersion: string, kind: string): Promise<ResourceType> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let list = this.#discovery.get(apiVersion);
    if (list === undefined) {
      list = this.request<ApiResourceList>('GET', path);
      this.#discovery.set(apiVersion, list);
      list.catch(() => this.#discovery.delete(apiVersion));
    }
    let resources: ApiResourceList['resources'];
    try {
      resources = (await list).resources;
    } catch (error) {
      // No such group/version at all: say which kind was wanted, not only the URL that failed.
      if (error instanceof KubeApiError && error.code === 404) throw new KubeApiError(notServed(apiVersion, kind), 404, error.reason, { cause: error });
      throw error;
    }
    const found = resources.find((entry) => entry.kind === kind && !entry.name.includes('/'));
    if (found === undefined) {
      this.#discovery.delete(apiVersion);
      throw new Error(notServed(apiVersion, kind));
    }
    return { apiVersion, kind, plural: found.name, namespaced: found.namespaced };
  }
}

/** The message when discovery does not list a kind: what is missing and what to do. */
function notServed(apiVersion: string, kind: string): string {
  return `kind ${kind} (${apiVersion}) is not served by the cluster; install its CRD`;
}

/** How long one set of credentials and its connection pool is reused. */
const AUTH_REUSE_MS = 5 * 60_000;

/** What `applySecurityAuthentication` gives a request: headers and the TLS dispatcher. */
interface Authentication {
  readonly headers: Record<string, string>;
  readonly dispatcher: ReturnType<RequestContext['getDispatcher']>;
}

const clients = new WeakMap<KubeConfig, KubeClient>();

/** The {@link KubeClient} of a kubeconfig, made once and reused (its discovery cache with it). */
export function clientFor(kubeConfig: KubeConfig): KubeClient {
  let client = clients.get(kubeConfig);
  if (client === undefined) {
    client = new KubeClient(kubeConfig);
    clients.set(kubeConfig, client);
  }
  return client;
}

function withKind<T extends KubeObject>(resource: ResourceType, object: T): T {
  if (object.apiVersion !== undefined && object.kind !== undefined) return object;
  return { ...object, apiVersion: resource.apiVersion, kind: resource.kind };
}

function requireName(object: KubeObject, verb: string): string {
  const name = object.metadata?.name;
  if (name === undefined) throw new Error(`failed to ${verb} ${object.kind ?? 'object'}: metadata.name is not set`);
  return name;
}
