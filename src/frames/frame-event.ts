/**
 * The event each `{"type": T, "data": D}` frame becomes. A `CustomEvent` (so `detail` and
 * every existing listener keep working) that can also answer a frame the server sent as a
 * request, one that carries an `id`.
 */
import type { Answer, ReplyErrorBody } from '../protocol/frames.js';

/**
 * Sends or queues the reply to request `id`; false when it could not (the data is not JSON, the
 * queue is full, or the connection the request came on is gone).
 */
export type ReplySender = (id: string, answer: Answer) => boolean;

export class BricksWebSocketFrameEvent<T = unknown> extends CustomEvent<T> {
  /** The server's request id, or undefined for a frame that expects no answer. */
  readonly id: string | undefined;
  // `detail` is kept here rather than passed in an init dictionary: reading the dictionary's
  // four members costs more than the rest of the construction, once per frame.
  #detail: T;
  #send: ReplySender | undefined;

  constructor(type: string, detail: T, id?: string, send?: ReplySender) {
    super(type);
    // As CustomEvent's init dictionary does: an absent detail reads as null.
    this.#detail = (detail === undefined ? null : detail) as T;
    // An own property, as it has always been, so a spread or JSON of the event keeps it.
    this.id = id;
    this.#send = id === undefined ? undefined : send;
  }

  /** The frame's `data`. */
  override get detail(): T {
    return this.#detail;
  }

  /** As on any CustomEvent: outside a dispatch, sets the type, flags and `detail` anew. */
  override initCustomEvent(...args: [type: string, bubbles?: boolean, cancelable?: boolean, detail?: T]): void {
    super.initCustomEvent(...args);
    // The platform ignores the call during a dispatch; so does the detail kept here.
    if (this.eventPhase === Event.NONE) this.#detail = (args[3] === undefined ? null : args[3]) as T;
  }

  /** Answers the server's request with `data`; true when the reply was sent or queued, false for a second reply or a frame without `id`. */
  reply(data?: unknown): boolean {
    return this.#answer({ data });
  }

  /** Answers the server's request with an error; true when the reply was sent or queued. */
  replyError(message: string, options: { code?: string; data?: unknown } = {}): boolean {
    if (typeof message !== 'string') throw new TypeError('replyError(message, options): message must be a string.');
    if (options === null || typeof options !== 'object') throw new TypeError('replyError(message, options): options must be an object.');
    if (options.code !== undefined && typeof options.code !== 'string') throw new TypeError('replyError(message, options): code must be a string.');
    const error: ReplyErrorBody = { message };
    if (options.code !== undefined) error.code = options.code;
    if ('data' in options) error.data = options.data;
    return this.#answer({ error });
  }

  #answer(answer: Answer): boolean {
    const send = this.#send;
    if (!send) return false;
    // One reply per request; a reply that could not be sent or queued may be tried again.
    this.#send = undefined;
    const sent = send(this.id!, answer);
    if (!sent) this.#send = send;
    return sent;
  }
}
