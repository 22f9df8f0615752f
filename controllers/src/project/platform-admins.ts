import { PLATFORM_ADMINS_BINDING, type PlatformConfig } from '@beamline/api';
import type { Reconciler, Result } from '@beamline/reconcile';
import { platformAdminsBinding } from './desired.ts';
import { TENANCY_RESOURCES as R } from './kinds.ts';

/**
 * The management cluster's platform admins: the ClusterRoleBinding PLATFORM_ADMINS_BINDING of
 * PlatformConfig's `identity.adminGroups` (prefixed) to cluster-admin, removed when there are none.
 */
export function platformAdminsReconciler(): Reconciler<PlatformConfig> {
  return {
    name: 'platform-admins',
    async reconcile(_request, context): Promise<Result> {
      const binding = platformAdminsBinding(context.root()?.spec.identity);
      if (binding === undefined) await context.client.delete(R.clusterRoleBinding, PLATFORM_ADMINS_BINDING);
      else await context.client.apply(R.clusterRoleBinding, binding);
      return {};
    },
  };
}
