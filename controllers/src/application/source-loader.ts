import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApplicationSource } from '@beamline/api';
import {
  checkListing,
  GitMirrorCache,
  gitCredentialsId,
  isSelectedManifest,
  KUSTOMIZATION_FILES,
  normaliseSourcePath,
  pullHelmChart,
  redactUrl,
  render,
  RenderCache,
  renderManifestFiles,
  renderCacheKey,
  renderLimits,
  SourceError,
  type GitCredentials,
  type GitFileEntry,
  type Manifest,
  type RenderCacheKeyParams,
  type RenderLimits,
  type RenderParams,
  type RenderResult,
  type RenderTools,
  type SourceType,
} from '@beamline/gitops';
import { exportKustomization } from './kustomize-export.ts';
import { sourceCredentials, type SecretDataReader } from './source-credentials.ts';

/** What an Application's source resolved and rendered to. */
export interface LoadedSource {
  /** The commit (git) or the chart version (Helm repository). */
  readonly revision: string;
  /** The rendered objects (shared and frozen: clone before changing). */
  readonly objects: readonly Manifest[];
  readonly sourceType: SourceType;
  /** The render cache key: equal keys render equal objects. */
  readonly renderKey: string;
  /** Git sources: the tree id of the app's folder at `revision`. */
  readonly treeId?: string;
}

/** Timings of one load, in seconds, for the stage metrics. */
export interface LoadTimings {
  fetchSeconds: number;
  renderSeconds: number;
}

/** Options of {@link SourceLoader}. */
export interface SourceLoaderOptions {
  /** A folder of this process alone: git mirrors, exports and pulled charts go under it. */
  readonly workDir: string;
  readonly tools: RenderTools;
  /** The destination's Kubernetes version for Helm's `.Capabilities.KubeVersion`. */
  readonly kubeVersion: string;
  /** How long a resolved branch or tag is reused by other apps of the same repository and revision. Default 2 s. */
  readonly resolveTtlMs?: number;
  /** Renders kept (LRU). Default 5000. */
  readonly maxRenders?: number;
  /** Reads the Secret `credentialsSecretRef` names (in the app's namespace); without it such sources fail. */
  readonly readSecret?: SecretDataReader;
  /** Caps on what one app's render reads and produces (files, bytes, objects); see `DEFAULT_RENDER_LIMITS`. */
  readonly limits?: Partial<RenderLimits>;
}

interface Resolution {
  readonly at: number;
  readonly sha: Promise<string>;
}

/**
 * Fetches and renders Application sources with the GitOps engine, sharing work between apps:
 *
 * - a branch or tag is resolved by one `git ls-remote` for every app of that repository and
 *   revision refreshing within `resolveTtlMs` (a webhook or an interval wakes many at once);
 * - the folders' tree ids come from one `git ls-tree` per commit, kept per commit;
 * - renders are cached by tree id and parameters ({@link renderCacheKey}): a commit that does not
 *   touch an app's folder renders nothing for it, and a manifest is exported only on a miss.
 */
export class SourceLoader {
  readonly mirrors: GitMirrorCache;
  readonly renders: RenderCache;
  readonly #workDir: string;
  readonly #tools: RenderTools;
  readonly #kubeVersion: string;
  readonly #resolveTtlMs: number;
  readonly #readSecret: SecretDataReader | undefined;
  readonly #resolutions = new Map<string, Resolution>();
  readonly #trees = new Map<string, Promise<Map<string, string>>>();
  readonly #files = new Map<string, Promise<Map<string, GitFileEntry[]>>>();
  readonly #limits: RenderLimits;
  /** Per kustomize app folder (`<access key>#<path>#<tree id>`): the folders outside it that it reached when last rendered. */
  readonly #kustomizeDirs = new Map<string, readonly string[]>();

  constructor(options: SourceLoaderOptions) {
    this.#workDir = options.workDir;
    this.#kubeVersion = options.kubeVersion;
    this.#resolveTtlMs = options.resolveTtlMs ?? 2_000;
    this.#readSecret = options.readSecret;
    this.#limits = renderLimits(options.limits);
    this.#tools = { ...options.tools, limits: this.#limits };
    this.mirrors = new GitMirrorCache({ root: join(options.workDir, 'git') });
    this.renders = new RenderCache({ maxEntries: options.maxRenders ?? 5000 });
  }

  /**
   * Resolves the source (`revision` pins a commit or chart version instead of `targetRevision`,
   * as a rollback does) and renders it for `releaseName`/`namespace` (Helm's release).
   * `appNamespace` is where `credentialsSecretRef` is read (the Application's own namespace).
   *
   * @throws {SourceError} when the repository, revision, path or chart cannot be fetched;
   *   {@link RenderError} when it does not render.
   */
  async load(
    source: ApplicationSource,
    context: { readonly appName: string; readonly namespace: string; readonly appNamespace?: string; readonly revision?: string; readonly timings?: LoadTimings },
  ): Promise<LoadedSource> {
    const started = performance.now();
    // Everything fetched or cached is per repository *and* credentials: an app without them never
    // gets what an app with them fetched (mirrors, resolutions, folder listings, renders).
    const credentials = await sourceCredentials(source, context.appNamespace, this.#readSecret);
    const shownUrl = redactUrl(source.repoURL);
    const params: RenderParams = {
      recursive: source.directory?.recursive ?? false,
      releaseName: source.helm?.releaseName ?? context.appName,
      namespace: context.namespace,
      kubeVersion: this.#kubeVersion,
      ...(source.helm?.values === undefined ? {} : { values: source.helm.values }),
      ...(source.helm?.valueFiles === undefined ? {} : { valueFiles: source.helm.valueFiles }),
    };
    if (source.chart !== undefined) {
      const version = context.revision ?? source.chartVersion ?? '';
      const keyParams: RenderCacheKeyParams = { ...params, repoUrl: source.repoURL, chart: source.chart, chartVersion: version };
      const renderKey = renderCacheKey(`helm:${source.repoURL}#${source.chart}@${version}${credentialsTag(credentials)}`, keyParams);
      const result = await this.renders.getOrRender(renderKey, async () => {
        const dir = await mkdtemp(join(this.#workDir, 'chart-'));
        try {
          const fetchStarted = performance.now();
          const pulled = await pullHelmChart({ helm: this.#tools.helm, repoUrl: source.repoURL, chart: source.chart ?? '', version, targetDir: dir, ...(credentials?.type === 'basic' ? { credentials: { username: credentials.username, password: credentials.password } } : {}), plainHttp: source.repoURL.startsWith('oci://localhost') || source.repoURL.startsWith('oci://127.') });
          if (context.timings !== undefined) context.timings.fetchSeconds += (performance.now() - fetchStarted) / 1000;
          this.onRender?.();
          return await render({ ...params, type: 'helm', dir: pulled.dir }, this.#tools);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
      if (context.timings !== undefined) context.timings.renderSeconds += (performance.now() - started) / 1000 - context.timings.fetchSeconds;
      return { revision: version, objects: result.objects, sourceType: result.sourceType, renderKey };
    }

    const path = normaliseSourcePath(source.path ?? '.');
    if (path === undefined) {
      throw new SourceError('PathNotFound', `failed to read path ${JSON.stringify(source.path)} of ${shownUrl}: it leaves the repository`, { url: shownUrl, path: source.path });
    }
    const revision = source.targetRevision ?? 'HEAD';
    let sha = context.revision ?? (await this.#resolve(source.repoURL, revision, credentials));
    let trees = await this.#treesOf(source.repoURL, sha, credentials);
    let tree = trees.get(path);
    if (tree === undefined && context.revision === undefined && this.#resolvedBefore(source.repoURL, revision, credentials)) {
      // The branch was resolved for other apps a moment ago; the folder may be in a commit pushed
      // since (a new app for a new folder). Resolve again before calling the path missing.
      this.invalidate(source.repoURL);
      sha = await this.#resolve(source.repoURL, revision, credentials);
      trees = await this.#treesOf(source.repoURL, sha, credentials);
      tree = trees.get(path);
    }
    if (tree === undefined) {
      throw new SourceError('PathNotFound', `failed to find path ${JSON.stringify(path === '' ? '.' : path)} at ${sha} in ${shownUrl}: no such folder`, {
        url: shownUrl,
        revision: sha,
        path: path === '' ? '.' : path,
      });
    }
    const fetched = performance.now();
    if (context.timings !== undefined) context.timings.fetchSeconds += (fetched - started) / 1000;
    const plain = await this.#plainFolder(source.repoURL, sha, path, credentials);
    const index = await this.#filesOf(source.repoURL, sha, credentials);
    const folderFiles = index.get(path) ?? [];
    const limits = this.#limits;
    let renderKey = renderCacheKey(tree, params);
    let result: RenderResult;
    if (plain !== undefined) {
      result = await this.renders.getOrRender(renderKey, async () => {
        // A folder of plain manifests, no links: read straight from git objects, nothing on disk.
        // The listing has every size: the caps are checked before a byte is read.
        const considered = plain.filter((file) => !file.relative.split('/').some((segment) => segment.startsWith('.')) && (params.recursive === true || !file.relative.includes('/')));
        checkListing(
          considered.map((file) => ({ path: file.relative, size: isSelectedManifest(file.relative, params) ? file.size : 0 })),
          limits,
          'directory',
        );
        const selected = considered.filter((file) => isSelectedManifest(file.relative, params));
        const blobs = await this.mirrors.readBlobs(source.repoURL, selected.map((file) => file.id), credentials, { maxBytes: limits.maxTotalBytes });
        this.onRender?.();
        const files = selected.map((file) => ({ path: file.relative, text: blobs.get(file.id)?.toString('utf8') ?? '' }));
        return { sourceType: 'directory' as const, objects: await renderManifestFiles(files, params, limits) };
      });
    } else if (isKustomization(folderFiles, path)) {
      // Rendered in a tree standing for the repository root, holding the app's folder and the
      // folders its kustomization reaches (../../base): the cache key covers their trees too.
      const memo = `${accessKey(source.repoURL, credentials)}#${path}#${tree}`;
      const keyOf = (dirs: readonly string[]): string => renderCacheKey([tree, ...dirs.map((dir) => `${dir}:${trees.get(dir) ?? 'missing'}`)].join('+'), params);
      const known = this.#kustomizeDirs.get(memo);
      const renderIn = async (exported: { readonly root: string; readonly dir: string }): Promise<RenderResult> => {
        this.onRender?.();
        return render({ ...params, type: 'kustomize', dir: exported.dir }, { ...this.#tools, root: exported.root });
      };
      const exportHere = async (target: string) => {
        const exported = await exportKustomization({ mirrors: this.mirrors, url: source.repoURL, sha, path, credentials, trees, files: index, target, limits });
        this.#kustomizeDirs.set(memo, exported.externalDirs);
        if (this.#kustomizeDirs.size > 5000) this.#kustomizeDirs.delete(this.#kustomizeDirs.keys().next().value ?? memo);
        return exported;
      };
      if (known !== undefined) {
        renderKey = keyOf(known);
        result = await this.renders.getOrRender(renderKey, () => this.#inExportDir((target) => exportHere(target).then(renderIn)));
      } else {
        // First render of this folder's tree: which bases it reaches is known once exported.
        const outcome = await this.#inExportDir(async (target) => {
          const exported = await exportHere(target);
          const key = keyOf(exported.externalDirs);
          return { key, result: await this.renders.getOrRender(key, () => renderIn(exported)) };
        });
        renderKey = outcome.key;
        result = outcome.result;
      }
    } else {
      result = await this.renders.getOrRender(renderKey, async () => {
        checkListing(folderFiles.map((entry) => ({ path: path === '' ? entry.path : entry.path.slice(path.length + 1), size: entry.size })), limits, 'source');
        return this.#inExportDir(async (dir) => {
          await this.mirrors.export(source.repoURL, sha, path, dir, {
            treeId: tree,
            ...(credentials === undefined ? {} : { credentials }),
            limits: { maxFiles: limits.maxFiles, maxFileBytes: limits.maxFileBytes, maxTotalBytes: limits.maxTotalBytes },
          });
          this.onRender?.();
          return render({ ...params, dir }, this.#tools);
        });
      });
    }
    if (context.timings !== undefined) context.timings.renderSeconds += (performance.now() - fetched) / 1000;
    return { revision: sha, objects: result.objects, sourceType: result.sourceType, renderKey, treeId: tree };
  }

  /** Runs `use` with a fresh export folder of this process, removed afterwards whatever happens. */
  async #inExportDir<T>(use: (dir: string) => Promise<T>): Promise<T> {
    const dir = await mkdtemp(join(this.#workDir, 'export-'));
    try {
      return await use(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * The tree id of every folder at the commit `revision` of `url` resolves to now (resolved anew,
   * shared with apps loading at the same time): what a push changed, before any app renders.
   * Repositories read without credentials only (apps with credentials are not compared).
   */
  async treesNow(url: string, revision: string): Promise<{ readonly revision: string; readonly trees: ReadonlyMap<string, string> }> {
    const sha = await this.#resolve(url, revision, undefined);
    return { revision: sha, trees: await this.#treesOf(url, sha, undefined) };
  }

  /** Called with every render that actually runs (a cache miss), for the metrics. */
  onRender: (() => void) | undefined;

  /** Forgets resolved branches and tags of a repository, for all credentials (a webhook said it changed). */
  invalidate(repoURL: string): void {
    for (const key of this.#resolutions.keys()) if (key.startsWith(`${repoURL}\0`)) this.#resolutions.delete(key);
  }

  /** Whether the resolution of `url`/`revision` in memory is older than this moment (shared, not made for the caller). */
  #resolvedBefore(url: string, revision: string, credentials: GitCredentials | undefined): boolean {
    const kept = this.#resolutions.get(`${accessKey(url, credentials)}#${revision}`);
    return kept !== undefined && performance.now() - kept.at > 50;
  }

  #resolve(url: string, revision: string, credentials: GitCredentials | undefined): Promise<string> {
    const key = `${accessKey(url, credentials)}#${revision}`;
    const now = performance.now();
    const kept = this.#resolutions.get(key);
    if (kept !== undefined && now - kept.at < this.#resolveTtlMs) return kept.sha;
    const sha = this.mirrors.resolve(url, revision, credentials);
    this.#resolutions.set(key, { at: now, sha });
    sha.catch(() => {
      if (this.#resolutions.get(key)?.sha === sha) this.#resolutions.delete(key);
    });
    return sha;
  }

  /**
   * The files under `folder` (relative to it) when it is a plain manifest folder git can hand over
   * as is: no kustomization or Chart.yaml at its top, no symbolic links or submodules anywhere in
   * it (those take the export path, which checks where links lead). Otherwise `undefined`.
   */
  async #plainFolder(url: string, sha: string, folder: string, credentials: GitCredentials | undefined): Promise<{ readonly relative: string; readonly id: string; readonly size: number }[] | undefined> {
    const index = await this.#filesOf(url, sha, credentials);
    const entries = index.get(folder) ?? [];
    const files: { relative: string; id: string; size: number }[] = [];
    for (const entry of entries) {
      const relative = folder === '' ? entry.path : entry.path.slice(folder.length + 1);
      if (entry.mode === '120000' || entry.mode === '160000') return undefined;
      if (!relative.includes('/') && ((KUSTOMIZATION_FILES as readonly string[]).includes(relative) || relative === 'Chart.yaml')) return undefined;
      files.push({ relative, id: entry.id, size: entry.size });
    }
    return files;
  }

  /** The files of a commit, by every folder that holds them (at any depth); kept for a few commits. */
  #filesOf(url: string, sha: string, credentials: GitCredentials | undefined): Promise<Map<string, GitFileEntry[]>> {
    const key = `${accessKey(url, credentials)}#${sha}`;
    let files = this.#files.get(key);
    if (files === undefined) {
      files = this.mirrors.listFiles(url, sha, credentials).then((entries) => {
        const byFolder = new Map<string, GitFileEntry[]>();
        for (const entry of entries) {
          const segments = entry.path.split('/');
          for (let depth = 0; depth < segments.length; depth++) {
            const folder = segments.slice(0, depth).join('/');
            let list = byFolder.get(folder);
            if (list === undefined) {
              list = [];
              byFolder.set(folder, list);
            }
            list.push(entry);
          }
        }
        return byFolder;
      });
      this.#files.set(key, files);
      files.catch(() => this.#files.delete(key));
      if (this.#files.size > 8) this.#files.delete(this.#files.keys().next().value ?? key);
    }
    return files;
  }

  #treesOf(url: string, sha: string, credentials: GitCredentials | undefined): Promise<Map<string, string>> {
    const key = `${accessKey(url, credentials)}#${sha}`;
    let trees = this.#trees.get(key);
    if (trees === undefined) {
      trees = this.mirrors.listTrees(url, sha, credentials);
      this.#trees.set(key, trees);
      trees.catch(() => this.#trees.delete(key));
      // A commit's folders never change; keep the last few hundred commits' listings.
      if (this.#trees.size > 256) this.#trees.delete(this.#trees.keys().next().value ?? key);
    }
    return trees;
  }
}

/** Whether the folder's files make it a kustomization: a kustomization file at its top, and no Chart.yaml (which wins). */
function isKustomization(entries: readonly GitFileEntry[], folder: string): boolean {
  const top = new Set(entries.map((entry) => (folder === '' ? entry.path : entry.path.slice(folder.length + 1))).filter((name) => !name.includes('/')));
  return !top.has('Chart.yaml') && KUSTOMIZATION_FILES.some((name) => top.has(name));
}

/** The key of what is cached per repository and credentials: `<url>\0<credentials id>`. */
function accessKey(url: string, credentials: GitCredentials | undefined): string {
  return `${url}\0${gitCredentialsId(credentials)}`;
}

/** A render key suffix telling renders with different credentials apart (none without). */
function credentialsTag(credentials: GitCredentials | undefined): string {
  return credentials === undefined ? '' : `~${gitCredentialsId(credentials)}`;
}
