/**
 * Frames waiting to leave, in call order. A slot can be reserved before its payload
 * exists (a Blob still being read, base64 still being encoded), so later frames wait behind it.
 */

/** What a WebSocket can send. */
export type Payload = string | ArrayBuffer | ArrayBufferView | Blob;

/** One place in the queue; `payload` is null while it is still being prepared. */
export interface Slot {
  payload: Payload | null;
  /** Called once the payload has been handed to the socket. */
  sent?: () => void;
}

export class SendQueue {
  #slots: Slot[] = [];

  /** Frames waiting, prepared or not. */
  get size(): number {
    return this.#slots.length;
  }

  /** Takes a place at the back, or returns null when `limit` places are taken. */
  reserve(limit: number, payload: Payload | null = null): Slot | null {
    if (this.#slots.length >= limit) return null;
    const slot: Slot = { payload };
    this.#slots.push(slot);
    return slot;
  }

  /** Gives up a place whose payload could not be prepared. */
  release(slot: Slot): void {
    const index = this.#slots.indexOf(slot);
    if (index >= 0) this.#slots.splice(index, 1);
  }

  /**
   * Hands prepared frames from the front to `send` until it refuses one,
   * or the front frame is still being prepared.
   */
  drain(send: (payload: Payload) => boolean): void {
    while (this.#slots.length > 0) {
      const payload = this.#slots[0].payload;
      if (payload === null || !send(payload)) return;
      this.#slots.shift()!.sent?.();
    }
  }
}
