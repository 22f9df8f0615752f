/**
 * One cluster: its facts, conditions, node groups (with Scale for who may patch NodeGroups),
 * nodes, events; Delete with the typed name (for who may delete it); the kubeconfig, built in the
 * browser from the Cluster's public status (endpoint and CA) with the `beamline token` exec plugin,
 * so it holds no credential at all. Everything reloads on the live event stream.
 */
import { useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useAccess } from '../access.ts';
import { getJson, useLiveResource } from '../api.ts';
import { StatusBadge } from '../components/badge.tsx';
import { DataTable } from '../components/data-table.tsx';
import { Dialog } from '../components/dialog.tsx';
import { FormError, NumberField, TextField } from '../components/form.tsx';
import { PageTitle } from '../components/page-title.tsx';
import { Age } from '../components/time.tsx';
import { beamlinePath, deleteObject, KubeWriteError, mergePatch, problemsAt } from '../kube.ts';
import { useSession } from '../session.ts';
import { ResourceView } from '../states.tsx';
import type { Condition, KubeEvent, KubeList, NodeList, NodeRow } from '../types.ts';
import { kubeconfigOf, type NodeGroupSpec } from './cluster-model.ts';
import './clusters.css';

/** The label a Cluster's NodeGroups carry (api/v1alpha1 CLUSTER_NAME_LABEL). */
const CLUSTER_LABEL = 'beamline.dev/cluster';

/** Conditions whose True is the trouble (kstatus): shown without the True-is-good colour. */
const ABNORMAL_TRUE = new Set(['Reconciling', 'Stalled']);

/** A Cluster with everything the page shows. */
interface ClusterObject {
  readonly metadata: { readonly name: string; readonly namespace: string; readonly creationTimestamp?: string; readonly deletionTimestamp?: string };
  readonly spec?: { readonly templateRef?: { readonly name?: string }; readonly provider?: string };
  readonly status?: {
    readonly phase?: string;
    readonly provider?: string;
    readonly endpoint?: string;
    readonly certificateAuthority?: string;
    readonly kubernetesVersion?: string;
    readonly controlPlaneReplicas?: number;
    readonly nodes?: { readonly total: number; readonly ready: number };
    readonly conditions?: readonly Condition[];
  };
}

/** A NodeGroup with everything the page shows. */
interface NodeGroupObject {
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec: Omit<NodeGroupSpec, 'name'> & { readonly clusterName: string };
  readonly status?: { readonly replicas?: number; readonly readyReplicas?: number; readonly conditions?: readonly Condition[] };
}

interface Detail {
  readonly cluster: ClusterObject;
  readonly nodeGroups: readonly NodeGroupObject[];
  readonly events: readonly KubeEvent[];
}

function eventTime(event: KubeEvent): string {
  return event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? '';
}

/** The Cluster, its NodeGroups (by the cluster label) and the events of all of them, newest first. */
async function loadDetail(namespace: string, name: string, signal: AbortSignal): Promise<Detail> {
  const selector = new URLSearchParams({ labelSelector: `${CLUSTER_LABEL}=${name}` });
  const [cluster, groups] = await Promise.all([
    getJson<ClusterObject>(beamlinePath('clusters', namespace, name), signal),
    getJson<KubeList<NodeGroupObject>>(`${beamlinePath('nodegroups', namespace)}?${selector.toString()}`, signal),
  ]);
  const nodeGroups = [...groups.items].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const lists = await Promise.all(
    [name, ...nodeGroups.map((group) => group.metadata.name)].map((object) =>
      getJson<KubeList<KubeEvent>>(`/api/kube/api/v1/namespaces/${encodeURIComponent(namespace)}/events?${new URLSearchParams({ fieldSelector: `involvedObject.name=${object}` }).toString()}`, signal),
    ),
  );
  const events = lists.flatMap((list) => list.items).sort((a, b) => eventTime(b).localeCompare(eventTime(a)));
  return { cluster, nodeGroups, events };
}

/** Saves `text` as `filename` through a Blob URL (an `<a download>`: a download, not a fetch). */
function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked once the browser has started the download.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The cluster detail page. */
export function ClusterDetailPage(): ReactNode {
  const { namespace = '', name = '' } = useParams();
  const detail = useLiveResource(`cluster/${namespace}/${name}`, (signal) => loadDetail(namespace, name, signal));
  const nodesPath = `/api/clusters/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/nodes`;
  // The nodes are read from the workload cluster itself: asked only while its control plane answers
  // (before, the server could only say 503), and again when that changes.
  const answering =
    detail.state === 'ready' &&
    detail.data.cluster.metadata.deletionTimestamp === undefined &&
    detail.data.cluster.status?.conditions?.some((condition) => condition.type === 'ControlPlaneReady' && condition.status === 'True') === true;
  const nodes = useLiveResource(`${nodesPath}|${String(answering)}`, (signal) => (answering ? getJson<NodeList>(nodesPath, signal) : Promise.resolve(undefined)));
  const mayScale = useAccess({ verb: 'patch', resource: 'nodegroups.beamline.dev', namespace });
  const mayDelete = useAccess({ verb: 'delete', resource: 'clusters.beamline.dev', namespace, name });
  return (
    <>
      <PageTitle>{`Cluster ${name}`}</PageTitle>
      <p>
        <Link to="/clusters">All clusters</Link>
      </p>
      <ResourceView resource={detail} what={`the cluster ${name}`}>
        {(data) => (
          <>
            <Facts cluster={data.cluster} mayDelete={mayDelete === true} />
            <section aria-labelledby="conditions-heading">
              <h2 id="conditions-heading">Conditions</h2>
              <DataTable<Condition>
                caption={`Conditions of the cluster ${name}`}
                rows={data.cluster.status?.conditions ?? []}
                rowKey={(condition) => condition.type}
                empty="No conditions reported yet."
                columns={[
                  { header: 'Type', cell: (condition) => condition.type },
                  // Reconciling and Stalled are "abnormal-true" (kstatus): False is the good state, so no good/bad colour.
                  { header: 'Status', cell: (condition) => (ABNORMAL_TRUE.has(condition.type) ? condition.status : <StatusBadge status={condition.status} />) },
                  { header: 'Reason', cell: (condition) => condition.reason ?? '' },
                  { header: 'Message', cell: (condition) => condition.message ?? '' },
                ]}
              />
            </section>
            <section aria-labelledby="node-groups-heading">
              <h2 id="node-groups-heading">Node groups</h2>
              <NodeGroups groups={data.nodeGroups} cluster={name} mayScale={mayScale === true && data.cluster.metadata.deletionTimestamp === undefined} />
            </section>
          </>
        )}
      </ResourceView>
      <section aria-labelledby="nodes-heading">
        <h2 id="nodes-heading">Nodes</h2>
        <ResourceView resource={nodes} what="the nodes">
          {(list) =>
            list === undefined ? (
              <p className="muted">The nodes show once the cluster's control plane answers.</p>
            ) : (
            <>
              <DataTable<NodeRow>
                caption={`Nodes of the cluster ${name}`}
                rows={list.items}
                rowKey={(node) => node.name}
                empty="No nodes yet."
                columns={[
                  { header: 'Name', cell: (node) => node.name },
                  { header: 'Node group', cell: (node) => node.nodeGroup ?? '—' },
                  { header: 'Ready', cell: (node) => <StatusBadge status={node.ready ? 'Ready' : 'NotReady'} /> },
                  { header: 'Zone', cell: (node) => node.zone ?? '—' },
                  { header: 'Flavor', cell: (node) => node.flavor ?? '—' },
                  { header: 'GPUs', cell: (node) => node.gpus, numeric: true },
                  { header: 'Kubelet', cell: (node) => node.kubeletVersion ?? '—' },
                  { header: 'Taints', cell: (node) => node.taints.map((taint) => `${taint.key}${taint.value === undefined ? '' : `=${taint.value}`}:${taint.effect}`).join(', ') || '—' },
                  { header: 'Age', cell: (node) => <Age iso={node.createdAt} /> },
                ]}
              />
              {list.truncated ? <p className="muted">Only the first {list.items.length} nodes are shown.</p> : null}
            </>
            )
          }
        </ResourceView>
      </section>
      {detail.state === 'ready' ? (
        <section aria-labelledby="events-heading">
          <h2 id="events-heading">Events</h2>
          <DataTable<KubeEvent>
            caption={`Events of the cluster ${name} and its node groups, newest first`}
            rows={detail.data.events}
            rowKey={(event) => event.metadata.uid ?? event.metadata.name}
            empty="No events."
            columns={[
              { header: 'When', cell: (event) => <Age iso={eventTime(event)} /> },
              { header: 'Type', cell: (event) => event.type ?? '' },
              { header: 'Object', cell: (event) => `${event.involvedObject?.kind ?? ''} ${event.involvedObject?.name ?? ''}`.trim() },
              { header: 'Reason', cell: (event) => event.reason ?? '' },
              { header: 'Message', cell: (event) => event.message ?? '' },
              { header: 'Count', cell: (event) => event.count ?? 1, numeric: true },
            ]}
          />
        </section>
      ) : null}
    </>
  );
}

function Facts({ cluster, mayDelete }: { readonly cluster: ClusterObject; readonly mayDelete: boolean }): ReactNode {
  const { name, namespace } = cluster.metadata;
  const status = cluster.status ?? {};
  const phase = cluster.metadata.deletionTimestamp === undefined ? (status.phase ?? 'Pending') : 'Deleting';
  const ready = status.conditions?.find((condition) => condition.type === 'Ready');
  const template = cluster.spec?.templateRef?.name;
  return (
    <section aria-labelledby="facts-heading">
      <h2 id="facts-heading">Overview</h2>
      <dl className="facts">
        <dt>Namespace</dt>
        <dd>{namespace}</dd>
        <dt>Phase</dt>
        <dd>
          <StatusBadge status={phase} />
        </dd>
        <dt>Ready</dt>
        <dd>
          <StatusBadge status={ready?.status ?? 'Unknown'} /> {ready?.reason === undefined ? null : <span className="muted">{ready.reason}</span>}
        </dd>
        <dt>Template</dt>
        <dd>{template === undefined ? '—' : <Link to={`/templates/${encodeURIComponent(template)}`}>{template}</Link>}</dd>
        <dt>Provider</dt>
        <dd>{status.provider ?? cluster.spec?.provider ?? '—'}</dd>
        <dt>Kubernetes</dt>
        <dd>{status.kubernetesVersion ?? '—'}</dd>
        <dt>Endpoint</dt>
        <dd>{status.endpoint === undefined ? '—' : <code>{status.endpoint}</code>}</dd>
        <dt>Nodes ready</dt>
        <dd>{status.nodes === undefined ? '—' : `${status.nodes.ready}/${status.nodes.total}`}</dd>
        <dt>Age</dt>
        <dd>
          <Age iso={cluster.metadata.creationTimestamp} />
        </dd>
      </dl>
      <div className="actions">
        {status.endpoint === undefined ? null : (
          <>
            <button type="button" onClick={() => download(`${namespace}-${name}.kubeconfig`, kubeconfigOf(`${namespace}-${name}`, status.endpoint ?? '', status.certificateAuthority))}>
              Download kubeconfig
            </button>
            <span className="muted">
              It holds no credential: it runs <code>beamline token</code>, so run <code>beamline login</code> first.
            </span>
          </>
        )}
        {mayDelete && cluster.metadata.deletionTimestamp === undefined ? <DeleteCluster namespace={namespace} name={name} /> : null}
      </div>
    </section>
  );
}

function DeleteCluster({ namespace, name }: { readonly namespace: string; readonly name: string }): ReactNode {
  const { csrfToken } = useSession();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState('');
  const [deleting, setDeleting] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (typed !== name) return;
    setDeleting(true);
    setError(undefined);
    deleteObject(beamlinePath('clusters', namespace, name), csrfToken).then(
      () => void navigate('/clusters'),
      (failure: unknown) => {
        setDeleting(false);
        setError(failure instanceof Error ? failure.message : String(failure));
      },
    );
  };
  return (
    <>
      <button type="button" className="danger" onClick={() => setOpen(true)}>
        Delete cluster
      </button>
      <Dialog open={open} title={`Delete the cluster ${name}?`} onClose={() => setOpen(false)}>
        <form onSubmit={submit}>
          <p>Its control plane, node groups, nodes and everything running on it are removed. This cannot be undone.</p>
          <TextField label={`Type ${name} to confirm`} value={typed} onChange={setTyped} />
          <FormError message={error} />
          <div className="actions">
            <button type="submit" className="danger" disabled={typed !== name || deleting}>
              {deleting ? 'Deleting…' : `Delete ${name}`}
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

/** The group's name without the `<cluster>-` prefix. */
function groupName(group: NodeGroupObject, cluster: string): string {
  return group.metadata.name.startsWith(`${cluster}-`) ? group.metadata.name.slice(cluster.length + 1) : group.metadata.name;
}

function NodeGroups({ groups, cluster, mayScale }: { readonly groups: readonly NodeGroupObject[]; readonly cluster: string; readonly mayScale: boolean }): ReactNode {
  const [scaling, setScaling] = useState<NodeGroupObject | undefined>();
  return (
    <>
      <DataTable<NodeGroupObject>
        caption={`Node groups of the cluster ${cluster}`}
        rows={groups}
        rowKey={(group) => group.metadata.name}
        empty="No node groups yet."
        columns={[
          { header: 'Name', cell: (group) => groupName(group, cluster) },
          { header: 'Flavor', cell: (group) => group.spec.flavor },
          { header: 'Replicas', cell: (group) => group.spec.replicas, numeric: true },
          { header: 'Nodes ready', cell: (group) => `${group.status?.readyReplicas ?? 0}/${group.status?.replicas ?? 0}`, numeric: true },
          { header: 'Min', cell: (group) => group.spec.minReplicas ?? 0, numeric: true },
          { header: 'Max', cell: (group) => group.spec.maxReplicas ?? '—', numeric: true },
          { header: 'Zones', cell: (group) => (group.spec.zones ?? []).join(', ') || '—' },
          ...(mayScale
            ? [
                {
                  header: 'Actions',
                  cell: (group: NodeGroupObject) => (
                    <button type="button" onClick={() => setScaling(group)}>
                      Scale {groupName(group, cluster)}
                    </button>
                  ),
                },
              ]
            : []),
        ]}
      />
      {scaling === undefined ? null : <ScaleDialog key={scaling.metadata.name} group={scaling} label={groupName(scaling, cluster)} onClose={() => setScaling(undefined)} />}
    </>
  );
}

function ScaleDialog({ group, label, onClose }: { readonly group: NodeGroupObject; readonly label: string; readonly onClose: () => void }): ReactNode {
  const { csrfToken } = useSession();
  const [value, setValue] = useState(String(group.spec.replicas));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<unknown>();
  const min = group.spec.minReplicas ?? 0;
  const max = group.spec.maxReplicas ?? 1000;
  const number = /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
  const local = number === undefined ? ['a whole number'] : number < min ? [`at least ${min} (the group's minimum)`] : number > max ? [`at most ${max} (the group's maximum)`] : [];
  const serverProblems = problemsAt(error, 'spec.replicas');
  const formError = error === undefined ? undefined : error instanceof KubeWriteError && serverProblems.length > 0 ? undefined : error instanceof Error ? error.message : 'the scale failed';
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (number === undefined || local.length > 0) return;
    setSaving(true);
    setError(undefined);
    mergePatch(beamlinePath('nodegroups', group.metadata.namespace, group.metadata.name), { spec: { replicas: number } }, csrfToken).then(onClose, (failure: unknown) => {
      setSaving(false);
      setError(failure);
    });
  };
  return (
    <Dialog open title={`Scale the node group ${label}`} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <NumberField
          label="Replicas"
          value={value}
          onChange={(next) => {
            setError(undefined);
            setValue(next);
          }}
          min={min}
          max={max}
          hint={`From ${min} to ${group.spec.maxReplicas === undefined ? 'any number up to 1000' : String(max)}; now ${group.spec.replicas}.`}
          {...(local.length + serverProblems.length === 0 ? {} : { problems: [...local, ...serverProblems] })}
        />
        <FormError message={formError} />
        <div className="actions">
          <button type="submit" className="primary" disabled={saving || local.length > 0}>
            {saving ? 'Scaling…' : 'Scale'}
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
