import { requestKey, type ReconcileRequest } from './controller.ts';

/** Where an {@link ExternalTrigger} delivers: the runner's work queue while it leads. */
export type TriggerSink = (key: string, delayMs: number) => void;

/**
 * Queues roots from outside the manager's informers: watches of other clusters, webhooks, timers
 * of the reconciler's own. Give it to a {@link Controller} as `trigger`; the runner attaches
 * its queue. Requests made while no runner leads are dropped: a new leadership term queues every
 * root anyway.
 */
export class ExternalTrigger {
  #sink: TriggerSink | undefined;

  /** Queues `request` now, or after `delayMs`. */
  enqueue(request: ReconcileRequest, delayMs = 0): void {
    this.#sink?.(requestKey(request), Math.max(0, delayMs));
  }

  /** Whether a runner is attached (the manager has started it). */
  get attached(): boolean {
    return this.#sink !== undefined;
  }

  /** Called by the controller runner. */
  attach(sink: TriggerSink): void {
    this.#sink = sink;
  }

  /** Called by the controller runner when the manager stops. */
  detach(): void {
    this.#sink = undefined;
  }
}
