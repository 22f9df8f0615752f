import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { callApi, requireNamespace } from './kube.ts';
import { cell } from './print.ts';
import { GROUP, VERSION } from '@beamline/api/names';
import { resourceClient, type BeamlineObject, type ResourceKind } from './resources.ts';

/** Where `list` looks: one namespace, or every one (`-A`). */
export interface ListScope {
  readonly namespace: string;
  readonly allNamespaces: boolean;
}

/**
 * The objects of a namespaced kind in one namespace, or in all of them. `what` names the call in
 * errors (`list clusters`).
 */
export async function listObjects(config: KubeConfig, kind: ResourceKind, scope: ListScope, what: string): Promise<BeamlineObject[]> {
  if (scope.allNamespaces) {
    const all = (await callApi(config, what, () =>
      config.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: GROUP, version: VERSION, plural: kind.plural }),
    )) as { items: BeamlineObject[] };
    return all.items;
  }
  const items = await callApi(config, what, () => resourceClient(config, kind).list(scope.namespace));
  // An empty list is also what a namespace that does not exist gives: say which it is.
  if (items.length === 0) await requireNamespace(config, scope.namespace);
  return items;
}

/** A table's columns for `list`: with `-A`, a namespace column first, as kubectl shows it. */
export function listTable<Table extends { readonly headers: readonly string[]; readonly row: (object: BeamlineObject) => readonly string[] }>(
  table: Table,
  scope: ListScope,
): Table {
  if (!scope.allNamespaces) return table;
  return { ...table, headers: ['namespace', ...table.headers], row: (object: BeamlineObject) => [cell(object.metadata?.namespace), ...table.row(object)] };
}
