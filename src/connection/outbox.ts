/**
 * One element's way out: its send queue, whose outlet is its link, with flow control between
 * them. A frame leaves while the link is open (and its socket, where this tab holds one) and the
 * socket's buffer is under `buffer-limit`; otherwise it waits in order, up to `queue-limit`.
 * The link is asked for anew each time: a new `share` replaces it.
 */
import { describePayload } from '../frames/payload.js';
import { FlowControl } from './flow-control.js';
import type { Link } from './link.js';
import { SendQueue } from './send-queue.js';

/** What the outbox needs from the element. */
export interface OutboxHost {
  link(): Link;
  /** `queue-limit`. */
  limit(): number;
  /** Reports a frame that was not queued (`queue-full`) or that the socket refused (`send`). */
  fail(kind: 'queue-full' | 'send', message: string, error?: unknown): void;
  /** Frames started or stopped waiting behind `buffer-limit`. */
  changed(backpressure: boolean): void;
  /** What had to wait has left and the buffer is at or below half the limit. */
  drained(bufferedAmount: number): void;
}

export class Outbox extends SendQueue {
  readonly flow: FlowControl;
  #host: OutboxHost;

  constructor(host: OutboxHost) {
    super({
      // Under resume, frames sent and not yet acknowledged count toward the limit too (one at a
      // time still goes with a limit of 0, which without resume means only that nothing waits).
      ready: () => this.open && this.flow.admits(host.link().socket) && (host.link().stream?.kept ?? 0) < Math.max(host.limit(), 1),
      limit: () => host.limit() - (host.link().stream?.kept ?? 0),
      send: (payload, once, raw) => {
        // Only called while ready(), which is the connection's own test; never let a frame vanish.
        if (!host.link().send(payload, once, raw)) throw new Error('The socket was not open.');
      },
      // Under resume the limit counts the frames not yet acknowledged too: the sentence says so.
      full: () =>
        host.fail('queue-full', host.link().state === 'open'
          ? `Queue full (${host.limit()} frames waiting behind buffer-limit${host.link().stream?.kept ? ' or unacknowledged' : ''}), so this one was not queued: raise queue-limit or buffer-limit, or wait for drain.`
          : `Queue full (${host.limit()} frames), so this one was not queued: raise queue-limit or wait for open.`),
      refused: (payload, error) =>
        host.fail('send', `The socket refused ${describePayload(payload)} (${(error as Error)?.message ?? error}), so it was not sent; the frames after it go on.`, error),
    });
    this.#host = host;
    this.flow = new FlowControl({
      socket: () => host.link().socket,
      waiting: () => this.size,
      resume: () => this.flush(),
      changed: host.changed,
      drained: host.drained,
    });
  }

  /** The link is open, and so is the socket where this tab holds it (a tab that shares another tab's holds none). */
  get open(): boolean {
    const link = this.#host.link();
    return link.state === 'open' && (link.socket === null || link.socket.readyState === WebSocket.OPEN);
  }

  /** A socket opened: what waited leaves, and a `drain` still owed from before a loss is due once it has. */
  opened(): void {
    this.flush();
    this.flow.opened();
  }

  /** The socket is gone: what waited behind its buffer now waits for the next one. */
  closed(): void {
    this.flow.stop();
  }
}
