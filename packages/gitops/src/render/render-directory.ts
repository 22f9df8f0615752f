import { lstat, opendir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, matchesGlob } from 'node:path';
import type { Manifest } from './manifest.ts';
import { parseIsolated } from './parse-isolated.ts';
import { RenderError } from './render-error.ts';
import { checkListing, DEFAULT_RENDER_LIMITS, limitExceeded, type RenderLimits } from './render-limits.ts';
import { isInside } from './symlinks.ts';

/** Options of {@link renderDirectory}. */
export interface DirectoryOptions {
  /** Read the manifests of sub-folders too (default: only the folder itself). */
  readonly recursive?: boolean;
  /**
   * Read only the files that match one of these globs. A glob with a `/` is matched against the
   * path relative to the folder (`*` stays within one folder, `**` crosses them); one without, like
   * `*.yaml` or `{a,b}.json`, against the file name, at any depth.
   */
  readonly include?: readonly string[];
  /** Skip the files that match one of these globs (same matching as `include`); wins over include. */
  readonly exclude?: readonly string[];
}

const MANIFEST_FILE = /\.(ya?ml|json)$/;

function matchesAny(path: string, globs: readonly string[]): boolean {
  return globs.some((glob) => matchesGlob(glob.includes('/') ? path : basename(path), glob));
}

/** A manifest file found on disk, with its size (of the file a link leads to). */
interface ListedFile {
  readonly path: string;
  readonly size: number;
}

/**
 * The manifest files under `root` (relative, `/`-separated, sorted by code unit so the order is the
 * same on every machine), with their sizes. Hidden files and folders (`.github/`,
 * `.gitlab-ci.yml`) are not manifests; linked folders are not entered (a link to a sibling would
 * render its objects twice); linked files are read when they stay inside the folder. Folders are
 * read entry by entry: past `limits.maxFiles` files it stops, having read no file.
 */
async function listManifestFiles(root: string, recursive: boolean, limits: RenderLimits): Promise<ListedFile[]> {
  const rootReal = await realpath(root);
  const files: ListedFile[] = [];
  let seen = 0;
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for await (const entry of await opendir(dir)) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      const relativePath = prefix + entry.name;
      if (entry.isDirectory()) {
        if (recursive) await walk(path, `${relativePath}/`);
        continue;
      }
      seen += 1;
      if (seen > limits.maxFiles) {
        throw limitExceeded('directory', relativePath, `more than ${limits.maxFiles} files (the limit of files per app), ${relativePath} is one too many`);
      }
      if (!MANIFEST_FILE.test(entry.name)) continue;
      if (entry.isSymbolicLink()) {
        const target = await realpath(path).catch(() => undefined);
        if (target === undefined || !isInside(rootReal, target)) {
          throw new RenderError('InvalidManifest', `failed to read ${relativePath}: the link points outside the source folder`, { file: relativePath });
        }
        const info = await stat(target);
        if (info.isFile()) files.push({ path: relativePath, size: info.size });
      } else if (entry.isFile()) {
        files.push({ path: relativePath, size: (await lstat(path)).size });
      }
    }
  };
  await walk(root, '');
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A file of a plain manifest folder, read from wherever it is kept (disk, or git objects). */
export interface ManifestFile {
  /** Relative to the folder, `/`-separated. */
  readonly path: string;
  readonly text: string;
}

/** Whether a path (relative to the folder) is a manifest the options select: not hidden, `.yaml`/`.yml`/`.json`, in the folder itself unless recursive, include/exclude. */
export function isSelectedManifest(path: string, options: DirectoryOptions = {}): boolean {
  const segments = path.split('/');
  if (segments.some((segment) => segment.startsWith('.'))) return false;
  if (!MANIFEST_FILE.test(path)) return false;
  if (options.recursive !== true && segments.length > 1) return false;
  const include = options.include ?? [];
  const exclude = options.exclude ?? [];
  return (include.length === 0 || matchesAny(path, include)) && !matchesAny(path, exclude);
}

/**
 * Parses manifest files already read (the files {@link isSelectedManifest} keeps, in path order by
 * code unit): what {@link renderDirectory} does after reading the folder. The source loader uses it
 * to render a folder straight from git objects, without writing it to disk. Files over
 * `limits.maxFileBytes`, more than `limits.maxTotalBytes` in all or more than `limits.maxObjects`
 * objects fail; large inputs are parsed in a worker ({@link parseIsolated}).
 *
 * @throws {@link RenderError} `InvalidManifest` naming the file, the document and, for syntax
 * errors, the line and column; `LimitExceeded` naming the file and the limit.
 */
export async function renderManifestFiles(
  files: readonly ManifestFile[],
  options: DirectoryOptions = {},
  limits: RenderLimits = DEFAULT_RENDER_LIMITS,
): Promise<Manifest[]> {
  const selected = files.filter((file) => isSelectedManifest(file.path, options)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  checkListing(
    selected.map((file) => ({ path: file.path, size: Buffer.byteLength(file.text) })),
    { ...limits, maxFiles: Number.POSITIVE_INFINITY },
    'directory',
  );
  return parseIsolated(
    selected.map(({ path, text }) => ({
      text: text.startsWith('\uFEFF') ? text.slice(1) : text,
      options: { file: path, format: path.endsWith('.json') ? ('json' as const) : ('yaml' as const) },
    })),
    { maxObjects: limits.maxObjects },
  );
}

/**
 * Renders a folder of plain manifests: every `*.yaml`, `*.yml` and `*.json` file (of sub-folders
 * too when `recursive`), in path order; multi-document YAML, `List`s flattened, empty documents
 * skipped. YAML is read as Kubernetes reads it (YAML 1.1: `0644` is octal, `yes` a boolean). The
 * caps of `limits` are checked on the listing (names and sizes) before any file is read.
 *
 * @throws {@link RenderError} `InvalidManifest` naming the file (relative to `dir`), the document
 * and, for syntax errors, the line and column; `LimitExceeded` naming the file and the limit.
 */
export async function renderDirectory(dir: string, options: DirectoryOptions = {}, limits: RenderLimits = DEFAULT_RENDER_LIMITS): Promise<Manifest[]> {
  const files = (await listManifestFiles(dir, options.recursive === true, limits)).filter((file) => isSelectedManifest(file.path, { ...options, recursive: true }));
  checkListing(files, { ...limits, maxFiles: Number.POSITIVE_INFINITY }, 'directory');
  const read: ManifestFile[] = [];
  for (const { path: file } of files) {
    try {
      read.push({ path: file, text: await readFile(join(dir, file), 'utf8') });
    } catch (cause) {
      throw new RenderError('InvalidManifest', `failed to read ${file}: ${(cause as NodeJS.ErrnoException).code ?? 'unreadable'}`, { file, cause });
    }
  }
  return renderManifestFiles(read, { ...options, recursive: true }, limits);
}
