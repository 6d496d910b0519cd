/**
 * The adapter: where rooms live and how a frame reaches the clients of a room, or all of them.
 * The server owns the sockets of this instance; the adapter owns membership and fan-out. The
 * in-memory adapter (memory-adapter.ts) serves one instance; an adapter backed by shared state
 * (Redis) serves many with the same calls, so the server never asks which one it has.
 *
 * Every frame sent to a room or to everyone passes through `broadcast()` exactly once, already
 * encoded: that is where an adapter may number a room's frames and keep them for clients that
 * come back (one order per room, assigned in one place), and where it hands them to other
 * instances.
 */

/** A frame encoded once for every receiver: the JSON text and its UTF-8 bytes. */
export interface OutgoingFrame {
  readonly text: string;
  readonly bytes: Uint8Array;
}

/** A client of this instance, as the adapter sees it. */
export interface Member {
  /** Unique across instances. */
  readonly id: string;
  /** Hands `frame` to the client's socket; false when the client is gone or too slow to take it. */
  deliver(frame: OutgoingFrame): boolean;
}

/** What the server offers an adapter. */
export interface AdapterHost {
  /**
   * Reports a failure the adapter carries on after (a lost connection to shared state), as the
   * server's `error` event; its message says what failed.
   */
  error(error: Error): void;
}

export interface Adapter {
  /** Called once, before any other method, by the server that uses this adapter. */
  attach(host: AdapterHost): void;
  /** A client connected to this instance: it receives `broadcast(null, ...)` from now on. */
  add(member: Member): void;
  /** The client has gone: it leaves every room and receives nothing more. */
  remove(member: Member): Promise<void>;
  /** Puts the client in `room`, for every instance that broadcasts to it. */
  join(member: Member, room: string): Promise<void>;
  /** Takes the client out of `room`. */
  leave(member: Member, room: string): Promise<void>;
  /**
   * Delivers `frame` to every member of `room` (every client when `room` is null) on every
   * instance. Fire and forget: failures to reach other instances go to `AdapterHost.error`.
   */
  broadcast(room: string | null, frame: OutgoingFrame): void;
  /** Rooms with at least one member on this instance. */
  roomCount(): number;
  /** Releases everything the adapter holds (connections, timers); called by `BricksServer.close()`. */
  close(): Promise<void>;
}
