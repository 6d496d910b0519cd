/**
 * Frames on their way to the socket, in call order. A frame can take its place before its payload
 * exists (a Blob still being read, base64 still being encoded); the frames after it wait behind it.
 *
 * Two reasons to wait, kept apart: behind a frame being prepared, and for the connection. The
 * limit bounds only the second, so while the connection takes frames nothing is refused, and
 * the order still holds. A frame that waits is a copy of what was passed, as `WebSocket.send` copies.
 */
import { copyOf, type Payload } from '../frames/payload.js';

/** The connection, as the queue needs it. */
export interface Outlet {
  /** True when a frame handed over now leaves at once; false while frames must wait for the connection. */
  ready(): boolean;
  /** Most frames that may wait while `ready()` is false. */
  limit(): number;
  /**
   * Hands one frame to the socket; throws what the socket throws for a frame it refuses. `once`:
   * the frame must never go twice, not even when the connection it was handed to fails to confirm it.
   */
  send(payload: Payload, once: boolean, raw?: boolean): void;
  /** A frame was not queued: `limit` frames already wait for the connection. */
  full(limit: number): void;
  /** The socket threw for a frame: it is dropped, and the frames after it go on. */
  refused(payload: Payload, error: unknown): void;
}

/** One place in line; `payload` is null while it is still being prepared. */
export interface Slot {
  payload: Payload | null;
  /** Set once the socket has thrown for this frame. */
  refused: boolean;
  /** Called once the frame has been handed to the socket. */
  sent?: () => void;
  /** A request or a reply: at most once on the wire, never sent again on another connection. */
  once?: boolean;
  /** From `sendRaw()`: outside resume. */
  raw?: boolean;
}

export class SendQueue {
  #outlet: Outlet;
  #slots: Slot[] = [];

  constructor(outlet: Outlet) {
    this.#outlet = outlet;
  }

  /** Frames waiting, prepared or not. */
  get size(): number {
    return this.#slots.length;
  }

  /** Sends `payload` now when nothing is ahead of it, or queues a copy. False when it was neither. `raw`: from `sendRaw()`. */
  push(payload: Payload, raw?: boolean): boolean {
    if (this.#slots.length === 0 && this.#outlet.ready()) return this.#hand(payload, false, raw);
    const slot = this.reserve();
    if (slot) {
      slot.payload = copyOf(payload);
      slot.raw = raw;
    }
    return slot !== null;
  }

  /** Takes a place at the back for a frame still being prepared; null (and `full`) when it may not wait. */
  reserve(): Slot | null {
    // While the connection takes frames, a frame waits only for those being prepared ahead of it.
    if (!this.#outlet.ready()) {
      const limit = this.#outlet.limit();
      if (this.#slots.length >= limit) {
        this.#outlet.full(limit);
        return null;
      }
    }
    const slot: Slot = { payload: null, refused: false };
    this.#slots.push(slot);
    return slot;
  }

  /** Gives a reserved place its prepared payload, and sends what can leave. */
  fill(slot: Slot, payload: Payload): void {
    slot.payload = payload;
    this.flush();
  }

  /** Gives up a place whose payload could not be prepared, and sends what waited behind it. */
  release(slot: Slot): void {
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
    this.flush();
  }

  /** Hands prepared frames from the front to the socket while it takes them. */
  flush(): void {
    while (this.#slots.length > 0) {
      const slot = this.#slots[0];
      if (slot.payload === null || !this.#outlet.ready()) return;
      // Out of line before the socket sees it: a listener of `refused` may send, and that goes behind.
      this.#slots.shift();
      slot.refused = !this.#hand(slot.payload, slot.once === true, slot.raw);
      if (!slot.refused) slot.sent?.();
    }
  }

  #hand(payload: Payload, once: boolean, raw?: boolean): boolean {
    try {
      this.#outlet.send(payload, once, raw);
      return true;
    } catch (error) {
      this.#outlet.refused(payload, error);
      return false;
    }
  }
}
