/**
 * A child process for the resume tests: optionally starts an `owned` plane (so that the owned
 * registry's exit hooks are installed), then a `detached` plane, prints one JSON line
 * `{ owned: number[], detached: number[] }` (the pids) and exits at once, running its exit hooks.
 * Usage: node detached-plane-process.ts --bin-dir=<dir> --dir=<plane dir> [--owned-dir=<dir>] [--mode=minimal|full]
 */
import { parseArgs } from 'node:util';
import { binaryPathsIn } from '@beamline/binaries';
import { startControlPlane } from '../control-plane.ts';

const { values } = parseArgs({
  options: {
    'bin-dir': { type: 'string' },
    dir: { type: 'string' },
    'owned-dir': { type: 'string' },
    mode: { type: 'string', default: 'minimal' },
  },
});
const binDir = values['bin-dir'];
const dir = values.dir;
if (binDir === undefined || dir === undefined) {
  process.stderr.write('usage: detached-plane-process.ts --bin-dir=<dir> --dir=<plane dir> [--owned-dir=<dir>] [--mode=minimal|full]\n');
  process.exit(2);
}
const binaries = binaryPathsIn(binDir);
const mode = values.mode === 'full' ? 'full' : 'minimal';
const owned =
  values['owned-dir'] === undefined ? undefined : await startControlPlane({ binaries, dir: values['owned-dir'], lifetime: 'owned', name: 'owned' });
const detached = await startControlPlane({ binaries, dir, lifetime: 'detached', mode, name: 'detached' });
process.stdout.write(`${JSON.stringify({ owned: owned?.components.map((c) => c.pid) ?? [], detached: detached.components.map((c) => c.pid) })}\n`);
process.exit(0);
