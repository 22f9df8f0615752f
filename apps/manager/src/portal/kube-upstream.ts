import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { readFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';

const OPTIONS_TTL_MS = 60_000;

/** Who a request to the management apiserver is made as: the session's user and groups. */
export interface Impersonation {
  readonly user: string;
  readonly groups: readonly string[];
}

/** One request to the management apiserver. */
export interface UpstreamRequest {
  readonly method: string;
  /** The path and query (`/api/v1/namespaces?limit=5`). */
  readonly path: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly body?: Buffer;
  readonly as: Impersonation;
  readonly signal?: AbortSignal;
}

/**
 * The management apiserver, called with the manager's own credentials (from its kubeconfig) and
 * the `Impersonate-User` / `Impersonate-Group` headers of a user, so the apiserver's RBAC decides
 * every call as that user and its audit log names them. The proxy and the access checks of the
 * portal go through it; nothing else sets those headers.
 */
export class KubeUpstream {
  readonly #kubeConfig: KubeConfig;
  readonly #base: URL;
  #options: { at: number; value: Promise<RequestOptions> } | undefined;

  constructor(kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error('failed to set up the portal: the kubeconfig has no current cluster');
    this.#kubeConfig = kubeConfig;
    this.#base = new URL(cluster.server);
  }

  /** The manager's TLS and auth options, made again each minute: a token from a file or an exec plugin rotates. */
  #requestOptions(): Promise<RequestOptions> {
    const now = Date.now();
    if (this.#options === undefined || now - this.#options.at > OPTIONS_TTL_MS) {
      const value = (async () => {
        const options: RequestOptions = {};
        await this.#kubeConfig.applyToHTTPSOptions(options);
        return options;
      })();
      this.#options = { at: now, value };
      // A failure is not kept: the next request tries again.
      value.catch(() => {
        if (this.#options?.value === value) this.#options = undefined;
      });
    }
    return this.#options.value;
  }

  /** The apiserver's URL. */
  get server(): string {
    return this.#base.toString().replace(/\/$/, '');
  }

  /**
   * Sends the request and resolves with the response once its headers arrived; the body is the
   * caller's to read (or stream). Headers the caller passes named `authorization` or
   * `impersonate-*` are dropped: only the impersonation of `as` is sent.
   */
  async request(upstream: UpstreamRequest): Promise<IncomingMessage> {
    const base = await this.#requestOptions();
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(upstream.headers ?? {})) {
      const lower = name.toLowerCase();
      if (lower === 'authorization' || lower.startsWith('impersonate-') || value === undefined) continue;
      headers[lower] = value;
    }
    // The manager's own bearer token (if its kubeconfig uses one) comes from applyToHTTPSOptions.
    Object.assign(headers, base.headers ?? {});
    headers['impersonate-user'] = upstream.as.user;
    // Node sends an array as repeated headers: one Impersonate-Group per group, as the apiserver reads them.
    if (upstream.as.groups.length > 0) headers['impersonate-group'] = [...upstream.as.groups];
    if (upstream.body !== undefined) headers['content-length'] = String(upstream.body.length);
    const url = new URL(upstream.path, this.#base);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = send(url, { ...base, method: upstream.method, headers, signal: upstream.signal }, resolve);
      outgoing.on('error', reject);
      outgoing.end(upstream.body);
    });
  }

  /** Sends a JSON request and reads the JSON answer whole (small answers only: access reviews). */
  async json<T>(upstream: Omit<UpstreamRequest, 'body' | 'headers'> & { readonly body?: unknown }): Promise<{ status: number; body: T }> {
    const response = await this.request({
      ...upstream,
      headers: { accept: 'application/json', ...(upstream.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: upstream.body === undefined ? undefined : Buffer.from(JSON.stringify(upstream.body)),
    });
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: T;
    try {
      body = JSON.parse(text) as T;
    } catch {
      throw new Error(`the apiserver answered ${String(response.statusCode)} with a body that is not JSON`);
    }
    return { status: response.statusCode ?? 0, body };
  }
}

/** The management apiserver's URL and CA (PEM, when the kubeconfig names one), for `/api/auth/config`. */
export function managementServerOf(kubeConfig: KubeConfig): { server: string; certificateAuthority?: string } {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('the kubeconfig has no current cluster');
  const ca = cluster.caData !== undefined ? Buffer.from(cluster.caData, 'base64').toString('utf8') : cluster.caFile !== undefined ? readFileSync(cluster.caFile, 'utf8') : undefined;
  return { server: cluster.server, ...(ca === undefined ? {} : { certificateAuthority: ca }) };
}
