import { ConditionReason, ConditionType, type Cluster, type ClusterTemplate } from '@beamline/api';
import { addFinalizer, hasFinalizer, isDeleting, patchStatus, removeFinalizer } from '@beamline/kube';
import type { Reconciler, Result } from '@beamline/reconcile';
import { conditionSet } from '../conditions.ts';
import { RESOURCES, TEMPLATE_IN_USE_FINALIZER } from '../resources.ts';

/**
 * Reconciles a ClusterTemplate: counts the clusters that use it and holds the finalizer
 * `beamline.dev/in-use` while there are any, so a template in use cannot be deleted under its
 * clusters (its spec cannot change at all: the CRD refuses it).
 */
export function clusterTemplateReconciler(): Reconciler<ClusterTemplate> {
  return {
    name: 'clustertemplate',
    async reconcile(_request, context): Promise<Result> {
      let template = context.root();
      if (template === undefined) return {};
      const users = context.cache
        .list<Cluster>(RESOURCES.cluster)
        .filter((cluster) => cluster.spec.templateRef.name === template?.metadata?.name)
        .map((cluster) => `${cluster.metadata?.namespace ?? ''}/${cluster.metadata?.name ?? ''}`);
      if (users.length === 0 && hasFinalizer(template, TEMPLATE_IN_USE_FINALIZER)) {
        template = (await removeFinalizer(context.kubeConfig, template, TEMPLATE_IN_USE_FINALIZER)) ?? template;
      } else if (users.length > 0 && !isDeleting(template)) {
        template = (await addFinalizer(context.kubeConfig, template, TEMPLATE_IN_USE_FINALIZER)) ?? template;
      }
      if (template === undefined || (isDeleting(template) && users.length === 0)) return {};
      const generation = template.metadata?.generation;
      const message =
        users.length === 0
          ? 'not used by any cluster'
          : isDeleting(template)
            ? `deletion waits for the clusters that use it: ${users.slice(0, 5).join(', ')}${users.length > 5 ? ', ...' : ''}`
            : `used by ${users.length} cluster(s)`;
      const owned = conditionSet(template.status?.conditions, generation);
      const reason = isDeleting(template) ? ConditionReason.InUse : ConditionReason.Available;
      owned.set(ConditionType.Ready, isDeleting(template) ? 'False' : 'True', reason, message);
      owned.set(ConditionType.Reconciling, 'False', reason, '');
      owned.set(ConditionType.Stalled, 'False', ConditionReason.Available, '');
      await patchStatus(context.kubeConfig, template, {
        ...(generation === undefined ? {} : { observedGeneration: generation }),
        clusters: users.length,
        conditions: owned.conditions(),
      });
      return {};
    },
  };
}
