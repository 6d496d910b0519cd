/**
 * One client's connection: its socket and the state it goes through (open, closing, closed),
 * the send path with its `sendLimit` check, liveness for the protocol-level ping sweep, and the
 * end of its requests and room memberships when it closes. The server reads frames through
 * `ConnectionHost.received`; the application sees only the `BricksClient` this creates.
 */
import type { WebSocket } from 'ws';
import { isSendableCloseCode } from '../protocol/close-codes.js';
import type { Adapter, Member, OutgoingFrame } from './adapter.js';
import { BricksClient, type ClientLink } from './client.js';
import { PendingRequests } from './requests.js';
import type { Counters } from './stats.js';

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly adapter: Adapter;
  readonly counters: Counters;
  /** Bytes a socket may hold unsent before its client counts as slow. */
  readonly sendLimit: number;
  /** Handler calls of one client running at once before its socket is read no more. */
  readonly handlerLimit: number;
  nextRequestId(): string;
  received(connection: Connection, data: Buffer, isBinary: boolean): void;
  closed(connection: Connection, code: number, reason: string): void;
  fail(error: unknown, client?: BricksClient<unknown>): void;
}

/**
 * `open`: frames flow both ways. `closing`: a close frame is on its way (asked for by the
 * application, the server's `close()`, or a slow socket); nothing more is sent, frames that
 * still arrive are read. `closed`: the socket is gone.
 */
type State = 'open' | 'closing' | 'closed';

/** Why a close frame cannot carry `code` and `reason`, or null when it can. */
export function closeProblem(code: unknown, reason: unknown): string | null {
  if (!isSendableCloseCode(code)) return `${String(code)} is not a close code a server may send: use 1000-1003, 1007-1014 or 3000-4999.`;
  if (typeof reason !== 'string' || Buffer.byteLength(reason) > 123) return 'the reason must be a string of at most 123 bytes of UTF-8.';
  return null;
}

/** Text frames sent as the UTF-8 bytes already made, so a broadcast is encoded once for all. */
const TEXT = { binary: false } as const;

export class Connection<User = unknown> implements Member, ClientLink {
  readonly id: string;
  readonly client: BricksClient<User>;
  readonly requests = new PendingRequests();
  /** Something arrived (a frame or a pong) since the last ping of the sweep. */
  alive = true;
  #state: State = 'open';
  /** Handler calls for this client's frames whose promise has not settled. */
  #running = 0;
  /** Reading stopped at `handlerLimit` running handler calls, until one finishes. */
  #paused = false;
  #socket: WebSocket;
  #host: ConnectionHost;

  constructor(socket: WebSocket, id: string, user: User, host: ConnectionHost) {
    this.id = id;
    this.#socket = socket;
    this.#host = host;
    this.client = new BricksClient(id, user, this);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.alive = true;
      host.received(this, data, isBinary);
    });
    socket.on('pong', () => {
      this.alive = true;
    });
    // ws reports a client's protocol violation (a frame over maxPayload, bad UTF-8) here, then
    // closes with the matching code (1009, 1007); the frame is dropped. Not the server's error.
    socket.on('error', () => {
      host.counters.dropped++;
    });
    socket.on('close', (code: number, reason: Buffer) => this.#closed(code, reason.toString()));
  }

  get member(): Member {
    return this;
  }

  get adapter(): Adapter {
    return this.#host.adapter;
  }

  get open(): boolean {
    return this.#state === 'open';
  }

  get state(): State {
    return this.#state;
  }

  /**
   * Whether the socket is read. While the server stops reading (at `handlerLimit`), the peer's
   * pongs wait unread too: that silence is the server's, and the ping sweep does not count it.
   */
  get reading(): boolean {
    return !this.#paused;
  }

  /**
   * Counts a handler call until `done` settles. At `handlerLimit` the socket is read no more, so
   * the peer's frames wait in its own buffers and TCP's instead of as handler calls in this
   * process; frames of the data already read still run, so the count may pass the limit by those.
   */
  running(done: Promise<void>): void {
    this.#running++;
    if (!this.#paused && this.#running >= this.#host.handlerLimit) {
      this.#paused = true;
      this.#socket.pause();
    }
    const finished = () => {
      this.#running--;
      if (this.#paused && this.#running < this.#host.handlerLimit) {
        this.#paused = false;
        this.alive = true;
        this.#socket.resume();
      }
    };
    done.then(finished, finished);
  }

  nextRequestId(): string {
    return this.#host.nextRequestId();
  }

  deliver(frame: OutgoingFrame): boolean {
    return this.#send(frame.bytes);
  }

  write(text: string): boolean {
    return this.#send(Buffer.from(text));
  }

  close(code: number, reason: string): void {
    this.#close(code, reason, () => new DOMException('The client was closed before the reply arrived.', 'AbortError'));
  }

  /** The protocol-level ping of the liveness sweep. */
  ping(): void {
    if (this.#state === 'open') this.#socket.ping();
  }

  /** Drops the connection without a close handshake: a dead peer, or one that outlived `close()`'s timeout. */
  terminate(): void {
    this.#socket.terminate();
  }

  #send(bytes: Uint8Array): boolean {
    if (this.#state !== 'open') return false;
    const buffered = this.#socket.bufferedAmount;
    // A frame larger than the limit still goes to a client that has taken everything so far.
    if (buffered > 0 && buffered + bytes.byteLength > this.#host.sendLimit) {
      this.#host.counters.slowCloses++;
      // It reconnects, and a page that reads again gets its frames again, instead of this
      // process holding an ever longer backlog for it.
      this.#close(1013, 'too slow', () => new DOMException('The client was too slow to read, so it was closed before the reply arrived.', 'NetworkError'));
      return false;
    }
    this.#socket.send(bytes, TEXT);
    this.#host.counters.framesOut++;
    return true;
  }

  #close(code: number, reason: string, ending: () => unknown): void {
    const problem = closeProblem(code, reason);
    if (problem !== null) throw new TypeError(`close(code, reason): ${problem}`);
    if (this.#state !== 'open') return;
    this.#socket.close(code, reason);
    this.#state = 'closing';
    this.requests.endAll(ending);
  }

  #closed(code: number, reason: string): void {
    this.#state = 'closed';
    this.requests.endAll(() => new DOMException('The connection closed before the reply arrived; the request was not resent.', 'NetworkError'));
    this.#host.adapter.remove(this).catch((error: unknown) => this.#host.fail(error, this.client as BricksClient<unknown>));
    this.#host.closed(this, code, reason);
  }
}
