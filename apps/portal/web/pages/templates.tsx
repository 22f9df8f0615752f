/**
 * The Templates pages: every ClusterTemplate (every authenticated user may read them in Beamline's
 * RBAC) with what it offers, and a detail page per template with its node groups in full. The
 * create-cluster form shows the same summary next to its template select.
 */
import type { ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { getJson, useLiveResource } from '../api.ts';
import { DataTable } from '../components/data-table.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { beamlinePath } from '../kube.ts';
import { ResourceView } from '../states.tsx';
import type { Flavor, KubeList, PlatformInfo } from '../types.ts';
import type { NodeGroupSpec } from './cluster-model.ts';
import './clusters.css';

/** A ClusterTemplate with everything these pages show. */
export interface Template {
  readonly metadata: { readonly name: string; readonly uid?: string };
  readonly spec?: {
    readonly description?: string;
    readonly kubernetesVersion?: string;
    readonly provider?: string;
    readonly controlPlane?: { readonly replicas?: number; readonly flavor?: string };
    readonly nodeGroups?: readonly NodeGroupSpec[];
    readonly labels?: Readonly<Record<string, string>>;
  };
  readonly status?: { readonly clusters?: number };
}

/** Every template, by name. */
export async function loadTemplates(signal: AbortSignal): Promise<Template[]> {
  const list = await getJson<KubeList<Template>>(beamlinePath('clustertemplates'), signal);
  return [...list.items].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** `/templates/<name>`. */
export function templateHref(name: string): string {
  return `/templates/${encodeURIComponent(name)}`;
}

/** The GPUs a template's nodes have at its replicas (flavor GPUs × replicas), when the flavors are known. */
export function templateGpus(template: Template, flavors: readonly Flavor[] | undefined): number | undefined {
  if (flavors === undefined) return undefined;
  let gpus = 0;
  for (const group of template.spec?.nodeGroups ?? []) gpus += (flavors.find((flavor) => flavor.name === group.flavor)?.gpus ?? 0) * group.replicas;
  return gpus;
}

/** "default: 3 × small (1–5)". */
export function groupSummary(group: NodeGroupSpec): string {
  const bounds = group.minReplicas === undefined && group.maxReplicas === undefined ? '' : ` (${group.minReplicas ?? 0}–${group.maxReplicas === undefined ? '∞' : String(group.maxReplicas)})`;
  return `${group.name}: ${group.replicas} × ${group.flavor}${bounds}`;
}

/** What a template offers in a few lines: description, version, provider, control plane, groups, GPUs. */
export function TemplateOffer({ template, flavors }: { readonly template: Template; readonly flavors: readonly Flavor[] | undefined }): ReactNode {
  const spec = template.spec ?? {};
  const gpus = templateGpus(template, flavors);
  return (
    <dl className="facts">
      {spec.description === undefined ? null : (
        <>
          <dt>Description</dt>
          <dd>{spec.description}</dd>
        </>
      )}
      <dt>Kubernetes</dt>
      <dd>{spec.kubernetesVersion ?? 'the platform default'}</dd>
      <dt>Provider</dt>
      <dd>{spec.provider ?? 'kwok'}</dd>
      <dt>Control plane</dt>
      <dd>
        {spec.controlPlane?.replicas ?? 1} {(spec.controlPlane?.replicas ?? 1) === 1 ? 'member' : 'members (highly available)'}
        {spec.controlPlane?.flavor === undefined ? null : ` of ${spec.controlPlane.flavor}`}
      </dd>
      <dt>Node groups</dt>
      <dd>{(spec.nodeGroups ?? []).length === 0 ? 'none' : (spec.nodeGroups ?? []).map(groupSummary).join('; ')}</dd>
      <dt>GPUs</dt>
      <dd>{gpus === undefined ? '—' : gpus}</dd>
    </dl>
  );
}

/** The node groups of a template (or a cluster's spec) in full. */
export function NodeGroupSpecTable({ groups, flavors, caption }: { readonly groups: readonly NodeGroupSpec[]; readonly flavors: readonly Flavor[] | undefined; readonly caption: string }): ReactNode {
  return (
    <DataTable<NodeGroupSpec>
      caption={caption}
      rows={groups}
      rowKey={(group) => group.name}
      empty="No node groups."
      columns={[
        { header: 'Name', cell: (group) => group.name },
        { header: 'Flavor', cell: (group) => group.flavor },
        { header: 'GPUs per node', cell: (group) => flavors?.find((flavor) => flavor.name === group.flavor)?.gpus ?? '—', numeric: true },
        { header: 'Replicas', cell: (group) => group.replicas, numeric: true },
        { header: 'Min', cell: (group) => group.minReplicas ?? 0, numeric: true },
        { header: 'Max', cell: (group) => group.maxReplicas ?? '—', numeric: true },
        { header: 'Zones', cell: (group) => (group.zones ?? []).join(', ') || '—' },
        {
          header: 'Labels',
          cell: (group) =>
            Object.entries(group.labels ?? {})
              .map(([key, value]) => `${key}=${value}`)
              .join(', ') || '—',
        },
        { header: 'Taints', cell: (group) => (group.taints ?? []).map((taint) => `${taint.key}${taint.value === undefined ? '' : `=${taint.value}`}:${taint.effect}`).join(', ') || '—' },
      ]}
    />
  );
}

/** The platform's flavors, or `undefined` while loading or when the platform view fails (GPU counts then show "—"). */
export function useFlavors(): readonly Flavor[] | undefined {
  const platform = useLiveResource('platform', (signal) => getJson<PlatformInfo>('/api/platform', signal));
  return platform.state === 'ready' ? platform.data.flavors : undefined;
}

/** The templates, with what each offers. */
export function TemplatesPage(): ReactNode {
  const templates = useLiveResource('templates', loadTemplates);
  const flavors = useFlavors();
  return (
    <>
      <PageTitle>Templates</PageTitle>
      <ResourceView resource={templates} what="templates">
        {(items) => (
          <DataTable<Template>
            caption="Cluster templates"
            rows={items}
            rowKey={(template) => template.metadata.name}
            empty="No cluster templates yet."
            columns={[
              { header: 'Name', cell: (template) => <Link to={templateHref(template.metadata.name)}>{template.metadata.name}</Link> },
              { header: 'Kubernetes', cell: (template) => template.spec?.kubernetesVersion ?? '' },
              { header: 'Provider', cell: (template) => template.spec?.provider ?? 'kwok' },
              { header: 'Control plane', cell: (template) => template.spec?.controlPlane?.replicas ?? 1, numeric: true },
              { header: 'Node groups', cell: (template) => (template.spec?.nodeGroups ?? []).map(groupSummary).join('; ') },
              { header: 'GPUs', cell: (template) => templateGpus(template, flavors) ?? '—', numeric: true },
              { header: 'Clusters', cell: (template) => template.status?.clusters ?? 0, numeric: true },
              { header: 'Description', cell: (template) => template.spec?.description ?? '' },
            ]}
          />
        )}
      </ResourceView>
    </>
  );
}

/** One template: what it offers, and its node groups in full. */
export function TemplateDetailPage(): ReactNode {
  const { name = '' } = useParams();
  const template = useLiveResource(`template/${name}`, (signal) => getJson<Template>(beamlinePath('clustertemplates', undefined, name), signal));
  const flavors = useFlavors();
  return (
    <>
      <PageTitle>{`Template ${name}`}</PageTitle>
      <p>
        <Link to="/templates">All templates</Link>
      </p>
      <ResourceView resource={template} what={`the template ${name}`}>
        {(item) => (
          <>
            <section aria-labelledby="offer-heading">
              <h2 id="offer-heading">What it offers</h2>
              <TemplateOffer template={item} flavors={flavors} />
            </section>
            <section aria-labelledby="groups-heading">
              <h2 id="groups-heading">Node groups</h2>
              <NodeGroupSpecTable groups={item.spec?.nodeGroups ?? []} flavors={flavors} caption={`Node groups of the template ${name}`} />
            </section>
          </>
        )}
      </ResourceView>
    </>
  );
}
