// The portal server: OIDC login, sealed sessions, CSRF, the impersonating proxy, the aggregated views and events.
export { AccessReviewer, DEFAULT_ACCESS_TTL_MS, type AccessAnswer, type AccessQuery } from './access.ts';
export { FleetIndex, type FleetCounts, type FleetView, type NamespaceFleet, type PortalKind, type ProjectUsageView } from './fleet.ts';
export { KubeUpstream, managementServerOf, type Impersonation, type UpstreamRequest } from './kube-upstream.ts';
export { createPortalMetrics, type PortalMetrics } from './metrics.ts';
export { OidcClient, type LoginResult, type OidcFetch } from './oidc.ts';
export { PortalCache, type PortalChange } from './portal-cache.ts';
export { DEFAULT_RATE_LIMITS, MAX_PROXY_BODY_BYTES, PortalRoutes, TooManyRequestsError, type PortalDeps, type PortalRateLimits } from './routes.ts';
export { seal, SEAL_KEY_BYTES, unseal } from './seal.ts';
export { CSRF_HEADER, DEFAULT_SESSION_MAX_AGE_S, kubernetesIdentity, LOGIN_COOKIE, openSession, sealSession, SESSION_COOKIE, type Session } from './session.ts';
export { loadOrCreateSessionKey, SESSION_KEY_SECRET } from './session-key.ts';
