/**
 * The adapter: where rooms live, how a frame reaches the clients of a room or all of them, and
 * everything `resume` needs to outlive one socket (numbered streams, their history, each page's
 * stream state). The server owns the sockets of this instance and what runs on them (handlers,
 * timers); the adapter owns membership, fan-out and every piece of state another instance or a
 * restarted one would need. The in-memory adapter (memory-adapter.ts) serves one instance; an
 * adapter backed by shared state (Redis) serves many with the same calls, so the server never
 * asks which one it has.
 *
 * Every frame sent to a room or to everyone passes through `broadcast()` exactly once, already
 * encoded: that is where the adapter numbers a room's frames and keeps them for clients that
 * come back (one order per room, assigned in one place), and where it hands them to other
 * instances.
 *
 * ## Resume, as the adapter sees it (PROTOCOL.md, "Resume")
 *
 * A page with `resume` has a stream, named by a token the server makes (128 random bits or
 * more). A stream has:
 * - an owner: a string the server derives from `authenticate`'s result; a token resumes only
 *   for its owner;
 * - `handled`: the highest number up to which the page's frames have been handled, so that frames
 *   the page sends again after a reconnect are dropped instead of handled twice;
 * - the page's own name for it (the hello's `stream`), with the owner, until its token resumes it:
 *   a page whose first answer was lost says no token, and the new stream numbers its frames on
 *   from this one's `handled`;
 * - its own stream (key `''`, `OWN_STREAM`): the frames sent to this page alone (`client.send()`,
 *   replies, the server's requests), numbered 1, 2, ... and the last `history.size` of them kept;
 * - its rooms, each with the room number at which the stream joined (the frames after it are the
 *   stream's), and the everyone stream's (`'*'`) number when the stream began.
 *
 * Each room that has a stream in it (attached or waiting for its page) and the everyone stream
 * (while any stream exists) number their frames in `broadcast()` and keep the last
 * `history.size` of them. A room nobody resumes in numbers and keeps nothing: plain clients cost
 * nothing extra. A stream whose page has gone (`remove()`) is kept `history.ttl` ms, then
 * forgotten with everything only it needed. Frames older than `history.ttl` are never given back.
 */
import type { HistoryLimits } from '../protocol/resume.js';

export type { HistoryLimits } from '../protocol/resume.js';

/** What `appendOwn()` returns for a frame it passed on to the instance holding the stream. */
export const PASSED = 'passed';

/** A frame encoded once for every receiver: the JSON text and its UTF-8 bytes. */
export interface OutgoingFrame {
  readonly text: string;
  readonly bytes: Uint8Array;
}

/**
 * A frame of a numbered stream, as resume sockets get it: the frame with `"n"` and, for a room
 * or everyone, `"r"` (`withNumber()` in src/protocol/resume-frames.ts writes it).
 */
export interface NumberedFrame extends OutgoingFrame {
  /** `''` for a page's own stream, the room's name, or `'*'` for everyone. */
  readonly stream: string;
  readonly n: number;
  /**
   * Set by `appendOwn()` on an own frame the adapter delivers itself, later: the server sends
   * nothing for it now, and the adapter hands it to `AdapterHost.sendOwn()` once it is kept (so a
   * page never has a frame its stream lost), in the order the frames were numbered.
   */
  readonly later?: true;
}

/** A client of this instance, as the adapter sees it. */
export interface Member {
  /** Unique across instances. */
  readonly id: string;
  /**
   * Hands a broadcast to the client's socket; false when the client is gone or too slow to take
   * it. `numbered` is the same frame numbered in its stream, given when the stream is numbered
   * (some member resumes in it): a resume socket sends that one, any other the plain `frame`.
   */
  deliver(frame: OutgoingFrame, numbered?: NumberedFrame): boolean;
}

/** What the server offers an adapter. */
export interface AdapterHost {
  /**
   * Reports a failure the adapter carries on after (a lost connection to shared state), as the
   * server's `error` event; its message says what failed.
   */
  error(error: Error): void;
  /** The server's `history` option: how many frames each stream keeps, and how long. */
  readonly history: HistoryLimits;
  /**
   * `member`'s stream was taken over by a newer socket of its page (`attachStream()` for the
   * same token, on this instance or another): the server closes `member`, which the page has
   * given up on. An adapter calls it on the instance `member` is on.
   */
  displaced(member: Member): void;
  /**
   * This instance's name, unique across instances and restarts: client ids begin with it
   * (`<instance>-<n>`), and so do the ids of the server's requests (`<instance>.<n>`), so an
   * adapter over shared state can tell which instance a reply belongs to.
   */
  readonly instance: string;
  /**
   * A frame of stream `token`'s own stream, which another instance sent (the client of an older
   * socket of the page, there) and passed on to this one, which holds the stream: numbered and
   * sent here as `client.send()` would.
   */
  write(token: string, text: string): void;
  /**
   * A frame `appendOwn()` returned with `later` set, now kept (or it could not be, Redis being
   * lost): the server sends it as it sends a frame `appendOwn()` returns, to the socket stream
   * `token` is attached to on this instance, or to the one whose hello for `token` waits.
   * Called in the order the frames were numbered, never for a frame passed on instead.
   */
  sendOwn(token: string, frame: NumberedFrame): void;
  /**
   * Another instance asked to put the client of `member` (attached to a stream here) in `room`,
   * or, `join` false, to take it out: the client of an older socket of the page did, there.
   */
  changeRoom(member: Member, room: string, join: boolean): void;
  /** A reply from stream `token`'s page to a request of this instance, which reached another instance (the page moved there). */
  replied(token: string, text: string): void;
}

/** A page's hello, as the server hands it to `attachStream()`. */
export interface StreamRequest {
  /** The token the page presented: null on its first socket, or any string (maybe forged). */
  readonly token: string | null;
  /** A new token (128 random bits, base64url) for the stream to start when `token` resumes nothing. */
  readonly fresh: string;
  /** Who `authenticate` says this connection is: a stream resumes only for the owner it began with. */
  readonly owner: string;
  /** The last number the page has of each stream (`''`, room names, `'*'`); other keys are ignored. */
  readonly seen: Readonly<Record<string, number>>;
  /** The number of the first frame the page sends on this socket: a new stream's `handled` is one less. */
  readonly next: number;
  /**
   * The page's own name for its stream (the hello's `stream`), or null. When `token` resumes
   * nothing, the stream an earlier hello with this name and this owner began, if its token has
   * not resumed it since and it has not expired, hands its `handled` on to the new stream: that
   * page never learnt its token (the answer was lost with its first socket), and sends again the
   * frames it handed on.
   */
  readonly stream: string | null;
}

/** What `attachStream()` found. */
export interface StreamStart {
  /** The stream's token: the one presented when it resumed, else `fresh`. */
  readonly token: string;
  /**
   * True when `missed` is everything the page missed, or the stream is new because `token` was
   * null and continues none. False when the token resumed nothing (unknown, expired, another owner's: a new stream
   * began) or a frame the page missed is no longer kept (the stream goes on, without them).
   */
  readonly recovered: boolean;
  /** The highest number up to which the page's frames have been handled. */
  readonly handled: number;
  /** For a new stream that continues one named by the page's `stream`: that stream's token (its handlers may still run here). */
  readonly continues?: string;
  /** The rooms the stream is in; the member is in them already. */
  readonly rooms: readonly string[];
  /**
   * The frames the page missed, oldest first within each stream: of its own stream after
   * `seen['']`, of each of its rooms after `seen[room]` (or where it joined, whichever is later),
   * of everyone after `seen['*']` (or where the stream began). Empty when not `recovered`.
   */
  readonly missed: readonly NumberedFrame[];
}

export interface Adapter {
  /** Called once, before any other method, by the server that uses this adapter. */
  attach(host: AdapterHost): void;
  /** A client without resume connected to this instance: it receives `broadcast(null, ...)` from now on. */
  add(member: Member): void;
  /**
   * A client with resume said its hello: in one step, find the stream `request.token` names
   * (when it exists, has not expired and belongs to `request.owner`) or begin a new one named
   * `request.fresh`, attach `member` to it (it receives `broadcast(null, ...)` and its stream's
   * rooms' broadcasts from now on, numbered), and collect what the page missed. A new stream
   * continues the page-frame numbering of the one `request.stream` names (`StreamRequest.stream`),
   * whose member, if it still has one, is displaced as below. Nothing of a
   * stream reaches a page whose owner differs. A stream attached to another member is taken from
   * it: that member receives none of the stream's frames any more, and `AdapterHost.displaced()`
   * is called for it where it is.
   *
   * Frames broadcast between collecting `missed` and attaching may reach the member twice (live,
   * and in `missed`): the server drops a number it has sent already, so an adapter that cannot
   * do both in one step may let that happen, but must not let a frame fall between them.
   */
  attachStream(member: Member, request: StreamRequest): Promise<StreamStart>;
  /**
   * The client has gone: it leaves every room and receives nothing more. Its stream, if it has
   * one, stays in its rooms (which keep numbering and keeping frames for it) for `history.ttl`
   * ms, for the page to resume; then it is forgotten.
   */
  remove(member: Member): Promise<void>;
  /**
   * Puts the client in `room`, for every instance that broadcasts to it; a stream's frames of the
   * room start after the room's number now. For a member that has gone (`remove()`) whose stream
   * waits for its page (attached to no member, not forgotten), puts the stream in `room`, so the
   * page comes back in it; otherwise does nothing for a member that has gone.
   */
  join(member: Member, room: string): Promise<void>;
  /**
   * Takes the client, and its stream, out of `room`; for a member that has gone, its stream while
   * it waits for its page. For a member that has gone whose stream another member took (on
   * another instance, with an adapter over shared state), `join` and `leave` act on that member
   * (`AdapterHost.changeRoom()` where it is), or on the stream while its page is away.
   */
  leave(member: Member, room: string): Promise<void>;
  /**
   * Delivers `frame` to every member of `room` (every client when `room` is null) on every
   * instance. When the room (or everyone, for null) has a stream in it, numbers the frame first,
   * the next number of that room's one order, keeps it, and gives resume members the numbered
   * frame: number, keep and publish in one step, so every instance delivers one order. Fire and
   * forget: failures to reach other instances go to `AdapterHost.error`.
   */
  broadcast(room: string | null, frame: OutgoingFrame): void;
  /**
   * Numbers `text` (an encoded frame) as the next frame of stream `token`'s own stream, keeps
   * it, and returns it numbered, for the server to send if the page is attached here. Called in
   * the order the frames are sent, by the instance the stream is attached to, or by one that
   * still runs a handler of the stream's page (a reply finishing after the page moved on).
   * Synchronous so that `client.send()` keeps its order: an adapter over shared state numbers
   * with a counter it holds while the stream is attached to it (`attachStream()` read the last
   * number), and writes it through: it returns the frame with `later` set and delivers it with
   * `AdapterHost.sendOwn()` once the shared state has it, so that a page that comes back on
   * another instance has no frame that instance cannot count (when the write finds another
   * instance holding the stream, it passes the frame on instead, as below, and the page gets it
   * once, from there, numbered again). The server maps its requests to the number returned.
   * `PASSED` when another instance holds the stream (the
   * page moved there): an adapter over shared state passes the frame on, in order, to be numbered
   * and sent there, where `AdapterHost.write()` gets it (so a late reply, or `client.send()` on
   * the client of the page's older socket, still reaches the page); the server sends nothing
   * itself. Null when the stream is gone (expired, never begun).
   */
  appendOwn(token: string, text: string): NumberedFrame | typeof PASSED | null;
  /**
   * The page's frames of stream `token` are handled up to `n` (it only grows): what a later
   * `attachStream()` returns as `handled`, so that frames sent again are dropped. Fire and
   * forget; called each time it grows, so an adapter over shared state may coalesce the writes.
   */
  handled(token: string, n: number): void;
  /**
   * A reply (`text`, encoded) from the page of stream `token` to request `id`, which this instance
   * did not make: the page moved here while a request of another instance waited for it. Passes
   * it to that instance (named by the id, `AdapterHost.instance`), whose `AdapterHost.replied()`
   * settles it. False when there is nobody to pass it to (one instance), and the server drops it.
   */
  reply(token: string, id: string, text: string): boolean;
  /** Rooms with at least one member on this instance. */
  roomCount(): number;
  /** Resume streams this adapter keeps (attached, or waiting for their page) as far as this instance knows. */
  streamCount(): number;
  /** Releases everything the adapter holds (connections, timers); called by `BricksServer.close()`. */
  close(): Promise<void>;
}
