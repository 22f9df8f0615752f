import type { KubeConfig } from '@kubernetes/client-node';
import { isConflict, isNotFound } from './errors.ts';
import { clientFor, type KubeObject } from './kube-client.ts';
import { describeObject, identify, resourceOf, type ObjectWriteOptions } from './patch-status.ts';

const MAX_ATTEMPTS = 5;

/** Whether the object carries `finalizer`. */
export function hasFinalizer(object: KubeObject, finalizer: string): boolean {
  return object.metadata?.finalizers?.includes(finalizer) === true;
}

/** Whether the object is being deleted (has a deletion timestamp). */
export function isDeleting(object: KubeObject): boolean {
  return object.metadata?.deletionTimestamp !== undefined;
}

/**
 * Adds `finalizer` to the object unless it is there. Returns the updated object, or `undefined`
 * when the object is gone. Conflict-safe: see {@link removeFinalizer}.
 */
export async function addFinalizer<T extends KubeObject>(kubeConfig: KubeConfig, object: T, finalizer: string, options: ObjectWriteOptions = {}): Promise<T | undefined> {
  return updateFinalizers(kubeConfig, object, finalizer, 'add', options);
}

/**
 * Removes `finalizer` from the object if it is there. Returns the updated object (or the final
 * state of an object the removal let go), or `undefined` when it is gone.
 *
 * Conflict-safe: the list is written with a merge patch carrying `metadata.resourceVersion`, so
 * the apiserver refuses it (409) when anything changed since the object was read, instead of
 * dropping another writer's finalizer. On a conflict the object is read again and the change
 * retried, a few times, before the error goes to the work queue's backoff.
 */
export async function removeFinalizer<T extends KubeObject>(kubeConfig: KubeConfig, object: T, finalizer: string, options: ObjectWriteOptions = {}): Promise<T | undefined> {
  return updateFinalizers(kubeConfig, object, finalizer, 'remove', options);
}

async function updateFinalizers<T extends KubeObject>(
  kubeConfig: KubeConfig,
  object: T,
  finalizer: string,
  change: 'add' | 'remove',
  options: ObjectWriteOptions,
): Promise<T | undefined> {
  const verb = `${change} finalizer ${finalizer} ${change === 'add' ? 'to' : 'from'}`;
  const { name, namespace } = identify(object, verb);
  const client = clientFor(kubeConfig);
  let current: T | undefined = object;
  try {
    const resource = await resourceOf(kubeConfig, object, options);
    for (let attempt = 1; ; attempt++) {
      if (current === undefined) return undefined;
      const present = hasFinalizer(current, finalizer);
      if (present === (change === 'add')) return current;
      const resourceVersion = current.metadata?.resourceVersion;
      if (resourceVersion === undefined) {
        current = await client.get<T>(resource, name, namespace, options);
        continue;
      }
      const finalizers = current.metadata?.finalizers ?? [];
      const next = change === 'add' ? [...finalizers, finalizer] : finalizers.filter((entry) => entry !== finalizer);
      try {
        return await client.patch<T>(resource, name, namespace, { metadata: { resourceVersion, finalizers: next } }, 'merge', { signal: options.signal });
      } catch (error) {
        if (!isConflict(error) || attempt >= MAX_ATTEMPTS) throw error;
        current = await client.get<T>(resource, name, namespace, options);
      }
    }
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new Error(`failed to ${verb} ${describeObject(object)}: ${(error as Error).message}`, { cause: error });
  }
}
