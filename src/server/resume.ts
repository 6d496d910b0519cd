/**
 * `resume` on this instance: one `ResumeStream` per page stream that has a socket here or still
 * runs a handler here. What must outlive the instance (the numbered history, the handled
 * position, the rooms) is the adapter's; this holds what runs: the `Inbox` that hands each page
 * frame on once and in order, the batched acknowledgements and their timer, and the server's
 * requests to the page, which a reconnect does not end. Also: who may resume a stream (the
 * owner, from `authenticate`'s result) and the tokens.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Inbox, type Arrival } from '../protocol/resume.js';
import { encodeResumed } from '../protocol/resume-frames.js';
import { PASSED, type Adapter, type NumberedFrame } from './adapter.js';
import { PendingRequests } from './requests.js';

/** An acknowledgement goes once this many handled frames wait for one... */
export const ACK_BATCH = 32;
/** ...or this many milliseconds after the first of them. */
export const ACK_DELAY = 20;

/** A new stream's token: 128 random bits, base64url (22 characters). */
export function newToken(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Whether JSON writes `item` (a value the replacer sees, after `toJSON`) as it is: not a `Map`,
 * `Set`, function or symbol, which it writes as `{}` or leaves out, nor a number it writes as
 * `null`, nor an instance of a class whose fields JSON cannot see (private, or getters), which it
 * writes as `{}`. Such values would make different users one owner.
 */
function faithful(item: unknown): boolean {
  switch (typeof item) {
    case 'function':
    case 'symbol':
      return false;
    case 'number':
      return Number.isFinite(item);
    case 'object': {
      if (item === null || Array.isArray(item)) return true;
      if (item instanceof Map || item instanceof Set || item instanceof WeakMap || item instanceof WeakSet) return false;
      const prototype = Object.getPrototypeOf(item);
      return prototype === Object.prototype || prototype === null || Object.keys(item).length > 0;
    }
    default:
      return true;
  }
}

/** JSON with every object's keys sorted, so equal users write equal text; throws for a value JSON cannot write faithfully. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (!faithful(item)) throw new TypeError('not plain data');
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  }) ?? 'undefined';
}

/**
 * Who a connection is, for binding tokens: a hash of the JSON of `authenticate`'s result, so
 * equal users (`{ id: 7 }` on each reconnect) are one owner. Null when JSON cannot write it, or
 * could not tell users apart by it (a `Map`, a class instance with only private fields).
 */
export function ownerOf(user: unknown): string | null {
  let text: string;
  try {
    text = stableJson(user);
  } catch {
    return null;
  }
  return createHash('sha256').update(text).digest('base64url');
}

/** The socket a stream is attached to. */
export interface StreamSocket {
  /** Sends a numbered frame, unless its number was sent on this socket already. */
  sendNumbered(frame: NumberedFrame): boolean;
  /** Sends one of resume's own frames, which carry no number. */
  sendControl(text: string): boolean;
}

export class ResumeStream {
  readonly token: string;
  /** The server's requests to the page: answered on whichever socket the page comes back on. */
  readonly requests = new PendingRequests();
  /** The own-stream number of each of those requests (and of some settled ones, swept now and then). */
  #asked = new Map<string, number>();
  #inbox: Inbox;
  #adapter: Adapter;
  #ttl: number;
  #socket: StreamSocket | null = null;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  /** Ends the requests still waiting when the page has not come back within `ttl`. */
  #expiry: ReturnType<typeof setTimeout> | undefined;
  /** The handled position the adapter was last told. */
  #told: number;
  /** Called when nothing holds this any more: no socket, no handler running, no request waiting. */
  #idle: (stream: ResumeStream) => void;

  constructor(token: string, handled: number, adapter: Adapter, ttl: number, idle: (stream: ResumeStream) => void) {
    this.token = token;
    this.#inbox = new Inbox(handled);
    this.#told = handled;
    this.#adapter = adapter;
    this.#ttl = ttl;
    this.#idle = idle;
  }

  /**
   * A socket of the page's said its hello: frames go to it from now on. `recovered` false with
   * `seen`, the last own frame the page has: the server's requests numbered after it never reach
   * the page, so they end now. Returns what the answer says was handled.
   */
  attach(socket: StreamSocket, recovered = true, seen = 0): number {
    this.#socket = socket;
    for (const [id, n] of this.#asked) {
      if (!this.requests.has(id)) this.#asked.delete(id);
      else if (!recovered && n > seen) {
        this.#asked.delete(id);
        this.requests.end(id, new DOMException('The page came back after more than history.size frames or history.ttl ms, and this request was among the frames it lost, so its reply will not arrive.', 'NetworkError'));
      }
    }
    clearTimeout(this.#expiry);
    this.#expiry = undefined;
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    // The answer's `acked` acknowledges everything handled so far.
    this.#inbox.acknowledgement(1, true);
    return this.#inbox.handled;
  }

  /** `socket` has closed; the stream waits for its page. */
  detach(socket: StreamSocket): void {
    if (this.#socket !== socket) return;
    this.#socket = null;
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    if (this.requests.size > 0) {
      this.#expiry = setTimeout(() => {
        this.#expiry = undefined;
        this.requests.endAll(() => new DOMException(`The page did not come back within history.ttl (${this.#ttl} ms), so its reply will not arrive.`, 'NetworkError'));
        this.#checkIdle();
      }, this.#ttl);
    }
    this.#checkIdle();
  }

  /** The socket the stream is attached to, null while its page is away. */
  get socket(): StreamSocket | null {
    return this.#socket;
  }

  /** The server's request `id` went out as own frame `n`. */
  asked(id: string, n: number): void {
    this.#asked.set(id, n);
    // Settled requests leave their entries behind: sweep them once they outnumber the waiting.
    if (this.#asked.size > 2 * this.requests.size + 16) for (const key of this.#asked.keys()) if (!this.requests.has(key)) this.#asked.delete(key);
  }

  /** A page frame numbered `n` arrived: `new` to hand on (then call `finished(n)`), a `repeat` to drop, or a `gap`. */
  receive(n: number): Arrival {
    return this.#inbox.receive(n);
  }

  /** The number the next new frame must carry. */
  get expected(): number {
    return this.#inbox.dispatched + 1;
  }

  /** Frame `n`'s handler has finished (returned, its promise settled, its reply sent). */
  finished(n: number): void {
    const inbox = this.#inbox;
    inbox.finished(n);
    const handled = inbox.handled;
    if (handled > this.#told) {
      this.#told = handled;
      this.#adapter.handled(this.token, handled);
    }
    if (this.#socket) {
      const acked = inbox.acknowledgement(ACK_BATCH);
      if (acked !== null) this.#acknowledge(acked);
      else if (inbox.unacknowledged > 0) this.#ackTimer ??= setTimeout(this.#flush, ACK_DELAY);
    }
    this.#checkIdle();
  }

  /**
   * Sends a frame of the page's own stream: numbered and kept, then sent if the page is here (by
   * the adapter once it is kept, for a frame marked `later`); `PASSED` to the instance the page is
   * on. Null when the stream is gone.
   */
  write(text: string): NumberedFrame | typeof PASSED | null {
    const frame = this.#adapter.appendOwn(this.token, text);
    if (frame !== null && frame !== PASSED && !frame.later) this.#socket?.sendNumbered(frame);
    return frame;
  }

  /** The server closes: requests end with `reason`, no timer is left. */
  close(reason: () => unknown): void {
    clearTimeout(this.#ackTimer);
    clearTimeout(this.#expiry);
    this.#ackTimer = this.#expiry = undefined;
    this.requests.endAll(reason);
  }

  #flush = (): void => {
    this.#ackTimer = undefined;
    const acked = this.#inbox.acknowledgement(ACK_BATCH, true);
    if (acked !== null && this.#socket) this.#acknowledge(acked);
  };

  #acknowledge(acked: number): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    this.#socket?.sendControl(encodeResumed({ acked }));
  }

  #checkIdle(): void {
    if (this.#socket === null && this.#inbox.dispatched === this.#inbox.handled && this.requests.size === 0) this.#idle(this);
  }
}
