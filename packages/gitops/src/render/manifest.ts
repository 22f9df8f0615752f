/** The metadata every rendered object has: a name, maybe a namespace, and whatever else it sets. */
export interface ManifestMetadata {
  readonly name: string;
  readonly namespace?: string;
  readonly [field: string]: unknown;
}

/**
 * One rendered Kubernetes object, as plain JSON (what `JSON.parse` of the apiserver's
 * representation would give). Rendering checks `apiVersion`, `kind` and `metadata.name`; everything
 * else is the manifest's business. Objects from the render cache are frozen: clone before changing.
 */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ManifestMetadata;
  readonly [field: string]: unknown;
}

/** Which renderer turns a source folder into objects. */
export type SourceType = 'directory' | 'kustomize' | 'helm';
