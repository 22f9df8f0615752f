/**
 * The portal's web app as the manager serves it: the Vite build of `apps/portal` (its `dist`),
 * `index.html` at `/` and at every other page path (the app routes in the browser: a reload of
 * `/clusters` must get the app, not a 404), the hashed files under `/assets/`. The pages get a CSP
 * that lets them load only the app's own scripts and styles and talk only to this origin.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError, ServiceUnavailableError } from '@beamline/errors';

/** Where `npm run build:portal` writes the app, from this file: `apps/portal/dist`. */
export const DEFAULT_PORTAL_DIST = fileURLToPath(new URL('../../../portal/dist', import.meta.url));

/**
 * The pages' Content-Security-Policy: scripts, styles, fonts and fetches from this origin only
 * (Vite emits files, never inline code), images also as `data:` URLs, no plugins, frames, `<base>`
 * or foreign form targets. Exported for the tests that hold the served header to it.
 */
export const PORTAL_PAGE_CSP_DIRECTIVES = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
} as const;

/** Path prefixes that are never the app's pages: an unknown path there is a JSON 404, not index.html. */
const NOT_PAGES = ['/api', '/auth', '/healthz', '/readyz', '/metrics', '/assets'];

function isPagePath(url: string): boolean {
  const path = url.split('?')[0] ?? '/';
  return !NOT_PAGES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** Options of {@link registerPortalApp}. */
export interface PortalAppOptions {
  /** The built app (`index.html`, `assets/`). Default {@link DEFAULT_PORTAL_DIST}. */
  readonly dist?: string;
}

/**
 * Registers the app's routes as one encapsulated plugin (its CSP stays off the API's stricter one).
 * `dist` is read per request, not at start: the sandbox may build it after the manager started,
 * and a rebuild is served without a restart. Without a build, pages answer 503 saying how to build.
 */
export function registerPortalApp(app: FastifyInstance, options: PortalAppOptions = {}): void {
  const dist = options.dist ?? DEFAULT_PORTAL_DIST;
  void app.register(async (scope) => {
    await scope.register(fastifyHelmet, {
      contentSecurityPolicy: { useDefaults: false, directives: PORTAL_PAGE_CSP_DIRECTIVES },
      crossOriginResourcePolicy: { policy: 'same-origin' },
      referrerPolicy: { policy: 'no-referrer' },
    });
    await scope.register(fastifyStatic, {
      root: join(dist, 'assets'),
      prefix: '/assets/',
      // Vite names assets by content hash: a name never changes meaning, so browsers keep them.
      immutable: true,
      maxAge: '365d',
      // Exact files only: no directory listings, no index.html under /assets.
      index: false,
      list: false,
      // Not built yet is the pages' 503 below, not a warning at start (the build may come later).
      suppressWarning: true,
    });
    const page = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      if (!isPagePath(request.url)) throw new NotFoundError(`no route ${request.method} ${request.url.split('?')[0] ?? ''}`);
      let html: Buffer;
      try {
        html = await readFile(join(dist, 'index.html'));
      } catch {
        throw new ServiceUnavailableError(`the portal web app is not built (no ${join(dist, 'index.html')}): run npm run build:portal`);
      }
      // Never cached: it names the current build's hashed assets.
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(html);
    };
    scope.get('/', page);
    scope.get('/*', page);
  });
}
