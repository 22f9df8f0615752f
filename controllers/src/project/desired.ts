/**
 * The RBAC, quota and network objects a project's members and namespaces get, as pure functions of
 * the Project and the PlatformConfig's identity: the Project controller (management namespace,
 * shared namespaces) and the workload-cluster access controller write what these return.
 */
import {
  identityPrefixes,
  memberSubjectName,
  PLATFORM_ADMINS_BINDING,
  PROJECT_LABEL,
  PROJECT_ROLES,
  projectDeliveryUser,
  type Identity,
  type NamespaceDefaults,
  type Project,
  type ProjectRole,
} from '@beamline/api';
import type { KubeObject, OwnerReference } from '@beamline/kube';
import { MANAGED_BY, MANAGED_BY_LABEL } from './kinds.ts';

/** An RBAC subject. */
export interface Subject {
  readonly apiGroup: 'rbac.authorization.k8s.io';
  readonly kind: 'User' | 'Group';
  readonly name: string;
}

/** A RoleBinding or ClusterRoleBinding to a ClusterRole. */
export interface Binding extends KubeObject {
  readonly metadata: { name: string; namespace?: string; labels: Record<string, string>; ownerReferences?: OwnerReference[] };
  readonly roleRef: { readonly apiGroup: 'rbac.authorization.k8s.io'; readonly kind: 'ClusterRole'; readonly name: string };
  readonly subjects: readonly Subject[];
}

/** The labels of every object tenancy writes (plus the project's, where there is one). */
export function managedLabels(project?: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY, ...(project === undefined ? {} : { [PROJECT_LABEL]: project }) };
}

/** The name of the binding of one project role: `beamline:project:<role>` (one binding per role, so a removed member leaves its subjects list). */
export function roleBindingName(role: ProjectRole): string {
  return `beamline:project:${role}`;
}

/** The binding of the project's delivery identity (its Applications apply as it). */
export const DELIVERY_BINDING = 'beamline:project-delivery';

/** The members of one role as RBAC subjects, named as the apiservers name the holders of ID tokens. */
export function memberSubjects(project: Project, identity: Identity | undefined, role: ProjectRole): Subject[] {
  return project.spec.members
    .filter((member) => member.role === role)
    .map((member) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: member.kind, name: memberSubjectName(identity, member) }));
}

function binding(name: string, namespace: string | undefined, role: string, subjects: readonly Subject[], labels: Record<string, string>): Binding {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: namespace === undefined ? 'ClusterRoleBinding' : 'RoleBinding',
    metadata: { name, ...(namespace === undefined ? {} : { namespace }), labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects,
  };
}

/**
 * One binding per role that has members, to the role's ClusterRole in `roles`: RoleBindings in
 * `namespace`, or ClusterRoleBindings when it is undefined. A role without members has none.
 */
export function memberBindings(project: Project, identity: Identity | undefined, roles: Readonly<Record<ProjectRole, string>>, namespace?: string): Binding[] {
  const name = project.metadata?.name ?? '';
  return PROJECT_ROLES.flatMap((role) => {
    const subjects = memberSubjects(project, identity, role);
    return subjects.length === 0 ? [] : [binding(roleBindingName(role), namespace, roles[role], subjects, managedLabels(name))];
  });
}

/** The project's delivery identity ({@link projectDeliveryUser}) bound to `role` (cluster-admin in its clusters, admin in its shared namespaces). */
export function deliveryBinding(projectName: string, role: string, namespace?: string): Binding {
  return binding(DELIVERY_BINDING, namespace, role, [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: projectDeliveryUser(projectName) }], managedLabels(projectName));
}

/** PlatformConfig's admin groups (prefixed) bound to cluster-admin; undefined when there are none. */
export function platformAdminsBinding(identity: Identity | undefined): Binding | undefined {
  const groups = identity?.adminGroups ?? [];
  if (groups.length === 0) return undefined;
  const prefix = identityPrefixes(identity).group;
  const subjects: Subject[] = groups.map((group) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: `${prefix}${group}` }));
  return binding(PLATFORM_ADMINS_BINDING, undefined, 'cluster-admin', subjects, managedLabels());
}

/** The name of the ResourceQuota and LimitRange every project namespace gets. */
export const PROJECT_DEFAULTS = 'project-defaults';

/** The ResourceQuota and LimitRange of `spec.namespaceDefaults` for one namespace (each absent when not asked for). */
export function namespaceDefaultObjects(projectName: string, namespace: string, defaults: NamespaceDefaults | undefined): { quota?: KubeObject; limitRange?: KubeObject } {
  const metadata = { name: PROJECT_DEFAULTS, namespace, labels: managedLabels(projectName) };
  const result: { quota?: KubeObject; limitRange?: KubeObject } = {};
  if (defaults?.resourceQuota !== undefined) {
    result.quota = { apiVersion: 'v1', kind: 'ResourceQuota', metadata, spec: { hard: defaults.resourceQuota.hard } } as KubeObject;
  }
  const limits = defaults?.limitRange;
  if (limits !== undefined && (limits.default !== undefined || limits.defaultRequest !== undefined || limits.max !== undefined)) {
    const limit = { type: 'Container', ...(limits.default === undefined ? {} : { default: limits.default }), ...(limits.defaultRequest === undefined ? {} : { defaultRequest: limits.defaultRequest }), ...(limits.max === undefined ? {} : { max: limits.max }) };
    result.limitRange = { apiVersion: 'v1', kind: 'LimitRange', metadata, spec: { limits: [limit] } } as KubeObject;
  }
  return result;
}

/** The NetworkPolicies that isolate a project's namespace: deny all ingress, then allow it from namespaces of the same project. */
export const NETWORK_POLICY_NAMES = { denyAll: 'project-default-deny-ingress', sameProject: 'project-allow-same-project' } as const;

/** The two isolation NetworkPolicies of one namespace (see {@link NETWORK_POLICY_NAMES}). */
export function isolationPolicies(projectName: string, namespace: string): KubeObject[] {
  const labels = managedLabels(projectName);
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: NETWORK_POLICY_NAMES.denyAll, namespace, labels },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    } as KubeObject,
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: NETWORK_POLICY_NAMES.sameProject, namespace, labels },
      spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: { matchLabels: { [PROJECT_LABEL]: projectName } } }] }] },
    } as KubeObject,
  ];
}

/** The per-project reader ClusterRole and binding name: `beamline:project-reader:<name>`. */
export function projectReaderName(projectName: string): string {
  return `beamline:project-reader:${projectName}`;
}

/**
 * The ClusterRole that lets a project's members read that Project object and no other (the kind is
 * cluster-scoped, so a namespace RoleBinding cannot grant it), and its ClusterRoleBinding to every
 * member whatever the role. Both are owned by the Project, so they go with it.
 */
export function projectReader(project: Project, identity: Identity | undefined, owner: OwnerReference): { role: KubeObject; binding: Binding | undefined } {
  const name = project.metadata?.name ?? '';
  const readerName = projectReaderName(name);
  const labels = managedLabels(name);
  const role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: readerName, labels, ownerReferences: [owner] },
    rules: [{ apiGroups: ['beamline.dev'], resources: ['projects', 'projects/status'], resourceNames: [name], verbs: ['get', 'list', 'watch'] }],
  } as KubeObject;
  const subjects = PROJECT_ROLES.flatMap((role) => memberSubjects(project, identity, role));
  if (subjects.length === 0) return { role, binding: undefined };
  const readerBinding = binding(readerName, undefined, readerName, subjects, labels);
  readerBinding.metadata.ownerReferences = [owner];
  return { role, binding: readerBinding };
}

/** The per-project owner ClusterRole and binding name: `beamline:project-owner:<name>`. */
export function projectOwnerRoleName(projectName: string): string {
  return `beamline:project-owner:${projectName}`;
}

/**
 * The ClusterRole that lets a project's owners update and patch that Project object and no other,
 * and its ClusterRoleBinding to the owners only (no binding when the project has none). RBAC
 * grants the whole object; what an owner may change in it (members and presentation, not quotas,
 * templates or namespaces) is the validating admission webhook's (`admission/project-review.ts`).
 * Both are owned by the Project, so they go with it.
 */
export function projectOwnerRole(project: Project, identity: Identity | undefined, owner: OwnerReference): { role: KubeObject; binding: Binding | undefined } {
  const name = project.metadata?.name ?? '';
  const roleName = projectOwnerRoleName(name);
  const labels = managedLabels(name);
  const role = {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: roleName, labels, ownerReferences: [owner] },
    // The main resource only: status is the controller's.
    rules: [{ apiGroups: ['beamline.dev'], resources: ['projects'], resourceNames: [name], verbs: ['update', 'patch'] }],
  } as KubeObject;
  const subjects = memberSubjects(project, identity, 'owner');
  if (subjects.length === 0) return { role, binding: undefined };
  const ownerBinding = binding(roleName, undefined, roleName, subjects, labels);
  ownerBinding.metadata.ownerReferences = [owner];
  return { role, binding: ownerBinding };
}
