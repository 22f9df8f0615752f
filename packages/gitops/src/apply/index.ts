// Writing to a destination cluster: server-side apply in waves, hooks, prune, inventory.
export { inventoryApiVersion, inventoryEntryOf, inventoryKey, inventoryObject, type InventoryEntry } from './inventory.ts';
export { ERROR_LINE_MAX, kubeErrorLine, summarizeStatusMessage } from './kube-error-line.ts';
export { syncObjects, type ResultEntry, type SyncObjectsOptions, type SyncObjectsResult, type SyncStatus } from './sync-objects.ts';
export { trackingIdOf, type TrackingOptions } from './tracking.ts';
