import type { Manifest } from '../render/manifest.ts';
import { apiGroup, objectKey } from '../plan/object-key.ts';

/**
 * One object an Application owns, as recorded in its status after a sync: enough to find the object
 * again (and delete it) without its manifest. `group` is `''` for the core group.
 */
export interface InventoryEntry {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Unset for cluster-scoped objects. */
  readonly namespace?: string;
  readonly name: string;
}

/** The apiVersion of an inventory entry: `v1` for the core group, otherwise `<group>/<version>`. */
export function inventoryApiVersion(entry: InventoryEntry): string {
  return entry.group === '' ? entry.version : `${entry.group}/${entry.version}`;
}

/** The inventory entry of an object. */
export function inventoryEntryOf(obj: Manifest): InventoryEntry {
  const slash = obj.apiVersion.indexOf('/');
  const version = slash === -1 ? obj.apiVersion : obj.apiVersion.slice(slash + 1);
  const namespace = obj.metadata.namespace;
  return {
    group: apiGroup(obj.apiVersion),
    version,
    kind: obj.kind,
    ...(namespace === undefined || namespace === '' ? {} : { namespace }),
    name: obj.metadata.name,
  };
}

/** A minimal object standing for an inventory entry (what ordering and keying need). */
export function inventoryObject(entry: InventoryEntry): Manifest {
  return {
    apiVersion: inventoryApiVersion(entry),
    kind: entry.kind,
    metadata: { name: entry.name, ...(entry.namespace === undefined || entry.namespace === '' ? {} : { namespace: entry.namespace }) },
  };
}

/** The key of an inventory entry: the same as {@link objectKey} of its object (the version is left out). */
export function inventoryKey(entry: InventoryEntry): string {
  return objectKey(inventoryObject(entry));
}
