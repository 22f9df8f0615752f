import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { errorBody, HttpError, httpErrorOf, InternalServerError } from './http-errors.ts';

/** Options of {@link httpErrorHandler}. */
export interface HttpErrorHandlerOptions {
  /** Where unexpected errors (anything but an {@link HttpError}) are logged, with their cause. */
  readonly logger?: Logger;
  /** Turns an error into the named error to answer with, before the default mapping (e.g. a route's own wording of a Fastify 413). */
  readonly translate?: (error: FastifyError) => HttpError | undefined;
}

/** The error message of an unexpected error: its own message may carry anything, a secret included. */
export const INTERNAL_ERROR_MESSAGE = 'internal server error: see the manager log';

/**
 * The error answer: an {@link HttpError} keeps its status and message; an error Fastify raised
 * with a 4xx status (a body over the limit, a content type without a parser) becomes the named
 * error of that status with Fastify's message; anything else is a 500 whose message says nothing
 * of the error (it is logged instead).
 */
export function toHttpError(error: FastifyError | Error): HttpError {
  if (error instanceof HttpError) return error;
  const statusCode = (error as Partial<FastifyError>).statusCode;
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) return httpErrorOf(statusCode, error.message, { cause: error });
  return new InternalServerError(INTERNAL_ERROR_MESSAGE, { cause: error });
}

/**
 * The one Fastify error handler of Beamline's HTTP surfaces: every error a route throws answers
 * with its status code and `{ error: { name, message }, message }` (see `errorBody`). Set it on the
 * root app (`app.setErrorHandler(httpErrorHandler({ logger }))`); a plugin scope that needs its own
 * wording of Fastify's errors sets it again with `translate`.
 */
export function httpErrorHandler(options: HttpErrorHandlerOptions = {}): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (error, request, reply) => {
    const named = options.translate?.(error) ?? toHttpError(error);
    // Named errors were thrown on purpose, and logged where their context is; others were not.
    if (!(error instanceof HttpError) && named.statusCode >= 500) options.logger?.error({ err: error, method: request.method, url: request.url }, 'request failed');
    return reply.code(named.statusCode).send(errorBody(named));
  };
}
