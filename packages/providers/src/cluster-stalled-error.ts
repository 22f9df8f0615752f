/**
 * Thrown by a provider for a state that retrying will not change until the Cluster's spec or one
 * of its references changes (a version it cannot run, a kubeconfig Secret that is missing). The
 * reconciler reports it as Stalled=True with `reason`, and the message as it is: it must name what
 * is wrong, never a secret.
 */
export class ClusterStalledError extends Error {
  /** The condition reason (CamelCase), e.g. `VersionUnavailable`, `InvalidKubeconfig`. */
  readonly reason: string;
  /**
   * When to look again, for references no controller watches (Secrets); undefined = wait for a
   * change of the Cluster or for the resync.
   */
  readonly recheckAfterMs: number | undefined;

  constructor(reason: string, message: string, options: ErrorOptions & { readonly recheckAfterMs?: number } = {}) {
    super(message, options);
    this.name = 'ClusterStalledError';
    this.reason = reason;
    this.recheckAfterMs = options.recheckAfterMs;
  }
}
