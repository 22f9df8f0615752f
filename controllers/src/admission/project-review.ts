/**
 * What a project owner may change in their Project. RBAC gives owners `update` and `patch` of
 * their own Project (the per-project ClusterRole `beamline:project-owner:<name>`), and RBAC cannot
 * say which fields: this review does. Owners manage the membership and the presentation
 * (`spec.displayName`, `spec.description`, `spec.members`); the quotas, the templates and catalog
 * items, the namespace defaults, network isolation and shared namespaces stay the platform
 * admins', or an owner could lift their own quota. A platform admin is whoever may update
 * Projects in general (every name), asked of the apiserver with a SubjectAccessReview on the
 * requester's behalf, so the answer follows whatever RBAC says (cluster-admin, the admin groups).
 */
import { isDeepStrictEqual } from 'node:util';
import { GROUP, PROJECT } from '@beamline/api';
import type { KubeClient } from '@beamline/kube';
import { allow, deny, type AdmissionRequest, type AdmissionResponse } from './review.ts';

/** The spec fields a project owner may change; every other one is the platform admins'. */
export const OWNER_EDITABLE_SPEC_FIELDS = ['displayName', 'description', 'members'] as const;

/** Who asks, as the apiserver authenticated them. */
export type RequestUser = AdmissionRequest['userInfo'];

/** Decides whether a user is a platform admin for Projects: may update every Project, whatever it holds. */
export type ProjectAdminCheck = (user: RequestUser) => Promise<boolean>;

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Whether a label or annotation key is the platform's: its prefix is `beamline.dev` or a subdomain of it. */
export function isPlatformKey(key: string): boolean {
  const slash = key.indexOf('/');
  if (slash < 0) return false;
  const prefix = key.slice(0, slash);
  return prefix === GROUP || prefix.endsWith(`.${GROUP}`);
}

function owners(spec: Record<string, unknown>): number {
  const members = spec.members;
  return Array.isArray(members) ? members.filter((member) => record(member).role === 'owner').length : 0;
}

/** The `beamline.dev/` keys of one metadata map whose value differs between the two objects (added, changed or removed). */
function changedPlatformKeys(before: unknown, after: unknown): string[] {
  const old = record(before);
  const next = record(after);
  const keys = new Set([...Object.keys(old), ...Object.keys(next)].filter(isPlatformKey));
  return [...keys].filter((key) => old[key] !== next[key]).sort();
}

/**
 * Why the change from `oldObject` to `object` is more than a project owner may make, as the
 * messages the user sees; empty when an owner may make it. Read as hostile input: fields of
 * the wrong type compare as they are, so a change is never hidden by a shape the code did not
 * expect. Refused: a spec field other than {@link OWNER_EDITABLE_SPEC_FIELDS} changed (added,
 * removed or altered); the last owner removed; a `beamline.dev/` label or annotation added,
 * changed or removed; the finalizers or ownerReferences changed (an owner reference to an object
 * that does not exist would let the garbage collector delete the Project, which owners may not).
 */
export function ownerChangeRefusals(oldObject: Record<string, unknown>, object: Record<string, unknown>): string[] {
  const refusals: string[] = [];
  const oldSpec = record(oldObject.spec);
  const spec = record(object.spec);
  const editable = new Set<string>(OWNER_EDITABLE_SPEC_FIELDS);
  const fields = [...new Set([...Object.keys(oldSpec), ...Object.keys(spec)])]
    .filter((field) => !editable.has(field) && !isDeepStrictEqual(oldSpec[field], spec[field]))
    .sort()
    .map((field) => `spec.${field}`);
  if (fields.length > 0) {
    refusals.push(`project owners may change displayName, description and members; ${fields.join(', ')} ${fields.length === 1 ? 'is' : 'are'} the platform admins'`);
  }
  if (owners(oldSpec) > 0 && owners(spec) === 0) refusals.push('a project keeps at least one owner');
  const oldMetadata = record(oldObject.metadata);
  const metadata = record(object.metadata);
  const platformKeys = [
    ...changedPlatformKeys(oldMetadata.labels, metadata.labels).map((key) => `label ${key}`),
    ...changedPlatformKeys(oldMetadata.annotations, metadata.annotations).map((key) => `annotation ${key}`),
  ];
  for (const field of ['finalizers', 'ownerReferences'] as const) {
    if (!isDeepStrictEqual(oldMetadata[field] ?? [], metadata[field] ?? [])) platformKeys.push(`metadata.${field}`);
  }
  if (platformKeys.length > 0) refusals.push(`project owners may not change ${platformKeys.join(', ')}: ${platformKeys.length === 1 ? 'it is' : 'they are'} the platform's`);
  return refusals;
}

/**
 * Decides an update of a Project: allowed when it changes only what an owner may change (no
 * access review then: most owner edits cost nothing), else allowed only for a platform admin
 * ({@link ProjectAdminCheck}), else refused naming every field. Anything but an UPDATE of the
 * main Project resource is allowed (the configuration sends nothing else). When the check
 * itself fails the change is refused: what cannot be checked is not granted.
 */
export async function reviewProjectUpdate(request: AdmissionRequest, isPlatformAdmin: ProjectAdminCheck): Promise<AdmissionResponse> {
  const isProject = (request.kind.group === GROUP || request.resource.group === GROUP) && request.resource.resource === PROJECT.plural;
  if (!isProject || request.subResource !== undefined || request.operation !== 'UPDATE' || request.object === undefined || request.oldObject === undefined) {
    return allow(request.uid);
  }
  const refusals = ownerChangeRefusals(request.oldObject, request.object);
  if (refusals.length === 0) return allow(request.uid);
  let admin: boolean;
  try {
    admin = await isPlatformAdmin(request.userInfo);
  } catch (error) {
    return deny(request.uid, `cannot check whether ${request.userInfo.username ?? 'the user'} may change every field of a Project: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  return admin ? allow(request.uid) : deny(request.uid, refusals.join('; '));
}

interface SubjectAccessReviewAnswer {
  readonly status?: { readonly allowed?: boolean };
}

/**
 * The {@link ProjectAdminCheck} of the apiserver: a SubjectAccessReview for `update` of
 * `projects.beamline.dev` with no name, as the user (name, uid, groups and extra, as the review
 * named them). The webhook's own identity needs `create` on subjectaccessreviews.
 */
export function subjectAccessReviewCheck(client: KubeClient): ProjectAdminCheck {
  return async (user) => {
    // No user (the apiserver always names one): nobody to grant anything.
    if (user.username === undefined) return false;
    const answer = await client.request<SubjectAccessReviewAnswer>('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          ...(user.uid === undefined ? {} : { uid: user.uid }),
          ...(user.groups === undefined ? {} : { groups: user.groups }),
          ...(user.extra === undefined ? {} : { extra: user.extra }),
          resourceAttributes: { verb: 'update', group: GROUP, resource: PROJECT.plural },
        },
      },
    });
    return answer.status?.allowed === true;
  };
}
