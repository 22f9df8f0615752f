import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { promisify } from 'node:util';
import { BINARY_SPECS, type BinaryName } from './catalog.ts';
import type { Pins } from './pins.ts';

const execFileAsync = promisify(execFile);

/** What `--version` said, and whether it is the pinned version. */
export interface VersionCheck {
  readonly name: BinaryName;
  readonly path: string;
  readonly ok: boolean;
  /** The first line of the version output, or the reason it could not be read. */
  readonly reported: string;
  readonly expected: string;
}

/**
 * True when `output` contains `expected` as a whole version: `v1.36.3` is not found in `v1.36.30`,
 * nor `0.8.0` in `10.8.0`.
 */
export function containsVersion(output: string, expected: string): boolean {
  const escaped = expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^0-9.])${escaped}($|[^0-9])`, 'm').test(output);
}

/** Runs the binary's version command and compares it with the pin. Never throws. */
export async function checkBinaryVersion(name: BinaryName, path: string, pins: Pins): Promise<VersionCheck> {
  const spec = BINARY_SPECS[name];
  const expected = spec.expectedVersion(pins);
  try {
    await access(path, constants.X_OK);
  } catch {
    return { name, path, ok: false, reported: 'missing or not executable', expected };
  }
  try {
    const { stdout, stderr } = await execFileAsync(path, [...spec.versionArgs], { timeout: 30_000 });
    const output = `${stdout}\n${stderr}`;
    const reported = output.split('\n').find((line) => line.trim() !== '')?.trim() ?? '(no output)';
    return { name, path, ok: containsVersion(output, expected), reported, expected };
  } catch (error) {
    return { name, path, ok: false, reported: `failed to run: ${(error as Error).message}`, expected };
  }
}

/** Thrown when binaries are missing or report another version than the pins. */
export class BinaryVersionError extends Error {
  readonly checks: readonly VersionCheck[];
  constructor(where: string, checks: readonly VersionCheck[]) {
    const lines = checks.map((c) => `  ${c.name}: expected ${c.expected}, got ${c.reported} (${c.path})`);
    super(`binaries in ${where} do not match the pins:\n${lines.join('\n')}`);
    this.name = 'BinaryVersionError';
    this.checks = checks;
  }
}
