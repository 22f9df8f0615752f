/**
 * Why a git source could not be read. Stable words: the Application controller puts them in its
 * conditions' `reason`.
 * - `Unreachable`: the server did not answer, answered with an error, or the repository does not
 *   exist there (also: a git command timed out). Retry with backoff.
 * - `RevisionNotFound`: no branch, tag or commit by that name (or an invalid revision).
 * - `PathNotFound`: the folder does not exist at that commit (or is a file, or leaves the repository).
 * - `AuthenticationFailed`: the server wants credentials, or refused the ones given (also: an ssh
 *   host key that is not trusted).
 * - `InvalidUrl`: not an `https://`, `http://`, `file://`, `ssh://` or scp-like (`user@host:path`) URL.
 * - `InvalidContent`: the folder holds an entry an export cannot write (neither a file, a folder nor a link; links leading outside are render errors, `OutsideSource`).
 */
export type SourceErrorReason = 'Unreachable' | 'RevisionNotFound' | 'PathNotFound' | 'AuthenticationFailed' | 'InvalidUrl' | 'InvalidContent';

/** Every {@link SourceErrorReason}, for validation and tests. */
export const SOURCE_ERROR_REASONS: readonly SourceErrorReason[] = ['Unreachable', 'RevisionNotFound', 'PathNotFound', 'AuthenticationFailed', 'InvalidUrl', 'InvalidContent'];

/** Where a {@link SourceError} happened. Every field is safe to log: the URL has no credentials. */
export interface SourceErrorDetails {
  /** The repository URL without credentials. */
  readonly url: string;
  readonly revision?: string;
  readonly path?: string;
  readonly cause?: unknown;
}

/**
 * A git source failure with a machine-readable {@link SourceErrorReason}. The message names the URL
 * (never its credentials), the revision and git's own first error line; `cause` holds the
 * {@link GitCommandError} when a git command failed (its text is redacted as well).
 */
export class SourceError extends Error {
  readonly reason: SourceErrorReason;
  readonly url: string;
  readonly revision: string | undefined;
  readonly path: string | undefined;

  constructor(reason: SourceErrorReason, message: string, details: SourceErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SourceError';
    this.reason = reason;
    this.url = details.url;
    this.revision = details.revision;
    this.path = details.path;
  }
}

/** Whether `error` is a {@link SourceError}, optionally with the given reason. */
export function isSourceError(error: unknown, reason?: SourceErrorReason): error is SourceError {
  return error instanceof SourceError && (reason === undefined || error.reason === reason);
}
