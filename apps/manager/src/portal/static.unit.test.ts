// The web app as the manager serves it, in process on a loopback port with a built app of our own
// making (no Vite, no control plane): index.html with the pages' CSP at / and as the SPA fallback,
// assets with their content types, JSON 404s under the API prefixes, 503 without a build.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { createPortal } from '../portal-capability.ts';
import { startManagerServer, type ManagerServer } from '../server.ts';
import { registerPortalApp } from './static.ts';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';
const EXPECTED_CSP = new Map([
  ['default-src', "'none'"],
  ['script-src', "'self'"],
  ['style-src', "'self'"],
  ['img-src', "'self' data:"],
  ['connect-src', "'self'"],
  ['font-src', "'self'"],
  ['base-uri', "'none'"],
  ['form-action', "'self'"],
  ['frame-ancestors', "'none'"],
]);

/** A CSP header as directive → sources (order of directives does not matter to a browser). */
function cspOf(response: Response): Map<string, string> {
  const header = response.headers.get('content-security-policy') ?? '';
  return new Map(
    header
      .split(';')
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .map((part) => {
        const [name = '', ...sources] = part.split(/\s+/);
        return [name, sources.join(' ')] as const;
      }),
  );
}

async function serve(routes: Parameters<typeof startManagerServer>[0]['routes']): Promise<ManagerServer> {
  return startManagerServer({ port: 0, manager: { readiness: () => ({ ready: true, notReady: [] }) }, registry: new Registry(), ...(routes === undefined ? {} : { routes }) });
}

describe('portal web app serving', () => {
  let dir = '';
  let dist = '';
  let server: ManagerServer | undefined;
  const url = (path: string): string => `${server?.url ?? ''}${path}`;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'beamline-portal-static-'));
    dist = join(dir, 'dist');
    await mkdir(join(dist, 'assets'), { recursive: true });
    await writeFile(join(dist, 'index.html'), INDEX);
    await writeFile(join(dist, 'assets', 'index-abc123.js'), 'console.log("app");\n');
    await writeFile(join(dist, 'assets', 'index-abc123.css'), 'body { margin: 0; }\n');
    server = await serve((app) => registerPortalApp(app, { dist }));
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('/ answers index.html with the pages CSP, uncached', async () => {
    const response = await fetch(url('/'));
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(await response.text(), INDEX);
    assert.deepEqual(cspOf(response), EXPECTED_CSP);
    assert.equal(response.headers.get('cache-control'), 'no-cache');
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  });

  test('every other page path gets index.html (the app routes in the browser)', async () => {
    for (const path of ['/clusters', '/projects', '/templates', '/clusters/team-a/web?tab=nodes', '/no/such/page']) {
      const response = await fetch(url(path));
      assert.equal(response.status, 200, path);
      assert.equal(await response.text(), INDEX, path);
      assert.deepEqual(cspOf(response), EXPECTED_CSP, path);
    }
  });

  test('assets are served with their content types and cached for good', async () => {
    const js = await fetch(url('/assets/index-abc123.js'));
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /^(text|application)\/javascript/);
    assert.equal(await js.text(), 'console.log("app");\n');
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
    const css = await fetch(url('/assets/index-abc123.css'));
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    await css.body?.cancel();
  });

  test('unknown paths under the API prefixes and missing assets are JSON 404s, not the app', async () => {
    for (const path of ['/api/nothing', '/auth/nothing', '/healthz/x', '/metrics/x', '/readyz/x', '/assets/missing.js', '/assets']) {
      const response = await fetch(url(path));
      assert.equal(response.status, 404, path);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/, path);
      const body = (await response.json()) as { error: { name: string } };
      assert.equal(body.error.name, 'NotFoundError', path);
    }
    // The server's own routes are untouched.
    const health = await fetch(url('/healthz'));
    assert.deepEqual(await health.json(), { status: 'ok' });
  });

  test('only GET (and HEAD) fall back to the app', async () => {
    const head = await fetch(url('/clusters'), { method: 'HEAD' });
    assert.equal(head.status, 200);
    const post = await fetch(url('/clusters'), { method: 'POST' });
    assert.equal(post.status, 404);
    await post.body?.cancel();
  });

  test('without a build, pages answer 503 saying how to build', async (t) => {
    const missing = await serve((app) => registerPortalApp(app, { dist: join(dir, 'not-built') }));
    t.after(() => missing.close());
    for (const path of ['/', '/clusters']) {
      const response = await fetch(`${missing.url}${path}`);
      assert.equal(response.status, 503, path);
      const body = (await response.json()) as { error: { name: string }; message: string };
      assert.equal(body.error.name, 'ServiceUnavailableError');
      assert.match(body.message, /npm run build:portal/);
    }
    const asset = await fetch(`${missing.url}/assets/index-abc123.js`);
    assert.equal(asset.status, 404);
    await asset.body?.cancel();
  });

  test('the portal serves the app beside its API, each with its own CSP', async (t) => {
    // A kubeconfig naming an unreachable apiserver: nothing here asks it (the informers are not started).
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: 'none', server: 'https://127.0.0.1:9', skipTLSVerify: false }],
      users: [{ name: 'none' }],
      contexts: [{ name: 'none', cluster: 'none', user: 'none' }],
      currentContext: 'none',
    });
    const portal = createPortal({ kubeConfig, appDist: dist });
    const portalServer = await serve((app) => portal.register(app));
    t.after(async () => {
      await portalServer.close();
      await portal.stop();
    });
    const page = await fetch(`${portalServer.url}/dashboard`);
    assert.equal(page.status, 200);
    assert.equal(await page.text(), INDEX);
    assert.deepEqual(cspOf(page), EXPECTED_CSP);
    const session = await fetch(`${portalServer.url}/api/session`);
    assert.equal(session.status, 200, '/api/session answers { authenticated: false } before login');
    await session.body?.cancel();
    // The API keeps its stricter policy: nothing may run from its answers.
    const apiCsp = cspOf(session);
    assert.equal(apiCsp.get('default-src'), "'none'");
    assert.equal(apiCsp.has('script-src'), false);
  });
});
