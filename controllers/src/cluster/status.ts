import { KubeConfig } from '@kubernetes/client-node';
import { ConditionReason, ConditionType } from '@beamline/api';

/** A condition as computed, before its bookkeeping fields are added. */
export interface ConditionValue {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
}

/** What the Cluster reconciler observed in one pass: the input of {@link computeClusterStatus}. */
export interface ClusterObservation {
  /** The Cluster is being deleted. */
  readonly deleting: boolean;
  /** A problem that retrying will not fix until the spec or its references change (template missing, bad kubeconfig). */
  readonly stalled?: { readonly reason: string; readonly message: string };
  /** The provider's view of the control plane; undefined while nothing was provisioned yet. */
  readonly controlPlane?: {
    readonly ready: boolean;
    /** Why it is not ready (e.g. `ControlPlaneDown`, `Provisioning`), or why it is. */
    readonly reason: string;
    readonly message: string;
  };
  /** Each node group: desired nodes, nodes that exist (when known) and ready nodes. */
  readonly nodeGroups: readonly { readonly name: string; readonly replicas: number; readonly currentReplicas?: number; readonly readyReplicas: number }[];
  /** Node groups the cluster should have but whose NodeGroup objects are not there yet. */
  readonly missingNodeGroups?: readonly string[];
}

/** The reason a control plane that was provisioned is not answering. */
export const CONTROL_PLANE_DOWN = ConditionReason.ControlPlaneDown;

/** Cluster phases, for people and printer columns; logic reads conditions. */
export type ClusterPhase = 'Pending' | 'Provisioning' | 'Running' | 'Unhealthy' | 'Deleting' | 'Failed';

/** The computed part of a Cluster's status. */
export interface ComputedClusterStatus {
  readonly phase: ClusterPhase;
  readonly conditions: readonly ConditionValue[];
  readonly nodes: { readonly total: number; readonly ready: number };
}

/**
 * Turns an observation into conditions and a phase. Pure and total: every owned condition is set
 * on every pass (Ready, ControlPlaneReady, NodesReady, Reconciling, Stalled), always with a reason.
 */
export function computeClusterStatus(observed: ClusterObservation): ComputedClusterStatus {
  const desired = observed.nodeGroups.reduce((sum, group) => sum + group.replicas, 0);
  const ready = observed.nodeGroups.reduce((sum, group) => sum + Math.min(group.readyReplicas, group.replicas), 0);
  const total = observed.nodeGroups.reduce((sum, group) => sum + (group.currentReplicas ?? group.readyReplicas), 0);
  const nodes = { total: Math.max(total, ready), ready };

  if (observed.deleting) {
    const deleting: ConditionValue = { type: ConditionType.Ready, status: 'False', reason: ConditionReason.Deleting, message: 'the cluster is being deleted' };
    return {
      phase: 'Deleting',
      nodes,
      conditions: [
        deleting,
        { type: ConditionType.ControlPlaneReady, status: 'False', reason: ConditionReason.Deleting, message: 'the control plane is being stopped' },
        { type: ConditionType.NodesReady, status: 'False', reason: ConditionReason.Deleting, message: 'the nodes go with the cluster' },
        { type: ConditionType.Reconciling, status: 'True', reason: ConditionReason.Deleting, message: 'removing the cluster' },
        { type: ConditionType.Stalled, status: 'False', reason: ConditionReason.Deleting, message: '' },
      ],
    };
  }

  if (observed.stalled !== undefined) {
    const { reason, message } = observed.stalled;
    return {
      phase: 'Failed',
      nodes,
      conditions: [
        { type: ConditionType.Ready, status: 'False', reason, message },
        {
          type: ConditionType.ControlPlaneReady,
          status: observed.controlPlane?.ready === true ? 'True' : 'Unknown',
          reason: observed.controlPlane?.reason ?? reason,
          message: observed.controlPlane?.message ?? message,
        },
        { type: ConditionType.NodesReady, status: 'Unknown', reason, message },
        { type: ConditionType.Reconciling, status: 'False', reason, message: 'waiting for the spec or its references to change' },
        { type: ConditionType.Stalled, status: 'True', reason, message },
      ],
    };
  }

  const controlPlane: ConditionValue =
    observed.controlPlane === undefined
      ? { type: ConditionType.ControlPlaneReady, status: 'False', reason: ConditionReason.Provisioning, message: 'the control plane is being created' }
      : {
          type: ConditionType.ControlPlaneReady,
          status: observed.controlPlane.ready ? 'True' : 'False',
          reason: observed.controlPlane.reason,
          message: observed.controlPlane.message,
        };
  const missing = observed.missingNodeGroups ?? [];
  const lagging = observed.nodeGroups.filter((group) => group.readyReplicas !== group.replicas);
  const nodesReady: ConditionValue =
    missing.length > 0
      ? { type: ConditionType.NodesReady, status: 'False', reason: ConditionReason.NodeGroupsPending, message: `node groups not created yet: ${missing.join(', ')}` }
      : lagging.length > 0
        ? {
            type: ConditionType.NodesReady,
            status: 'False',
            reason: ConditionReason.Scaling,
            message: lagging.map((group) => `${group.name}: ${group.readyReplicas}/${group.replicas} ready`).join('; '),
          }
        : { type: ConditionType.NodesReady, status: 'True', reason: ConditionReason.AllNodesReady, message: `${ready}/${desired} nodes ready` };

  const allReady = controlPlane.status === 'True' && nodesReady.status === 'True';
  const readyCondition: ConditionValue = allReady
    ? { type: ConditionType.Ready, status: 'True', reason: ConditionReason.Available, message: `control plane ready, ${ready}/${desired} nodes ready` }
    : controlPlane.status !== 'True'
      ? { type: ConditionType.Ready, status: 'False', reason: controlPlane.reason, message: controlPlane.message }
      : { type: ConditionType.Ready, status: 'False', reason: nodesReady.reason, message: nodesReady.message };
  return {
    // Unhealthy: it ran, its control plane died, and it is being restarted; Provisioning otherwise.
    phase: allReady ? 'Running' : observed.controlPlane?.reason === CONTROL_PLANE_DOWN ? 'Unhealthy' : 'Provisioning',
    nodes,
    conditions: [
      readyCondition,
      controlPlane,
      nodesReady,
      allReady
        ? { type: ConditionType.Reconciling, status: 'False', reason: ConditionReason.Available, message: '' }
        : { type: ConditionType.Reconciling, status: 'True', reason: readyCondition.reason, message: readyCondition.message },
      { type: ConditionType.Stalled, status: 'False', reason: allReady ? ConditionReason.Available : ConditionReason.Progressing, message: '' },
    ],
  };
}

/**
 * The PEM of the cluster CA named by a kubeconfig's current cluster (`certificate-authority-data`),
 * for `status.certificateAuthority`; undefined when it names none (a cluster served by a public CA)
 * or cannot be parsed. Only the CA is read: the kubeconfig's credentials never leave this function.
 */
export function certificateAuthorityOf(kubeconfigYaml: string): string | undefined {
  try {
    const config = new KubeConfig();
    config.loadFromString(kubeconfigYaml);
    const data = config.getCurrentCluster()?.caData;
    if (data === undefined || data === '') return undefined;
    const pem = Buffer.from(data, 'base64').toString('utf8');
    return pem.includes('-----BEGIN CERTIFICATE-----') ? pem : undefined;
  } catch {
    return undefined;
  }
}
