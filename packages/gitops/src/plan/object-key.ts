import type { Manifest } from '../render/manifest.ts';

/**
 * The API group of an `apiVersion`: `apps` for `apps/v1`, `''` for the core group (`v1`).
 * The version is left out on purpose: the same object served at two versions is one object.
 */
export function apiGroup(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/**
 * A stable identity for an object: `group/kind/namespace/name`, with an empty group for the core
 * group and an empty namespace for cluster-scoped objects (`/Namespace//team-a`,
 * `apps/Deployment/team-a/web`). Namespaced objects must have their namespace filled in before they
 * are keyed: a manifest that leaves it to the Application's destination would otherwise collide with
 * a cluster-scoped object of the same kind and name.
 */
export function objectKey(obj: Manifest): string {
  return `${apiGroup(obj.apiVersion)}/${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}
