/**
 * HTTP errors as named classes, one per status code a Beamline route answers with (Backstage's
 * `packages/errors` is the model). A route throws one; {@link httpErrorHandler} turns it into the
 * status code and the body `{ error: { name, message }, message }`. The message is written for the
 * client: it must never carry a secret (the `cause`, which may, is only logged).
 */
export class HttpError extends Error {
  /** The HTTP status code of the answer. */
  readonly statusCode: number;

  constructor(statusCode: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.statusCode = statusCode;
    this.name = new.target.name;
  }
}

/** 400: the request is malformed (a body that is not JSON, a field missing). */
export class InputError extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(400, message, options);
  }
}

/** 401: the caller is not authenticated (a missing or wrong signature, token or credentials). */
export class UnauthorizedError extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(401, message, options);
  }
}

/** 403: the caller is authenticated but may not do this. */
export class NotAllowedError extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(403, message, options);
  }
}

/** 404: what was asked for does not exist (or is not visible to the caller). */
export class NotFoundError extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(404, message, options);
  }
}

/** 409: the request conflicts with the current state (a name taken, a stale resourceVersion). */
export class ConflictError extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(409, message, options);
  }
}

/** 413: the body is larger than the route accepts. */
export class PayloadTooLargeError extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(413, message, options);
  }
}

/** 415: the body's content type is not one the route reads. */
export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(415, message, options);
  }
}

/** 500: the server failed; the message says what failed in words fit for the client, the `cause` is logged. */
export class InternalServerError extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(500, message, options);
  }
}

/** 503: a dependency is not available yet (caches not synced, the API server unreachable); retry later. */
export class ServiceUnavailableError extends HttpError {
  constructor(message: string, options?: ErrorOptions) {
    super(503, message, options);
  }
}

const BY_STATUS: ReadonlyMap<number, new (message: string, options?: ErrorOptions) => HttpError> = new Map<number, new (message: string, options?: ErrorOptions) => HttpError>([
  [400, InputError],
  [401, UnauthorizedError],
  [403, NotAllowedError],
  [404, NotFoundError],
  [409, ConflictError],
  [413, PayloadTooLargeError],
  [415, UnsupportedMediaTypeError],
  [500, InternalServerError],
  [503, ServiceUnavailableError],
]);

/** The named error of a status code (an `HttpError` named after no class for a status without one). */
export function httpErrorOf(statusCode: number, message: string, options?: ErrorOptions): HttpError {
  const named = BY_STATUS.get(statusCode);
  return named === undefined ? new HttpError(statusCode, message, options) : new named(message, options);
}

/** The body of every error answer. `message` is repeated at the top level for clients that read only that (GitHub's delivery log, the webhook's documented answers). */
export interface ErrorBody {
  readonly error: { readonly name: string; readonly message: string };
  readonly message: string;
}

/** The body {@link httpErrorHandler} sends for `error`. */
export function errorBody(error: HttpError): ErrorBody {
  return { error: { name: error.name, message: error.message }, message: error.message };
}
