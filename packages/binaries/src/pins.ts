import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The versions of every upstream binary Beamline runs, as pinned in `tools/k8s/versions.json`. */
export interface Pins {
  /** Kubernetes release without the leading `v`, e.g. `1.36.3`. */
  readonly kubernetes: string;
  /** etcd release without the leading `v`. */
  readonly etcd: string;
  /** kwok release without the leading `v`. */
  readonly kwok: string;
  /** helm release without the leading `v`. */
  readonly helm: string;
}

/** Folder holding the pins and the Go wrapper modules (one per upstream project). */
export const TOOLS_DIR = fileURLToPath(new URL('../../../tools/k8s/', import.meta.url));

const PIN_KEYS = ['kubernetes', 'etcd', 'kwok', 'helm'] as const;
const SEMVER = /^\d+\.\d+\.\d+$/;

/**
 * Reads and checks the pins file. Each value must be a plain `MAJOR.MINOR.PATCH` version: the
 * setup code builds URLs, module versions and `-ldflags` from them.
 */
export function loadPins(file = `${TOOLS_DIR}versions.json`): Pins {
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  return parsePins(raw, file);
}

/** Validates an already-parsed pins object; `source` names it in error messages. */
export function parsePins(raw: unknown, source = 'pins'): Pins {
  if (typeof raw !== 'object' || raw === null) throw new Error(`${source}: expected an object of versions`);
  const record = raw as Record<string, unknown>;
  const pins: Record<string, string> = {};
  for (const key of PIN_KEYS) {
    const value = record[key];
    if (typeof value !== 'string' || !SEMVER.test(value)) {
      throw new Error(`${source}: field "${key}" must be a version like 1.2.3, got ${JSON.stringify(value)}`);
    }
    pins[key] = value;
  }
  return pins as unknown as Pins;
}

/**
 * A short, stable hash of the pins: the name of the cache folder, so that changing any version
 * builds into a new folder and never mixes binaries of two pin sets.
 */
export function pinsHash(pins: Pins): string {
  const canonical = JSON.stringify(PIN_KEYS.map((key) => [key, pins[key]]));
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

/** `1.36.3` → `{ major: '1', minor: '36' }`. */
export function majorMinor(version: string): { readonly major: string; readonly minor: string } {
  const [major = '0', minor = '0'] = version.split('.');
  return { major, minor };
}
