import { readFileSync } from 'node:fs';

/** Beamline's own version, from the CLI's package.json. */
export const BEAMLINE_VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
