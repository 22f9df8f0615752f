// A toy controller over ConfigMaps for the runtime's own tests: a ConfigMap labelled as a root gets
// a child ConfigMap (owned by it) holding its `data.value`, and an annotation saying what was seen.
import type { KubeObject, ResourceType } from '@beamline/kube';
import { TerminalError } from '../errors.ts';
import type { Controller, ReconcileContext, Reconciler, ReconcileRequest, Result } from '../controller.ts';

/** The ConfigMap kind. */
export const CONFIGMAP: ResourceType = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };

/** The label that makes a ConfigMap a toy root. */
export const ROLE_LABEL = 'toy.beamline.dev/role';
/** The annotation the toy writes on a root: the value it last made the child hold. */
export const SEEN_ANNOTATION = 'toy.beamline.dev/seen';
/** The annotation the toy writes on a root: which manager identity reconciled it. */
export const BY_ANNOTATION = 'toy.beamline.dev/by';

/** A ConfigMap, as plain JSON. */
export interface ConfigMap extends KubeObject {
  readonly data?: Readonly<Record<string, string>>;
}

/**
 * Root data steers the toy: `value` is copied to the child; `failTimes: N` fails the first N
 * attempts; `waitTimes: N` asks to be requeued N times first; `terminal: "true"` fails terminally.
 */
export class ToyReconciler implements Reconciler<ConfigMap> {
  readonly name: string;
  readonly identity: string;
  /** Reconcile calls per key (roots and others). */
  readonly attempts = new Map<string, number>();

  constructor(name = 'toy', identity = 'toy') {
    this.name = name;
    this.identity = identity;
  }

  /** Reconcile calls for roots in all. */
  get total(): number {
    return [...this.attempts.values()].reduce((sum, count) => sum + count, 0);
  }

  async reconcile(request: ReconcileRequest, context: ReconcileContext<ConfigMap>): Promise<Result> {
    const root = context.root();
    if (root?.metadata?.labels?.[ROLE_LABEL] !== 'root') return {};
    const key = `${request.namespace}/${request.name}`;
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    const data = root.data ?? {};
    if (attempt <= Number(data.failTimes ?? 0)) throw new Error(`failed to reconcile toy: planned failure ${attempt}`);
    if (attempt <= Number(data.waitTimes ?? 0)) return { requeueAfterMs: 50 };
    if (data.terminal === 'true') throw new TerminalError('failed to reconcile toy: data.terminal is "true"; set it to "false"');
    const value = data.value ?? '';
    const name = root.metadata.name ?? request.name;
    await context.client.apply<ConfigMap>(CONFIGMAP, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `${name}-child`,
        namespace: request.namespace,
        labels: { [ROLE_LABEL]: 'child' },
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name, uid: root.metadata.uid ?? '', controller: true }],
      },
      data: { value },
    });
    const annotations = root.metadata.annotations ?? {};
    if (annotations[SEEN_ANNOTATION] !== value || annotations[BY_ANNOTATION] !== this.identity) {
      await context.client.patch(CONFIGMAP, name, request.namespace, { metadata: { annotations: { [SEEN_ANNOTATION]: value, [BY_ANNOTATION]: this.identity } } }, 'merge');
    }
    return {};
  }
}

/** The toy's controller: roots are ConfigMaps, children are ConfigMaps they own. */
export function toyController(reconciler: ToyReconciler): Controller<ConfigMap> {
  return { reconciler, for: CONFIGMAP, owns: [CONFIGMAP], backoff: { baseDelayMs: 50, maxDelayMs: 1_000 } };
}
