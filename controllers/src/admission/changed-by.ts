/**
 * The mutating half of admission: every create and update of a Beamline object in a project
 * namespace is stamped with who made it (CHANGED_BY_ANNOTATION), so events and the Application
 * history can say who, without trusting anything the client wrote.
 */
import { isDeepStrictEqual } from 'node:util';
import { CHANGED_BY_ANNOTATION, NODE_GROUPS_CREATED_ANNOTATION } from '@beamline/api';
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

/**
 * Annotations Beamline's controllers write as bookkeeping (the Cluster controller marks its node
 * groups created): the manager writing one is not a change of what a person asked for.
 */
const CONTROLLER_ANNOTATIONS: readonly string[] = [NODE_GROUPS_CREATED_ANNOTATION];

/** The parts of an object a change of what was asked for touches: spec, labels, annotations (but the stamp and the controllers' bookkeeping). */
function askedFor(object: Record<string, unknown> | undefined): unknown {
  const metadata = (object?.metadata ?? {}) as { labels?: unknown; annotations?: Record<string, unknown> };
  const { [CHANGED_BY_ANNOTATION]: _stamp, ...annotations } = metadata.annotations ?? {};
  for (const key of CONTROLLER_ANNOTATIONS) delete annotations[key];
  return { spec: object?.spec, labels: metadata.labels ?? {}, annotations };
}

/**
 * Whether an update changes what was asked for (spec, labels, annotations other than the stamp),
 * rather than only the bookkeeping controllers do (finalizers, owner references): a controller
 * adding its finalizer right after a person created an object must not replace that person as
 * the author the Application history reads. An update that writes or removes the stamp itself
 * counts as a change, so a forged author is always replaced by the real one.
 */
export function changesWhatWasAskedFor(request: AdmissionRequest): boolean {
  if (request.operation !== 'UPDATE' || request.oldObject === undefined) return true;
  const stamp = (object: Record<string, unknown> | undefined): unknown => (object?.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations?.[CHANGED_BY_ANNOTATION];
  // A client writing the stamp is answered with the real author: it cannot be forged.
  if (stamp(request.object) !== stamp(request.oldObject)) return true;
  return !isDeepStrictEqual(askedFor(request.object), askedFor(request.oldObject));
}

/**
 * The mutating answer: allowed, with the patch when there is one. Creates are always stamped;
 * updates when they change what was asked for (see {@link changesWhatWasAskedFor}).
 */
export function changedByResponse(request: AdmissionRequest): AdmissionResponse {
  const stamped = request.operation === 'CREATE' || (request.operation === 'UPDATE' && changesWhatWasAskedFor(request));
  const patch = stamped ? changedByPatch(request) : [];
  if (patch.length === 0) return allow(request.uid);
  return { uid: request.uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') };
}
