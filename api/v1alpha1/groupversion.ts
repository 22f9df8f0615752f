/**
 * The API group and version, the shape of a kind's registration (each kind file exports its own), and the
 * well-known names the controllers and clients share: the PlatformConfig singleton, finalizers,
 * condition types and reasons.
 */

/** The API group of every Beamline kind. */
export const GROUP = 'beamline.dev';
/** The version of this API. */
export const VERSION = 'v1alpha1';
/** `apiVersion` of every object of this API: `beamline.dev/v1alpha1`. */
export const API_VERSION = `${GROUP}/${VERSION}`;

/** How a kind is registered: its names (for URLs and kubectl) and its scope. */
export interface KindNames {
  readonly kind: string;
  readonly listKind: string;
  /** The resource name in URLs and RBAC rules. */
  readonly plural: string;
  readonly singular: string;
  /** kubectl abbreviations; none clashes with a built-in resource's. */
  readonly shortNames: readonly string[];
  readonly scope: 'Cluster' | 'Namespaced';
  /** `kubectl get beamline` lists every kind in the `beamline` category. */
  readonly categories: readonly string[];
}

/**
 * A column `kubectl get` prints for a kind (a CRD's `additionalPrinterColumns` entry). Every kind
 * also gets `Age`, which the generator appends.
 */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'date';
  readonly jsonPath: string;
  readonly description: string;
  /** 1: shown by `-o wide` only. */
  readonly priority?: number;
}

/** A CRD's subresources: `status`, and `scale` for kinds `kubectl scale` works on. */
export interface KindSubresources {
  readonly status?: Record<string, never>;
  readonly scale?: { readonly specReplicasPath: string; readonly statusReplicasPath: string };
}

/**
 * Everything the generator needs of one kind, exported by its kind file and registered in
 * `kinds.ts`: names, the schema of a whole object, printer columns and subresources.
 */
export interface KindDefinition {
  readonly names: KindNames;
  /** The TypeBox schema of a whole object (see `kindSchema`). */
  readonly schema: {
    readonly description?: string;
    readonly required?: readonly string[];
    readonly properties: Readonly<Record<string, unknown>>;
  };
  readonly printerColumns: readonly PrinterColumn[];
  readonly subresources?: KindSubresources;
}

/** The `kubectl get <category>` that lists every Beamline kind. */
export const CATEGORY = 'beamline';

/** The name of the one PlatformConfig (the CRD refuses any other). */
export const PLATFORM_CONFIG_NAME = 'beamline';

/** Finalizer the template controller holds on a ClusterTemplate while any Cluster references it. */
export const TEMPLATE_IN_USE_FINALIZER = 'beamline.dev/in-use';
/** Finalizer the cluster controller holds on a Cluster until its processes and folder are gone. */
export const CLUSTER_FINALIZER = 'beamline.dev/cluster';
/** Finalizer the node-group controller holds on a NodeGroup until its nodes are drained and deleted. */
export const NODE_GROUP_FINALIZER = 'beamline.dev/nodes';
/** Finalizer the application controller holds on an Application until its objects are deleted (or orphaned). */
export const APPLICATION_FINALIZER = 'beamline.dev/application-resources';
/**
 * Annotation that asks for a sync of an Application: a JSON {@link SyncRequest} (or any other
 * text, read as a request id with default options). Handled once per distinct `id`; the id
 * handled last is in `status.lastHandledSyncRequest`.
 */
export const SYNC_REQUEST_ANNOTATION = 'beamline.dev/sync-request';
/**
 * Annotation that asks for the source to be checked now (as a webhook does), like Flux's
 * `reconcile.fluxcd.io/requestedAt`: any new value; the last handled is `status.lastHandledRefresh`.
 */
export const REFRESH_ANNOTATION = 'beamline.dev/refresh-requested-at';
/**
 * Annotation on every object an Application applies: `<app namespace>/<app name>:<group>/<kind>:<namespace>/<name>`
 * (Argo CD's annotation tracking). Drift watches map an edited object back to its Application
 * with it; the object's own identity in it makes a copy of the object (same annotation, other
 * name) no part of the app.
 */
export const TRACKING_ANNOTATION = 'beamline.dev/tracking-id';

/** The tracking id of an object of an Application (see {@link TRACKING_ANNOTATION}). */
export function trackingId(appNamespace: string, appName: string, object: { readonly group: string; readonly kind: string; readonly namespace?: string; readonly name: string }): string {
  return `${appNamespace}/${appName}:${object.group}/${object.kind}:${object.namespace ?? ''}/${object.name}`;
}

/** The Application (`namespace/name`) a tracking id names, when it is well formed and names `object`; else `undefined`. */
export function trackedApplication(id: string, object: { readonly group: string; readonly kind: string; readonly namespace?: string; readonly name: string }): string | undefined {
  const colon = id.indexOf(':');
  if (colon === -1) return undefined;
  const app = id.slice(0, colon);
  if (!/^[a-z0-9-]+\/[a-z0-9.-]+$/.test(app)) return undefined;
  const [namespace, name] = app.split('/') as [string, string];
  return id === trackingId(namespace, name, object) ? app : undefined;
}
/** Label on the NodeGroups (and nodes) of a Cluster: the Cluster's name. */
export const CLUSTER_NAME_LABEL = 'beamline.dev/cluster';
/** The key of the admin kubeconfig in the `<cluster>-kubeconfig` Secret (as Cluster API names it). */
export const KUBECONFIG_SECRET_KEY = 'value';

/** The Secret holding a kwok Cluster's admin kubeconfig: `<cluster>-kubeconfig`. */
export function kubeconfigSecretName(clusterName: string): string {
  return `${clusterName}-kubeconfig`;
}

/** The NodeGroup object materialised from a template's group: `<cluster>-<group>`. */
export function nodeGroupObjectName(clusterName: string, groupName: string): string {
  return `${clusterName}-${groupName}`;
}

/**
 * The group's short name (`gpu`) from a NodeGroup's object name (`mycluster-gpu`) and cluster
 * name, or `undefined` when the name is not `<cluster>-<group>`.
 */
export function nodeGroupShortName(objectName: string, clusterName: string): string | undefined {
  const prefix = `${clusterName}-`;
  return objectName.startsWith(prefix) && objectName.length > prefix.length ? objectName.slice(prefix.length) : undefined;
}

/** Condition types. Every kind has Ready, Reconciling and Stalled; Clusters also ControlPlaneReady and NodesReady. */
export const ConditionType = {
  /** The object is what its spec asks for and works. */
  Ready: 'Ready',
  /** The controller is working towards the spec (kstatus: present and True only while it does). */
  Reconciling: 'Reconciling',
  /** The controller cannot make progress without a change from someone (kstatus: True only then). */
  Stalled: 'Stalled',
  /** Cluster: every control-plane component answers. */
  ControlPlaneReady: 'ControlPlaneReady',
  /** Cluster: every node of every NodeGroup is Ready. */
  NodesReady: 'NodesReady',
} as const;

/** The condition reasons the controllers set (CamelCase, stable: clients may match on them). */
export const ConditionReason = {
  /** Ready=True: everything the spec asks for is up (also the reason of Reconciling/Stalled=False then). */
  Available: 'Available',
  /** Stalled=False while the controller is still working towards the spec. */
  Progressing: 'Progressing',
  /** ControlPlaneReady=False, Ready=False: the control plane is being created (or resumed). */
  Provisioning: 'Provisioning',
  /** ControlPlaneReady=True: every control-plane component answers. */
  ControlPlaneAvailable: 'ControlPlaneAvailable',
  /** ControlPlaneReady=False: a control-plane component (or an imported cluster's API server) does not answer. */
  ControlPlaneDown: 'ControlPlaneDown',
  /** NodesReady=False: NodeGroups of the template are not created yet. */
  NodeGroupsPending: 'NodeGroupsPending',
  /** NodesReady=False, or a NodeGroup's Ready=False: nodes are being added or removed, not all Ready. */
  Scaling: 'Scaling',
  /** NodesReady=True: every node of every group is Ready. */
  AllNodesReady: 'AllNodesReady',
  /** Stalled=True: a Cluster's `spec.templateRef` names no ClusterTemplate. */
  TemplateNotFound: 'TemplateNotFound',
  /** Stalled=True: a NodeGroup's flavor is not (any more) in PlatformConfig/beamline. */
  FlavorNotFound: 'FlavorNotFound',
  /** A NodeGroup's Ready=False: `spec.clusterName` names no Cluster in its namespace (yet). */
  ClusterNotFound: 'ClusterNotFound',
  /** A NodeGroup's Ready=False: its Cluster's control plane is not ready yet. */
  WaitingForControlPlane: 'WaitingForControlPlane',
  /** A NodeGroup's Stalled=True: it belongs to an imported cluster, whose nodes Beamline does not manage. */
  NotManaged: 'NotManaged',
  /** Stalled=True: an imported Cluster's kubeconfig Secret (or its key) does not exist. */
  KubeconfigSecretNotFound: 'KubeconfigSecretNotFound',
  /** Stalled=True: an imported Cluster's kubeconfig cannot be used. */
  InvalidKubeconfig: 'InvalidKubeconfig',
  /** An Application's Ready=False: its destination Cluster does not exist (yet) or is not Ready. */
  DestinationNotReady: 'DestinationNotReady',
  /** An Application's Ready=False: the git repository, revision, path or chart cannot be fetched. */
  FetchFailed: 'FetchFailed',
  /** An Application's Ready=False: the source does not render (YAML that does not parse, values that do not render). */
  RenderFailed: 'RenderFailed',
  /** An Application's Ready=False: the last sync had objects refused by the destination. */
  SyncFailed: 'SyncFailed',
  /** An Application's Ready=False: the live objects differ from the source (no automated sync, or waiting for one). */
  OutOfSync: 'OutOfSync',
  /** An Application's Ready=False: synced, and objects are not healthy yet (or Degraded). */
  NotHealthy: 'NotHealthy',
  /** Every condition while the object is being deleted (finalizer work in progress). */
  Deleting: 'Deleting',
  /** A ClusterTemplate's Ready=False: it is being deleted but Clusters still use it. */
  InUse: 'InUse',
} as const;

/** A condition type of this API. */
export type ConditionTypeName = (typeof ConditionType)[keyof typeof ConditionType];
/** A condition reason of this API. */
export type ConditionReasonName = (typeof ConditionReason)[keyof typeof ConditionReason];
