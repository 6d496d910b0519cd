/**
 * Answers to the server's requests: frames that carry an `id`, answered with
 * `BricksWebSocketFrameEvent.reply()` or `replyError()`. A server numbers its requests per
 * connection, so an answer goes through the send queue only while the connection the request
 * came on is open, and one still waiting in the queue when that connection leaves is dropped
 * with an error: it must never reach another connection. Under `resume` the server's requests
 * belong to the stream, which outlives its sockets: an answer is taken after a reconnect too, until
 * a `resumed` with `recovered: false` says the stream they came on is gone.
 */
import type { Outbox } from '../connection/outbox.js';
import type { Slot } from '../connection/send-queue.js';
import { encodeReply } from '../frames/codec.js';
import type { ReplySender } from '../frames/frame-event.js';

/** What the answers need from the element. */
export interface ServerRepliesHost {
  /** Its send queue, and whether the connection is open (and so is the socket, where this tab holds it). */
  readonly out: Outbox;
  /** Takes the right to answer `id`: false when another member of a shared connection did. */
  claim(id: string): boolean;
  /** Reports a reply that was not sent, as an `error` of kind `send`. */
  fail(message: string, error?: unknown): void;
}

export class ServerReplies {
  #host: ServerRepliesHost;
  /** Counts the connections that opened: an answer belongs to the one its request came on. */
  #opens = 0;
  /** Answers that wait in the queue (behind a clip being encoded, or the buffer limit). */
  #waiting = new Set<Slot>();
  /** How requests that arrive on the live connection are answered; nothing is before the first. */
  sender: ReplySender = () => false;

  constructor(host: ServerRepliesHost) {
    this.#host = host;
  }

  /** Whether the connection (under resume, the stream) that requests came on may still take answers. */
  #live = false;

  /**
   * A connection opened: requests that come on it (on its stream, under resume) are answered on it
   * alone. Still live: the same stream goes on (the element calls closed() when a connection
   * without resume, or a stream, ends).
   */
  opened(): void {
    if (this.#live) return;
    this.#live = true;
    const connection = ++this.#opens;
    const host = this.#host;
    this.sender = (id, answer) => {
      if (connection !== this.#opens || !host.out.open) return false;
      let frame: string;
      try {
        frame = encodeReply(id, answer);
      } catch (error) {
        host.fail(`reply to request ${JSON.stringify(id)}: data is not JSON (a cycle? a BigInt?), so nothing was sent.`, error);
        return false;
      }
      const slot = host.out.reserve();
      if (!slot) return false;
      // Members of a shared connection all see the request: the first answer is the one sent.
      if (!host.claim(id)) {
        host.out.release(slot);
        return false;
      }
      this.#waiting.add(slot);
      slot.once = true;
      slot.sent = () => this.#waiting.delete(slot);
      host.out.fill(slot, frame);
      return true;
    };
  }

  /** The connection (under resume, the stream) is gone: the answers still waiting can reach no other. */
  closed(): void {
    this.#live = false;
    for (const slot of this.#waiting) {
      this.#host.out.release(slot);
      this.#host.fail('A reply to a server request was dropped: the connection that asked had closed.');
    }
    this.#waiting.clear();
  }
}
