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
