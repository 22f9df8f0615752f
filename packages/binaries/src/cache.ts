import { homedir } from 'node:os';
import { join } from 'node:path';
import { BINARY_NAMES, type BinaryPaths } from './catalog.ts';
import { pinsHash, type Pins } from './pins.ts';

/** `${XDG_CACHE_HOME:-~/.cache}/beamline/bin`: where setup keeps binaries, outside any checkout. */
export function binCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'beamline', 'bin');
}

/** The cache folder of one pin set: `<root>/<hash of the pins>`. */
export function pinnedBinDir(pins: Pins, env: NodeJS.ProcessEnv = process.env): string {
  return join(binCacheRoot(env), pinsHash(pins));
}

/** Paths of every binary inside `dir`. */
export function binaryPathsIn(dir: string): BinaryPaths {
  return Object.fromEntries(BINARY_NAMES.map((name) => [name, join(dir, name)])) as unknown as BinaryPaths;
}

/** Name of the marker written last into a cache folder: without it the folder is incomplete. */
export const COMPLETE_MARKER = '.complete';
