/**
 * What each workspace imports of `@beamline/*` against what its `package.json` declares: npm only
 * links a workspace's declared dependencies in an isolated install, and the declarations are the
 * floor map a reader (and `docs/design/architecture.md`) goes by. Checked by
 * `workspace-imports.unit.test.ts`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One import of a workspace that its `package.json` does not declare. */
export interface UndeclaredImport {
  /** The workspace folder, relative to the repository (`controllers`, `apps/cli`). */
  readonly workspace: string;
  /** The package imported (`@beamline/gitops`). */
  readonly dependency: string;
  /** A file that imports it, relative to the repository. */
  readonly file: string;
  /** Where it must be declared: test-only imports may be `devDependencies`. */
  readonly expected: 'dependencies' | 'devDependencies';
}

interface PackageJson {
  readonly name: string;
  readonly workspaces?: readonly string[];
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
}

const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)'(@beamline\/[a-z0-9-]+)(?:\/[^']*)?'/g;

// Test files and the test helpers beside them (`testing/` folders) may rely on devDependencies.
function isTestCode(file: string): boolean {
  return /\.test\.ts$/.test(file) || /(?:^|\/)testing\//.test(file);
}

function readJson(path: string): PackageJson {
  return JSON.parse(readFileSync(path, 'utf8')) as PackageJson;
}

function tsFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...tsFiles(path));
    else if (entry.name.endsWith('.ts')) files.push(path);
  }
  return files;
}

/** The workspace folders of the repository at `root`, from the root `package.json` (`dir/*` and plain folders). */
export function workspaceFolders(root: string): string[] {
  const folders: string[] = [];
  for (const pattern of readJson(join(root, 'package.json')).workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      for (const name of readdirSync(join(root, parent)).sort()) {
        const folder = `${parent}/${name}`;
        if (statSync(join(root, folder)).isDirectory() && statSync(join(root, folder, 'package.json'), { throwIfNoEntry: false }) !== undefined) folders.push(folder);
      }
    } else folders.push(pattern);
  }
  return folders;
}

/** Every `@beamline/*` import of a workspace that its `package.json` does not declare (empty when all are). */
export function undeclaredImports(root: string): UndeclaredImport[] {
  const missing: UndeclaredImport[] = [];
  for (const workspace of workspaceFolders(root)) {
    const manifest = readJson(join(root, workspace, 'package.json'));
    const declared = new Set(Object.keys(manifest.dependencies ?? {}));
    const declaredDev = new Set(Object.keys(manifest.devDependencies ?? {}));
    // Per package: a file that needs it at run time (so `dependencies`), else a test file that does.
    const uses = new Map<string, { file: string; test: boolean }>();
    for (const path of tsFiles(join(root, workspace))) {
      const file = relative(root, path);
      const test = isTestCode(file);
      for (const match of readFileSync(path, 'utf8').matchAll(IMPORT)) {
        const dependency = match[1] ?? '';
        if (dependency === manifest.name) continue;
        const known = uses.get(dependency);
        if (known === undefined || (known.test && !test)) uses.set(dependency, { file, test });
      }
    }
    for (const [dependency, use] of [...uses].sort(([a], [b]) => a.localeCompare(b))) {
      if (declared.has(dependency) || (use.test && declaredDev.has(dependency))) continue;
      missing.push({ workspace, dependency, file: use.file, expected: use.test ? 'devDependencies' : 'dependencies' });
    }
  }
  return missing;
}
