/**
 * The ClusterRoles of the management cluster that Beamline's tenancy binds: one per project role
 * (bound in a project's namespace by the Project controller) and the catalogue reader every
 * authenticated user gets. Installed with the API, so a Project's bindings never name a missing role.
 */
import {
  APPLICATION,
  CLUSTER,
  CLUSTER_TEMPLATE,
  GROUP,
  NODE_GROUP,
  PLATFORM_CONFIG,
  PROJECT_CLUSTER_ROLES,
} from '@beamline/api';

/** One rule of a Role or ClusterRole. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

/** A ClusterRole as applied. */
export interface ClusterRoleManifest {
  readonly apiVersion: 'rbac.authorization.k8s.io/v1';
  readonly kind: 'ClusterRole';
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly rules: readonly PolicyRule[];
}

/** A ClusterRoleBinding as applied. */
export interface ClusterRoleBindingManifest {
  readonly apiVersion: 'rbac.authorization.k8s.io/v1';
  readonly kind: 'ClusterRoleBinding';
  readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
  readonly roleRef: { readonly apiGroup: 'rbac.authorization.k8s.io'; readonly kind: 'ClusterRole'; readonly name: string };
  readonly subjects: readonly { readonly apiGroup: 'rbac.authorization.k8s.io'; readonly kind: 'User' | 'Group'; readonly name: string }[];
}

/** The ClusterRole every authenticated user is bound to: read ClusterTemplates and the PlatformConfig (the catalogue). */
export const CATALOG_READER_ROLE = 'beamline:catalog-reader';

/** The label Beamline puts on the RBAC objects it manages. */
export const MANAGED_BY_LABELS: Readonly<Record<string, string>> = { 'app.kubernetes.io/managed-by': 'beamline' };

const READ = ['get', 'list', 'watch'] as const;
const WRITE = ['create', 'update', 'patch', 'delete', 'deletecollection'] as const;
/** The namespaced Beamline kinds a project holds, with their status subresources (read with the object). */
const PROJECT_KINDS = [CLUSTER.plural, NODE_GROUP.plural, APPLICATION.plural];
const STATUS = PROJECT_KINDS.map((plural) => `${plural}/status`);
/** Events of the namespace: what the controllers say about the project's objects. */
const EVENTS_READ: readonly PolicyRule[] = [
  { apiGroups: [''], resources: ['events'], verbs: READ },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: READ },
];

function clusterRole(name: string, rules: readonly PolicyRule[]): ClusterRoleManifest {
  return { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name, labels: MANAGED_BY_LABELS }, rules };
}

/**
 * The three project roles (bound in `project-<name>` by the Project controller):
 * - owner: every Beamline kind of the namespace, its Roles and RoleBindings (so an owner can
 *   delegate within the namespace; RBAC's escalation check keeps that to what the owner holds),
 *   and Secrets it may write but never read: the `<cluster>-kubeconfig` Secrets hold admin
 *   certificates of the project's clusters, which must not leave the platform.
 * - member: creates, changes and deletes Clusters, NodeGroups and Applications; writes Secrets
 *   (Git credentials, imported kubeconfigs) without reading them.
 * - viewer: reads the Beamline kinds and events.
 * Nobody of a project writes status: that is the controllers' record.
 */
export function projectClusterRoles(): ClusterRoleManifest[] {
  return [
    clusterRole(PROJECT_CLUSTER_ROLES.owner, [
      { apiGroups: [GROUP], resources: PROJECT_KINDS, verbs: [...READ, ...WRITE] },
      { apiGroups: [GROUP], resources: STATUS, verbs: READ },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: [...READ, ...WRITE] },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'update', 'patch', 'delete'] },
      ...EVENTS_READ,
    ]),
    clusterRole(PROJECT_CLUSTER_ROLES.member, [
      { apiGroups: [GROUP], resources: PROJECT_KINDS, verbs: [...READ, 'create', 'update', 'patch', 'delete'] },
      { apiGroups: [GROUP], resources: STATUS, verbs: READ },
      // patch too: server-side apply (`kubectl apply --server-side`) of a Secret is a PATCH and reads nothing back.
      { apiGroups: [''], resources: ['secrets'], verbs: ['create', 'update', 'patch', 'delete'] },
      ...EVENTS_READ,
    ]),
    clusterRole(PROJECT_CLUSTER_ROLES.viewer, [
      { apiGroups: [GROUP], resources: [...PROJECT_KINDS, ...STATUS], verbs: READ },
      ...EVENTS_READ,
    ]),
  ];
}

/** The catalogue reader role and its binding to every authenticated user: templates and flavors are public to the platform's users. */
export function catalogReader(): { readonly role: ClusterRoleManifest; readonly binding: ClusterRoleBindingManifest } {
  return {
    role: clusterRole(CATALOG_READER_ROLE, [{ apiGroups: [GROUP], resources: [CLUSTER_TEMPLATE.plural, PLATFORM_CONFIG.plural], verbs: READ }]),
    binding: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: CATALOG_READER_ROLE, labels: MANAGED_BY_LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: CATALOG_READER_ROLE },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }],
    },
  };
}

/** Every RBAC object the API install applies, in order (roles before bindings). */
export function rbacObjects(): (ClusterRoleManifest | ClusterRoleBindingManifest)[] {
  const reader = catalogReader();
  return [...projectClusterRoles(), reader.role, reader.binding];
}
