import { tenancyControllers } from '@beamline/controllers';
import type { Capability } from './capability.ts';

/**
 * Tenancy: the Project controller (project namespaces, member bindings, namespace defaults, shared
 * namespaces, usage), the workload-cluster access controller (RBAC written into every Running
 * Cluster) and the platform admins' ClusterRoleBinding of the management cluster, kept from
 * PlatformConfig's `identity.adminGroups`. Nothing to stop: it holds no watches of its own.
 */
export function tenancyCapability(): Capability {
  const tenancy = tenancyControllers();
  return {
    name: 'tenancy',
    controllers: tenancy.controllers,
    // The watch maps (PlatformConfig → every project, Project → its clusters) read the manager's cache.
    attach: ({ manager }) => tenancy.attach(manager.cache),
  };
}
