/**
 * The last piece of work under each key, for work that must wait for what went before it under
 * the same key (the frames of one stream, the subscription changes of one channel). A key is
 * forgotten once its last work has settled, so the map holds only what is still under way.
 */
export class Tails {
  #tails = new Map<string, Promise<void>>();

  /** Settles (never rejects) once the last work under `key` has; undefined when none is under way. */
  get(key: string): Promise<void> | undefined {
    return this.#tails.get(key);
  }

  /** Makes `work` the last under `key`. */
  track(key: string, work: Promise<unknown>): void {
    const tail = work.then(
      () => {},
      () => {},
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
  }

  clear(): void {
    this.#tails.clear();
  }
}
