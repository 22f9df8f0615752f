import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { API_VERSION, APPLICATION, CLUSTER, GROUP, type Application, type Cluster, type Identity } from '@beamline/api';
import { HttpError, InputError, NotAllowedError, NotFoundError, ServiceUnavailableError, UnauthorizedError } from '@beamline/errors';
import type { KubeClient, KubeObject, ResourceType } from '@beamline/kube';
import type { AccessReviewer, AccessQuery } from './access.ts';
import { EventStream } from './events.ts';
import type { PortalMetrics } from './metrics.ts';
import type { KubeUpstream } from './kube-upstream.ts';
import { readClusterNodes, type NodesView } from './nodes.ts';
import { OidcClient, type OidcFetch } from './oidc.ts';
import type { AppRow, ClusterRow, PlatformView } from './fleet.ts';
import type { PortalCache, PortalChange } from './portal-cache.ts';
import type { Previewer, PreviewView } from './preview.ts';
import { GpuUsageSampler } from './gpu-usage.ts';
import { ReconcileSampler, type ReconcileMetricsReader, type ReconcilersView } from './reconcilers.ts';
import { APPLICATION_FACETS, CLUSTER_FACETS, pageOf, parseApplicationQuery, parseClusterQuery, visibilityKey, VisibleRows, type ListPage, type Visibility } from './views.ts';
import {
  CSRF_HEADER,
  csrfMatches,
  DEFAULT_SESSION_MAX_AGE_S,
  kubernetesIdentity,
  LOGIN_COOKIE,
  LOGIN_MAX_AGE_S,
  openLoginState,
  openSession,
  randomToken,
  sealLoginState,
  sealSession,
  SESSION_COOKIE,
  type Session,
} from './session.ts';

/** Event streams one session may hold open; a new one beyond closes the oldest (a tab reloaded many times). */
export const MAX_STREAMS_PER_SESSION = 4;

/** The largest body the proxy forwards: 4 MiB (a big ConfigMap or CRD, not a file store). */
export const MAX_PROXY_BODY_BYTES = 4 * 1024 * 1024;

/** 429: too many requests from one session or address. */
export class TooManyRequestsError extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(429, message, options);
  }
}

/** Requests per minute, per session (logged in) and per address (not). */
export interface PortalRateLimits {
  readonly perSession: number;
  readonly perAddress: number;
}

/** Generous: a dashboard polling several views, and the fleet benchmark's 200 requests/s, stay under it. */
export const DEFAULT_RATE_LIMITS: PortalRateLimits = { perSession: 30_000, perAddress: 1_200 };

/** What the portal's routes run on. */
export interface PortalDeps {
  readonly cache: PortalCache;
  readonly upstream: KubeUpstream;
  readonly access: AccessReviewer;
  /** The manager's own client (the session key Secret, the client secret). */
  readonly client: KubeClient;
  /** The session key, loaded (or created) once. */
  readonly sessionKey: () => Promise<Buffer>;
  /** The management apiserver's URL and CA, for `/api/auth/config`. */
  readonly managementServer: { readonly server: string; readonly certificateAuthority?: string };
  readonly logger: Logger;
  /** The manager's URL as browsers reach it (`<publicUrl>/auth/callback` is the redirect URI); default: the request's loopback origin. */
  readonly publicUrl?: string;
  readonly sessionMaxAgeS?: number;
  readonly rateLimits?: PortalRateLimits;
  /** The issuer to use instead of PlatformConfig `spec.identity` (tests beside others sharing the singleton, the benchmark). */
  readonly identity?: () => Identity | undefined;
  /** Wraps the OIDC client's fetch (tests forge an issuer's answers with it). */
  readonly wrapOidcFetch?: (inner: OidcFetch) => OidcFetch;
  /** Counters of logins, proxied requests and open streams. */
  readonly metrics?: PortalMetrics;
  /** The manager's cumulative reconcile metrics, for the reconciler panel's durations and rates. */
  readonly reconcileMetrics?: ReconcileMetricsReader;
  /** Runs sync previews; without it `/api/applications/:namespace/:name/preview` answers 503. */
  readonly previewer?: Previewer;
}

const SECRETS: ResourceType = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true };
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** How long the first request for a view waits for the views' informers to list (they start with it). */
const VIEWS_SYNC_WAIT_MS = 15_000;
/** Request headers the proxy forwards; everything else (cookies, Authorization, Impersonate-*, the CSRF token) stays here. */
const FORWARDED_REQUEST_HEADERS = ['accept', 'accept-encoding', 'content-type'];
/** Response headers the proxy passes back. */
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'content-encoding', 'cache-control', 'audit-id', 'warning', 'retry-after'];
const NAME_PATTERN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const VERB_PATTERN = /^[a-z*]{1,32}$/;

declare module 'fastify' {
  interface FastifyRequest {
    /** The session of the request's cookie, once {@link PortalRoutes.authenticate} ran. */
    portalSession: Session | null;
  }
}

const CLUSTERS: ResourceType = { apiVersion: API_VERSION, kind: CLUSTER.kind, plural: CLUSTER.plural, namespaced: true };
const APPLICATIONS: ResourceType = { apiVersion: API_VERSION, kind: APPLICATION.kind, plural: APPLICATION.plural, namespaced: true };

/** `:namespace` and `:name` of a route, checked (a 400 names the parameter). */
function objectParams(params: Record<string, unknown>): { namespace: string; name: string } {
  const read = (field: string): string => {
    const value = params[field];
    if (typeof value !== 'string' || !NAME_PATTERN.test(value)) throw new InputError(`path parameter ${field} is not a valid name`);
    return value;
  };
  return { namespace: read('namespace'), name: read('name') };
}

/** A short reason for an error of a workload cluster: a timeout said as such, else its message cut (no credentials are in these). */
function describe(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no answer within the time allowed';
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

function nowS(): number {
  return Math.floor(Date.now() / 1000);
}

/** Cookie attributes: HttpOnly (no script reads it), Secure, SameSite=Lax (sent on top-level navigations only, so cross-site POSTs carry none). */
function cookieOptions(path: string, maxAgeS: number): { httpOnly: true; secure: true; sameSite: 'lax'; path: string; maxAge: number } {
  return { httpOnly: true, secure: true, sameSite: 'lax', path, maxAge: Math.max(0, maxAgeS) };
}

/**
 * The portal's HTTP surface (see `docs/design/portal-server.md`), registered as one encapsulated
 * Fastify plugin so its cookie parser, security headers and rate limits stay off the manager's
 * probes and webhook.
 */
export class PortalRoutes {
  readonly #deps: PortalDeps;
  readonly #revoked = new Map<string, number>();
  readonly #streams = new Map<string, Set<EventStream>>();
  #oidc: { key: string; client: Promise<OidcClient> } | undefined;
  #fleetViews: { version: number; views: Map<string, string> } = { version: -1, views: new Map() };
  readonly #visibleClusters = new VisibleRows<ClusterRow>();
  readonly #visibleApps = new VisibleRows<AppRow>();
  readonly #sampler: ReconcileSampler;
  readonly #gpuUsage: GpuUsageSampler;

  constructor(deps: PortalDeps) {
    this.#deps = deps;
    this.#sampler = new ReconcileSampler({ index: deps.cache.index, ...(deps.reconcileMetrics === undefined ? {} : { metrics: deps.reconcileMetrics }) });
    this.#gpuUsage = new GpuUsageSampler({ index: deps.cache.index, client: deps.client, logger: deps.logger });
  }

  /** Closes every event stream and stops the reconciler panel's and GPU use's samplers (the manager is stopping). */
  stop(): void {
    this.#sampler.stop();
    this.#gpuUsage.stop();
    this.closeStreams();
  }

  /** Closes every event stream (the manager is stopping). */
  closeStreams(): void {
    for (const streams of this.#streams.values()) for (const stream of streams) stream.close();
  }

  /** Registers the routes on `app`. */
  register(app: FastifyInstance): void {
    void app.register(async (scope) => {
      await scope.register(fastifyCookie);
      await scope.register(fastifyHelmet, {
        // JSON and event streams only: nothing may load, frame or run from them (the app's pages have their own CSP: static.ts).
        contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"] } },
        crossOriginResourcePolicy: { policy: 'same-origin' },
        referrerPolicy: { policy: 'no-referrer' },
      });
      const limits = this.#deps.rateLimits ?? DEFAULT_RATE_LIMITS;
      await scope.register(fastifyRateLimit, {
        timeWindow: 60_000,
        keyGenerator: (request) => this.#rateLimitKey(request),
        max: (_request, key) => (key.startsWith('s:') ? limits.perSession : limits.perAddress),
        errorResponseBuilder: (_request, context) => new TooManyRequestsError(`too many requests: at most ${String(context.max)} a minute; retry in ${context.after}`),
      });
      scope.decorateRequest('portalSession', null);
      // Answers are per user (and /api/session carries the CSRF token): no cache keeps them. The
      // proxy passes the apiserver's own cache-control over this when it sends one.
      scope.addHook('onRequest', (_request, reply, done) => {
        void reply.header('cache-control', 'no-store');
        done();
      });

      scope.get('/api/auth/config', () => this.#authConfig());
      scope.get('/auth/login', (request, reply) => this.#login(request, reply));
      scope.get('/auth/callback', (request, reply) => this.#callback(request, reply));
      scope.post('/auth/logout', (request, reply) => this.#logout(request, reply));
      scope.get('/api/session', (request) => this.#session(request));
      scope.get('/api/fleet', async (request, reply) => this.#fleet(await this.#authenticate(request), reply));
      scope.get('/api/platform', async (request) => {
        await this.#authenticate(request);
        return this.#platform();
      });
      scope.get('/api/clusters', async (request) => this.#clusters(await this.#authenticate(request), request.query as Record<string, unknown>));
      scope.get('/api/clusters/:namespace/:name/nodes', async (request) => this.#clusterNodes(await this.#authenticate(request), request.params as Record<string, unknown>));
      scope.get('/api/applications/:namespace/:name/preview', async (request) =>
        this.#preview(await this.#authenticate(request), request.params as Record<string, unknown>, request.query as Record<string, unknown>),
      );
      scope.get('/api/applications', async (request) => this.#applications(await this.#authenticate(request), request.query as Record<string, unknown>));
      scope.get('/api/reconcilers', async (request) => this.#reconcilers(await this.#authenticate(request)));
      scope.get('/api/projects/usage', async (request) => this.#projectsUsage(await this.#authenticate(request)));
      scope.get('/api/access', async (request) => this.#accessCheck(await this.#authenticate(request), request.query as Record<string, unknown>));
      scope.get('/api/events', async (request, reply) => this.#events(await this.#authenticate(request), request, reply));

      // The proxy reads bodies as bytes (any content type: JSON, merge and apply patches, YAML) up to the limit.
      await scope.register((kube, _options, registered) => {
        kube.removeAllContentTypeParsers();
        kube.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_PROXY_BODY_BYTES }, (_request, body, done) => done(null, body));
        kube.all('/api/kube/*', async (request, reply) => this.#proxy(await this.#authenticate(request), request, reply));
        registered();
      });
    });
  }

  /**
   * The request's session, or a 401 (no cookie, forged, altered, expired, logged out); for a
   * state-changing method also the CSRF token, or a 403.
   */
  async #authenticate(request: FastifyRequest): Promise<Session> {
    if (request.portalSession !== null) return request.portalSession;
    const cookie = request.cookies[SESSION_COOKIE];
    if (cookie === undefined) throw new UnauthorizedError('not logged in: log in at /auth/login');
    const session = openSession(await this.#deps.sessionKey(), cookie, nowS());
    if (session === undefined || this.#revoked.has(session.sid)) throw new UnauthorizedError('the session is not valid or has expired: log in again at /auth/login');
    if (!SAFE_METHODS.has(request.method) && !csrfMatches(session, request.headers[CSRF_HEADER])) {
      throw new NotAllowedError(`missing or wrong ${CSRF_HEADER} header: send the csrfToken of GET /api/session with every state-changing call`);
    }
    request.portalSession = session;
    return session;
  }

  /**
   * `GET /api/session`: who is logged in, or `{ authenticated: false }` (200, not 401) without a
   * valid session, so the app's first question before login leaves no error in the browser's
   * console. Every other route still answers 401.
   */
  async #session(request: FastifyRequest): Promise<Record<string, unknown>> {
    let session: Session;
    try {
      session = await this.#authenticate(request);
    } catch (error) {
      if (error instanceof UnauthorizedError) return { authenticated: false };
      throw error;
    }
    return { authenticated: true, user: session.user, groups: session.groups, csrfToken: session.csrf, expiresAt: new Date(session.exp * 1000).toISOString() };
  }

  async #rateLimitKey(request: FastifyRequest): Promise<string> {
    const cookie = request.cookies[SESSION_COOKIE];
    if (cookie !== undefined) {
      try {
        // Only a session this key sealed counts as one: random cookies do not buy fresh buckets.
        const session = openSession(await this.#deps.sessionKey(), cookie, nowS());
        if (session !== undefined) return `s:${session.sid}`;
      } catch {
        // The key is not loaded yet: count by address.
      }
    }
    return `ip:${request.ip}`;
  }

  #identity(): Identity {
    let identity: Identity | undefined;
    if (this.#deps.identity !== undefined) {
      identity = this.#deps.identity();
    } else {
      if (!this.#deps.cache.identitySynced) throw new ServiceUnavailableError('the portal is starting: the PlatformConfig has not been read yet; retry in a few seconds');
      identity = this.#deps.cache.index.identity();
    }
    if (identity === undefined) throw new NotFoundError('no identity provider is configured: set spec.identity of PlatformConfig beamline');
    return identity;
  }

  #authConfig(): Record<string, unknown> {
    const identity = this.#identity();
    return {
      issuer: identity.issuer,
      clientID: identity.clientID,
      ...(identity.certificateAuthority === undefined ? {} : { certificateAuthority: identity.certificateAuthority }),
      usernameClaim: identity.usernameClaim ?? 'email',
      usernamePrefix: identity.usernamePrefix ?? 'oidc:',
      groupsClaim: identity.groupsClaim ?? 'groups',
      groupsPrefix: identity.groupsPrefix ?? 'oidc:',
      managementServer: this.#deps.managementServer.server,
      managementCertificateAuthority: this.#deps.managementServer.certificateAuthority ?? null,
    };
  }

  #publicUrl(request: FastifyRequest): string {
    if (this.#deps.publicUrl !== undefined) return this.#deps.publicUrl.replace(/\/$/, '');
    // Without a configured URL only a loopback origin is trusted: the Host header is the client's to write.
    const host = request.host;
    if (!/^(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?$/.test(host)) throw new NotFoundError('the portal has no public URL configured: start the manager with its public URL');
    return `http://${host}`;
  }

  async #oidcClient(identity: Identity, redirectUri: string): Promise<OidcClient> {
    const secretRef = identity.clientSecretRef;
    const key = JSON.stringify([identity.issuer, identity.clientID, identity.certificateAuthority ?? '', secretRef ?? null, redirectUri]);
    if (this.#oidc?.key !== key) {
      const client = (async () => {
        let clientSecret: string | undefined;
        if (secretRef !== undefined) {
          const secret = await this.#deps.client.get<KubeObject & { data?: Record<string, string> }>(SECRETS, secretRef.name, secretRef.namespace);
          const encoded = secret?.data?.[secretRef.key];
          if (encoded === undefined) throw new ServiceUnavailableError(`the OIDC client secret ${secretRef.namespace}/${secretRef.name} key ${secretRef.key} does not exist`);
          clientSecret = Buffer.from(encoded, 'base64').toString('utf8');
        }
        return OidcClient.discover({ identity, redirectUri, ...(clientSecret === undefined ? {} : { clientSecret }), ...(this.#deps.wrapOidcFetch === undefined ? {} : { wrapFetch: this.#deps.wrapOidcFetch }) });
      })();
      this.#oidc = { key, client };
      // A failed discovery is not kept: the next login tries again.
      client.catch(() => {
        if (this.#oidc?.client === client) this.#oidc = undefined;
      });
    }
    try {
      return await this.#oidc.client;
    } catch (error) {
      if (error instanceof HttpError) throw error;
      this.#deps.logger.warn({ err: (error as Error).message, issuer: identity.issuer }, 'failed to discover the OIDC issuer');
      throw new ServiceUnavailableError('the identity provider cannot be reached: see the manager log', { cause: error });
    }
  }

  async #login(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const identity = this.#identity();
    const oidc = await this.#oidcClient(identity, `${this.#publicUrl(request)}/auth/callback`);
    const login = await oidc.start();
    const sealed = sealLoginState(await this.#deps.sessionKey(), { state: login.state, nonce: login.nonce, verifier: login.verifier, exp: nowS() + LOGIN_MAX_AGE_S });
    return reply.setCookie(LOGIN_COOKIE, sealed, cookieOptions('/auth', LOGIN_MAX_AGE_S)).header('cache-control', 'no-store').redirect(login.url, 302);
  }

  async #callback(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const identity = this.#identity();
    const cookie = request.cookies[LOGIN_COOKIE];
    const key = await this.#deps.sessionKey();
    const login = cookie === undefined ? undefined : openLoginState(key, cookie, nowS());
    if (login === undefined) throw new UnauthorizedError('no login in progress, or it took too long: start again at /auth/login');
    const query = request.query as Record<string, unknown>;
    if (typeof query.error === 'string') throw new UnauthorizedError(`the identity provider refused the login: ${query.error.slice(0, 200)}`);
    const base = this.#publicUrl(request);
    const oidc = await this.#oidcClient(identity, `${base}/auth/callback`);
    let result;
    try {
      result = await oidc.finish(new URL(request.url, base), login);
    } catch (error) {
      // Why is logged (it names no token: openid-client's messages describe checks); the client learns only that it failed.
      this.#deps.logger.warn({ err: (error as Error).message }, 'refused an OIDC login');
      this.#deps.metrics?.logins.inc({ result: 'refused' });
      throw new UnauthorizedError('the login could not be verified: start again at /auth/login', { cause: error });
    }
    let who;
    try {
      who = kubernetesIdentity(result.claims, identity);
    } catch (error) {
      throw new UnauthorizedError(`the login could not be used: ${(error as Error).message}`, { cause: error });
    }
    const exp = Math.min(result.exp, nowS() + (this.#deps.sessionMaxAgeS ?? DEFAULT_SESSION_MAX_AGE_S));
    const session: Session = { sid: randomToken(), user: who.user, groups: who.groups, exp, csrf: randomToken() };
    let sealed;
    try {
      sealed = sealSession(key, session);
    } catch (error) {
      throw new InputError(`the login could not be used: ${(error as Error).message}`, { cause: error });
    }
    this.#deps.logger.info({ user: session.user, groups: session.groups.length }, 'portal login');
    this.#deps.metrics?.logins.inc({ result: 'success' });
    return reply
      .clearCookie(LOGIN_COOKIE, { path: '/auth' })
      .setCookie(SESSION_COOKIE, sealed, cookieOptions('/', exp - nowS()))
      .header('cache-control', 'no-store')
      .redirect('/', 302);
  }

  async #logout(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const session = await this.#authenticate(request);
    this.#revoke(session);
    for (const stream of this.#streams.get(session.sid) ?? []) stream.close();
    return reply.clearCookie(SESSION_COOKIE, { path: '/' }).code(204).send();
  }

  /** Remembers a logged-out session until it would have expired anyway (the cookie is stateless: a copy would still open). */
  #revoke(session: Session): void {
    const now = nowS();
    for (const [sid, exp] of this.#revoked) if (exp <= now) this.#revoked.delete(sid);
    this.#revoked.set(session.sid, session.exp);
  }

  /**
   * Makes sure the views' informers run (they start on the first request for a view) and have
   * listed once: the first request waits for that, a bounded while; then 503 to retry.
   */
  async #requireSynced(): Promise<void> {
    if (!this.#deps.cache.synced) {
      try {
        await this.#deps.cache.whenSynced(AbortSignal.timeout(VIEWS_SYNC_WAIT_MS));
      } catch {
        throw new ServiceUnavailableError('the portal is starting: its caches have not synced yet; retry in a few seconds');
      }
    }
    // The reconciler panel's series and the GPU use run while the views' informers do (from the first view on).
    this.#sampler.start();
    this.#gpuUsage.start();
  }

  async #fleet(session: Session, reply: FastifyReply): Promise<FastifyReply> {
    await this.#requireSynced();
    const index = this.#deps.cache.index;
    const version = index.version;
    const namespaces = index.namespaces();
    const [clusters, applications] = await Promise.all([
      this.#deps.access.namespacesAllowed(session, { verb: 'list', group: GROUP, resource: 'clusters' }, namespaces),
      this.#deps.access.namespacesAllowed(session, { verb: 'list', group: GROUP, resource: 'applications' }, namespaces),
    ]);
    // Users who see the same namespaces get the same view until the next change: it is built and
    // serialized once, not at every one of hundreds of requests a second.
    const seen = (allowed: { all: boolean; namespaces: Set<string> }): string => (allowed.all ? '*' : [...allowed.namespaces].sort().join(','));
    const key = `${seen(clusters)}|${seen(applications)}`;
    if (this.#fleetViews.version !== version || index.version !== version) this.#fleetViews = { version: index.version, views: new Map() };
    let body = this.#fleetViews.views.get(key);
    if (body === undefined) {
      body = JSON.stringify(
        index.fleet({
          clusters: (namespace) => clusters.all || clusters.namespaces.has(namespace),
          applications: (namespace) => applications.all || applications.namespaces.has(namespace),
        }),
      );
      if (this.#fleetViews.views.size >= 1000) this.#fleetViews.views.clear();
      this.#fleetViews.views.set(key, body);
    }
    return reply.type('application/json; charset=utf-8').send(body);
  }

  /** PlatformConfig's catalogue: any logged-in user (it is what their create forms offer); read by the PlatformConfig informer, which runs from the start. */
  #platform(): PlatformView {
    if (!this.#deps.cache.identitySynced) throw new ServiceUnavailableError('the portal is starting: the PlatformConfig has not been read yet; retry in a few seconds');
    return this.#deps.cache.index.platform();
  }

  /** `GET /api/clusters`: the Clusters of the namespaces the user may list them in, filtered, faceted and paged (views.ts). */
  async #clusters(session: Session, query: Record<string, unknown>): Promise<ListPage<ClusterRow, keyof typeof CLUSTER_FACETS>> {
    const parsed = parseClusterQuery(query);
    await this.#requireSynced();
    const visibility = await this.#allowed(session, 'clusters');
    const index = this.#deps.cache.index;
    return pageOf(this.#visibleClusters.rows(index.version, index.clusterRows(), visibility), parsed, CLUSTER_FACETS);
  }

  /** `GET /api/applications`: the Applications of the namespaces the user may list them in, filtered, faceted and paged (views.ts). */
  async #applications(session: Session, query: Record<string, unknown>): Promise<ListPage<AppRow, keyof typeof APPLICATION_FACETS>> {
    const parsed = parseApplicationQuery(query);
    await this.#requireSynced();
    const visibility = await this.#allowed(session, 'applications');
    const index = this.#deps.cache.index;
    return pageOf(this.#visibleApps.rows(index.version, index.applicationRows(), visibility), parsed, APPLICATION_FACETS);
  }

  /**
   * `GET /api/clusters/:namespace/:name/nodes`: only for a user who may `get` that Cluster (asked
   * before whether it exists, so a 404 tells nothing to others); read with its admin kubeconfig,
   * 10 s and 1000 nodes at most (nodes.ts).
   */
  async #clusterNodes(session: Session, params: Record<string, unknown>): Promise<NodesView> {
    const { namespace, name } = objectParams(params);
    if (!(await this.#review(session, { verb: 'get', group: GROUP, resource: 'clusters', namespace, name })).allowed) {
      throw new NotAllowedError(`${session.user} may not get Cluster ${namespace}/${name}`);
    }
    const cluster = await this.#deps.client.get<Cluster>(CLUSTERS, name, namespace);
    if (cluster === undefined) throw new NotFoundError(`Cluster ${namespace}/${name} does not exist`);
    try {
      return await readClusterNodes(this.#deps.client, cluster);
    } catch (error) {
      this.#deps.logger.warn({ err: (error as Error).message, cluster: `${namespace}/${name}` }, 'failed to read the nodes of a cluster');
      throw new ServiceUnavailableError(`Cluster ${namespace}/${name} does not answer: its nodes cannot be read now (${describe(error)}); retry later`, { cause: error });
    }
  }

  /**
   * `GET /api/applications/:namespace/:name/preview?prune=`: only for a user who may `get` the
   * Application; the render and the live reads are the controller's (preview.ts).
   */
  async #preview(session: Session, params: Record<string, unknown>, query: Record<string, unknown>): Promise<PreviewView> {
    const { namespace, name } = objectParams(params);
    const pruneParameter = query.prune;
    if (pruneParameter !== undefined && pruneParameter !== 'true' && pruneParameter !== 'false') throw new InputError('query parameter prune must be true or false');
    if (!(await this.#review(session, { verb: 'get', group: GROUP, resource: 'applications', namespace, name })).allowed) {
      throw new NotAllowedError(`${session.user} may not get Application ${namespace}/${name}`);
    }
    const previewer = this.#deps.previewer;
    if (previewer === undefined) throw new ServiceUnavailableError('previews are not available on this manager (it has no work folder or binaries for rendering)');
    const app = await this.#deps.client.get<Application>(APPLICATIONS, name, namespace);
    if (app === undefined) throw new NotFoundError(`Application ${namespace}/${name} does not exist`);
    return previewer.preview(session.sid, app, pruneParameter === 'true' || app.spec.syncPolicy?.automated?.prune === true);
  }

  /** The namespaces the user may `list` a Beamline resource in (one review cluster-wide, else one per namespace holding objects). */
  async #allowed(session: Session, resource: string): Promise<Visibility> {
    try {
      return await this.#deps.access.namespacesAllowed(session, { verb: 'list', group: GROUP, resource }, this.#deps.cache.index.namespaces());
    } catch (error) {
      throw new ServiceUnavailableError('the management apiserver cannot answer access reviews now; retry later', { cause: error });
    }
  }

  /**
   * `GET /api/reconcilers`: Clusters, NodeGroups and Applications by kstatus over the namespaces
   * the user may list each in, Projects they may get, the failing ones, the Applications' sources,
   * and the last hour's series (reconcilers.ts).
   */
  async #reconcilers(session: Session): Promise<ReconcilersView> {
    await this.#requireSynced();
    // The first panel after the start has its first sample (the timer's first runs in the background).
    if (this.#sampler.samples === 0) await this.#sampler.sample();
    const index = this.#deps.cache.index;
    const namespaces = index.reconcileNamespaces();
    const allowed = (resource: string): Promise<Visibility> => this.#deps.access.namespacesAllowed(session, { verb: 'list', group: GROUP, resource }, namespaces);
    let clusters: Visibility, nodeGroups: Visibility, applications: Visibility, projects: ReadonlySet<string> | 'all';
    try {
      [clusters, nodeGroups, applications, projects] = await Promise.all([allowed('clusters'), allowed('nodegroups'), allowed('applications'), this.#projectsVisible(session, [...index.projectStates().keys()])]);
    } catch (error) {
      throw new ServiceUnavailableError('the management apiserver cannot answer access reviews now; retry later', { cause: error });
    }
    const byKind = { Cluster: clusters, NodeGroup: nodeGroups, Application: applications };
    return this.#sampler.view({
      namespace: (kind, namespace) => byKind[kind].all || byKind[kind].namespaces.has(namespace),
      project: (name) => projects === 'all' || projects.has(name),
      key: [visibilityKey(clusters), visibilityKey(nodeGroups), visibilityKey(applications), projects === 'all' ? '*' : [...projects].sort().join(',')].join('|'),
    });
  }

  /** The Projects of `names` the user may get: 'all' when they may list every Project (one review). */
  async #projectsVisible(session: Session, names: readonly string[]): Promise<ReadonlySet<string> | 'all'> {
    if ((await this.#deps.access.review(session, { verb: 'list', group: GROUP, resource: 'projects' })).allowed) return 'all';
    const answers = await Promise.all(names.map((name) => this.#deps.access.review(session, { verb: 'get', group: GROUP, resource: 'projects', name })));
    return new Set(names.filter((_, at) => answers[at]?.allowed === true));
  }

  async #projectsUsage(session: Session): Promise<unknown> {
    await this.#requireSynced();
    const projects = this.#deps.cache.index.projects();
    if ((await this.#deps.access.review(session, { verb: 'list', group: GROUP, resource: 'projects' })).allowed) return { projects };
    const allowed = await Promise.all(projects.map((project) => this.#deps.access.review(session, { verb: 'get', group: GROUP, resource: 'projects', name: project.name })));
    return { projects: projects.filter((_, index) => allowed[index]?.allowed === true) };
  }

  async #accessCheck(session: Session, query: Record<string, unknown>): Promise<unknown> {
    const text = (field: string, pattern: RegExp, required: boolean): string | undefined => {
      const value = query[field];
      if (value === undefined || value === '') {
        if (required) throw new InputError(`query parameter ${field} is required`);
        return undefined;
      }
      if (typeof value !== 'string' || !pattern.test(value)) throw new InputError(`query parameter ${field} is not valid`);
      return value;
    };
    const verb = text('verb', VERB_PATTERN, true) ?? '';
    const resourceParameter = text('resource', /^[a-z0-9*][-a-z0-9.*]{0,252}$/, true) ?? '';
    // `clusters.beamline.dev` names the group too, as kubectl writes it; `group` may say it instead.
    const dot = resourceParameter.indexOf('.');
    const resource = dot === -1 ? resourceParameter : resourceParameter.slice(0, dot);
    const group = dot === -1 ? (text('group', /^[a-z0-9.-]{0,253}$/, false) ?? '') : resourceParameter.slice(dot + 1);
    const namespace = text('namespace', NAME_PATTERN, false);
    const name = text('name', NAME_PATTERN, false);
    const subresource = text('subresource', /^[a-z]{1,63}$/, false);
    const accessQuery: AccessQuery = { verb, group, resource, ...(namespace === undefined ? {} : { namespace }), ...(name === undefined ? {} : { name }), ...(subresource === undefined ? {} : { subresource }) };
    const answer = await this.#review(session, accessQuery);
    return { ...accessQuery, allowed: answer.allowed, ...(answer.reason === undefined ? {} : { reason: answer.reason }) };
  }

  async #review(session: Session, query: AccessQuery): Promise<{ allowed: boolean; reason?: string }> {
    try {
      return await this.#deps.access.review(session, query);
    } catch (error) {
      throw new ServiceUnavailableError('the management apiserver cannot answer access reviews now; retry later', { cause: error });
    }
  }

  async #events(session: Session, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    await this.#requireSynced();
    const headers = { ...(reply.getHeaders() as OutgoingHttpHeaders), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' };
    reply.hijack();
    reply.raw.writeHead(200, headers);
    const visible = async (change: PortalChange): Promise<boolean> => {
      const resource = change.kind === 'Cluster' ? 'clusters' : change.kind === 'Application' ? 'applications' : 'projects';
      const query: AccessQuery =
        change.kind === 'Project' ? { verb: 'get', group: GROUP, resource, name: change.name } : { verb: 'list', group: GROUP, resource, ...(change.namespace === undefined ? {} : { namespace: change.namespace }) };
      return (await this.#deps.access.review(session, query)).allowed;
    };
    const teardown: { unsubscribe?: () => void; expiry?: NodeJS.Timeout } = {};
    // Counted before it exists: the close callback (which may run at once) uncounts it.
    this.#deps.metrics?.streams.inc();
    const stream = new EventStream(reply.raw, visible, () => {
      this.#deps.metrics?.streams.dec();
      teardown.unsubscribe?.();
      clearTimeout(teardown.expiry);
      const streams = this.#streams.get(session.sid);
      streams?.delete(stream);
      if (streams?.size === 0) this.#streams.delete(session.sid);
    });
    if (stream.closed) return;
    const streams = this.#streams.get(session.sid) ?? new Set<EventStream>();
    if (streams.size >= MAX_STREAMS_PER_SESSION) [...streams][0]?.close();
    streams.add(stream);
    this.#streams.set(session.sid, streams);
    teardown.unsubscribe = this.#deps.cache.subscribe((change) => stream.push(change));
    // The session's end ends the stream: a browser reconnecting without a session gets its 401.
    teardown.expiry = setTimeout(() => stream.close(), Math.max(0, session.exp * 1000 - Date.now()));
    teardown.expiry.unref();
    request.raw.on('close', () => stream.close());
  }

  async #proxy(session: Session, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const path = request.url.slice('/api/kube'.length);
    if (!path.startsWith('/')) throw new NotFoundError('no route: the proxy serves /api/kube/<apiserver path>');
    const headers: OutgoingHttpHeaders = {};
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const abort = new AbortController();
    // A client gone (a watch closed, a tab shut) ends the apiserver request too.
    request.raw.on('close', () => abort.abort());
    reply.raw.on('close', () => abort.abort());
    let upstream: IncomingMessage;
    try {
      upstream = await this.#deps.upstream.request({
        method: request.method,
        path,
        headers,
        ...(Buffer.isBuffer(request.body) && request.body.length > 0 ? { body: request.body } : {}),
        as: session,
        signal: abort.signal,
      });
    } catch (error) {
      if (abort.signal.aborted) return reply;
      this.#deps.metrics?.proxied.inc({ code: 'error' });
      this.#deps.logger.warn({ err: (error as Error).message }, 'the proxy could not reach the management apiserver');
      throw new ServiceUnavailableError('the management apiserver cannot be reached; retry later', { cause: error });
    }
    reply.code(upstream.statusCode ?? 502);
    this.#deps.metrics?.proxied.inc({ code: `${String(Math.floor((upstream.statusCode ?? 502) / 100))}xx` });
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const value = upstream.headers[name];
      if (value !== undefined) reply.header(name, value);
    }
    upstream.on('error', () => undefined);
    return reply.send(upstream);
  }
}

