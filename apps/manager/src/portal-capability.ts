import type { KubeConfig } from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { MANAGER_NAMESPACE, type Identity } from '@beamline/api';
import { KubeClient } from '@beamline/kube';
import type { Capability } from './capability.ts';
import { AccessReviewer } from './portal/access.ts';
import { KubeUpstream, managementServerOf } from './portal/kube-upstream.ts';
import { createPortalMetrics, type PortalMetrics } from './portal/metrics.ts';
import type { OidcFetch } from './portal/oidc.ts';
import { PortalCache } from './portal/portal-cache.ts';
import { Previewer } from './portal/preview.ts';
import { registryReader, type ReconcileMetricsReader } from './portal/reconcilers.ts';
import { PortalRoutes, type PortalRateLimits } from './portal/routes.ts';
import { loadOrCreateSessionKey } from './portal/session-key.ts';
import { registerPortalApp } from './portal/static.ts';

/** Options of {@link createPortal}. */
export interface PortalOptions {
  /** The management cluster, with the manager's credentials (it impersonates users with them). */
  readonly kubeConfig: KubeConfig;
  /** Namespace of the session key Secret `beamline-portal-session`. Default `beamline-system`. */
  readonly sessionKeyNamespace?: string;
  /** The manager's URL as browsers reach it; the OIDC redirect URI is `<publicUrl>/auth/callback`. Default: the request's loopback origin. */
  readonly publicUrl?: string;
  /** Watch namespaced kinds in this namespace only (tests); default all. */
  readonly namespace?: string;
  /** How long a session lasts at most (seconds); the ID token's expiry ends it sooner. Default 8 h. */
  readonly sessionMaxAgeS?: number;
  /** Requests a minute per session and per address. */
  readonly rateLimits?: PortalRateLimits;
  /** How long an access review's answer is reused per user (ms). Default 10 s. */
  readonly accessTtlMs?: number;
  /** Wraps the OIDC client's fetch (tests forge an issuer's answers with it). */
  readonly wrapOidcFetch?: (inner: OidcFetch) => OidcFetch;
  /** The issuer to use instead of PlatformConfig `spec.identity` (tests beside others sharing the singleton, the benchmark). */
  readonly identity?: () => Identity | undefined;
  /** Counters of logins, proxied requests and open streams (the capability registers them on `/metrics`). */
  readonly metrics?: PortalMetrics;
  /** The manager's cumulative reconcile metrics (the capability reads its registry), for `/api/reconcilers`. */
  readonly reconcileMetrics?: ReconcileMetricsReader;
  /** Sync previews: `$BEAMLINE_HOME` (their work folders) and the pinned helm and kubectl; without it previews answer 503. */
  readonly preview?: { readonly home: string; readonly binaries: { readonly helm: string; readonly kubectl: string } };
  /** The built web app served at `/` (`index.html`, `assets/`). Default `apps/portal/dist`. */
  readonly appDist?: string;
  readonly logger?: Logger;
}

/** A portal server's parts, for the capability and for tests and the benchmark that run it in process. */
export interface Portal {
  /** The informers and the fleet index. */
  readonly cache: PortalCache;
  /** Adds the portal's routes to a Fastify app (before it listens). */
  register(app: FastifyInstance): void;
  /** Starts the informers (the views answer 503 until they synced). */
  start(): void;
  /** Closes the event streams and stops the informers. */
  stop(): Promise<void>;
}

/**
 * The portal server: `/auth/*` (OIDC login, logout), `/api/session`, `/api/auth/config`,
 * `/api/fleet`, `/api/projects/usage`, `/api/access`, `/api/events` and the impersonating proxy
 * `/api/kube/*`, and the web app at `/` (`docs/design/portal-app.md`). See `docs/design/portal-server.md`.
 */
export function createPortal(options: PortalOptions): Portal {
  const logger = options.logger ?? pino({ level: 'silent' });
  const client = new KubeClient(options.kubeConfig);
  const upstream = new KubeUpstream(options.kubeConfig);
  const cache = new PortalCache({ kubeConfig: options.kubeConfig, logger, ...(options.namespace === undefined ? {} : { namespace: options.namespace }) });
  const sessionKeyNamespace = options.sessionKeyNamespace ?? MANAGER_NAMESPACE;
  let key: Promise<Buffer> | undefined;
  const sessionKey = (): Promise<Buffer> => {
    if (key === undefined) {
      const loading = loadOrCreateSessionKey(client, sessionKeyNamespace);
      key = loading;
      // Not kept on failure (the apiserver not up yet): the next request tries again.
      loading.catch((error: unknown) => {
        logger.warn({ err: (error as Error).message }, 'failed to load the portal session key');
        if (key === loading) key = undefined;
      });
    }
    return key;
  };
  const routes = new PortalRoutes({
    cache,
    upstream,
    access: new AccessReviewer(upstream, options.accessTtlMs === undefined ? {} : { ttlMs: options.accessTtlMs }),
    client,
    sessionKey,
    managementServer: managementServerOf(options.kubeConfig),
    logger,
    ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    ...(options.sessionMaxAgeS === undefined ? {} : { sessionMaxAgeS: options.sessionMaxAgeS }),
    ...(options.rateLimits === undefined ? {} : { rateLimits: options.rateLimits }),
    ...(options.wrapOidcFetch === undefined ? {} : { wrapOidcFetch: options.wrapOidcFetch }),
    ...(options.identity === undefined ? {} : { identity: options.identity }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.reconcileMetrics === undefined ? {} : { reconcileMetrics: options.reconcileMetrics }),
    ...(options.preview === undefined ? {} : { previewer: new Previewer({ client, home: options.preview.home, binaries: options.preview.binaries, logger }) }),
  });
  return {
    cache,
    register: (app) => {
      routes.register(app);
      registerPortalApp(app, options.appDist === undefined ? {} : { dist: options.appDist });
    },
    start: () => {
      cache.start();
      // Loaded early so the first login does not wait for it; failures are retried per request.
      void sessionKey().catch(() => undefined);
    },
    stop: async () => {
      routes.stop();
      await cache.stop();
    },
  };
}

/** Options of {@link portalCapability}: those of {@link createPortal} but the kubeconfig and logger, which are the manager's. */
export type PortalCapabilityOptions = Omit<PortalOptions, 'kubeConfig' | 'logger' | 'metrics' | 'reconcileMetrics'>;

/** The portal server as a capability of the manager process: its routes on the manager's HTTP server, its informers started with it. */
export function portalCapability(options: PortalCapabilityOptions = {}): Capability {
  let portal: Portal | undefined;
  const metrics = createPortalMetrics();
  return {
    name: 'portal',
    controllers: [],
    metrics: metrics.all,
    attach: ({ manager, logger }) => {
      portal = createPortal({ ...options, kubeConfig: manager.kubeConfig, logger: logger.child({ capability: 'portal' }), metrics, reconcileMetrics: registryReader(manager.registry) });
      portal.start();
    },
    routes: (app) => portal?.register(app),
    stop: async () => {
      await portal?.stop();
    },
  };
}
