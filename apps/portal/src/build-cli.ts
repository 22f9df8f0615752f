/**
 * `npm run build:portal`: builds the portal app into `apps/portal/dist` (always, not only when
 * stale), with progress on stderr.
 */
import { buildPortal } from './build.ts';

await buildPortal({ progress: (message) => process.stderr.write(`portal: ${message}\n`) });
