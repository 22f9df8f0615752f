import type { Command } from 'commander';
import { BINARY_NAMES, checkBinaryVersion, ensureBinaries, silentProgress, stderrProgress } from '@beamline/binaries';
import { formatTable } from '../output.ts';

/** `beamline setup`: makes sure the pinned Kubernetes binaries are installed, and lists them. */
export function registerSetup(program: Command): void {
  program
    .command('setup')
    .description(
      'install the pinned Kubernetes binaries (etcd, kube-*, kubectl, kwok, helm): from BEAMLINE_BIN_DIR, ' +
        'the cache, a download mirror (BEAMLINE_DOWNLOAD_MIRROR) or a build from their Go modules',
    )
    .option('-q, --quiet', 'print no progress, only errors')
    .action(async (options: { quiet?: boolean }) => {
      const resolved = await ensureBinaries({ progress: options.quiet === true ? silentProgress : stderrProgress('setup') });
      if (options.quiet === true) return;
      const checks = await Promise.all(BINARY_NAMES.map((name) => checkBinaryVersion(name, resolved.paths[name], resolved.pins)));
      process.stdout.write(`${formatTable(['binary', 'version', 'path'], checks.map((c) => [c.name, c.reported, c.path]))}\n`);
      process.stdout.write(`\nsource: ${resolved.source}\n`);
    });
}
