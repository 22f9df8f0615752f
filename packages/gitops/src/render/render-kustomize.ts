import { readFile, realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { findKustomization } from './detect-source-type.ts';
import type { KubeObject } from './kube-object.ts';
import { parseManifests } from './parse-manifests.ts';
import { RenderError } from './render-error.ts';
import { isInside, relativePosix } from './symlinks.ts';
import { isolatedEnv, redactUrls, runTool, ToolFailure, withoutPath, withPrivateHome, type ToolRunOptions } from './tool.ts';

/** Options of {@link renderKustomize}. */
export interface KustomizeOptions extends ToolRunOptions {
  /** The kubectl binary (its built-in kustomize renders). */
  readonly kubectl: string;
}

const DEFAULT_TIMEOUT_MS = 60_000;

// What kustomize would fetch: URLs, scp-like git addresses, and its `github.com/org/repo//path`.
const REMOTE_REFERENCE = /^([a-z][a-z0-9+.-]*:\/\/|[^/\s]+@[^/\s]+:|(github\.com|gitlab\.com|bitbucket\.org)\/)/i;
const REFERENCE_FIELDS = ['resources', 'bases', 'components'] as const;

const REMOTE_HINT = 'remote bases are not supported: rendering runs without network, vendor the base into the repository';

interface RemoteReference {
  readonly file: string;
  readonly reference: string;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

interface KustomizationScan {
  /** The first remote resource, base or component met, if any. */
  readonly remote: RemoteReference | undefined;
  /** The real paths of every kustomization folder reached, `dir` first. */
  readonly folders: readonly string[];
}

async function readKustomization(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    const kustomization: unknown = parse(await readFile(file, 'utf8'));
    return typeof kustomization === 'object' && kustomization !== null ? (kustomization as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // kustomize itself says what is wrong with the file
  }
}

/**
 * Walks the kustomization in `dir` and the local ones it includes (resources, bases and components
 * that are folders), noting the first remote reference: kustomize would clone or download it, and
 * looking first gives a clear error instead of a failed `git` or a refused proxy connection.
 */
async function scanKustomization(dir: string): Promise<KustomizationScan> {
  const folders: string[] = [];
  let remote: RemoteReference | undefined;
  const visit = async (folder: string): Promise<void> => {
    const real = await realpath(folder).catch(() => undefined);
    if (real === undefined || folders.includes(real)) return;
    folders.push(real);
    const file = await findKustomization(folder);
    const kustomization = file === undefined ? undefined : await readKustomization(file);
    if (file === undefined || kustomization === undefined) return;
    for (const field of REFERENCE_FIELDS) {
      const entries = kustomization[field];
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        if (typeof entry !== 'string') continue;
        if (REMOTE_REFERENCE.test(entry)) remote ??= { file, reference: entry };
        else if (await isDirectory(resolve(folder, entry))) await visit(resolve(folder, entry));
      }
    }
  };
  await visit(dir);
  return { remote, folders };
}

/**
 * The folders outside `dir` that its kustomization includes (bases and components, at any depth),
 * relative to `dir` (`../../base`), outermost only. The render cache keys on the tree id of the app
 * folder: when this is not empty, the key must also cover these folders (their tree ids, or the
 * tree of a folder holding them all), or a change to a shared base would not re-render the app.
 */
export async function kustomizeExternalDirs(dir: string): Promise<string[]> {
  const root = await realpath(dir);
  const outside = (await scanKustomization(dir)).folders.filter((folder) => !isInside(root, folder));
  const outermost = outside.filter((folder) => !outside.some((other) => other !== folder && isInside(other, folder)));
  return outermost.map((folder) => relativePosix(root, folder)).sort();
}

/**
 * Renders a kustomization with `kubectl kustomize <dir>` (kustomize's default load restrictor:
 * files only from inside each kustomization root; no plugins, no Helm), without network, in a
 * private HOME; then parses its output.
 *
 * @throws {@link RenderError} `KustomizeFailed` with kustomize's message (remote bases are refused
 * with a message saying so), or `InvalidManifest` when the output holds something that is not a
 * Kubernetes object.
 */
export async function renderKustomize(dir: string, options: KustomizeOptions): Promise<KubeObject[]> {
  const root = resolve(dir);
  const { remote } = await scanKustomization(root);
  if (remote !== undefined) {
    throw new RenderError(
      'KustomizeFailed',
      `failed to render kustomization: ${relativePosix(root, remote.file)} refers to the remote resource ${redactUrls(remote.reference)}; ${REMOTE_HINT}`,
      { file: relativePosix(root, remote.file) },
    );
  }
  let output: string;
  try {
    output = await withPrivateHome((home) =>
      runTool(options.kubectl, ['kustomize', root], {
        env: isolatedEnv(home, 'none'),
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        signal: options.signal,
      }),
    );
  } catch (cause) {
    if (!(cause instanceof ToolFailure)) throw cause;
    if (!cause.aboutInput) throw new Error(`failed to run kubectl kustomize: ${cause.detail}`, { cause });
    const remoteFailure = /no 'git' program on path|proxyconnect tcp/.test(cause.detail);
    const detail = withoutPath(cause.detail, root);
    throw new RenderError('KustomizeFailed', `failed to render kustomization: ${detail}${remoteFailure ? ` (${REMOTE_HINT})` : ''}`, { cause });
  }
  return parseManifests(output, { file: 'kustomize output' });
}
