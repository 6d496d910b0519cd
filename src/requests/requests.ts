/**
 * Requests and their pending table: every `request()` that waits for a `reply` frame.
 * The element hands the frame to its send queue; this module owns the promise, the
 * timer, the abort listener and the bookkeeping, and makes sure each request settles
 * exactly once and leaves nothing behind, however it ends.
 */
import type { ReplyFrame } from '../frames/codec.js';
import type { Slot } from '../connection/send-queue.js';

/** Options of `request()`. */
export interface BricksWebSocketRequestOptions {
  /** Milliseconds from the call until the request fails with a `TimeoutError`; 0 is none. Default: `requestTimeout`. */
  timeout?: number;
  /** Aborting it ends the request with `signal.reason`. */
  signal?: AbortSignal;
}

/** The error a request rejects with when the server answers with `error`. */
export class ReplyError extends Error {
  override name = 'ReplyError';
  /** The server's `error.code`, when it sent one. */
  code?: string;
  /** The server's `error.data`, when it sent one. */
  data?: unknown;

  constructor(message: string, options: { code?: string; data?: unknown } = {}) {
    super(message);
    if (options.code !== undefined) this.code = options.code;
    if ('data' in options) this.data = options.data;
  }
}

/** One request awaiting its reply. `slot` is its place in the send queue until it is handed to the socket. */
interface Pending {
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  slot: Slot | null;
}

/** setTimeout's longest delay; a longer timeout is waited for in steps. */
const MAX_DELAY = 2 ** 31 - 1;

/** Random enough that two elements, tabs or page loads never meet: 48 bits, base 36. */
function randomPrefix(): string {
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return ((high & 0xffff) * 2 ** 32 + low).toString(36);
}

export class Requests {
  #pending = new Map<string, Pending>();
  #prefix = randomPrefix();
  #count = 0;
  /** Takes a queued request's frame out of the send queue. */
  #unqueue: (slot: Slot) => void;

  constructor(unqueue: (slot: Slot) => void) {
    this.#unqueue = unqueue;
  }

  /** Requests awaiting a reply, queued or sent. */
  get size(): number {
    return this.#pending.size;
  }

  /** A new id, never used before by this element, and unlikely ever to be used by another. */
  nextId(): string {
    return `${this.#prefix}-${++this.#count}`;
  }

  /**
   * Starts waiting for the reply to `id`. `timeout` counts from now (0: no timeout).
   * The caller then queues or sends the frame and reports where it went with `queued`.
   */
  add<T>(id: string, timeout: number, signal: AbortSignal | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { resolve: resolve as (value: unknown) => void, reject, timer: undefined, signal, onAbort: undefined, slot: null };
      this.#pending.set(id, pending);
      // Infinity, like 0, is no timeout; a finite one past setTimeout's range is waited for in steps.
      if (timeout > 0 && timeout !== Infinity) {
        const deadline = performance.now() + timeout;
        const wait = () => {
          const left = deadline - performance.now();
          if (left > 0) pending.timer = setTimeout(wait, Math.min(left, MAX_DELAY));
          else this.#end(id, false, new DOMException(`No reply within ${timeout} ms.`, 'TimeoutError'));
        };
        pending.timer = setTimeout(wait, Math.min(timeout, MAX_DELAY));
      }
      if (signal) {
        pending.onAbort = () => this.#end(id, false, signal.reason);
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
    });
  }

  /** The request's frame waits in the queue at `slot`; `sent(id)` follows when it leaves. */
  queued(id: string, slot: Slot): void {
    const pending = this.#pending.get(id);
    if (pending) pending.slot = slot;
  }

  /** The request's frame was handed to the socket. */
  sent(id: string): void {
    const pending = this.#pending.get(id);
    if (pending) pending.slot = null;
  }

  /** Ends a request before it was queued or sent (the queue was full). */
  refuse(id: string, reason: unknown): void {
    this.#end(id, false, reason);
  }

  /** Settles the request a reply answers; false when no such request is pending. */
  settle(reply: ReplyFrame): boolean {
    if (!this.#pending.has(reply.id)) return false;
    if (reply.error) this.#end(reply.id, false, new ReplyError(reply.error.message, reply.error));
    else this.#end(reply.id, true, reply.data);
    return true;
  }

  /** The socket went away: requests it carried can never be answered. Queued ones wait on. */
  disconnected(): void {
    for (const [id, pending] of this.#pending) {
      if (pending.slot === null) this.#end(id, false, new DOMException('The connection closed before the reply arrived; the request was not resent.', 'NetworkError'));
    }
  }

  /** The page closed the element: every request ends, and queued ones leave the queue. */
  abortAll(): void {
    for (const id of [...this.#pending.keys()]) {
      this.#end(id, false, new DOMException('The element was closed before the reply arrived.', 'AbortError'));
    }
  }

  #end(id: string, ok: boolean, value: unknown): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (pending.onAbort) pending.signal!.removeEventListener('abort', pending.onAbort);
    // Never sent: the server must not get a request the page has given up on.
    if (pending.slot) this.#unqueue(pending.slot);
    if (ok) pending.resolve(value);
    else pending.reject(value);
  }
}
