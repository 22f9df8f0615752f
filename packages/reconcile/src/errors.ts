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

/**
 * A failed request to the Kubernetes API. `code` is the HTTP status (as in client-node's
 * `ApiException`), `reason` the `Status.reason` (`NotFound`, `Conflict`, `AlreadyExists`, ...).
 */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  /** The HTTP status code. */
  readonly code: number;
  /** The apiserver's `Status.reason`, when it sent one. */
  readonly reason: string | undefined;

  constructor(message: string, code: number, reason: string | undefined, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.reason = reason;
  }
}

/** Whether `error` is an API error with HTTP status `code` (ours or client-node's `ApiException`). */
export function isApiError(error: unknown, code: number): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/** Whether `error` says the object does not exist (HTTP 404). */
export function isNotFound(error: unknown): boolean {
  return isApiError(error, 404);
}

/** Whether `error` is an optimistic-concurrency conflict (HTTP 409). */
export function isConflict(error: unknown): boolean {
  return isApiError(error, 409);
}
