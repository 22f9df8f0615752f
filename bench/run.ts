/**
 * `npm run bench -- <suite>`: runs one benchmark suite, prints its table and, as the last line, the
 * JSON object of shared/targets.md. Benchmarks live here, never as timed assertions in tests.
 */
import { printResult, type BenchSuite } from './report.ts';
import { clustersSuite } from './suites/clusters.ts';
import { controlPlaneSuite } from './suites/controlplane.ts';
import { gitopsSuite } from './suites/gitops.ts';
import { portalSuite } from './suites/portal.ts';

const SUITES: Readonly<Record<string, BenchSuite>> = {
  clusters: clustersSuite,
  controlplane: controlPlaneSuite,
  gitops: gitopsSuite,
  portal: portalSuite,
};

const name = process.argv[2];
const suite = name === undefined ? undefined : SUITES[name];
if (suite === undefined) {
  process.stderr.write(`usage: npm run bench -- <suite>\nsuites: ${Object.keys(SUITES).join(', ')}\n`);
  process.exit(2);
}
try {
  printResult(await suite());
} catch (error) {
  process.stderr.write(`error: bench ${name ?? ''} failed: ${(error as Error).message}\n`);
  process.exit(1);
}
