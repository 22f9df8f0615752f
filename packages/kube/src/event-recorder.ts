import type { Logger } from 'pino';
import type { KubeClient, KubeObject, ResourceType } from './kube-client.ts';

/** core/v1 Events. */
const EVENTS: ResourceType = { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true };
/** The same reason and message for the same object is not repeated within this time. */
const DEDUP_MS = 60_000;

/** How an {@link EventRecorder} reports itself and what it does to messages. */
export interface EventRecorderOptions {
  /** The component events are reported as (`source.component`, `reportingComponent`). */
  readonly component: string;
  /**
   * Applied to every message before anything else, e.g. to take credentials out: events are
   * readable by anyone who may list events in the namespace, and outlive the object.
   */
  readonly filter?: (message: string) => string;
}

/**
 * Records core/v1 Events on any object (`kubectl describe`, `kubectl get events`), in the
 * background: a failed write is logged and dropped, never failing a reconcile. Repeats of the same
 * reason and message on one object within a minute are dropped too (a failure retried every few
 * seconds would otherwise flood the namespace).
 */
export class EventRecorder {
  readonly #client: KubeClient;
  readonly #logger: Logger;
  readonly #component: string;
  readonly #filter: (message: string) => string;
  readonly #recent = new Map<string, number>();

  constructor(client: KubeClient, logger: Logger, options: EventRecorderOptions) {
    this.#client = client;
    this.#logger = logger;
    this.#component = options.component;
    this.#filter = options.filter ?? ((message) => message);
  }

  /** Records a `Normal` or `Warning` event with a CamelCase reason on `object`. */
  record(object: KubeObject, type: 'Normal' | 'Warning', reason: string, text: string): void {
    const message = this.#filter(text);
    const name = object.metadata?.name ?? '';
    const namespace = object.metadata?.namespace ?? 'default';
    const dedupKey = `${namespace}/${name}\0${reason}\0${message}`;
    const now = Date.now();
    const last = this.#recent.get(dedupKey);
    if (last !== undefined && now - last < DEDUP_MS) return;
    this.#recent.set(dedupKey, now);
    if (this.#recent.size > 10_000) {
      for (const [key, at] of this.#recent) if (now - at >= DEDUP_MS) this.#recent.delete(key);
    }
    const time = new Date(now).toISOString();
    const component = this.#component;
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${name}.`, namespace },
      involvedObject: { apiVersion: object.apiVersion, kind: object.kind, name, namespace, uid: object.metadata?.uid, resourceVersion: object.metadata?.resourceVersion },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component },
      reportingComponent: component,
      reportingInstance: component,
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    };
    this.#client.create(EVENTS, event).catch((error: unknown) => this.#logger.debug({ err: (error as Error).message, reason }, 'failed to record an event'));
  }
}
