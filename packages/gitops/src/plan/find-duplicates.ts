import type { Manifest } from '../render/manifest.ts';
import { objectKey } from './object-key.ts';

/** Two or more objects of an Application have the same {@link objectKey}. */
export class DuplicateObjectsError extends Error {
  /** The keys that occur more than once, sorted. */
  readonly keys: readonly string[];

  constructor(keys: readonly string[]) {
    super(`duplicate objects: ${keys.join(', ')}: each object may be rendered only once per application`);
    this.name = 'DuplicateObjectsError';
    this.keys = keys;
  }
}

/**
 * Checks that no two objects share a key (same group, kind, namespace and name: applying both would
 * make the last one win silently). Returns the error naming every duplicated key, or `undefined`.
 */
export function findDuplicates(objects: readonly Manifest[]): DuplicateObjectsError | undefined {
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const obj of objects) {
    const key = objectKey(obj);
    if (seen.has(key)) duplicates.add(key);
    seen.add(key);
  }
  return duplicates.size === 0 ? undefined : new DuplicateObjectsError([...duplicates].sort());
}
