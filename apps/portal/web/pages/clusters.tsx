/** The Clusters page: every Cluster the user may see, with phase, nodes and Ready. */
import type { ReactNode } from 'react';
import { ApiError, getJson, useLiveResource } from '../api.ts';
import { DataTable } from '../components/data-table.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { BEAMLINE_API } from '../kube.ts';
import { ResourceView } from '../states.tsx';
import type { ClusterItem, FleetView, KubeList } from '../types.ts';

/**
 * The Clusters the user may see: one list over all namespaces when RBAC allows it, else one list
 * per namespace of the fleet view (the namespaces the server found the user may list clusters in).
 */
async function loadClusters(signal: AbortSignal): Promise<readonly ClusterItem[]> {
  try {
    return (await getJson<KubeList<ClusterItem>>(`${BEAMLINE_API}/clusters`, signal)).items;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 403) throw error;
  }
  const fleet = await getJson<FleetView>('/api/fleet', signal);
  const lists = await Promise.all(
    fleet.namespaces.map(async (row) => {
      try {
        return (await getJson<KubeList<ClusterItem>>(`${BEAMLINE_API}/namespaces/${encodeURIComponent(row.namespace)}/clusters`, signal)).items;
      } catch (error) {
        // Visible for applications only: no clusters to show there.
        if (error instanceof ApiError && error.status === 403) return [];
        throw error;
      }
    }),
  );
  return lists.flat();
}

function readyOf(cluster: ClusterItem): string {
  const ready = cluster.status?.conditions?.find((condition) => condition.type === 'Ready');
  return ready === undefined ? 'Unknown' : ready.status;
}

/** The Clusters list: name, namespace, template, phase, nodes, Ready. */
export function ClustersPage(): ReactNode {
  const clusters = useLiveResource('clusters', loadClusters);
  return (
    <>
      <PageTitle>Clusters</PageTitle>
      <ResourceView resource={clusters} what="clusters">
        {(items) => (
          <DataTable<ClusterItem>
            caption="Clusters"
            rows={[...items].sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`))}
            rowKey={(cluster) => `${cluster.metadata.namespace ?? ''}/${cluster.metadata.name}`}
            empty="No clusters you may see yet."
            columns={[
              { header: 'Name', cell: (cluster) => cluster.metadata.name },
              { header: 'Namespace', cell: (cluster) => cluster.metadata.namespace ?? '' },
              { header: 'Template', cell: (cluster) => cluster.spec?.templateRef?.name ?? '' },
              { header: 'Phase', cell: (cluster) => cluster.status?.phase ?? 'Pending' },
              { header: 'Nodes ready', cell: (cluster) => (cluster.status?.nodes === undefined ? '—' : `${cluster.status.nodes.ready}/${cluster.status.nodes.total}`) },
              { header: 'Ready', cell: readyOf },
            ]}
          />
        )}
      </ResourceView>
    </>
  );
}

