import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BinaryPaths } from '@beamline/binaries';
import { ClusterStalledError } from '../cluster-stalled-error.ts';
import {
  controlPlaneStatus,
  destroyControlPlane,
  ensureAuthenticationConfig,
  readStateIfAny,
  resumeControlPlane,
  startControlPlane,
  type JwtIssuer,
} from '@beamline/control-plane';

/** What the kwok provider needs to run one cluster. */
export interface KwokClusterRequest {
  /** `$BEAMLINE_HOME`: clusters live in `<home>/clusters/<namespace>/<name>/`. */
  readonly home: string;
  readonly namespace: string;
  readonly name: string;
  readonly controlPlaneReplicas: 1 | 3;
  readonly kubernetesVersion: string;
  readonly binaries: BinaryPaths;
  /** The Kubernetes version the binaries are (the pins): the only one this provider can run. */
  readonly availableVersion: string;
  /** The OIDC issuers its apiservers trust: written before the first start, rewritten when they change (the apiservers reload it). */
  readonly trust: readonly JwtIssuer[];
}

/** The provider's view of a cluster's control plane after {@link ensureKwokCluster}. */
export interface KwokClusterState {
  readonly ready: boolean;
  /** `ControlPlaneAvailable`, `Provisioning` or `ControlPlaneDown`. */
  readonly reason: string;
  readonly message: string;
  readonly endpoint: string;
  /** The admin kubeconfig (YAML); it holds a private key: never log it. */
  readonly kubeconfig: string;
}

/** Thrown for requests the provider can never satisfy as they stand (retrying will not help). */
export class UnsupportedClusterError extends ClusterStalledError {
  constructor(reason: string, message: string) {
    super(reason, message);
    this.name = 'UnsupportedClusterError';
  }
}

/** The folder of a kwok cluster. */
export function kwokClusterDir(home: string, namespace: string, name: string): string {
  return join(home, 'clusters', namespace, name);
}

/**
 * Makes the cluster's control plane exist and run: starts it the first time (detached: it outlives
 * the manager), adopts it when it runs, and restarts the components that died (same ports, PKI
 * and data). A start interrupted by a crash is cleaned up and started again by the launcher.
 */
export async function ensureKwokCluster(request: KwokClusterRequest): Promise<KwokClusterState> {
  if (request.kubernetesVersion !== request.availableVersion) {
    throw new UnsupportedClusterError(
      'VersionUnavailable',
      `the kwok provider runs Kubernetes ${request.availableVersion}; ${request.kubernetesVersion} is not available`,
    );
  }
  const dir = kwokClusterDir(request.home, request.namespace, request.name);
  const state = await readStateIfAny(dir);
  let reason = 'ControlPlaneAvailable';
  let message = 'the control plane answers';
  if (state === undefined || !state.ready) {
    // First start, or a first start that never completed (the launcher starts it afresh).
    const plane = await startControlPlane({
      binaries: request.binaries,
      mode: 'full',
      lifetime: 'detached',
      dir,
      name: request.name,
      controlPlaneReplicas: request.controlPlaneReplicas,
      authentication: request.trust,
      simulation: true,
    });
    message = `control plane started with ${plane.components.length} components`;
  } else {
    const status = await controlPlaneStatus(dir);
    const dead = status.components.filter((component) => !component.alive).map((component) => component.name);
    if (!status.ready || dead.length > 0) {
      await resumeControlPlane(dir, { binaries: request.binaries });
      reason = 'ControlPlaneRestarted';
      message = dead.length > 0 ? `restarted ${dead.join(', ')}` : 'the endpoint did not answer; components checked';
    }
  }
  await ensureAuthenticationConfig(dir, request.trust);
  const after = await controlPlaneStatus(dir);
  const current = await readStateIfAny(dir);
  return {
    ready: after.ready,
    reason: after.ready ? reason : 'ControlPlaneDown',
    message: after.ready ? message : `the control plane does not answer: ${after.components.filter((c) => !c.alive).map((c) => c.name).join(', ') || 'endpoint not ready'}`,
    endpoint: current?.server ?? '',
    kubeconfig: await readFile(join(dir, 'admin.kubeconfig'), 'utf8'),
  };
}

/** What {@link kwokClusterHealth} found, without repairing anything. */
export interface KwokClusterHealth {
  /** A control plane was fully started once (its folder has a ready state). */
  readonly provisioned: boolean;
  /** The endpoint answers /readyz. */
  readonly ready: boolean;
  /** Components whose process is gone. */
  readonly dead: readonly string[];
}

/** Cheap health check, no side effects: is the cluster's control plane up, and what died? */
export async function kwokClusterHealth(home: string, namespace: string, name: string): Promise<KwokClusterHealth> {
  const dir = kwokClusterDir(home, namespace, name);
  const state = await readStateIfAny(dir);
  if (state?.ready !== true) return { provisioned: false, ready: false, dead: [] };
  const status = await controlPlaneStatus(dir);
  return { provisioned: true, ready: status.ready, dead: status.components.filter((c) => !c.alive).map((c) => c.name) };
}

/** Stops every process of the cluster and removes its folder. Idempotent. */
export async function deleteKwokCluster(home: string, namespace: string, name: string): Promise<void> {
  await destroyControlPlane(kwokClusterDir(home, namespace, name));
}
