/**
 * The server's requests to one client and their pending table: `client.request()` mirrors the
 * element's `request()`. Each request settles exactly once and leaves no timer or abort
 * listener behind, however it ends; none is ever sent twice.
 */
import type { ReplyFrame } from '../protocol/frames.js';
import { ReplyError } from '../protocol/reply-error.js';

/** Options of `client.request()`. */
export interface RequestOptions {
  /** Milliseconds from the call until the request fails with a `TimeoutError`; 0 or Infinity is none. Default 10000. */
  timeout?: number;
  /** Aborting it ends the request with `signal.reason`. */
  signal?: AbortSignal;
}

export const DEFAULT_REQUEST_TIMEOUT = 10_000;

interface Pending {
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** setTimeout's longest delay; a longer timeout is waited for in steps. */
const MAX_DELAY = 2 ** 31 - 1;

/** Checks `request()`'s options as the element does: a wrong one is a `TypeError` at the call. */
export function readRequestOptions(options: unknown): { timeout: number; signal: AbortSignal | undefined } {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError('request(type, data, options): options must be an object.');
  }
  const { timeout = DEFAULT_REQUEST_TIMEOUT, signal } = (options ?? {}) as RequestOptions;
  if (typeof timeout !== 'number' || !(timeout >= 0)) {
    throw new TypeError('request(type, data, options): timeout must be a number of milliseconds, 0 or more.');
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError('request(type, data, options): signal must be an AbortSignal.');
  }
  return { timeout, signal };
}

export class PendingRequests {
  #pending = new Map<string, Pending>();

  get size(): number {
    return this.#pending.size;
  }

  /** Whether request `id` still waits for its reply. */
  has(id: string): boolean {
    return this.#pending.has(id);
  }

  /** Starts waiting for the reply to `id`; `timeout` counts from now (0 or Infinity: none). */
  add<T>(id: string, timeout: number, signal: AbortSignal | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { resolve: resolve as (value: unknown) => void, reject, timer: undefined, signal, onAbort: undefined };
      this.#pending.set(id, pending);
      if (timeout > 0 && timeout !== Infinity) {
        const deadline = performance.now() + timeout;
        const wait = () => {
          const left = deadline - performance.now();
          if (left > 0) pending.timer = setTimeout(wait, Math.min(left, MAX_DELAY));
          else this.end(id, new DOMException(`No reply within ${timeout} ms.`, 'TimeoutError'));
        };
        pending.timer = setTimeout(wait, Math.min(timeout, MAX_DELAY));
      }
      if (signal) {
        pending.onAbort = () => this.end(id, signal.reason);
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
    });
  }

  /** Settles the request `reply` answers; false when no such request is pending (late, repeated or forged). */
  settle(reply: ReplyFrame): boolean {
    const pending = this.#take(reply.id);
    if (!pending) return false;
    if (reply.error) pending.reject(new ReplyError(reply.error.message, reply.error));
    else pending.resolve(reply.data);
    return true;
  }

  /** Ends request `id` with `reason`, if it is still pending. */
  end(id: string, reason: unknown): void {
    this.#take(id)?.reject(reason);
  }

  /** Ends every pending request with the reason `make()` gives (one object each, so none is shared). */
  endAll(make: () => unknown): void {
    for (const id of [...this.#pending.keys()]) this.end(id, make());
  }

  #take(id: string): Pending | undefined {
    const pending = this.#pending.get(id);
    if (!pending) return undefined;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (pending.onAbort) pending.signal!.removeEventListener('abort', pending.onAbort);
    return pending;
  }
}
