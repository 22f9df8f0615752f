import type { Command } from 'commander';
import { loadPins } from '@beamline/binaries';
import { formatTable } from '../output.ts';
import { BEAMLINE_VERSION } from '../version.ts';

/** `beamline version`: Beamline's version and the pinned upstream versions. */
export function registerVersion(program: Command): void {
  program
    .command('version')
    .description("print Beamline's version and the versions of the Kubernetes components it runs")
    .action(() => {
      const pins = loadPins();
      process.stdout.write(`beamline ${BEAMLINE_VERSION}\n\n`);
      process.stdout.write(`${formatTable(['component', 'version'], Object.entries(pins).map(([name, version]) => [name, String(version)]))}\n`);
    });
}
