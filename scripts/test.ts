/**
 * `npm test` after lint and type-check: makes sure the Kubernetes binaries exist (building them
 * on a fresh machine, with progress), then runs every `*.test.ts` with node's test runner and one
 * shared control plane for the whole run (packages/testenv's global setup).
 *
 * `--unit` runs only the tests that need no control plane (files named `*.unit.test.ts`; some of
 * them run the pinned helm or kubectl, so the binaries are ensured in both modes).
 * Extra arguments are passed to `node --test` (e.g. `--test-name-pattern=watch`).
 */
import { spawn } from 'node:child_process';
import { ensureBinaries, MissingToolError, stderrProgress } from '@beamline/binaries';
import { ensurePortalBuilt } from '@beamline/portal';

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const passThrough = args.filter((arg) => arg !== '--unit');

// Unit tests need no control plane, but some run the pinned helm and kubectl: both modes ensure them.
try {
  await ensureBinaries({ progress: stderrProgress('setup') });
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  process.exit(error instanceof MissingToolError ? 3 : 1);
}
// The portal web app, built when missing or older than its sources: the browser tests load it
// from the manager (the serving tests make their own tiny build and need none).
try {
  await ensurePortalBuilt({ progress: (message) => stderrProgress('setup').step(message) });
} catch (error) {
  process.stderr.write(`error: failed to build the portal app: ${(error as Error).message}\n`);
  process.exit(1);
}

// e2e/: the end-to-end tests (the real CLI and manager processes); scripts/: checks of the workspace itself;
// bench/: the benchmarks' pure helpers (their suites run only with `npm run bench`).
const roots = ['packages', 'apps', 'api', 'controllers', 'e2e', 'scripts', 'bench'];
const patterns = roots.map((root) => `${root}/**/*.${unitOnly ? 'unit.test' : 'test'}.ts`);
const nodeArgs = [
  '--test',
  '--test-reporter=spec',
  // Tests wait on real processes; a hung wait must end the test, not the CI run.
  '--test-timeout=180000',
  ...(unitOnly ? [] : ['--test-global-setup=packages/testenv/src/global-setup.ts']),
  ...passThrough,
  ...patterns,
];
const child = spawn(process.execPath, nodeArgs, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
