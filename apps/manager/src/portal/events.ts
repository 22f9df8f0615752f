import type { ServerResponse } from 'node:http';
import type { PortalChange } from './portal-cache.ts';

/** How many changes may wait for a slow client before its stream is closed (it reconnects and reloads). */
export const MAX_PENDING_EVENTS = 1000;
/** How many bytes may wait in a connection's socket buffer before it counts as stalled. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
/** A comment line this often keeps proxies and browsers from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;

/**
 * One server-sent-events connection: changes are checked for visibility (asynchronously, as the
 * user) one after the other so they go out in order, at most {@link MAX_PENDING_EVENTS} waiting;
 * a client that cannot keep up is closed rather than buffered without bound. A heartbeat comment
 * goes out every {@link HEARTBEAT_MS}; `close` ends it (logout, the session's expiry, shutdown).
 */
export class EventStream {
  readonly #response: ServerResponse;
  readonly #visible: (change: PortalChange) => Promise<boolean>;
  readonly #onClose: () => void;
  readonly #heartbeat: NodeJS.Timeout;
  #pending = 0;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(response: ServerResponse, visible: (change: PortalChange) => Promise<boolean>, onClose: () => void) {
    this.#response = response;
    this.#visible = visible;
    this.#onClose = onClose;
    this.#heartbeat = setInterval(() => this.#write(': heartbeat\n\n'), HEARTBEAT_MS);
    this.#heartbeat.unref();
    response.on('close', () => this.close());
    // `retry` tells the browser's EventSource how long to wait before reconnecting.
    this.#write(`retry: 5000\nevent: ready\ndata: {}\n\n`);
  }

  /** Whether the stream has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Queues a change; sent if the user may see it. */
  push(change: PortalChange): void {
    if (this.#closed) return;
    if (this.#pending >= MAX_PENDING_EVENTS || this.#response.writableLength > MAX_BUFFERED_BYTES) {
      this.close();
      return;
    }
    this.#pending++;
    this.#chain = this.#chain.then(async () => {
      try {
        if (!this.#closed && (await this.#visible(change))) this.#write(`event: change\ndata: ${JSON.stringify(change)}\n\n`);
      } catch {
        // The access review failed (apiserver unreachable): leave the change out rather than show what may not be visible.
      } finally {
        this.#pending--;
      }
    });
  }

  /** Ends the stream (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    this.#response.end();
    this.#onClose();
  }

  #write(text: string): void {
    if (!this.#closed) this.#response.write(text);
  }
}
