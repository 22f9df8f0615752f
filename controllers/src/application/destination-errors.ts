import type { OperationState } from '@beamline/api';

// What a destination that is down or resuming answers: connection errors, gateways, not Ready.
const DESTINATION_ERROR = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|socket hang up|fetch failed|other side closed|\b(502|503|504)\b|is not Ready|does not answer|currently unable to handle the request/;

/** Whether an error message says the destination could not be reached (rather than refusing an object). */
export function isDestinationError(message: string): boolean {
  return DESTINATION_ERROR.test(message);
}

/** Whether an operation failed only because the destination could not be reached. */
export function isDestinationFailure(operation: Pick<OperationState, 'message' | 'results'>): boolean {
  const failed = (operation.results ?? []).filter((result) => result.status === 'Failed');
  if (failed.length === 0) return isDestinationError(operation.message ?? '');
  return failed.every((result) => isDestinationError(result.message ?? ''));
}
