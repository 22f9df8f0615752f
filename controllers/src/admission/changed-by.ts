/**
 * The mutating half of admission: every create and update of a Beamline object in a project
 * namespace is stamped with who made it (CHANGED_BY_ANNOTATION), so events and the Application
 * history can say who, without trusting anything the client wrote.
 */
import { CHANGED_BY_ANNOTATION } from '@beamline/api';
import { allow, type AdmissionRequest, type AdmissionResponse } from './review.ts';

/** One operation of a JSON patch (RFC 6902). */
export interface JsonPatchOperation {
  readonly op: 'add' | 'replace';
  readonly path: string;
  readonly value: unknown;
}

/** A JSON-pointer token (RFC 6901): `~` → `~0`, `/` → `~1`, in that order. */
export function escapeJsonPointer(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * The JSON patch that sets the annotation to the requesting user: adds `metadata.annotations`
 * when the object has none, else adds (or replaces) the one key. Empty when the annotation
 * already says that user, or when the apiserver named no user.
 */
export function changedByPatch(request: AdmissionRequest): JsonPatchOperation[] {
  const username = request.userInfo.username;
  if (username === undefined || request.object === undefined) return [];
  const metadata = request.object.metadata as { annotations?: Record<string, unknown> } | undefined;
  const annotations = metadata?.annotations;
  if (annotations?.[CHANGED_BY_ANNOTATION] === username) return [];
  if (metadata === undefined || metadata === null) return [{ op: 'add', path: '/metadata', value: { annotations: { [CHANGED_BY_ANNOTATION]: username } } }];
  if (annotations === undefined || annotations === null) return [{ op: 'add', path: '/metadata/annotations', value: { [CHANGED_BY_ANNOTATION]: username } }];
  return [{ op: 'add', path: `/metadata/annotations/${escapeJsonPointer(CHANGED_BY_ANNOTATION)}`, value: username }];
}

/** The mutating answer: allowed, with the patch when there is one. */
export function changedByResponse(request: AdmissionRequest): AdmissionResponse {
  const patch = request.operation === 'CREATE' || request.operation === 'UPDATE' ? changedByPatch(request) : [];
  if (patch.length === 0) return allow(request.uid);
  return { uid: request.uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') };
}
