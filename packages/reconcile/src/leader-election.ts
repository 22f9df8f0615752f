import { setTimeout as delay } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isConflict, KubeClient, type ResourceType } from '@beamline/kube';

/** The Lease kind. */
export const LEASE_RESOURCE: ResourceType = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true };

/** Leader election settings, with client-go's meaning and defaults. */
export interface LeaderElectionOptions {
  /** Namespace of the Lease. */
  readonly namespace: string;
  /** Name of the Lease. */
  readonly name: string;
  /** This process's identity, written as the Lease holder. Unique per process. */
  readonly identity: string;
  /** How long a standby waits after the last observed renewal before taking over. Default 15 s. */
  readonly leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up leading. Default 10 s. */
  readonly renewDeadlineMs?: number;
  /** How often to try to acquire or renew. Default 2 s. */
  readonly retryPeriodMs?: number;
}

/** Called when leadership starts and ends; awaited, so a term ends only after its work has. */
export interface LeaderCallbacks {
  onStartedLeading(): void | Promise<void>;
  onStoppedLeading(): void | Promise<void>;
}

/** The fields of `coordination.k8s.io/v1` LeaseSpec used here. */
export interface LeaseSpec {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
}

/** A Lease object. */
export interface Lease {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly resourceVersion?: string };
  readonly spec?: LeaseSpec;
}

/** A `metav1.MicroTime`: RFC 3339 with microseconds. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Leader election through a Lease, as client-go's `leaderelection` does it:
 *
 * - acquire when there is no Lease, it has no holder, this identity holds it, or its record has not
 *   changed for `leaseDuration` as observed on the local clock (no trust in other clocks);
 * - every write is an update carrying the read `resourceVersion`, so of two candidates one wins and
 *   the other gets a conflict;
 * - the leader renews every `retryPeriod` and steps down when it has not managed to for
 *   `renewDeadline` (shorter than `leaseDuration`, so it stops before anyone may take over);
 * - after stepping down it stands by and tries again; on {@link LeaderElector.stop} it releases the
 *   Lease (no holder, 1 s duration) so a standby takes over at once.
 */
export class LeaderElector {
  readonly #client: KubeClient;
  readonly #logger: Logger;
  readonly #namespace: string;
  readonly #name: string;
  readonly #identity: string;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #abort = new AbortController();
  #observedSpec: LeaseSpec | undefined;
  #observedAt = 0;
  #leading = false;
  #loop: Promise<void> | undefined;

  constructor(kubeConfig: KubeConfig, options: LeaderElectionOptions, logger: Logger) {
    this.#client = new KubeClient(kubeConfig);
    this.#namespace = options.namespace;
    this.#name = options.name;
    this.#identity = options.identity;
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.#identity === '') throw new Error('failed to configure leader election: identity is empty; give each process its own');
    if (this.#renewDeadlineMs >= this.#leaseDurationMs) {
      throw new Error('failed to configure leader election: renewDeadlineMs must be less than leaseDurationMs, so a leader steps down before a standby may take over');
    }
    if (this.#retryPeriodMs * 1.2 >= this.#renewDeadlineMs) {
      throw new Error('failed to configure leader election: retryPeriodMs (with 20 % jitter) must be less than renewDeadlineMs, so a leader gets to retry a failed renewal');
    }
    this.#logger = logger.child({ lease: `${this.#namespace}/${this.#name}`, identity: this.#identity });
  }

  /** Whether this process leads now. */
  get isLeader(): boolean {
    return this.#leading;
  }

  /** This process's identity. */
  get identity(): string {
    return this.#identity;
  }

  /** Starts campaigning in the background. */
  start(callbacks: LeaderCallbacks): void {
    this.#loop ??= this.#run(callbacks);
  }

  /** Stops campaigning; a leader ends its term (awaiting `onStoppedLeading`) and releases the Lease. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #run(callbacks: LeaderCallbacks): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      while (!signal.aborted && !(await this.#tryAcquireOrRenew(signal))) await sleep(jittered(this.#retryPeriodMs), signal);
      if (signal.aborted) break;
      this.#leading = true;
      this.#logger.info('became leader');
      await this.#callback(() => callbacks.onStartedLeading(), 'onStartedLeading');
      let lastRenew = Date.now();
      while (!signal.aborted) {
        await sleep(this.#retryPeriodMs, signal);
        if (signal.aborted) break;
        if (await this.#tryAcquireOrRenew(signal, Math.max(1, lastRenew + this.#renewDeadlineMs - Date.now()))) {
          lastRenew = Date.now();
        } else if (Date.now() - lastRenew >= this.#renewDeadlineMs) {
          this.#logger.error({ renewDeadlineMs: this.#renewDeadlineMs }, 'failed to renew the lease within the renew deadline; stepping down');
          break;
        }
      }
      this.#leading = false;
      await this.#callback(() => callbacks.onStoppedLeading(), 'onStoppedLeading');
      if (signal.aborted) {
        await this.#release();
      } else {
        this.#logger.info('standing by');
      }
    }
  }

  async #callback(call: () => void | Promise<void>, name: string): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.#logger.error({ err: error }, `leader election callback ${name} failed`);
    }
  }

  /** One attempt; `false` when someone else holds the Lease or the API did not answer in time. */
  async #tryAcquireOrRenew(stop: AbortSignal, timeoutMs = this.#renewDeadlineMs): Promise<boolean> {
    const signal = AbortSignal.any([stop, AbortSignal.timeout(timeoutMs)]);
    const now = new Date();
    const mine: LeaseSpec = {
      holderIdentity: this.#identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.#leaseDurationMs / 1000)),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    try {
      const lease = await this.#client.get<Lease>(LEASE_RESOURCE, this.#name, this.#namespace, { signal });
      if (lease === undefined) {
        const created = await this.#client.request<Lease>('POST', `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.#namespace)}/leases`, {
          body: { apiVersion: LEASE_RESOURCE.apiVersion, kind: LEASE_RESOURCE.kind, metadata: { name: this.#name, namespace: this.#namespace }, spec: mine },
          signal,
        });
        this.#observe(created.spec, now.getTime());
        return true;
      }
      const spec = lease.spec ?? {};
      if (!isDeepStrictEqual(spec, this.#observedSpec)) this.#observe(spec, now.getTime());
      const holder = spec.holderIdentity ?? '';
      const heldByOther = holder !== '' && holder !== this.#identity;
      if (heldByOther && this.#observedAt + (spec.leaseDurationSeconds ?? 0) * 1000 > now.getTime()) return false;
      const renewing = holder === this.#identity;
      const next: LeaseSpec = {
        ...mine,
        acquireTime: renewing ? (spec.acquireTime ?? mine.acquireTime) : mine.acquireTime,
        leaseTransitions: (spec.leaseTransitions ?? 0) + (renewing ? 0 : 1),
      };
      const updated = await this.#client.replace<Lease>(LEASE_RESOURCE, { ...lease, spec: next }, { signal });
      this.#observe(updated.spec, now.getTime());
      if (!renewing) this.#logger.info({ previousHolder: holder === '' ? undefined : holder }, 'acquired the lease');
      return true;
    } catch (error) {
      // A conflict is another candidate winning this round; anything else the next attempt retries.
      if (isConflict(error)) return false;
      if (!stop.aborted) this.#logger.warn({ err: (error as Error).message }, 'failed to acquire or renew the lease');
      return false;
    }
  }

  #observe(spec: LeaseSpec | undefined, at: number): void {
    this.#observedSpec = spec;
    this.#observedAt = at;
  }

  /** Gives the Lease up if this process still holds it, so a standby need not wait for it to expire. */
  async #release(): Promise<void> {
    const signal = AbortSignal.timeout(this.#renewDeadlineMs);
    try {
      const lease = await this.#client.get<Lease>(LEASE_RESOURCE, this.#name, this.#namespace, { signal });
      if (lease?.spec?.holderIdentity !== this.#identity) return;
      const now = microTime(new Date());
      await this.#client.replace<Lease>(
        LEASE_RESOURCE,
        { ...lease, spec: { leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: lease.spec.leaseTransitions ?? 0 } },
        { signal },
      );
      this.#logger.info('released the lease');
    } catch (error) {
      this.#logger.warn({ err: (error as Error).message }, 'failed to release the lease; a standby takes over when it expires');
    }
  }
}

function jittered(ms: number): number {
  return ms * (1 + Math.random() * 0.2);
}

async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch {
    // Aborted: the caller checks the signal.
  }
}
