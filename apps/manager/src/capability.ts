import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Metric } from 'prom-client';
import type { Controller, Manager } from '@beamline/reconcile';

/** What a capability's hooks are given: the manager (cache, client, registry) and the process's logger. */
export interface CapabilityContext {
  readonly manager: Manager;
  readonly logger: Logger;
}

/**
 * One thing the manager process does (clusters, delivery, and next tenants, the catalog, the
 * portal's API), as the composition root assembles it: its controllers go to the reconcile
 * Manager, its routes and metrics to the manager's HTTP surface, and `stop` runs after the
 * manager stopped. {@link runManager} knows nothing else about it.
 */
export interface Capability {
  /** A short name for logs (`clusters`, `delivery`). */
  readonly name: string;
  /** The controllers the Manager runs (leader-elected). */
  readonly controllers: readonly Controller[];
  /** Metrics merged into the manager's registry (`/metrics`). */
  readonly metrics?: readonly Metric[];
  /** Called once the Manager exists, before it starts: for hooks that need its cache or client. */
  attach?(context: CapabilityContext): void;
  /** Adds routes to the manager's HTTP server before it listens; errors are thrown as `@beamline/errors` classes. */
  routes?(app: FastifyInstance, context: CapabilityContext): void;
  /** Releases what the capability holds (watches of other clusters, folders), after the Manager stopped. */
  stop?(): Promise<void>;
}
