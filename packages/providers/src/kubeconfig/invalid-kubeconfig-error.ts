/**
 * Thrown when a workload kubeconfig cannot be used: the message names the field that is wrong
 * (`users[0].user.exec: refused: ...`), never its value, so it can go into a condition as it is.
 */
export class InvalidKubeconfigError extends Error {
  /** The path of the offending field (`users[0].user.exec`), or undefined for the document as a whole. */
  readonly field: string | undefined;

  constructor(message: string, field?: string) {
    super(field === undefined ? message : `${field}: ${message}`);
    this.name = 'InvalidKubeconfigError';
    this.field = field;
  }
}
