import { isRecord } from './json.ts';

// The keys that identify an element of a list, by the name of the list's field: the
// `x-kubernetes-list-map-keys` (patch merge keys) of the built-in types. Lists not named here are
// atomic: compared as a whole, element by element.
const MAP_KEYS: ReadonlyMap<string, readonly string[]> = new Map([
  ['containers', ['name']],
  ['initContainers', ['name']],
  ['ephemeralContainers', ['name']],
  ['volumes', ['name']],
  ['env', ['name']],
  ['imagePullSecrets', ['name']],
  ['resourceClaims', ['name']],
  ['schedulingGates', ['name']],
  ['webhooks', ['name']],
  ['volumeMounts', ['mountPath']],
  ['volumeDevices', ['devicePath']],
  ['hostAliases', ['ip']],
  ['topologySpreadConstraints', ['topologyKey', 'whenUnsatisfiable']],
]);

/**
 * The identifying fields of `element` in a list held by the field `listField`, or `undefined` when
 * that list is atomic or the element lacks a key field. Container and Service `ports` are keyed by
 * number and protocol (`containerPort`/`port` + `protocol`, TCP when unset), as the API does.
 */
export function listElementKey(listField: string | undefined, element: unknown): Readonly<Record<string, unknown>> | undefined {
  if (listField === undefined || !isRecord(element)) return undefined;
  if (listField === 'ports') {
    const numberField = element.containerPort !== undefined ? 'containerPort' : element.port !== undefined ? 'port' : undefined;
    if (numberField === undefined) return undefined;
    return { [numberField]: element[numberField], protocol: element.protocol ?? 'TCP' };
  }
  const fields = MAP_KEYS.get(listField);
  if (fields === undefined) return undefined;
  const key: Record<string, unknown> = {};
  for (const field of fields) {
    const value = element[field];
    if (value === undefined || isRecord(value) || Array.isArray(value)) return undefined;
    key[field] = value;
  }
  return key;
}

/** A canonical string of a list element key, for maps (sorted fields). */
export function keyString(key: Readonly<Record<string, unknown>>): string {
  return JSON.stringify(Object.keys(key).sort().map((field) => [field, String(key[field])]));
}

/** Lists that are sets of strings: an element is there or not, others may add their own. */
export const SET_LISTS: ReadonlySet<string> = new Set(['finalizers']);
