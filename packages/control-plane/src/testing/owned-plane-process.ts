/**
 * A child process for the lifecycle tests: starts an `owned` control plane, prints one JSON line
 * `{ dir, pids }` on stdout, and waits (at most two minutes) to be killed or signalled.
 * Usage: node owned-plane-process.ts <bin-dir> <plane-dir>
 */
import { binaryPathsIn } from '@beamline/binaries';
import { startControlPlane } from '../control-plane.ts';

const [binDir, dir] = process.argv.slice(2);
if (binDir === undefined || dir === undefined) {
  process.stderr.write('usage: owned-plane-process.ts <bin-dir> <plane-dir>\n');
  process.exit(2);
}
const plane = await startControlPlane({ binaries: binPaths(binDir), dir, lifetime: 'owned', name: 'lifecycle' });
process.stdout.write(`${JSON.stringify({ dir: plane.dir, pids: plane.components.map((c) => c.pid) })}\n`);
setTimeout(() => process.exit(0), 120_000);

function binPaths(folder: string): ReturnType<typeof binaryPathsIn> {
  return binaryPathsIn(folder);
}
