import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { redactCredentials } from '../source/git-url.ts';
import { RenderError, type RenderErrorReason } from './render-error.ts';
import { isolatedEnv, runTool, ToolFailure, withoutPath, withPrivateHome, type ToolRunOptions } from './tool.ts';

/** Options of {@link pullHelmChart}. */
export interface PullHelmChartOptions extends ToolRunOptions {
  /** The helm binary. */
  readonly helm: string;
  /** A chart repository (`https://charts.example.com`) or an OCI location (`oci://registry.example.com/charts`). */
  readonly repoUrl: string;
  /** The chart's name (for OCI, the last segment of its reference). */
  readonly chart: string;
  /** A version, or a semver constraint (`^1.2.0`); {@link PulledChart.version} says which one came. */
  readonly version: string;
  /** The folder that receives the chart, as `<targetDir>/<chart name>` (which must not exist yet). */
  readonly targetDir: string;
  /** Talk plain HTTP to an OCI registry (`--plain-http`), for registries on a private network. */
  readonly plainHttp?: boolean;
  /**
   * Basic-auth credentials of the repository or registry. They reach helm through 0600 files in
   * its private home (a `repositories.yaml` entry, or the registry `config.json`), never on its
   * command line. Userinfo in `repoUrl` is used the same way (and taken out of the URL) when
   * these are absent.
   */
  readonly credentials?: { readonly username: string; readonly password: string };
}

/** A chart pulled and unpacked by {@link pullHelmChart}. */
export interface PulledChart {
  /** The chart folder, ready for {@link renderHelmChart}. */
  readonly dir: string;
  /** The chart's name, from its Chart.yaml. */
  readonly name: string;
  /** The chart's version, from its Chart.yaml (what a constraint resolved to). */
  readonly version: string;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const CHART_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

// helm says `chart "x" version "1" not found in <url> repository`, an OCI registry `...: not found`
// or `manifest unknown`; a repository it cannot read at all is `looks like <url> is not a valid
// chart repository or cannot be reached`, checked first because its cause may be a 404 too.
const UNREACHABLE_REPOSITORY = /is not a valid chart repository or cannot be reached/;
const NOT_FOUND = /not found|manifest unknown|name unknown|could not locate a version|no chart version found/i;

function pullFailureReason(detail: string): RenderErrorReason {
  if (UNREACHABLE_REPOSITORY.test(detail)) return 'RepositoryUnreachable';
  if (NOT_FOUND.test(detail)) return 'ChartNotFound';
  return 'RepositoryUnreachable';
}

/** The name the repository gets in helm's private `repositories.yaml` when it needs credentials. */
const CREDENTIALS_REPOSITORY = 'beamline';

function pullArgs(options: PullHelmChartOptions, repoUrl: string, untarDir: string, withCredentials: boolean): string[] {
  const common = ['--version', options.version, '--untar', '--untardir', untarDir];
  if (repoUrl.startsWith('oci://')) {
    return ['pull', `${repoUrl.replace(/\/+$/, '')}/${options.chart}`, ...common, ...(options.plainHttp === true ? ['--plain-http'] : [])];
  }
  // With credentials the repository is a named entry of repositories.yaml (where they are).
  if (withCredentials) return ['pull', `${CREDENTIALS_REPOSITORY}/${options.chart}`, ...common];
  return ['pull', options.chart, '--repo', repoUrl, ...common];
}

/**
 * Writes the credentials where helm reads them, owner-only: for OCI the registry login file
 * (`registry/config.json`, docker's format), for a chart repository a `repositories.yaml` entry.
 */
async function writeHelmCredentials(home: string, repoUrl: URL, credentials: { readonly username: string; readonly password: string }): Promise<void> {
  const config = join(home, 'helm', 'config');
  await mkdir(join(config, 'registry'), { recursive: true, mode: 0o700 });
  if (repoUrl.protocol === 'oci:') {
    const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
    await writeFile(join(config, 'registry', 'config.json'), JSON.stringify({ auths: { [repoUrl.host]: { auth } } }), { mode: 0o600 });
    return;
  }
  const entry = { name: CREDENTIALS_REPOSITORY, url: repoUrl.href.replace(/\/+$/, ''), username: credentials.username, password: credentials.password };
  await writeFile(join(config, 'repositories.yaml'), stringify({ apiVersion: '', generated: new Date(0).toISOString(), repositories: [entry] }), { mode: 0o600 });
}

async function readChartMetadata(chartDir: string): Promise<{ name: string; version: string }> {
  const metadata: unknown = parse(await readFile(join(chartDir, 'Chart.yaml'), 'utf8'));
  const { name, version } = (typeof metadata === 'object' && metadata !== null ? metadata : {}) as Record<string, unknown>;
  if (typeof name !== 'string' || typeof version !== 'string') throw new Error('the pulled chart has no name or version in Chart.yaml');
  return { name, version };
}

/**
 * Pulls a chart from a Helm repository (`helm pull <chart> --repo <url> --version <v> --untar`) or
 * an OCI registry (`helm pull oci://<location>/<chart> --version <v> --untar`) into
 * `<targetDir>/<chart>`, with helm's folders in a private temporary folder (no user repositories
 * or registry logins).
 *
 * @throws {@link RenderError} `ChartNotFound` (the repository has no such chart or version) or
 * `RepositoryUnreachable` (it cannot be reached or read), with helm's message, URLs redacted.
 */
export async function pullHelmChart(options: PullHelmChartOptions): Promise<PulledChart> {
  const label = `failed to pull helm chart ${options.chart} ${options.version}`;
  if (!CHART_NAME.test(options.chart)) throw new RenderError('ChartNotFound', `${label}: not a chart name`);
  if (options.version.trim() === '') throw new RenderError('ChartNotFound', `${label}: a version is required`);
  let parsed: URL;
  try {
    parsed = new URL(options.repoUrl);
  } catch (cause) {
    throw new RenderError('RepositoryUnreachable', `${label}: the repository url is not a url`, { cause });
  }
  const scheme = parsed.protocol;
  // Userinfo never goes on helm's command line: it becomes credentials in a private file.
  let credentials = options.credentials;
  if (parsed.username !== '' || parsed.password !== '') {
    credentials ??= { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) };
    parsed.username = '';
    parsed.password = '';
  }
  const repoUrl = scheme === 'oci:' ? `oci://${parsed.host}${parsed.pathname}` : parsed.href;
  if (!['http:', 'https:', 'oci:'].includes(scheme)) {
    throw new RenderError('RepositoryUnreachable', `${label}: unsupported repository url scheme ${scheme} (http, https or oci)`);
  }
  await mkdir(options.targetDir, { recursive: true });
  const staging = await mkdtemp(join(options.targetDir, '.pull-'));
  try {
    await withPrivateHome(async (home) => {
      try {
        const run = { env: isolatedEnv(home, 'allowed'), cwd: home, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal: options.signal };
        if (credentials !== undefined) {
          await writeHelmCredentials(home, new URL(repoUrl), credentials);
          // `pull <repo>/<chart>` reads the repository's index from the cache: fetch it first.
          if (scheme !== 'oci:') {
            // helm says why an update failed on stdout (its exit code says only that it failed).
            const out = await runTool(options.helm, ['repo', 'update', CREDENTIALS_REPOSITORY], run);
            const failed = /Unable to get an update from the "[^"]*" chart repository \(([^)]*)\):\s*\n\s*(.+)/.exec(out);
            if (failed !== null) {
              const detail = redactCredentials(`looks like "${failed[1] ?? ''}" is not a valid chart repository or cannot be reached: ${(failed[2] ?? '').trim()}`);
              throw new RenderError('RepositoryUnreachable', `${label}: ${detail}`, { cause: new Error(detail) });
            }
          }
        }
        await runTool(options.helm, pullArgs(options, repoUrl, staging, credentials !== undefined), run);
      } catch (cause) {
        if (!(cause instanceof ToolFailure)) throw cause;
        if (!cause.aboutInput) throw new Error(`failed to run helm: ${cause.detail}`, { cause });
        const detail = withoutPath(withoutPath(cause.detail, staging), home);
        const reason = cause.outcome === 'timedOut' ? 'RepositoryUnreachable' : pullFailureReason(detail);
        throw new RenderError(reason, `${label}: ${detail}`, { cause: new Error(detail) });
      }
    });
    const unpacked = (await readdir(staging, { withFileTypes: true })).filter((entry) => entry.isDirectory());
    const only = unpacked[0];
    if (only === undefined || unpacked.length > 1) throw new Error(`${label}: expected one chart folder in the archive, found ${unpacked.length}`);
    const metadata = await readChartMetadata(join(staging, only.name));
    const dir = join(options.targetDir, metadata.name);
    try {
      await rename(join(staging, only.name), dir);
    } catch (cause) {
      throw new Error(`${label}: failed to move it into place: ${(cause as NodeJS.ErrnoException).code ?? 'unknown'}`, { cause });
    }
    return { dir, ...metadata };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
