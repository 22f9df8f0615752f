/**
 * Building the portal's single-page app (`apps/portal/web`) with Vite into `apps/portal/dist`,
 * which the manager serves at `/`. `npm start` (the sandbox) and `npm test` call
 * {@link ensurePortalBuilt} so a fresh checkout, or one whose sources changed, gets a current
 * build without a separate step; `npm run build:portal` builds on demand.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The workspace's directory (`apps/portal`). */
export const PORTAL_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** The app's sources: `index.html`, the `.tsx` modules and the stylesheet. */
export const PORTAL_SOURCES = join(PORTAL_ROOT, 'web');

/** The built app the manager serves: `index.html` and `assets/`. */
export const PORTAL_DIST = join(PORTAL_ROOT, 'dist');

/** Where progress lines go (the CLI's and the test runner's stderr). */
export type BuildProgress = (message: string) => void;

async function newestMtime(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, entry)));
  return newest;
}

/**
 * Why the app needs (re)building, or undefined when `dist` is current: missing, or older than a
 * source file or the workspace's package.json (a dependency bumped).
 */
export async function portalBuildReason(dist = PORTAL_DIST): Promise<string | undefined> {
  let built: number;
  try {
    built = (await stat(join(dist, 'index.html'))).mtimeMs;
  } catch {
    return 'not built yet';
  }
  const sources = Math.max(await newestMtime(PORTAL_SOURCES), (await stat(join(PORTAL_ROOT, 'package.json'))).mtimeMs);
  return sources > built ? 'sources changed since the last build' : undefined;
}

/**
 * Builds the app into `dist`. It builds into a staging directory first and swaps it in, so a
 * manager serving the old build never sees a half-written one for longer than a rename.
 */
export async function buildPortal(options: { dist?: string; progress?: BuildProgress } = {}): Promise<void> {
  const dist = options.dist ?? PORTAL_DIST;
  // Unique per build: two `beamline up` or test runs may build at once (each swaps in a whole build).
  // Beside dist on the same file system (a rename), under node_modules: no linter or git sees it.
  const staging = join(dirname(dist), 'node_modules', '.cache', `portal-build-${process.pid}-${randomUUID()}`);
  // Imported here: vite is a devDependency, needed only to build, never by the manager serving dist.
  const [{ build }, { default: react }] = await Promise.all([import('vite'), import('@vitejs/plugin-react')]);
  options.progress?.('building the portal app (vite)');
  try {
    await build({
      root: PORTAL_SOURCES,
      configFile: false,
      logLevel: 'warn',
      plugins: [react()],
      base: '/',
      build: {
        outDir: staging,
        emptyOutDir: true,
        // Everything as files under /assets: the pages' CSP refuses inline scripts, styles and data: fonts.
        assetsInlineLimit: 0,
        sourcemap: false,
      },
    });
    await mkdir(dirname(dist), { recursive: true });
    await rm(dist, { recursive: true, force: true });
    try {
      await rename(staging, dist);
    } catch (error) {
      // A concurrent build swapped its own (identical) build in between our rm and rename: keep it.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  options.progress?.(`portal app built into ${dist}`);
}

/** Builds the app when `dist` is missing or older than its sources; says whether it built. */
export async function ensurePortalBuilt(options: { progress?: BuildProgress } = {}): Promise<boolean> {
  const reason = await portalBuildReason();
  if (reason === undefined) return false;
  options.progress?.(`portal app: ${reason}`);
  await buildPortal(options.progress === undefined ? {} : { progress: options.progress });
  return true;
}
