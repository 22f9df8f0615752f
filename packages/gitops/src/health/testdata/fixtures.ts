// Builders for the health tests: realistic objects from YAML next to this file, and variants of them.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Manifest } from '../../render/manifest.ts';

/** Loads `<name>.yaml` from this folder. */
export function fixture(name: string): Manifest {
  return parse(readFileSync(new URL(`./${name}.yaml`, import.meta.url), 'utf8')) as Manifest;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function merge(base: unknown, patch: unknown): unknown {
  if (!isRecord(base) || !isRecord(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete out[key];
    else out[key] = merge(base[key], value);
  }
  return out;
}

/** `obj` with `patch` merged in: objects merge, arrays and scalars replace, `undefined` deletes. */
export function patched(obj: Manifest, patch: Record<string, unknown>): Manifest {
  return merge(obj, patch) as Manifest;
}
