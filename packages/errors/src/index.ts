// HTTP errors as named classes and the one handler that answers them.
export { httpErrorHandler, INTERNAL_ERROR_MESSAGE, toHttpError, type HttpErrorHandlerOptions } from './error-handler.ts';
export {
  ConflictError,
  errorBody,
  HttpError,
  httpErrorOf,
  InputError,
  InternalServerError,
  NotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  type ErrorBody,
} from './http-errors.ts';
