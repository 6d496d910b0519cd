/**
 * How long the Redis adapter waits before each new try at reaching Redis: from 100 ms, doubling
 * up to 5 s, each wait drawn between three quarters of its step and the step, so that instances cut off together
 * do not all come back in the same millisecond.
 */
const FIRST_MS = 100;
const MOST_MS = 5000;

export class Backoff {
  #tries = 0;

  next(): number {
    const ceiling = Math.min(MOST_MS, FIRST_MS * 2 ** this.#tries++);
    return Math.round(ceiling * (0.75 + Math.random() * 0.25));
  }

  reset(): void {
    this.#tries = 0;
  }
}
