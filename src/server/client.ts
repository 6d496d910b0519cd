/**
 * The client object applications hold: one connected page (one socket), its user and rooms,
 * and what the server can do with it. Its socket and state live in connection.ts; this file is
 * the public surface and the rules each call checks.
 */
import { encodeFrame } from '../protocol/encode.js';
import { typeProblem } from '../protocol/frames.js';
import type { Adapter, Member } from './adapter.js';
import { PendingRequests, readRequestOptions, type RequestOptions } from './requests.js';

/** What a client needs from its connection. */
export interface ClientLink {
  readonly member: Member;
  readonly adapter: Adapter;
  readonly requests: PendingRequests;
  /** Frames can still be sent: the socket is open and was not asked to close. */
  readonly open: boolean;
  /** Sends one text frame (the server's request `request`, when it is one); false when the client is gone or slow (and is being closed for it). */
  write(text: string, request?: string): boolean;
  /**
   * Under resume, once this socket is closing or gone: the client of the socket the page is on
   * now, or `'away'` while the page is away (its stream, kept for it, takes joins and leaves).
   * Null while open, and without resume.
   */
  readonly resumed: BricksClient<any> | 'away' | null;
  /** Closes on the application's behalf: requests awaiting a reply end with `AbortError`. */
  close(code: number, reason: string): void;
  nextRequestId(): string;
}

/** Gives a resumed client the rooms its stream is in (connection.ts); not part of the public surface. */
export const restoreRooms = Symbol('restoreRooms');

/** Why `room` cannot name a room, or null when it can. */
export function roomProblem(room: unknown): string | null {
  if (typeof room !== 'string' || room === '') return 'room must be a non-empty string';
  // Under resume, "r": "*" on the wire names the stream of frames for everyone.
  if (room === '*') return '"*" is the name resume gives the frames for everyone, not a room';
  return null;
}

function checkRoom(call: string, room: unknown): asserts room is string {
  const problem = roomProblem(room);
  if (problem !== null) throw new TypeError(`${call}: ${problem}.`);
}

function checkType(call: string, type: unknown): asserts type is string {
  const problem = typeProblem(type);
  if (problem !== null) throw new TypeError(`${call}: ${problem}.`);
}

export class BricksClient<User = unknown> {
  /** Unique across server instances. */
  readonly id: string;
  /** What `authenticate` returned for this connection (`null` without `authenticate`). */
  readonly user: User;
  #link: ClientLink;
  #rooms = new Set<string>();

  constructor(id: string, user: User, link: ClientLink) {
    this.id = id;
    this.user = user;
    this.#link = link;
  }

  /** The rooms this client is in; after `disconnect`, the rooms it was in. */
  get rooms(): ReadonlySet<string> {
    return this.#rooms;
  }

  [restoreRooms](rooms: Iterable<string>): void {
    for (const room of rooms) this.#rooms.add(room);
  }

  /** Puts the client in `room`. Resolves once every instance sees it there; once the client is gone, does nothing, or under resume changes the rooms its page comes back in. */
  async join(room: string): Promise<void> {
    checkRoom('join(room)', room);
    if (!this.#link.open) {
      // Under resume the page is still in the stream's rooms: the change is its stream's.
      const now = this.#link.resumed;
      if (now === null) return;
      if (now !== 'away') return now.join(room);
    }
    if (this.#rooms.has(room)) return;
    this.#rooms.add(room);
    try {
      await this.#link.adapter.join(this.#link.member, room);
    } catch (error) {
      this.#rooms.delete(room);
      throw error;
    }
  }

  /** Takes the client out of `room`. */
  async leave(room: string): Promise<void> {
    checkRoom('leave(room)', room);
    const left = this.#rooms.delete(room);
    if (!this.#link.open) {
      const now = this.#link.resumed;
      if (now === null) return;
      if (now !== 'away') return now.leave(room);
    } else if (!left) return;
    await this.#link.adapter.leave(this.#link.member, room);
  }

  /**
   * Sends `{"type": type, "data": data}` to this client. False when it is gone or too slow (a
   * slow client is closed with 1013). Data JSON cannot write (a cycle, a BigInt) throws.
   */
  send(type: string, data?: unknown): boolean {
    checkType('send(type, data)', type);
    return this.#link.write(encodeFrame(type, data ?? null));
  }

  /**
   * Asks the page: sends `{"type", "data", "id"}` and resolves with the `data` of the page's
   * reply. Rejects with a `ReplyError` for an error reply, or a `DOMException`: `TimeoutError`
   * (no reply within `timeout`, default 10000 ms), `NetworkError` (the connection was lost or the
   * client could not take the frame), `AbortError` (`close()`); with `signal.reason` when the
   * signal aborts. A request is never sent twice.
   */
  request<T = unknown>(type: string, data?: unknown, options?: RequestOptions): Promise<T> {
    checkType('request(type, data, options)', type);
    const { timeout, signal } = readRequestOptions(options);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const link = this.#link;
    if (!link.open) return Promise.reject(new DOMException('The client has disconnected, so the request was not sent.', 'NetworkError'));
    const id = link.nextRequestId();
    let frame: string;
    try {
      frame = encodeFrame(type, data ?? null, id);
    } catch (error) {
      return Promise.reject(error);
    }
    const reply = link.requests.add<T>(id, timeout, signal);
    if (!link.write(frame, id)) {
      link.requests.end(id, new DOMException('The client could not take the request (it is gone or too slow), so it was not sent.', 'NetworkError'));
    }
    return reply;
  }

  /**
   * Closes the connection. With the default 1000 the element does not reconnect (its default
   * `stop-codes` are 1000 and 1008); 1012 or 1013 make it come back. Requests awaiting a reply
   * reject with `AbortError`. A code or reason the protocol forbids throws a `TypeError`.
   */
  close(code = 1000, reason = ''): void {
    this.#link.close(code, reason);
  }
}
