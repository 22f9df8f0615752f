import type { Manifest } from '../render/manifest.ts';
import type { InventoryEntry } from './inventory.ts';

/**
 * How a sync tells the application's objects from everybody else's: the tracking annotation
 * (`beamline.dev/tracking-id`) and what it holds for this app. With it, nothing is deleted (prune,
 * app deletion) unless the live object carries this app's id at the moment of the delete, and an
 * object that carries another app's id is a conflict instead of being taken over.
 */
export interface TrackingOptions {
  /** The annotation holding the tracking id. */
  readonly annotation: string;
  /** This application, `namespace/name`, as messages name it. */
  readonly app: string;
  /** This application's tracking id of an object. */
  readonly idOf: (entry: InventoryEntry) => string;
  /** The application (`namespace/name`) a tracking id names when it is well formed and names `entry`, else `undefined`. */
  readonly ownerOf: (id: string, entry: InventoryEntry) => string | undefined;
  /**
   * The live object as the destination's watch cache shows it, if known: an object another app
   * tracks is refused before it is applied. Without it there is no conflict check on apply.
   */
  readonly live?: (obj: Manifest) => object | undefined;
}

/** The tracking id an object carries, if any (any shape of object). */
export function trackingIdOf(obj: object | undefined, annotation: string): string | undefined {
  const metadata = (obj as { metadata?: unknown } | undefined)?.metadata;
  const annotations = typeof metadata === 'object' && metadata !== null ? (metadata as { annotations?: unknown }).annotations : undefined;
  const value = typeof annotations === 'object' && annotations !== null ? (annotations as Record<string, unknown>)[annotation] : undefined;
  return typeof value === 'string' ? value : undefined;
}
