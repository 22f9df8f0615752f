/** The Kubernetes kinds tenancy writes, as the reconcile runtime addresses them. */
import { API_VERSION, PROJECT } from '@beamline/api';
import type { ResourceType } from '@beamline/kube';

const RBAC = 'rbac.authorization.k8s.io/v1';

/** The kinds of the Project controller and the workload-cluster access controller. */
export const TENANCY_RESOURCES = {
  project: { apiVersion: API_VERSION, kind: PROJECT.kind, plural: PROJECT.plural, namespaced: false },
  namespace: { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  roleBinding: { apiVersion: RBAC, kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
  clusterRole: { apiVersion: RBAC, kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
  clusterRoleBinding: { apiVersion: RBAC, kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
  resourceQuota: { apiVersion: 'v1', kind: 'ResourceQuota', plural: 'resourcequotas', namespaced: true },
  limitRange: { apiVersion: 'v1', kind: 'LimitRange', plural: 'limitranges', namespaced: true },
  networkPolicy: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true },
} as const satisfies Record<string, ResourceType>;

/** The label on every object tenancy writes, so stale ones can be found and removed. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** Its value. */
export const MANAGED_BY = 'beamline';
