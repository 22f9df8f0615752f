/**
 * A failure that retrying cannot fix (an invalid spec, a reference to something that will never
 * exist). The controller logs it, counts it as `result="terminal"` and does not retry the key until
 * an event about it (or one of its children) arrives.
 */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
}

/**
 * Not a failure: the reconciler is waiting for something (a process to come up, a node to
 * register) and wants to look again after `requeueAfterMs`. The backoff of the key is reset, the
 * reconcile is counted as `result="requeue"`. Equivalent to returning `{ requeueAfterMs }`, for
 * code deep in a reconcile that would rather throw.
 */
export class RequeueError extends Error {
  override readonly name = 'RequeueError';
  /** How long to wait before reconciling the key again. */
  readonly requeueAfterMs: number;

  constructor(requeueAfterMs: number, message = `waiting; reconcile again in ${requeueAfterMs} ms`, options?: ErrorOptions) {
    super(message, options);
    this.requeueAfterMs = requeueAfterMs;
  }
}
