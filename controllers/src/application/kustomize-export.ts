import { realpath, rm } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  checkListing,
  inspectKustomization,
  type GitCredentials,
  type GitFileEntry,
  type GitMirrorCache,
  type RenderLimits,
} from '@beamline/gitops';

/** A kustomization exported with the folders it reaches, laid out as in the repository. */
export interface KustomizeExport {
  /** The folder standing for the repository root: nothing may be read outside it. */
  readonly root: string;
  /** The app's folder inside {@link KustomizeExport.root}. */
  readonly dir: string;
  /**
   * The repository folders outside the app's folder its kustomization reaches (bases,
   * components), outermost only, `/`-separated from the repository root: their tree ids belong in
   * the render cache key, or a change to a shared base would not re-render the overlays using it.
   */
  readonly externalDirs: readonly string[];
}

/** Options of {@link exportKustomization}. */
export interface ExportKustomizationOptions {
  readonly mirrors: GitMirrorCache;
  readonly url: string;
  readonly sha: string;
  /** The app's folder in the repository (`''` for the root). */
  readonly path: string;
  readonly credentials: GitCredentials | undefined;
  /** Every folder of the commit with its tree id. */
  readonly trees: ReadonlyMap<string, string>;
  /** The files of the commit by every folder holding them (at any depth), with their sizes. */
  readonly files: ReadonlyMap<string, readonly GitFileEntry[]>;
  /** An empty folder of the manager's to export into (removed by the caller). */
  readonly target: string;
  readonly limits: RenderLimits;
}

/** Whether repository folder `child` is `parent` or inside it (`''` is the root). */
function within(parent: string, child: string): boolean {
  return parent === '' || child === parent || child.startsWith(`${parent}/`);
}

function toRepositoryPath(root: string, absolute: string): string {
  return relative(root, absolute).split(sep).join('/');
}

// Bases of bases of bases: a bound on the rounds, far above real layouts.
const MAX_ROUNDS = 32;

/**
 * Exports the app's folder, then, round by round, the repository folders its kustomization (and
 * the ones it includes) refer to, each at its place under a folder standing for the repository
 * root: `overlays/prod` with `resources: [../../base]` finds `base`, and nothing else of the
 * repository (or of the manager) is there to be read. Before each folder is exported, the files
 * of everything exported so far are checked against `limits` on git's listing (sizes included),
 * so an oversized repository is refused before a byte is written; the export checks again while
 * extracting. A reference out of the repository is left for `renderKustomize` to refuse.
 *
 * @throws {RenderError} `LimitExceeded` naming the file; `OutsideSource` for a link out of an
 *   exported folder; the export's {@link SourceError}s.
 */
export async function exportKustomization(options: ExportKustomizationOptions): Promise<KustomizeExport> {
  const { mirrors, url, sha, path, credentials, trees, files, limits } = options;
  const root = join(options.target, 'repo');
  let exported: string[] = [];
  const exportFolder = async (folder: string): Promise<void> => {
    // A folder holding ones exported before replaces them (git has them all at this commit).
    const inside = exported.filter((done) => within(folder, done));
    exported = exported.filter((done) => !within(folder, done));
    const target = folder === '' ? root : join(root, folder);
    if (inside.length > 0) await rm(target, { recursive: true, force: true });
    const listing = [...exported, folder].flatMap((done) => files.get(done) ?? []);
    checkListing(
      listing.map((entry) => ({ path: entry.path, size: entry.size })),
      limits,
      'kustomization',
    );
    const treeId = trees.get(folder);
    await mirrors.export(url, sha, folder, target, {
      ...(treeId === undefined ? {} : { treeId }),
      ...(credentials === undefined ? {} : { credentials }),
      limits: { maxFiles: limits.maxFiles, maxFileBytes: limits.maxFileBytes, maxTotalBytes: limits.maxTotalBytes },
    });
    exported.push(folder);
  };
  await exportFolder(path);
  const dir = path === '' ? root : join(root, path);
  const rootReal = await realpath(root);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const scan = await inspectKustomization(dir, root);
    const next = scan.problem !== undefined ? [] : scan.missing
      .map((folder) => toRepositoryPath(rootReal, folder))
      .filter((folder) => trees.has(folder) && !exported.some((done) => within(done, folder)));
    if (next.length === 0) {
      const outside = scan.folders.map((folder) => toRepositoryPath(rootReal, folder)).filter((folder) => !within(path, folder));
      const externalDirs = outside.filter((folder) => !outside.some((other) => other !== folder && within(other, folder))).sort();
      return { root, dir, externalDirs };
    }
    for (const folder of next.filter((folder) => !next.some((other) => other !== folder && within(other, folder)))) await exportFolder(folder);
  }
  return { root, dir, externalDirs: [] };
}
