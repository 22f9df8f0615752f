import type { Impersonation, KubeUpstream } from './kube-upstream.ts';

/** What a SelfSubjectAccessReview asks: `verb` on `group/resource` (optionally one `name`) in `namespace` (absent: cluster-wide). */
export interface AccessQuery {
  readonly verb: string;
  readonly group: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

/** The apiserver's answer. */
export interface AccessAnswer {
  readonly allowed: boolean;
  readonly reason?: string;
}

interface SelfSubjectAccessReview {
  readonly status?: { readonly allowed?: boolean; readonly denied?: boolean; readonly reason?: string };
}

interface CachedAnswer {
  at: number;
  answer: Promise<AccessAnswer>;
  settled?: AccessAnswer;
  refreshing: boolean;
}

/** How long an answer is reused for the same user: short, so a new RoleBinding shows within seconds. */
export const DEFAULT_ACCESS_TTL_MS = 10_000;
const MAX_ENTRIES = 50_000;

/**
 * What a user may do, asked of the apiserver as the user (a SelfSubjectAccessReview made with
 * their impersonation, so every authorizer decides, RBAC and any other), and remembered a few
 * seconds per user, groups and question: the aggregated views ask the same questions at every
 * request. Concurrent identical questions share one review.
 */
export class AccessReviewer {
  readonly #upstream: KubeUpstream;
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #answers = new Map<string, CachedAnswer>();

  constructor(upstream: KubeUpstream, options: { readonly ttlMs?: number; readonly now?: () => number } = {}) {
    this.#upstream = upstream;
    this.#ttlMs = options.ttlMs ?? DEFAULT_ACCESS_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Whether `as` may do `query`; throws when the apiserver cannot answer. An answer younger than
   * the TTL is reused; one older, but younger than three TTLs, is reused while a new review runs
   * in the background (so requests do not all wait for the apiserver each time an answer ages);
   * older than that, the caller waits for the new review.
   */
  review(as: Impersonation, query: AccessQuery): Promise<AccessAnswer> {
    const key = JSON.stringify([as.user, [...as.groups].sort(), query.verb, query.group, query.resource, query.namespace ?? '', query.name ?? '', query.subresource ?? '']);
    const now = this.#now();
    const cached = this.#answers.get(key);
    if (cached !== undefined && now - cached.at < this.#ttlMs) return cached.answer;
    if (cached?.settled !== undefined && now - cached.at < 3 * this.#ttlMs) {
      if (!cached.refreshing) {
        cached.refreshing = true;
        const refreshed = this.#ask(as, query);
        refreshed.then(
          (answer) => this.#answers.set(key, { at: this.#now(), answer: refreshed, settled: answer, refreshing: false }),
          () => {
            cached.refreshing = false;
          },
        );
      }
      return Promise.resolve(cached.settled);
    }
    if (this.#answers.size >= MAX_ENTRIES) this.#prune(now);
    const answer = this.#ask(as, query);
    const entry: CachedAnswer = { at: now, answer, refreshing: false };
    this.#answers.set(key, entry);
    answer.then(
      (settled) => (entry.settled = settled),
      // A failed review is not remembered: the next request asks again.
      () => {
        if (this.#answers.get(key) === entry) this.#answers.delete(key);
      },
    );
    return answer;
  }

  /** Whether `as` may `verb` the resource in every namespace (one review), else in which of `namespaces` (one each). */
  async namespacesAllowed(as: Impersonation, query: Omit<AccessQuery, 'namespace'>, namespaces: Iterable<string>): Promise<{ all: boolean; namespaces: Set<string> }> {
    if ((await this.review(as, query)).allowed) return { all: true, namespaces: new Set() };
    const list = [...namespaces];
    const answers = await Promise.all(list.map((namespace) => this.review(as, { ...query, namespace })));
    return { all: false, namespaces: new Set(list.filter((_, index) => answers[index]?.allowed === true)) };
  }

  async #ask(as: Impersonation, query: AccessQuery): Promise<AccessAnswer> {
    const { status, body } = await this.#upstream.json<SelfSubjectAccessReview>({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
      as,
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: {
            verb: query.verb,
            group: query.group,
            resource: query.resource,
            ...(query.namespace === undefined ? {} : { namespace: query.namespace }),
            ...(query.name === undefined ? {} : { name: query.name }),
            ...(query.subresource === undefined ? {} : { subresource: query.subresource }),
          },
        },
      },
    });
    if (status !== 201 && status !== 200) throw new Error(`the apiserver refused the access review (HTTP ${String(status)})`);
    return { allowed: body.status?.allowed === true && body.status.denied !== true, ...(body.status?.reason === undefined || body.status.reason === '' ? {} : { reason: body.status.reason }) };
  }

  #prune(now: number): void {
    for (const [key, entry] of this.#answers) if (now - entry.at >= 3 * this.#ttlMs) this.#answers.delete(key);
    // Still full (a flood of distinct questions): start over rather than grow without bound.
    if (this.#answers.size >= MAX_ENTRIES) this.#answers.clear();
  }
}
