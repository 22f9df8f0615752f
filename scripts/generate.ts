/**
 * `npm run generate`: writes the CRDs, admission policies and default samples generated from the
 * TypeBox schemas of api/v1alpha1 to config/ (see packages/install/src/generate.ts).
 *
 * `--check` writes nothing: it lists the files that are stale (different, missing, or no longer
 * generated) and exits 1 if there are any (`npm run verify`).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_DIRS, generatedFiles } from '@beamline/install';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const files = generatedFiles();

/** Files in the generated folders that the generator no longer produces. */
const orphans = GENERATED_DIRS.flatMap((dir) => {
  const absolute = join(root, dir);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute)
    .map((name) => relative(root, join(absolute, name)))
    .filter((path) => !files.has(path));
});
const stale = [...files].filter(([path, content]) => {
  const absolute = join(root, path);
  return !existsSync(absolute) || readFileSync(absolute, 'utf8') !== content;
});

if (check) {
  if (stale.length === 0 && orphans.length === 0) {
    process.stdout.write(`generated files are up to date (${files.size} files)\n`);
    process.exit(0);
  }
  for (const [path] of stale) process.stderr.write(`stale: ${path}\n`);
  for (const path of orphans) process.stderr.write(`not generated any more: ${path}\n`);
  process.stderr.write('run `npm run generate` and commit the result\n');
  process.exit(1);
}

for (const [path, content] of stale) {
  const absolute = join(root, path);
  mkdirSync(dirname(absolute), { recursive: true });
  writeFileSync(absolute, content);
  process.stdout.write(`wrote ${path}\n`);
}
for (const path of orphans) {
  rmSync(join(root, path));
  process.stdout.write(`removed ${path}\n`);
}
process.stdout.write(`${files.size} generated files, ${stale.length + orphans.length} changed\n`);
