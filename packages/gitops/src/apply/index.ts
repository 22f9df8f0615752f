// Writing to a destination cluster: server-side apply in waves, prune, inventory.
export { inventoryApiVersion, inventoryEntryOf, inventoryKey, inventoryObject, type InventoryEntry } from './inventory.ts';
export { syncObjects, type ResultEntry, type SyncObjectsOptions, type SyncObjectsResult, type SyncStatus } from './sync-objects.ts';
