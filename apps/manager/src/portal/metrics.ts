import { Counter, Gauge, type Metric } from 'prom-client';

/** The portal's metrics, unregistered: the capability hands them to the manager's registry. */
export interface PortalMetrics {
  /** Logins finished at the callback, by result (`success`, `refused`). */
  readonly logins: Counter<'result'>;
  /** Requests the proxy sent to the management apiserver, by the class of its answer (`2xx`, `4xx`, `error`, ...). */
  readonly proxied: Counter<'code'>;
  /** Event streams open now. */
  readonly streams: Gauge;
  /** All of them, for `Capability.metrics`. */
  readonly all: readonly Metric[];
}

/** Makes the portal's metrics (`beamline_portal_*`), registered nowhere yet. */
export function createPortalMetrics(): PortalMetrics {
  const logins = new Counter({ name: 'beamline_portal_logins_total', help: 'Portal logins finished at the callback, by result.', labelNames: ['result'] as const, registers: [] });
  const proxied = new Counter({ name: 'beamline_portal_proxy_requests_total', help: 'Requests the portal proxied to the management apiserver, by answer class.', labelNames: ['code'] as const, registers: [] });
  const streams = new Gauge({ name: 'beamline_portal_event_streams', help: 'Portal event streams open now.', registers: [] });
  for (const result of ['success', 'refused']) logins.inc({ result }, 0);
  return { logins, proxied, streams, all: [logins, proxied, streams] };
}
