// The merge patches `beamline app sync` and `beamline app rollback` send. Kept out of
// commands/app.ts because it loads @beamline/api's values, which every other command would pay for
// at start-up: the commands import this module when they run.
import { formatSyncRequest, SYNC_REQUEST_ANNOTATION, type SyncRequest } from '@beamline/api';

/** What to ask the controller for. */
export interface SyncRequestPatchOptions extends SyncRequest {
  /** Remove `spec.syncPolicy.automated` in the same patch (a rollback with `--disable-auto-sync`). */
  readonly disableAutoSync?: boolean;
}

/**
 * The JSON merge patch that asks for a sync (or, with `rollbackTo`, a rollback): the annotation
 * `beamline.dev/sync-request` holding the request and, with `disableAutoSync`, `automated: null`.
 * One patch, so auto-sync can never undo a rollback between two writes.
 */
export function syncRequestPatch(options: SyncRequestPatchOptions): object {
  const request: SyncRequest = {
    id: options.id,
    ...(options.prune === undefined ? {} : { prune: options.prune }),
    ...(options.rollbackTo === undefined ? {} : { rollbackTo: options.rollbackTo }),
  };
  const patch: { metadata: object; spec?: object } = { metadata: { annotations: { [SYNC_REQUEST_ANNOTATION]: formatSyncRequest(request) } } };
  // null deletes the key in a JSON merge patch (RFC 7386).
  if (options.disableAutoSync === true) patch.spec = { syncPolicy: { automated: null } };
  return patch;
}
