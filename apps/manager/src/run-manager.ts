import type { KubeConfig } from '@kubernetes/client-node';
import { pino, type Logger } from 'pino';
import { collectDefaultMetrics } from 'prom-client';
import { Manager, type LeaderElectionOptions } from '@beamline/reconcile';
import type { Capability, CapabilityContext } from './capability.ts';
import { startManagerServer } from './server.ts';

/** The default name of the leader-election Lease. */
export const DEFAULT_LEASE_NAME = 'beamline-manager';

/** Options of {@link runManager}. */
export interface RunManagerOptions {
  readonly kubeConfig: KubeConfig;
  /** What the process does: each capability's controllers, metrics and routes (see `beamlineCapabilities`); stopped, in reverse, on exit. */
  readonly capabilities: readonly Capability[];
  /** Port of the HTTP server (`/healthz`, `/readyz`, `/metrics`); 0 picks a free one. */
  readonly port: number;
  /** Address of the HTTP server. Default `127.0.0.1`. */
  readonly host?: string;
  /** Leader-election identity, unique per process (e.g. `<hostname>-<pid>`). */
  readonly identity: string;
  /** Namespace of the Lease (it must exist). */
  readonly leaseNamespace: string;
  /** Name of the Lease. Default `beamline-manager`. */
  readonly leaseName?: string;
  /** Leader-election timings; client-go's defaults (15 s, 10 s, 2 s) otherwise. */
  readonly leaderElection?: Pick<LeaderElectionOptions, 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'>;
  /** Watch namespaced kinds in this namespace only. Default: all namespaces. */
  readonly namespace?: string;
  /** Default: JSON lines on stdout at level `info` (or `$BEAMLINE_LOG_LEVEL`). */
  readonly logger?: Logger;
  /** Stops the manager when aborted, like SIGINT/SIGTERM. */
  readonly signal?: AbortSignal;
  /** Called once the HTTP server listens, with its URL (tests and `beamline up` read the port from it). */
  readonly onListening?: (url: string, manager: Manager) => void;
}

/**
 * Runs the manager until SIGINT, SIGTERM or `signal`: the HTTP server first (so `/healthz` answers
 * and `/readyz` says what is still syncing), then the manager (informers, leader election through
 * the Lease `<leaseNamespace>/<leaseName>`, workers while leading). On the signal it stops
 * cleanly: workers finish, the Lease is released so a standby takes over at once, the server
 * closes, then the capabilities stop (last first). Resolves once all that is done. A second
 * SIGINT/SIGTERM while stopping exits at once.
 */
export async function runManager(options: RunManagerOptions): Promise<void> {
  try {
    await run(options);
  } finally {
    await stopCapabilities(options.capabilities, options.logger);
  }
}

async function stopCapabilities(capabilities: readonly Capability[], logger: Logger | undefined): Promise<void> {
  const failures: unknown[] = [];
  for (const capability of [...capabilities].reverse()) {
    try {
      await capability.stop?.();
    } catch (error) {
      logger?.error({ err: error, capability: capability.name }, 'failed to stop a capability');
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new Error(`failed to stop ${failures.length} capabilit${failures.length === 1 ? 'y' : 'ies'}: ${failures.map((error) => (error as Error).message).join('; ')}`, { cause: failures[0] });
}

async function run(options: RunManagerOptions): Promise<void> {
  const logger = options.logger ?? pino({ level: process.env.BEAMLINE_LOG_LEVEL ?? 'info', base: { identity: options.identity } });
  const manager = new Manager({
    kubeConfig: options.kubeConfig,
    logger,
    namespace: options.namespace,
    leaderElection: {
      ...options.leaderElection,
      namespace: options.leaseNamespace,
      name: options.leaseName ?? DEFAULT_LEASE_NAME,
      identity: options.identity,
    },
  });
  const context: CapabilityContext = { manager, logger };
  for (const capability of options.capabilities) {
    for (const controller of capability.controllers) manager.add(controller);
    for (const metric of capability.metrics ?? []) manager.registry.registerMetric(metric);
    capability.attach?.(context);
  }
  // Process metrics (memory, CPU, event loop lag, heap) beside the controllers': what an operator
  // of any Prometheus-scraped service expects to find.
  collectDefaultMetrics({ register: manager.registry });

  const stopRequested = new AbortController();
  let signalsSeen = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signalsSeen++;
    if (signalsSeen > 1) {
      logger.warn({ signal }, 'second signal while stopping; exiting now');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    logger.info({ signal }, 'stopping');
    stopRequested.abort();
  };
  const onAbort = (): void => stopRequested.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted === true) stopRequested.abort();

  const stopped = new Promise<void>((resolve) => stopRequested.signal.addEventListener('abort', () => resolve(), { once: true }));
  let server: Awaited<ReturnType<typeof startManagerServer>> | undefined;
  try {
    server = await startManagerServer({
      host: options.host,
      port: options.port,
      manager,
      registry: manager.registry,
      logger,
      routes: (app) => {
        for (const capability of options.capabilities) capability.routes?.(app, context);
      },
    });
    logger.info({ url: server.url }, 'manager server listening');
    options.onListening?.(server.url, manager);
    // start() rejects only when stopped before the caches synced: that is the stop handled below.
    manager.start().catch((error: unknown) => logger.info({ err: (error as Error).message }, 'stopped while starting'));
    await stopped;
  } finally {
    await manager.stop();
    await server?.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    options.signal?.removeEventListener('abort', onAbort);
    logger.info('manager exited');
  }
}
