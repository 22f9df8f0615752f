/**
 * An in-process mutex per key: {@link KeyedMutex.run} calls with the same key run one after the
 * other, in call order; calls with different keys run in parallel. Nothing is shared between
 * processes.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `work` once every earlier `run` with this key has settled; returns its result. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release = (): void => undefined;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.#tails.set(key, tail);
    try {
      await previous;
      return await work();
    } finally {
      release();
      // Forget the key once nobody queued behind us, so the map does not grow with every URL seen.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** How many keys have work running or queued (for tests and metrics). */
  get size(): number {
    return this.#tails.size;
  }
}
