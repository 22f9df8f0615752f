import { readdir, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** Whether `path` is `root` or inside it (both already real paths). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** `path` relative to `root`, with `/` separators whatever the platform. */
export function relativePosix(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/**
 * The first symbolic link under `dir` (at any depth, in path order) that points outside `dir` or
 * nowhere, relative to `dir`; `undefined` when every link stays inside. A source folder comes from
 * a repository anyone with push access writes: a link to `/etc` or to a host credential must not
 * let a template (`.Files.Get`) read it into a rendered object.
 */
export async function findEscapingSymlink(dir: string): Promise<string | undefined> {
  const root = await realpath(dir);
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const links = entries
    .filter((entry) => entry.isSymbolicLink())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  for (const link of links) {
    let target: string;
    try {
      target = await realpath(link);
    } catch {
      return relativePosix(dir, link);
    }
    if (!isInside(root, target)) return relativePosix(dir, link);
  }
  return undefined;
}
