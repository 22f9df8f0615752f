import type { ResourceStatus } from '@beamline/api';
import type { InventoryEntry, Manifest } from '@beamline/gitops';
import { entryStatus } from './compare.ts';

/** The inventory entries of `status.resources`. */
export function inventoryOf(resources: readonly ResourceStatus[] | undefined): InventoryEntry[] {
  return (resources ?? []).map((resource) => ({
    group: resource.group ?? '',
    version: resource.version,
    kind: resource.kind,
    ...(resource.namespace === undefined ? {} : { namespace: resource.namespace }),
    name: resource.name,
  }));
}

/** Two inventories as one, each object once (the first list's entry wins). */
export function mergeEntries(first: readonly InventoryEntry[], second: readonly InventoryEntry[]): InventoryEntry[] {
  const merged = new Map<string, InventoryEntry>();
  for (const entry of [...first, ...second]) {
    const key = `${entry.group}/${entry.kind}/${entry.namespace ?? ''}/${entry.name}`;
    if (!merged.has(key)) merged.set(key, entry);
  }
  return [...merged.values()];
}

/** The stored inventory plus the objects about to be applied (as OutOfSync until compared). */
export function mergeInventory(stored: readonly ResourceStatus[], objects: readonly Manifest[]): ResourceStatus[] {
  const merged = new Map<string, ResourceStatus>();
  const keyOfEntry = (entry: Omit<ResourceStatus, 'status'>): string => `${entry.group ?? ''}/${entry.kind}/${entry.namespace ?? ''}/${entry.name}`;
  for (const resource of stored) merged.set(keyOfEntry(resource), resource);
  for (const obj of objects) {
    const slash = obj.apiVersion.indexOf('/');
    const entry = entryStatus({
      group: slash === -1 ? '' : obj.apiVersion.slice(0, slash),
      version: slash === -1 ? obj.apiVersion : obj.apiVersion.slice(slash + 1),
      kind: obj.kind,
      ...(obj.metadata.namespace === undefined ? {} : { namespace: obj.metadata.namespace }),
      name: obj.metadata.name,
    });
    if (!merged.has(keyOfEntry(entry))) merged.set(keyOfEntry(entry), { ...entry, status: 'OutOfSync' });
  }
  return [...merged.values()];
}
