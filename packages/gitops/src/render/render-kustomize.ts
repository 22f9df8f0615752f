import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parse, YAMLError } from 'yaml';
import { findKustomization } from './detect-source-type.ts';
import type { Manifest } from './manifest.ts';
import { parseIsolated } from './parse-isolated.ts';
import { RenderError } from './render-error.ts';
import { DEFAULT_RENDER_LIMITS, formatBytes, limitExceeded, type RenderLimits } from './render-limits.ts';
import { isInside, relativePosix } from './symlinks.ts';
import { runRenderer, type RendererNames } from './run-renderer.ts';
import { redactUrls, ToolFailure, withoutPath, withPrivateHome, type ToolRunOptions } from './tool.ts';

/** Options of {@link renderKustomize}. */
export interface KustomizeOptions extends ToolRunOptions {
  /** The kubectl binary (its built-in kustomize renders). */
  readonly kubectl: string;
  /**
   * The folder nothing may leave: the export of the repository root the app's folder `dir` is in
   * (so `resources: [../../base]` works), `dir` itself by default. Every path a kustomization
   * refers to, followed through symbolic links, must stay inside it.
   */
  readonly root?: string;
  /** Caps on kustomize's output (bytes, killed beyond) and on the objects; the defaults otherwise. */
  readonly limits?: RenderLimits;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const KUSTOMIZE: RendererNames = { command: 'kubectl kustomize', source: 'kustomization', printer: 'kustomize' };

// What kustomize would fetch: URLs, scp-like git addresses, and its `github.com/org/repo//path`.
const REMOTE_REFERENCE = /^([a-z][a-z0-9+.-]*:\/\/|[^/\s]+@[^/\s]+:|(github\.com|gitlab\.com|bitbucket\.org)\/)/i;

const REMOTE_HINT = 'remote bases are not supported: rendering runs without network, vendor the base into the repository';

/** A path a kustomization refers to, with the field it is in (`resources`, `patches[2].path`). */
interface Reference {
  readonly field: string;
  readonly path: string;
  /** Whether the path may be a folder holding another kustomization (resources, bases, components, generators...). */
  readonly mayBeKustomization: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : typeof value === 'string' ? [value] : [];
}

/**
 * Every local path a kustomization names, in any field kustomize reads a file or folder from:
 * resources, bases, components, generators, transformers, validators, crds, configurations,
 * patches (and the deprecated patchesStrategicMerge and patchesJson6902), replacements, openapi,
 * and the files, envs and env of configMapGenerator and secretGenerator (`key=path` too).
 * Inline patches (text with a line break) are not paths.
 */
export function kustomizationReferences(kustomization: Readonly<Record<string, unknown>>): Reference[] {
  const references: Reference[] = [];
  const add = (field: string, path: string, mayBeKustomization: boolean): void => {
    if (path !== '' && !path.includes('\n')) references.push({ field, path, mayBeKustomization });
  };
  for (const field of ['resources', 'bases', 'components', 'generators', 'transformers', 'validators']) {
    for (const path of strings(kustomization[field])) add(field, path, true);
  }
  for (const field of ['crds', 'configurations', 'patchesStrategicMerge']) {
    for (const path of strings(kustomization[field])) add(field, path, false);
  }
  for (const field of ['patches', 'patchesJson6902', 'replacements']) {
    const entries = kustomization[field];
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry: unknown, index) => {
      if (typeof entry === 'string') add(`${field}[${index}]`, entry, false);
      else if (isRecord(entry) && typeof entry.path === 'string') add(`${field}[${index}].path`, entry.path, false);
    });
  }
  const openapi = kustomization.openapi;
  if (isRecord(openapi) && typeof openapi.path === 'string') add('openapi.path', openapi.path, false);
  for (const field of ['configMapGenerator', 'secretGenerator']) {
    const generators = kustomization[field];
    if (!Array.isArray(generators)) continue;
    generators.forEach((generator: unknown, index) => {
      if (!isRecord(generator)) return;
      for (const file of strings(generator.files)) add(`${field}[${index}].files`, file.includes('=') ? file.slice(file.indexOf('=') + 1) : file, false);
      for (const env of [...strings(generator.envs), ...strings(generator.env)]) add(`${field}[${index}].envs`, env, false);
    });
  }
  return references;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** What {@link inspectKustomization} found. */
export interface KustomizationScan {
  /** The first path that leads outside the root or to the network, as a render error. */
  readonly problem: RenderError | undefined;
  /** The real paths of every kustomization folder reached, `dir` first. */
  readonly folders: readonly string[];
  /**
   * Folders a kustomization refers to (resources, bases, components...) that do not exist, as
   * absolute paths inside the root: a caller exporting a repository folder by folder exports
   * these next, when git has them.
   */
  readonly missing: readonly string[];
}

/**
 * A kustomization file is parsed here, in the manager's thread, to be checked: small ones only
 * (real ones are a few KiB), so a YAML bomb in one cannot exhaust the heap (see parseIsolated).
 */
const MAX_KUSTOMIZATION_BYTES = 128 * 1024;

/**
 * The kustomization in `file`. One that cannot be read as YAML is refused rather than left to
 * kustomize: its paths could not be checked, and kustomize's parser may read it otherwise.
 */
async function readKustomization(file: string, shown: string): Promise<Record<string, unknown>> {
  const size = (await stat(file)).size;
  if (size > MAX_KUSTOMIZATION_BYTES) {
    throw limitExceeded('kustomization', shown, `${shown} is ${formatBytes(size)}, more than the limit of ${formatBytes(MAX_KUSTOMIZATION_BYTES)} per kustomization file`);
  }
  let kustomization: unknown;
  try {
    kustomization = parse(await readFile(file, 'utf8'), { maxAliasCount: 100 });
  } catch (cause) {
    // The parser's message may quote the content: keep only where.
    const where = cause instanceof YAMLError && cause.linePos !== undefined ? ` at line ${cause.linePos[0].line}, column ${cause.linePos[0].col}` : '';
    throw new RenderError('KustomizeFailed', `failed to render kustomization: ${shown} is not valid YAML${where}`, { file: shown, cause });
  }
  if (kustomization === null || kustomization === undefined) return {};
  if (!isRecord(kustomization)) throw new RenderError('KustomizeFailed', `failed to render kustomization: ${shown} is not a mapping`, { file: shown });
  return kustomization;
}

/**
 * Walks the kustomization in `dir` and the local ones it includes (`root` is the folder nothing
 * may leave, e.g. the export of the repository root), checking every path each of
 * them names: a remote reference (kustomize would clone or download it) or a path that leads
 * outside `root`, lexically or through symbolic links, is the scan's `problem`. The manager runs
 * kustomize: a path out of the repository would read the manager's own files (a host file into a
 * Secret), and kustomize's load restrictor alone lets a base folder be anywhere.
 */
export async function inspectKustomization(dir: string, root: string): Promise<KustomizationScan> {
  const rootReal = await realpath(root);
  const folders: string[] = [];
  const missing: string[] = [];
  let problem: RenderError | undefined;
  const name = (path: string): string => relativePosix(rootReal, path);
  const visit = async (folder: string): Promise<void> => {
    const real = await realpath(folder).catch(() => undefined);
    if (real === undefined || folders.includes(real) || problem !== undefined) return;
    folders.push(real);
    const file = await findKustomization(real);
    if (file === undefined) return;
    const shown = name(file);
    if (!isInside(rootReal, await realpath(file))) {
      problem = new RenderError('OutsideSource', `failed to render kustomization: ${shown} links outside the repository`, { file: shown });
      return;
    }
    let kustomization: Record<string, unknown>;
    try {
      kustomization = await readKustomization(file, shown);
    } catch (error) {
      if (!(error instanceof RenderError)) throw error;
      problem = error;
      return;
    }
    for (const reference of kustomizationReferences(kustomization)) {
      if (REMOTE_REFERENCE.test(reference.path)) {
        problem = new RenderError(
          'KustomizeFailed',
          `failed to render kustomization: ${shown} refers to the remote resource ${redactUrls(reference.path)}; ${REMOTE_HINT}`,
          { file: shown },
        );
        return;
      }
      const target = resolve(real, reference.path);
      const targetReal = await realpath(target).catch(() => undefined);
      // A missing path is kustomize's to report; one that exists must be inside, link or not.
      if (isAbsolute(reference.path) || !isInside(rootReal, target) || (targetReal !== undefined && !isInside(rootReal, targetReal))) {
        problem = new RenderError(
          'OutsideSource',
          `failed to render kustomization: ${shown}: ${reference.field} entry ${JSON.stringify(reference.path)} leads outside the repository${targetReal !== undefined && isInside(rootReal, target) ? ' (through a symbolic link)' : ''}`,
          { file: shown },
        );
        return;
      }
      if (reference.mayBeKustomization && targetReal === undefined && !missing.includes(target)) missing.push(target);
      if (reference.mayBeKustomization && targetReal !== undefined && (await isDirectory(targetReal))) await visit(targetReal);
      if (problem !== undefined) return;
    }
  };
  await visit(dir);
  return { problem, folders, missing };
}

/**
 * The folders outside `dir` that its kustomization includes (bases and components, at any depth),
 * relative to `dir` (`../../base`), outermost only. The render cache keys on the tree id of the app
 * folder: when this is not empty, the key must also cover these folders (their tree ids, or the
 * tree of a folder holding them all), or a change to a shared base would not re-render the app.
 */
export async function kustomizeExternalDirs(dir: string, root: string = dir): Promise<string[]> {
  const dirReal = await realpath(dir);
  const outside = (await inspectKustomization(dir, root)).folders.filter((folder) => !isInside(dirReal, folder));
  const outermost = outside.filter((folder) => !outside.some((other) => other !== folder && isInside(other, folder)));
  return outermost.map((folder) => relativePosix(dirReal, folder)).sort();
}

/**
 * Renders a kustomization with `kubectl kustomize <dir>` (kustomize's default load restrictor:
 * files only from inside each kustomization root; no plugins, no Helm), without network, in a
 * private HOME; then parses its output. Before kustomize runs, every path the kustomization and
 * the ones it includes name must stay inside `options.root` (followed through links) and none may
 * be remote. Kustomize's output is capped at `limits.maxTotalBytes` (it is killed beyond) and
 * `limits.maxObjects`.
 *
 * @throws {@link RenderError} `OutsideSource` naming the kustomization file and the entry;
 * `KustomizeFailed` with kustomize's message (remote bases are refused with a message saying so);
 * `LimitExceeded`; or `InvalidManifest` when the output holds something that is not a Kubernetes
 * object.
 */
export async function renderKustomize(dir: string, options: KustomizeOptions): Promise<Manifest[]> {
  const target = resolve(dir);
  const root = resolve(options.root ?? dir);
  const rootReal = await realpath(root).catch((cause: unknown) => {
    throw new RenderError('KustomizeFailed', 'failed to render kustomization: the folder does not exist', { cause });
  });
  if (!isInside(root, target) || !isInside(rootReal, await realpath(target).catch(() => target))) {
    throw new RenderError('OutsideSource', 'failed to render kustomization: the folder is outside the repository');
  }
  const limits = options.limits ?? DEFAULT_RENDER_LIMITS;
  const { problem } = await inspectKustomization(target, root);
  if (problem !== undefined) throw problem;
  let output: string;
  try {
    output = await withPrivateHome((home) =>
      runRenderer(options.kubectl, ['kustomize', target], KUSTOMIZE, { home, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal: options.signal, limits }),
    );
  } catch (cause) {
    if (!(cause instanceof ToolFailure)) throw cause;
    const remoteFailure = /no 'git' program on path|proxyconnect tcp/.test(cause.detail);
    const detail = withoutPath(withoutPath(cause.detail, rootReal), root);
    throw new RenderError('KustomizeFailed', `failed to render kustomization: ${detail}${remoteFailure ? ` (${REMOTE_HINT})` : ''}`, { cause });
  }
  return parseIsolated([{ text: output, options: { file: 'kustomize output' } }], { maxObjects: limits.maxObjects, signal: options.signal });
}
