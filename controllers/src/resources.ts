import { API_VERSION, APPLICATION, CLUSTER, CLUSTER_TEMPLATE, NODE_GROUP, PLATFORM_CONFIG, type KindNames } from '@beamline/api';
import type { ResourceType } from '@beamline/kube';

const resource = (names: KindNames): ResourceType => ({
  apiVersion: API_VERSION,
  kind: names.kind,
  plural: names.plural,
  namespaced: names.scope === 'Namespaced',
});

/** The Beamline kinds as the reconcile runtime addresses them. */
export const RESOURCES = {
  clusterTemplate: resource(CLUSTER_TEMPLATE),
  cluster: resource(CLUSTER),
  nodeGroup: resource(NODE_GROUP),
  platformConfig: resource(PLATFORM_CONFIG),
  application: resource(APPLICATION),
  event: { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  secret: { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
} as const satisfies Record<string, ResourceType>;

export {
  CLUSTER_FINALIZER,
  CLUSTER_NAME_LABEL as CLUSTER_LABEL,
  KUBECONFIG_SECRET_KEY as KUBECONFIG_KEY,
  NODE_GROUP_FINALIZER,
  NODE_GROUPS_CREATED_ANNOTATION,
  PLATFORM_CONFIG_NAME,
  TEMPLATE_IN_USE_FINALIZER,
} from '@beamline/api';
