/** The Templates page: the ClusterTemplates (every authenticated user may read them in Beamline's RBAC). */
import type { ReactNode } from 'react';
import { getJson, useLiveResource } from '../api.ts';
import { DataTable } from '../components/data-table.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { beamlinePath } from '../kube.ts';
import { ResourceView } from '../states.tsx';
import type { KubeList, TemplateItem } from '../types.ts';

/** The templates, by name. */
export function TemplatesPage(): ReactNode {
  const templates = useLiveResource('templates', async (signal) => (await getJson<KubeList<TemplateItem>>(beamlinePath('clustertemplates'), signal)).items);
  return (
    <>
      <PageTitle>Templates</PageTitle>
      <ResourceView resource={templates} what="templates">
        {(items) => (
          <DataTable<TemplateItem>
            caption="Cluster templates"
            rows={[...items].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))}
            rowKey={(template) => template.metadata.name}
            empty="No cluster templates yet."
            columns={[
              { header: 'Name', cell: (template) => template.metadata.name },
              { header: 'Kubernetes', cell: (template) => template.spec?.kubernetesVersion ?? '' },
              { header: 'Provider', cell: (template) => template.spec?.provider ?? 'kwok' },
              { header: 'Control plane', cell: (template) => template.spec?.controlPlane?.replicas ?? 1 },
              { header: 'Node groups', cell: (template) => (template.spec?.nodeGroups ?? []).map((group) => group.name).join(', ') },
              { header: 'Clusters', cell: (template) => template.status?.clusters ?? 0, numeric: true },
              { header: 'Description', cell: (template) => template.spec?.description ?? '' },
            ]}
          />
        )}
      </ResourceView>
    </>
  );
}
