/**
 * One client's connection: its socket and the state it goes through (hello, open, closing,
 * closed), the send path with its `sendLimit` check, liveness for the protocol-level ping sweep,
 * and the end of its requests and room memberships when it closes. The server reads frames
 * through `ConnectionHost.received`; the application sees only the `BricksClient` this creates.
 *
 * A resume socket (the page offered `bricks.resume.1`) starts in `hello`: its first frame goes to
 * `ConnectionHost.hello`, the frames after it wait until its stream is attached (`start()`), and
 * so do the broadcasts that reach it meanwhile. From then on it sends numbered frames, each
 * number of a stream once, and its own frames go through its stream (resume.ts).
 */
import type { WebSocket } from 'ws';
import { CloseCode, isSendableCloseCode } from '../protocol/close-codes.js';
import { PASSED, type Adapter, type Member, type NumberedFrame, type OutgoingFrame } from './adapter.js';
import { BricksClient, restoreRooms, type ClientLink } from './client.js';
import { PendingRequests } from './requests.js';
import type { ResumeStream, StreamSocket } from './resume.js';
import type { Counters } from './stats.js';

/** Milliseconds a resume socket may take to send its hello before it is closed with 1002. */
export const HELLO_TIMEOUT = 10_000;
/**
 * Frames a resume socket may have read before its stream is attached; more closes it with 1008.
 * The socket stops reading at the hello, so only what was already read piles up: a page's resent
 * frames wait in TCP, whatever its queue-limit.
 */
const HELD_LIMIT = 100_000;

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly adapter: Adapter;
  readonly counters: Counters;
  /** Bytes a socket may hold unsent before its client counts as slow. */
  readonly sendLimit: number;
  /** The resume streams of this instance, by token: where a socket's own frames go. */
  readonly streams: ReadonlyMap<string, ResumeStream>;
  /** Handler calls of one client running at once before its socket is read no more. */
  readonly handlerLimit: number;
  nextRequestId(): string;
  /** A frame of stream `token`'s own stream was numbered and kept (for the sockets whose hello names that token). */
  written(token: string, frame: NumberedFrame): void;
  /** A resume socket's first frame, which must be its hello. */
  hello(connection: Connection, data: Buffer, isBinary: boolean): void;
  received(connection: Connection, data: Buffer, isBinary: boolean): void;
  closed(connection: Connection, code: number, reason: string): void;
  fail(error: unknown, client?: BricksClient<unknown>): void;
}

/**
 * `hello`: a resume socket waiting for its hello and its stream; frames both ways wait.
 * `open`: frames flow both ways. `closing`: a close frame is on its way (asked for by the
 * application, the server's `close()`, or a slow socket); nothing more is sent, frames that
 * still arrive are read. `closed`: the socket is gone.
 */
type State = 'hello' | 'open' | 'closing' | 'closed';

/** Why a close frame cannot carry `code` and `reason`, or null when it can. */
export function closeProblem(code: unknown, reason: unknown): string | null {
  if (!isSendableCloseCode(code)) return `${String(code)} is not a close code a server may send: use 1000-1003, 1007-1014 or 3000-4999.`;
  if (typeof reason !== 'string' || Buffer.byteLength(reason) > 123) return 'the reason must be a string of at most 123 bytes of UTF-8.';
  return null;
}

/** Text frames sent as the UTF-8 bytes already made, so a broadcast is encoded once for all. */
const TEXT = { binary: false } as const;

export class Connection<User = unknown> implements Member, ClientLink, StreamSocket {
  readonly id: string;
  readonly client: BricksClient<User>;
  /** Something arrived (a frame or a pong) since the last ping of the sweep. */
  alive = true;
  #state: State;
  /** Handler calls for this client's frames whose promise has not settled. */
  #running = 0;
  /** Reading stopped at `handlerLimit` running handler calls, until one finishes. */
  #paused = false;
  #socket: WebSocket;
  #host: ConnectionHost;
  #requests = new PendingRequests();
  /** A resume socket's stream, once attached. */
  #stream: ResumeStream | null = null;
  /** Frames read while in `hello`, after the hello itself. */
  #held: [Buffer, boolean][] | null = null;
  /** Numbered frames to send once the stream is attached and the page has its answer. */
  #queue: NumberedFrame[] | null = null;
  /** The last number sent of each stream, so no number goes twice. */
  #sent: Map<string, number> | null = null;
  #helloTimer: ReturnType<typeof setTimeout> | undefined;
  #displaced = false;
  /** Own-stream frames numbered while the hello waited for the adapter, with the token of their stream. */
  #early: [string, NumberedFrame][] | null = null;

  constructor(socket: WebSocket, id: string, user: User, host: ConnectionHost, resume = false) {
    this.id = id;
    this.#socket = socket;
    this.#host = host;
    this.client = new BricksClient(id, user, this);
    this.#state = resume ? 'hello' : 'open';
    if (resume) {
      this.#held = [];
      this.#queue = [];
      this.#sent = new Map();
      this.#helloTimer = setTimeout(() => this.close(CloseCode.protocolError, 'no resume hello'), HELLO_TIMEOUT);
    }
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.alive = true;
      const held = this.#held;
      if (held === null) host.received(this, data, isBinary);
      else if (this.#helloTimer !== undefined) {
        clearTimeout(this.#helloTimer);
        this.#helloTimer = undefined;
        // Until the stream is attached, what the page sends after its hello waits in TCP.
        socket.pause();
        host.hello(this, data, isBinary);
      } else if (held.length < HELD_LIMIT) held.push([data, isBinary]);
      else this.close(CloseCode.policy, 'too many frames before the resume answer');
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

  /** The server's requests to this client: its stream's under resume, which a reconnect does not end. */
  get requests(): PendingRequests {
    return this.#stream?.requests ?? this.#requests;
  }

  /** The resume stream, once this resume socket's hello is answered. */
  get stream(): ResumeStream | null {
    return this.#stream;
  }

  /**
   * A newer socket of the page took its stream over: this one is closing, and the numbered
   * frames it still reads are the page's to send again there, where handlers get a live client.
   */
  get displaced(): boolean {
    return this.#displaced;
  }

  /** Closes a socket the page gave up on, whose stream a newer socket took over. */
  displace(): void {
    this.#displaced = true;
    this.close(CloseCode.policy, 'resumed on another connection');
  }

  get resumed(): BricksClient<any> | 'away' | null {
    const stream = this.#stream;
    if (stream === null || this.#state === 'open') return null;
    const socket = this.#host.streams.get(stream.token)?.socket;
    if (socket instanceof Connection && socket !== this) return socket.open ? socket.client : 'away';
    return 'away';
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

  deliver(frame: OutgoingFrame, numbered?: NumberedFrame): boolean {
    if (this.#sent === null || numbered === undefined) return this.#send(frame.bytes);
    return this.sendNumbered(numbered);
  }

  /** Sends a frame to this client: under resume, as the next frame of its own stream, kept for a reconnect. */
  write(text: string, request?: string): boolean {
    const stream = this.#stream;
    if (stream === null) return this.#send(Buffer.from(text));
    // The stream this instance holds for the token now, which a later socket of the page may have.
    const frame = (this.#host.streams.get(stream.token) ?? stream).write(text);
    if (frame === null) return false;
    // On its way to the instance the page moved to.
    if (frame === PASSED) return true;
    if (request !== undefined) stream.asked(request, frame.n);
    if (!frame.later) this.#host.written(stream.token, frame);
    return true;
  }

  /**
   * A frame of stream `token`'s own stream, numbered while this socket's hello, which names
   * `token`, waits for the adapter: after the adapter collected what the page missed, before the
   * stream is attached here. Sent after the missed frames if the hello resumes that stream.
   */
  early(token: string, frame: NumberedFrame): void {
    if (this.#state === 'hello') (this.#early ??= []).push([token, frame]);
  }

  sendNumbered(frame: NumberedFrame): boolean {
    if (this.#queue !== null) {
      this.#queue.push(frame);
      return true;
    }
    const sent = this.#sent!;
    if (frame.n <= (sent.get(frame.stream) ?? 0)) return true;
    sent.set(frame.stream, frame.n);
    return this.#send(frame.bytes);
  }

  /** Sends a frame outside the stream's numbering: resume's own frames, the heartbeat's pong. */
  sendControl(text: string): boolean {
    return this.#send(Buffer.from(text));
  }

  /**
   * The hello is answered: sends `answer`, then the frames the page missed, then those that came
   * meanwhile, and puts the client in its stream's rooms. `frames()` then hands on what the page
   * sent after its hello.
   */
  start(stream: ResumeStream, answer: string, missed: readonly NumberedFrame[], rooms: readonly string[]): void {
    if (this.#state !== 'hello') return;
    this.#state = 'open';
    this.#stream = stream;
    this.client[restoreRooms](rooms);
    this.#send(Buffer.from(answer));
    const queue = this.#queue!;
    this.#queue = null;
    for (const frame of missed) this.sendNumbered(frame);
    // Before the queue, which may hold later frames of the same stream; numbers sent are skipped.
    for (const [token, frame] of this.#early ?? []) if (token === stream.token) this.sendNumbered(frame);
    this.#early = null;
    for (const frame of queue) this.sendNumbered(frame);
  }

  /** Hands on the frames the page sent after its hello, which waited for `start()`. */
  frames(): void {
    const held = this.#held;
    this.#held = null;
    for (const [data, isBinary] of held ?? []) {
      if (this.#state === 'closed') return;
      this.#host.received(this, data, isBinary);
    }
    // Unless those frames' handlers reached handlerLimit: then the call that brings the count back
    // under it resumes (running()).
    if (!this.#paused) this.#socket.resume();
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
      // process holding an ever longer backlog for it. Under resume they are kept for it, and
      // so are the server's requests: slowness costs it delay, not data.
      this.#close(1013, 'too slow', this.#stream ? null : () => new DOMException('The client was too slow to read, so it was closed before the reply arrived.', 'NetworkError'));
      return false;
    }
    this.#socket.send(bytes, TEXT);
    this.#host.counters.framesOut++;
    return true;
  }

  #close(code: number, reason: string, ending: (() => unknown) | null): void {
    const problem = closeProblem(code, reason);
    if (problem !== null) throw new TypeError(`close(code, reason): ${problem}`);
    if (this.#state === 'closing' || this.#state === 'closed') return;
    clearTimeout(this.#helloTimer);
    this.#helloTimer = undefined;
    // A socket paused at its hello reads again, for the page's close frame.
    if (this.#state === 'hello') this.#socket.resume();
    this.#socket.close(code, reason);
    this.#state = 'closing';
    if (ending) this.requests.endAll(ending);
  }

  #closed(code: number, reason: string): void {
    this.#state = 'closed';
    clearTimeout(this.#helloTimer);
    this.#helloTimer = undefined;
    this.#held = this.#queue = this.#early = null;
    if (this.#stream) this.#stream.detach(this);
    else this.#requests.endAll(() => new DOMException('The connection closed before the reply arrived; the request was not resent.', 'NetworkError'));
    this.#host.adapter.remove(this).catch((error: unknown) => this.#host.fail(error, this.client as BricksClient<unknown>));
    this.#host.closed(this, code, reason);
  }
}
