/**
 * Test helpers that drive the provider's real HTML pages over HTTPS, as a browser would (cookies,
 * redirects, forms), without a browser: `browserLogin` for the authorization code flow and
 * `approveDeviceCode` for the device flow.
 */
import { httpsRequest } from './https.ts';

/** A user's credentials as typed into the login form. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** Options of the browser helpers. */
export interface BrowserOptions {
  /** The provider's CA (PEM); the helpers trust nothing else. */
  readonly caPem: string;
}

interface Form {
  readonly action: string;
  readonly fields: Map<string, string>;
  readonly hasPassword: boolean;
  readonly hasUserCode: boolean;
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*"([^"]*)"`, 'i').exec(tag);
  return match?.[1] === undefined ? undefined : decodeEntities(match[1]);
}

function decodeEntities(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, code: string) => String.fromCharCode(parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The first POST form of a page, with its inputs (enough for the provider's own simple pages). */
function firstForm(html: string): Form | undefined {
  const match = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (match === null) return undefined;
  const tag = /<form\b[^>]*>/i.exec(match[0])?.[0] ?? '';
  const fields = new Map<string, string>();
  let hasPassword = false;
  let hasUserCode = false;
  for (const input of match[1]?.match(/<input\b[^>]*>/gi) ?? []) {
    const name = attribute(input, 'name');
    if (name === undefined) continue;
    const type = (attribute(input, 'type') ?? 'text').toLowerCase();
    if (type === 'password') hasPassword = true;
    if (name === 'user_code' && type === 'text') hasUserCode = true;
    fields.set(name, attribute(input, 'value') ?? '');
  }
  return { action: attribute(tag, 'action') ?? '', fields, hasPassword, hasUserCode };
}

function visibleText(html: string): string {
  return decodeEntities(html.replace(/<style[\s\S]*?<\/style>|<script[\s\S]*?<\/script>/gi, '').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Walks the provider's pages from `startUrl`: follows redirects, keeps cookies, submits each form
 * (filling in credentials and the user code), until a redirect leaves the provider (returned) or a
 * page without a form is reached (its text returned).
 */
async function browse(startUrl: string, creds: Credentials, options: BrowserOptions & { readonly userCode?: string }): Promise<{ redirect?: string; text?: string }> {
  const origin = new URL(startUrl).origin;
  const cookies = new Map<string, string>();
  let request: { url: string; method: string; body?: string } = { url: startUrl, method: 'GET' };
  let loginSubmitted = false;
  for (let step = 0; step < 40; step += 1) {
    const url = new URL(request.url);
    if (url.origin !== origin) return { redirect: url.toString() };
    const headers: Record<string, string> = { accept: 'text/html' };
    if (cookies.size > 0) headers['cookie'] = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    if (request.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const answer = await httpsRequest(url, { caPem: options.caPem, method: request.method, headers, body: request.body });
    for (const line of answer.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair === undefined || eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) cookies.delete(name);
      else cookies.set(name, value);
    }
    const location = answer.headers.get('location');
    if (answer.status >= 300 && answer.status < 400 && location !== null) {
      request = { url: new URL(location, url).toString(), method: 'GET' };
      continue;
    }
    const html = answer.body.toString('utf8');
    if (answer.status >= 400) throw new Error(`the provider answered ${answer.status} at ${url.pathname}: ${visibleText(html).slice(0, 300)}`);
    const form = firstForm(html);
    if (form === undefined) return { text: visibleText(html) };
    if (form.hasPassword) {
      // The login form again after we submitted it: the login was refused; say what the page says.
      if (loginSubmitted) throw new Error(`login refused: ${visibleText(/<p class="error"[^>]*>([\s\S]*?)<\/p>/i.exec(html)?.[1] ?? html)}`);
      form.fields.set('username', creds.username);
      form.fields.set('password', creds.password);
      loginSubmitted = true;
    }
    if (form.hasUserCode) {
      if (options.userCode === undefined || form.fields.get('user_code') === options.userCode) {
        throw new Error(`the provider asks for a user code again: ${visibleText(html).slice(0, 300)}`);
      }
      form.fields.set('user_code', options.userCode);
    }
    request = { url: new URL(form.action, url).toString(), method: 'POST', body: new URLSearchParams([...form.fields]).toString() };
  }
  throw new Error(`no end after 40 pages from ${startUrl}`);
}

/**
 * Logs in at an authorization URL as a browser would and returns the final redirect URL (the
 * client's callback with `code` and `state`, or with `error`), without requesting it. Rejects when
 * the login is refused, with the page's message.
 */
export async function browserLogin(authorizationUrl: string | URL, creds: Credentials, options: BrowserOptions): Promise<string> {
  const result = await browse(authorizationUrl.toString(), creds, options);
  if (result.redirect === undefined) throw new Error(`the login ended on a page, not a redirect: ${result.text ?? ''}`);
  return result.redirect;
}

/**
 * Approves a device-flow sign-in as the user would in a browser: opens `verification_uri_complete`
 * (or the verification URI, typing the user code), confirms, logs in. Resolves with the final
 * page's text once the provider says the device is signed in.
 */
export async function approveDeviceCode(
  verification: string | { readonly uri: string; readonly userCode: string },
  creds: Credentials,
  options: BrowserOptions,
): Promise<string> {
  const start = typeof verification === 'string' ? verification : verification.uri;
  const userCode = typeof verification === 'string' ? undefined : verification.userCode;
  const result = await browse(start, creds, { ...options, ...(userCode === undefined ? {} : { userCode }) });
  if (result.text === undefined) throw new Error(`the device sign-in ended in a redirect to ${result.redirect ?? ''}`);
  if (!/signed in/i.test(result.text)) throw new Error(`the device sign-in did not succeed: ${result.text.slice(0, 300)}`);
  return result.text;
}
