/**
 * Requests and their pending table: every `request()` that waits for a `reply` frame.
 * This module checks the call, numbers the request, writes its frame into the element's send
 * queue, and owns the promise, the timer, the abort listener and the bookkeeping: each request
 * settles exactly once and leaves nothing behind, however it ends.
 */
import type { SendQueue, Slot } from '../connection/send-queue.js';
import { encodeFrame, type ReplyFrame } from '../frames/codec.js';
import { ReplyError } from '../protocol/reply-error.js';

/** Options of `request()`. */
export interface BricksWebSocketRequestOptions {
  /** Milliseconds from the call until the request fails with a `TimeoutError`; 0 is none. Default: `requestTimeout`. */
  timeout?: number;
  /** Aborting it ends the request with `signal.reason`. */
  signal?: AbortSignal;
}

// The error a request rejects with when the server answers with `error`: the wire's, one class
// for both halves.
export { ReplyError };

/** An AbortSignal from this window or another (an iframe's), where instanceof would say no. */
const isAbortSignal = (value: unknown) => Object.prototype.toString.call(value) === '[object AbortSignal]';

/** Taken while the window is alive: where it has gone, Chromium removes the global. */
const Abort = DOMException;

/**
 * A place in the send queue taken now for a frame or a request made later, so it leaves in call
 * order with frames sent meanwhile: the declarative layer keeps submissions and clicks while it loads.
 */
export interface Place {
  send(type: string, data?: unknown): boolean;
  /** The element's `request()` in this place; throws its `TypeError` for a type it refuses. */
  request(type: string, data?: unknown): Promise<unknown>;
  release(): void;
}

/** What requests need from the element. */
export interface RequestsHost {
  /** Where a request's frame waits for its turn. */
  readonly queue: SendQueue;
  /** `queue-limit`, for the rejection of a request the full queue refused. */
  limit(): number;
  /** Reports a request that was not sent, as an `error` of kind `send`. */
  fail(message: string, error: unknown): void;
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
  #host: RequestsHost;

  constructor(host: RequestsHost) {
    this.#host = host;
  }

  /** Requests awaiting a reply, queued or sent. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * `request(type, data, options)` of an element whose `requestTimeout` is the default timeout:
   * throws its `TypeError` for an argument it refuses; in a window that has gone, nothing is sent.
   */
  request<T>(type: string, data: unknown, options: unknown, element: { readonly requestTimeout: number }, gone: boolean): Promise<T> {
    if (typeof type !== 'string' || type === '') throw new TypeError('request(type, data, options): type must be a non-empty string.');
    if (type === 'reply') throw new TypeError('request(type, data, options): "reply" is the type of answers, so the server would never answer it; pick another type.');
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new TypeError('request(type, data, options): options must be an object.');
    }
    const { timeout = element.requestTimeout, signal } = (options ?? {}) as BricksWebSocketRequestOptions;
    if (typeof timeout !== 'number' || !(timeout >= 0)) {
      throw new TypeError('request(type, data, options): timeout must be a number of milliseconds, 0 or more.');
    }
    if (signal !== undefined && !isAbortSignal(signal)) {
      throw new TypeError('request(type, data, options): signal must be an AbortSignal.');
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (gone) return Promise.reject(new Abort("The element's window has gone, so nothing was sent.", 'AbortError'));
    return this.send<T>(type, data, timeout, signal);
  }

  /**
   * Sends request `type` (checked by the caller) and resolves with its reply: in `reserved` (a
   * place taken earlier for a kept `data-request`), or at the end of the queue. `timeout` counts
   * from now (0: no timeout).
   */
  send<T>(type: string, data: unknown, timeout: number, signal?: AbortSignal, reserved?: Slot): Promise<T> {
    // A new id, never used before by this element, and unlikely ever to be used by another.
    const id = `${this.#prefix}-${++this.#count}`;
    let frame: string;
    try {
      frame = encodeFrame(type, data, id);
    } catch (error) {
      // Never with a place taken earlier: form data and button values are strings.
      this.#host.fail(`request(${JSON.stringify(type)}): data is not JSON (a cycle? a BigInt?), so nothing was sent.`, error);
      return Promise.reject(error);
    }
    const reply = this.#add<T>(id, timeout, signal);
    const { queue } = this.#host;
    const slot = reserved ?? queue.reserve();
    if (!slot) {
      this.#end(id, false, new DOMException(`The send queue is full (${this.#host.limit()} frames).`, 'QuotaExceededError'));
      return reply;
    }
    // Followed in the queue until it is handed to the socket: then it can be lost, never unsent.
    slot.sent = () => this.#follow(id, null);
    slot.once = true;
    this.#follow(id, slot);
    queue.fill(slot, frame);
    return reply;
  }

  /**
   * A place in line (null when the queue is full, which it has reported). A request made there
   * waits `timeout()`, read when it is made.
   */
  place(timeout: () => number): Place | null {
    const { queue } = this.#host;
    const slot = queue.reserve();
    return slot && {
      // Form data and button values are strings and arrays of them: always JSON.
      send: (type, data) => (queue.fill(slot, encodeFrame(type, data)), !slot.refused),
      // The declarative layer has checked the type as request() does.
      request: (type, data) => this.send(type, data, timeout(), undefined, slot),
      release: () => queue.release(slot),
    };
  }

  /** Where request `id`'s frame waits: `slot`, or null once it was handed to the socket. */
  #follow(id: string, slot: Slot | null): void {
    const pending = this.#pending.get(id);
    if (pending) pending.slot = slot;
  }

  #add<T>(id: string, timeout: number, signal: AbortSignal | undefined): Promise<T> {
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

  /** Settles the request a reply answers; false when no such request is pending. */
  settle(reply: ReplyFrame): boolean {
    if (!this.#pending.has(reply.id)) return false;
    if (reply.error) this.#end(reply.id, false, new ReplyError(reply.error.message, reply.error));
    else this.#end(reply.id, true, reply.data);
    return true;
  }

  /** The socket went away: requests it carried can never be answered, except those `spared` (resume sends them again). Queued ones wait on. */
  disconnected(spared?: (id: string) => boolean): void {
    for (const [id, pending] of this.#pending) {
      if (pending.slot === null && !spared?.(id)) this.#end(id, false, new DOMException('The connection closed before the reply arrived; the request was not resent.', 'NetworkError'));
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
    if (pending.slot) this.#host.queue.release(pending.slot);
    if (ok) pending.resolve(value);
    else pending.reject(value);
  }
}
