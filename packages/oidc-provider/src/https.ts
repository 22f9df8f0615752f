import { request } from 'node:https';

/** The answer of {@link httpsRequest}, body read whole. */
export interface HttpsAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

/** One HTTPS request that trusts exactly `caPem` (never the system roots), redirects not followed. */
export function httpsRequest(
  url: string | URL,
  options: { readonly caPem: string; readonly method?: string; readonly headers?: Record<string, string>; readonly body?: string | Buffer; readonly signal?: AbortSignal },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, ca: options.caPem, signal: options.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue;
          for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
        }
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * A `fetch` for HTTPS servers signed by a private CA (the embedded provider's, or an issuer's
 * `certificateAuthority`): Node's global fetch takes no CA option, and adding the CA to the whole
 * process (NODE_EXTRA_CA_CERTS) would trust it for every other connection too. Plain `http:` URLs
 * go to the global fetch. For `openid-client`'s `customFetch`.
 */
export function fetchTrusting(caPem: string | undefined): (url: string | URL, init?: RequestInit) => Promise<Response> {
  if (caPem === undefined) return (url, init) => fetch(url, init);
  return async (url, init = {}) => {
    const target = new URL(url);
    if (target.protocol !== 'https:') return fetch(url, init);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    let body: string | Buffer | undefined;
    if (typeof init.body === 'string') body = init.body;
    else if (init.body instanceof URLSearchParams) {
      body = init.body.toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
    } else if (init.body instanceof Uint8Array) body = Buffer.from(init.body);
    else if (init.body !== undefined && init.body !== null) throw new Error('fetchTrusting: unsupported body type');
    const answer = await httpsRequest(target, { caPem, method: init.method ?? 'GET', headers, body, signal: init.signal ?? undefined });
    const nullBody = answer.status === 204 || answer.status === 304;
    return new Response(nullBody ? null : new Uint8Array(answer.body), { status: answer.status, headers: answer.headers });
  };
}
