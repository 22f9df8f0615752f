/** The git hosts whose push webhooks Beamline understands. Gitea and Forgejo send GitHub's headers too. */
export type WebhookProvider = 'github' | 'gitlab';

/** Request headers as Node gives them: lowercase names, repeated headers as arrays. */
export type WebhookHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Which provider sent a delivery, and its event name, read from the headers alone. */
export interface WebhookDelivery {
  readonly provider: WebhookProvider;
  /** `push`, `ping`, `issues`... (GitHub); `Push Hook`, `Tag Push Hook`, `Merge Request Hook`... (GitLab). */
  readonly event: string;
}

/** A push to a repository, in the same shape for every provider. */
export interface PushEvent {
  readonly provider: WebhookProvider;
  /** Every URL the payload names for the repository (https, ssh, git, web), deduplicated. */
  readonly repoUrls: readonly string[];
  /** The full ref pushed: `refs/heads/main`, `refs/tags/v1`. */
  readonly ref: string;
  /** The branch, when `ref` is under `refs/heads/`. */
  readonly branch?: string;
  /** The tag, when `ref` is under `refs/tags/`. */
  readonly tag?: string;
  /** The repository's default branch, when the payload says. */
  readonly defaultBranch?: string;
  /** The sha the ref points to after the push; absent when the ref was deleted. */
  readonly after?: string;
}

/** What a delivery means for Beamline; see {@link parseWebhook}. */
export type ParsedWebhook =
  | { readonly kind: 'push'; readonly provider: WebhookProvider; readonly push: PushEvent }
  | { readonly kind: 'ping'; readonly provider: WebhookProvider }
  /** An event type Beamline has no use for (issues, merge requests...). */
  | { readonly kind: 'ignored'; readonly provider: WebhookProvider; readonly message: string }
  /** A push event whose payload lacks what a push needs (no ref, no repository URL). */
  | { readonly kind: 'invalid'; readonly provider: WebhookProvider; readonly message: string };

/** The headers {@link detectWebhook} reads, for messages that name what is missing. */
export const PROVIDER_HEADERS: Readonly<Record<WebhookProvider, string>> = {
  github: 'x-github-event',
  gitlab: 'x-gitlab-event',
};

const PROVIDER_NAMES: Readonly<Record<WebhookProvider, string>> = { github: 'GitHub', gitlab: 'GitLab' };
const GITLAB_PUSH_EVENTS = new Set(['Push Hook', 'Tag Push Hook']);
const ZERO_SHA = /^0+$/;

/** The first value of a header (lowercase name), or undefined. */
export function headerValue(headers: WebhookHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : value?.[0];
}

/** The provider's display name, for messages. */
export function providerName(provider: WebhookProvider): string {
  return PROVIDER_NAMES[provider];
}

/**
 * Which provider sent a delivery, from its event header; undefined when there is none. Read
 * before the body, because the provider decides which secret verifies it.
 */
export function detectWebhook(headers: WebhookHeaders): WebhookDelivery | undefined {
  for (const provider of ['github', 'gitlab'] as const) {
    const event = headerValue(headers, PROVIDER_HEADERS[provider])?.trim();
    if (event !== undefined && event !== '') return { provider, event };
  }
  return undefined;
}

type Json = Readonly<Record<string, unknown>>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function object(value: unknown): Json {
  return isObject(value) ? value : {};
}

/**
 * Turns a delivery (headers and parsed JSON body) into what it means: a push, a ping, an event to
 * ignore, or a malformed push. Undefined when no provider header names the sender. The caller
 * verifies the signature first: nothing here is trusted.
 */
export function parseWebhook(headers: WebhookHeaders, body: unknown): ParsedWebhook | undefined {
  const delivery = detectWebhook(headers);
  if (delivery === undefined) return undefined;
  const { provider, event } = delivery;
  const name = providerName(provider);
  if (provider === 'github' && event === 'ping') return { kind: 'ping', provider };
  const isPush = provider === 'github' ? event === 'push' : GITLAB_PUSH_EVENTS.has(event);
  if (!isPush) return { kind: 'ignored', provider, message: `ignored the ${name} event "${event}": only push events refresh Applications` };
  if (!isObject(body)) return { kind: 'invalid', provider, message: `the ${name} push payload is not a JSON object` };

  const fields = provider === 'github' ? githubFields(body) : gitlabFields(body);
  const repoUrls = [...new Set(fields.urls.map(text).filter((url) => url !== undefined))];
  const rawRef = text(body.ref);
  if (rawRef === undefined) return { kind: 'invalid', provider, message: `the ${name} push payload has no "ref"` };
  if (repoUrls.length === 0) return { kind: 'invalid', provider, message: `the ${name} push payload names no repository URL (${fields.where})` };

  // GitHub and GitLab send full refs; a bare name is taken as the event says (older GitLab tag pushes).
  const ref = rawRef.startsWith('refs/') ? rawRef : `refs/${event === 'Tag Push Hook' ? 'tags' : 'heads'}/${rawRef}`;
  const branch = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
  const tag = ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined;
  const after = fields.after.map(text).find((sha) => sha !== undefined && !ZERO_SHA.test(sha));
  const defaultBranch = text(fields.defaultBranch);
  const push: PushEvent = {
    provider,
    repoUrls,
    ref,
    ...(branch === undefined ? {} : { branch }),
    ...(tag === undefined ? {} : { tag }),
    ...(defaultBranch === undefined ? {} : { defaultBranch }),
    ...(after === undefined ? {} : { after }),
  };
  return { kind: 'push', provider, push };
}

interface PushFields {
  readonly urls: readonly unknown[];
  /** Candidates for `after`, best first. */
  readonly after: readonly unknown[];
  readonly defaultBranch: unknown;
  /** Where the URLs were looked for, for the message when there are none. */
  readonly where: string;
}

function githubFields(body: Json): PushFields {
  const repository = object(body.repository);
  return {
    urls: [repository.clone_url, repository.html_url, repository.ssh_url, repository.git_url, repository.url],
    after: [body.after],
    // `master_branch` is what GitHub's push payloads carried before `default_branch`.
    defaultBranch: repository.default_branch ?? repository.master_branch,
    where: 'repository.clone_url, html_url, ssh_url, git_url',
  };
}

function gitlabFields(body: Json): PushFields {
  const project = object(body.project);
  // `repository` is the payload's older block; GitLab still sends it alongside `project`.
  const repository = object(body.repository);
  return {
    urls: [
      project.git_http_url,
      project.git_ssh_url,
      project.web_url,
      project.http_url,
      project.ssh_url,
      project.url,
      repository.git_http_url,
      repository.git_ssh_url,
      repository.homepage,
      repository.url,
    ],
    // On an annotated tag `after` is the tag object; `checkout_sha` is the commit it points to.
    after: [body.checkout_sha, body.after],
    defaultBranch: project.default_branch,
    where: 'project.git_http_url, git_ssh_url, web_url, repository.url',
  };
}
