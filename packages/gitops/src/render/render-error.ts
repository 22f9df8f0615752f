/**
 * Why a render failed:
 * - `InvalidManifest`: a file of a plain directory (or a renderer's output) is not valid YAML/JSON,
 *   or a document is not a Kubernetes object (no apiVersion, kind or metadata.name);
 * - `KustomizeFailed`: `kubectl kustomize` failed (including remote bases, refused: no network);
 * - `HelmTemplateFailed`: `helm template` failed (template errors, values.schema.json violations,
 *   missing dependencies, an incompatible kubeVersion);
 * - `ChartNotFound`: the repository answered but has no such chart or version;
 * - `RepositoryUnreachable`: the Helm repository or OCI registry could not be reached or read;
 * - `InvalidValues`: the values or value files given to a Helm render are unusable;
 * - `LimitExceeded`: a file, the app's files or bytes, its objects, or a renderer's output is over
 *   a `RenderLimits` cap (checked before reading; the error names the file and the limit);
 * - `OutsideSource`: a path the source refers to (a kustomize resource, base, component,
 *   patch or generator file) leads outside the repository, or a symbolic link leads outside the
 *   exported folder: the manager must never read its own files into a tenant's objects.
 */
export type RenderErrorReason =
  | 'InvalidManifest'
  | 'KustomizeFailed'
  | 'HelmTemplateFailed'
  | 'ChartNotFound'
  | 'RepositoryUnreachable'
  | 'InvalidValues'
  | 'LimitExceeded'
  | 'OutsideSource';

/** Where in the source a render failed, when the failure is about one place. */
export interface RenderErrorLocation {
  /** The file, relative to the rendered folder (or the renderer's output, e.g. `helm template output`). */
  readonly file?: string;
  /** The 1-based number of the YAML document in that file. */
  readonly document?: number;
  /** The 1-based line in the file. */
  readonly line?: number;
  /** The 1-based column in the line. */
  readonly column?: number;
}

/** Options of {@link RenderError}: the standard `cause` plus the location, when known. */
export interface RenderErrorOptions extends ErrorOptions, RenderErrorLocation {}

/**
 * A render that cannot succeed until the source (or its parameters) change. The message is
 * lowercase, `failed to X: cause`, names files relative to the source folder, and never quotes
 * values or manifest contents (they may hold secrets).
 */
export class RenderError extends Error {
  override readonly name = 'RenderError';
  /** The machine-readable reason, for a status condition. */
  readonly reason: RenderErrorReason;
  /** The file the failure is about, relative to the rendered folder. */
  readonly file: string | undefined;
  /** The 1-based number of the document in {@link RenderError.file}. */
  readonly document: number | undefined;
  /** The 1-based line in {@link RenderError.file}. */
  readonly line: number | undefined;
  /** The 1-based column in {@link RenderError.line}. */
  readonly column: number | undefined;

  constructor(reason: RenderErrorReason, message: string, options: RenderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.file = options.file;
    this.document = options.document;
    this.line = options.line;
    this.column = options.column;
  }
}

/** Whether `error` is a {@link RenderError}, optionally with the given reason. */
export function isRenderError(error: unknown, reason?: RenderErrorReason): error is RenderError {
  return error instanceof RenderError && (reason === undefined || error.reason === reason);
}
