import { headerValue, type WebhookHeaders, type WebhookProvider } from './parse-push.ts';

/** Options of {@link DeliveryLog}. */
export interface DeliveryLogOptions {
  /** Ids kept at most (the oldest go first). Default 10 000. */
  readonly maxEntries?: number;
  /** How long an id is kept. Default 24 h: longer than GitHub's and GitLab's automatic retries. */
  readonly ttlMs?: number;
  /** The clock; `Date.now` by default. */
  readonly now?: () => number;
}

/**
 * The id a provider gives a delivery, the same when the delivery is sent again: GitHub's
 * `X-GitHub-Delivery` (its "Redeliver" keeps it); GitLab's `Idempotency-Key` (same across
 * retries), else its `X-Gitlab-Event-UUID`. `undefined` when the delivery carries none.
 */
export function deliveryId(provider: WebhookProvider, headers: WebhookHeaders): string | undefined {
  const names = provider === 'github' ? ['x-github-delivery'] : ['idempotency-key', 'x-gitlab-event-uuid'];
  for (const name of names) {
    const value = headerValue(headers, name)?.trim();
    if (value !== undefined && value !== '' && value.length <= 256) return value;
  }
  return undefined;
}

/**
 * Delivery ids seen lately, bounded in number and age, so a delivery captured and sent again
 * (its signature stays valid forever) refreshes nothing. In memory: a manager restart forgets
 * them, which only lets one replay per id through (a refresh, never a change of what is deployed).
 */
export class DeliveryLog {
  readonly #seen = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: DeliveryLogOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** Records `id`; `false` when it was recorded already (and has not expired): a replay. */
  remember(id: string): boolean {
    const now = this.#now();
    // Insertion order is age order: expired ids are at the front.
    for (const [kept, at] of this.#seen) {
      if (now - at < this.#ttlMs) break;
      this.#seen.delete(kept);
    }
    if (this.#seen.has(id)) return false;
    this.#seen.set(id, now);
    while (this.#seen.size > this.#maxEntries) this.#seen.delete(this.#seen.keys().next().value ?? id);
    return true;
  }

  /** Forgets `id` (its delivery failed on our side: the provider's retry must go through). */
  forget(id: string): void {
    this.#seen.delete(id);
  }

  /** How many ids are kept. */
  get size(): number {
    return this.#seen.size;
  }
}
