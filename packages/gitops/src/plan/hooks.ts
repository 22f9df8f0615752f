import type { Manifest } from '../render/manifest.ts';
import { objectKey } from './object-key.ts';

/** Argo CD's hook annotation: `PreSync`, `Sync`, `PostSync`, `SyncFail` or `Skip` (comma-separated). */
export const ARGO_HOOK_ANNOTATION = 'argocd.argoproj.io/hook';
/** Argo CD's hook deletion policy: `BeforeHookCreation`, `HookSucceeded`, `HookFailed` (comma-separated). */
export const ARGO_HOOK_DELETE_POLICY_ANNOTATION = 'argocd.argoproj.io/hook-delete-policy';
/** Helm's hook annotation, which Argo CD maps onto its phases (`pre-install` → PreSync, ...). */
export const HELM_HOOK_ANNOTATION = 'helm.sh/hook';
/** Helm's hook deletion policy (`before-hook-creation`, `hook-succeeded`, `hook-failed`). */
export const HELM_HOOK_DELETE_POLICY_ANNOTATION = 'helm.sh/hook-delete-policy';
/** Helm's hook weight: the sync wave of a Helm hook, as in Argo CD. */
export const HELM_HOOK_WEIGHT_ANNOTATION = 'helm.sh/hook-weight';
/**
 * What Beamline writes on the hooks it creates: `<app namespace>/<app name>`. A named hook is
 * deleted before it is created again only when it carries its own app's value, and hooks carry no
 * tracking id, so they are never part of an inventory (nor pruned).
 */
export const HOOK_OWNER_ANNOTATION = 'beamline.dev/hook-of';

/** When a hook runs: before the objects, with them, after they are healthy, or after a failed sync. */
export type HookPhase = 'PreSync' | 'Sync' | 'PostSync' | 'SyncFail';
/** When a hook object is deleted again. */
export type HookDeletePolicy = 'BeforeHookCreation' | 'HookSucceeded' | 'HookFailed';

/** How an object takes part in a sync. */
export type SyncRole =
  | { readonly role: 'object' }
  | { readonly role: 'hook'; readonly phases: readonly HookPhase[]; readonly deletePolicies: readonly HookDeletePolicy[] }
  | { readonly role: 'skip'; readonly reason: string };

const PHASES: readonly HookPhase[] = ['PreSync', 'Sync', 'PostSync', 'SyncFail'];
const POLICIES: readonly HookDeletePolicy[] = ['BeforeHookCreation', 'HookSucceeded', 'HookFailed'];
// Argo CD's mapping of Helm hooks; the other Helm hooks (delete, rollback, test) are not run.
const HELM_PHASES = new Map<string, HookPhase>([
  ['pre-install', 'PreSync'],
  ['pre-upgrade', 'PreSync'],
  ['post-install', 'PostSync'],
  ['post-upgrade', 'PostSync'],
]);
const HELM_POLICIES = new Map<string, HookDeletePolicy>([
  ['before-hook-creation', 'BeforeHookCreation'],
  ['hook-succeeded', 'HookSucceeded'],
  ['hook-failed', 'HookFailed'],
]);

function annotation(obj: Manifest, key: string): string | undefined {
  const annotations = obj.metadata.annotations;
  if (typeof annotations !== 'object' || annotations === null) return undefined;
  const value = (annotations as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}

const list = (value: string): string[] =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');

/** Whether an object has no `metadata.name` but a `metadata.generateName` (the apiserver names it at create). */
export function hasGeneratedName(obj: Manifest): boolean {
  const metadata = obj.metadata as { readonly name?: unknown; readonly generateName?: unknown };
  return (metadata.name === undefined || metadata.name === '') && typeof metadata.generateName === 'string' && metadata.generateName !== '';
}

/** How an object is named in messages: its key, or `group/kind/namespace/<generateName>*`. */
export function describeObject(obj: Manifest): string {
  if (!hasGeneratedName(obj)) return objectKey(obj);
  const generateName = (obj.metadata as { readonly generateName?: string }).generateName ?? '';
  return objectKey({ ...obj, metadata: { ...obj.metadata, name: `${generateName}*` } });
}

/**
 * How an object takes part in a sync, from Argo CD's hook annotations (or Helm's, which Argo CD
 * maps: `pre-install`/`pre-upgrade` → PreSync, `post-install`/`post-upgrade` → PostSync; the Argo
 * CD annotation wins when both are set):
 * - `object`: applied, in the inventory, compared and pruned;
 * - `hook`: created at its phase (PreSync before everything, Sync with its wave, PostSync once the
 *   objects are healthy, SyncFail after a failed sync), waited for until it completes, deleted by
 *   its policies (BeforeHookCreation when none is given, as Argo CD does), never in the inventory;
 * - `skip`: not applied at all (`Skip`, Helm's delete, rollback and test hooks, `PostDelete`, an
 *   object with only `metadata.generateName` and no hook annotation).
 * Throws on an unknown phase or policy, naming the object and the value.
 */
export function syncRole(obj: Manifest): SyncRole {
  const argo = annotation(obj, ARGO_HOOK_ANNOTATION);
  const helm = annotation(obj, HELM_HOOK_ANNOTATION);
  let phases: HookPhase[] | undefined;
  if (argo !== undefined) {
    const values = list(argo);
    if (values.includes('Skip')) return { role: 'skip', reason: `${ARGO_HOOK_ANNOTATION}: Skip` };
    if (values.includes('PostDelete')) return { role: 'skip', reason: `${ARGO_HOOK_ANNOTATION}: PostDelete hooks are not supported` };
    const unknown = values.find((value) => !(PHASES as readonly string[]).includes(value));
    if (unknown !== undefined || values.length === 0) {
      throw new Error(`invalid ${ARGO_HOOK_ANNOTATION} annotation ${JSON.stringify(argo)} on ${describeObject(obj)}: must be PreSync, Sync, PostSync, SyncFail or Skip`);
    }
    phases = values as HookPhase[];
  } else if (helm !== undefined) {
    const values = list(helm);
    const mapped = [...new Set(values.map((value) => HELM_PHASES.get(value)).filter((phase) => phase !== undefined))];
    // `crd-install` (Helm 2) is an ordinary object to Argo CD; other Helm hooks are not run.
    if (mapped.length === 0 && !(values.length === 1 && values[0] === 'crd-install')) {
      return { role: 'skip', reason: `${HELM_HOOK_ANNOTATION}: ${helm} is not run (only pre/post-install and pre/post-upgrade hooks are)` };
    }
    if (mapped.length > 0) phases = mapped;
  }
  if (phases === undefined) {
    if (hasGeneratedName(obj)) {
      return { role: 'skip', reason: `metadata.generateName without a hook annotation: only hooks (${ARGO_HOOK_ANNOTATION}) may have a generated name, since a sync could never find the object again` };
    }
    return { role: 'object' };
  }
  return { role: 'hook', phases, deletePolicies: deletePolicies(obj) };
}

function deletePolicies(obj: Manifest): HookDeletePolicy[] {
  const argo = annotation(obj, ARGO_HOOK_DELETE_POLICY_ANNOTATION);
  if (argo !== undefined) {
    const values = list(argo);
    const unknown = values.find((value) => !(POLICIES as readonly string[]).includes(value));
    if (unknown !== undefined) {
      throw new Error(`invalid ${ARGO_HOOK_DELETE_POLICY_ANNOTATION} annotation ${JSON.stringify(argo)} on ${describeObject(obj)}: must be BeforeHookCreation, HookSucceeded or HookFailed`);
    }
    if (values.length > 0) return values as HookDeletePolicy[];
  }
  const helm = annotation(obj, HELM_HOOK_DELETE_POLICY_ANNOTATION);
  if (argo === undefined && helm !== undefined) {
    const mapped = list(helm)
      .map((value) => HELM_POLICIES.get(value))
      .filter((policy) => policy !== undefined);
    if (mapped.length > 0) return mapped;
  }
  // Argo CD's default: a hook is replaced by the next sync's, and otherwise left for people to see.
  return ['BeforeHookCreation'];
}
