import type { Logger } from 'pino';
import type { Application } from '@beamline/api';
import { redactCredentials } from '@beamline/gitops';
import type { KubeClient } from '@beamline/reconcile';
import { RESOURCES } from '../resources.ts';

/** The component events are reported as. */
const SOURCE = 'beamline-gitops';
/** The same reason and message for the same app is not repeated within this time. */
const DEDUP_MS = 60_000;

/**
 * Records core/v1 Events on Applications (`kubectl describe bapp`, `kubectl get events`), in the
 * background: a failed write is logged and dropped, never failing a reconcile. Repeats of the
 * same reason and message on one app within a minute are dropped too (a failing fetch retried
 * every few seconds would otherwise flood the namespace). Messages have URL credentials taken out
 * (`scheme://user:secret@` → `scheme://***@`) whatever produced them: events are readable by
 * anyone who may list events in the namespace, and outlive the Application.
 */
export class EventRecorder {
  readonly #client: KubeClient;
  readonly #logger: Logger;
  readonly #recent = new Map<string, number>();

  constructor(client: KubeClient, logger: Logger) {
    this.#client = client;
    this.#logger = logger;
  }

  /** Records a `Normal` or `Warning` event with a CamelCase reason. */
  record(app: Application, type: 'Normal' | 'Warning', reason: string, text: string): void {
    const message = redactCredentials(text);
    const namespace = app.metadata.namespace ?? 'default';
    const dedupKey = `${namespace}/${app.metadata.name}\0${reason}\0${message}`;
    const now = Date.now();
    const last = this.#recent.get(dedupKey);
    if (last !== undefined && now - last < DEDUP_MS) return;
    this.#recent.set(dedupKey, now);
    if (this.#recent.size > 10_000) {
      for (const [key, at] of this.#recent) if (now - at >= DEDUP_MS) this.#recent.delete(key);
    }
    const time = new Date(now).toISOString();
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${app.metadata.name}.`, namespace },
      involvedObject: { apiVersion: app.apiVersion, kind: app.kind, name: app.metadata.name, namespace, uid: app.metadata.uid, resourceVersion: app.metadata.resourceVersion },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component: SOURCE },
      reportingComponent: SOURCE,
      reportingInstance: SOURCE,
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    };
    this.#client.create(RESOURCES.event, event).catch((error: unknown) => this.#logger.debug({ err: (error as Error).message, reason }, 'failed to record an event'));
  }
}
