/**
 * Flow control: keeps the socket's send buffer near a limit. `WebSocket.send()` never says
 * no, it buffers without bound; this module decides, frame by frame, whether the socket may
 * take one now. While `bufferedAmount` is above the limit, frames wait in the send queue; they
 * go again once it has fallen to half the limit, and `drained` tells the element when all that
 * waited has left and the buffer is at half or below.
 *
 * `bufferedAmount` has no event, so it is polled, and only while frames wait behind the limit
 * or a `drain` is still owed. With a timer rather than `requestAnimationFrame`: frames do not
 * run at all in a hidden tab, where an app recording voice keeps streaming, while timers still
 * run there, throttled (about once a second in Chromium).
 */

/** 1 MiB. */
export const DEFAULT_BUFFER_LIMIT = 1024 * 1024;

/**
 * How often `bufferedAmount` is read while frames wait. Half the default limit takes 5 ms to
 * leave on a 100 MB/s link and half a second on a 1 MB/s one: a few wasted milliseconds of an
 * idle socket at worst, and a hundred cheap reads a second at most.
 */
const CHECK_MS = 10;

/** What flow control needs from the element. */
export interface FlowHost {
  /** The live socket, or null. */
  socket(): WebSocket | null;
  /** Frames in the send queue. */
  waiting(): number;
  /** Hands queued frames to the socket again; each one passes `admits` first. */
  resume(): void;
  /** Frames started or stopped waiting behind the limit. */
  changed(backpressure: boolean): void;
  /** What had to wait has left and the buffer is at or below half the limit. */
  drained(bufferedAmount: number): void;
}

export class FlowControl {
  /** Bytes the socket may buffer before frames wait; 0 turns flow control off. */
  limit = DEFAULT_BUFFER_LIMIT;
  #host: FlowHost;
  /** Frames wait behind the limit. */
  #held = false;
  /** What `changed` last reported: a release that holds again at once is not shown. */
  #shown = false;
  /** Frames had to wait since the last `drain`. */
  #owed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(host: FlowHost) {
    this.#host = host;
  }

  /** Frames wait behind the limit. */
  get backpressure(): boolean {
    return this.#shown;
  }

  /**
   * Whether a frame may go to `socket` now. On the hot path: when nothing is held, this is one
   * read of `bufferedAmount` (none at all with the limit off).
   */
  admits(socket: WebSocket | null): boolean {
    if (this.#held) return false;
    const limit = this.limit;
    // Held only when known to be over: a stand-in socket without bufferedAmount never holds.
    if (!(limit > 0) || socket === null || !(socket.bufferedAmount > limit)) return true;
    this.#held = true;
    this.#owed = true;
    this.#show(true);
    this.#watch();
    return false;
  }

  /** A socket opened: a `drain` still owed from before the loss is due once the queue has left. */
  opened(): void {
    if (this.#owed) this.#watch();
  }

  /** The socket is gone: what waited now waits for the connection, not for the buffer. */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#held = false;
    this.#show(false);
  }

  #watch(): void {
    this.#timer ??= setTimeout(this.#check, CHECK_MS);
  }

  #show(on: boolean): void {
    if (on === this.#shown) return;
    this.#shown = on;
    this.#host.changed(on);
  }

  #check = (): void => {
    this.#timer = undefined;
    const socket = this.#host.socket();
    if (!socket) return;
    const off = !(this.limit > 0);
    if (this.#held) {
      if (!off && socket.bufferedAmount > this.limit / 2) return this.#watch();
      this.#held = false;
      this.#host.resume(); // may hold again, and then keeps watching
      this.#show(this.#held);
      if (this.#held) return;
    }
    if (!this.#owed) return;
    const buffered = socket.bufferedAmount;
    if (this.#host.waiting() > 0 || (!off && buffered > this.limit / 2)) return this.#watch();
    this.#owed = false;
    this.#host.drained(buffered);
  };
}
