import type { Cluster, ClusterTemplate } from '@beamline/api';
import { DEFAULT_PROVIDER } from '@beamline/providers';

/** The provider a Cluster is served by: its `spec.provider`, else its template's, else the default. */
export function providerNameOf(cluster: Cluster, template: ClusterTemplate | undefined): string {
  return cluster.spec.provider ?? template?.spec.provider ?? DEFAULT_PROVIDER;
}
