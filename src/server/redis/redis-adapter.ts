/**
 * The Redis adapter: rooms and broadcasts across server instances, Redis doing the distribution.
 * Each instance keeps its own clients and their rooms (as the in-memory adapter does) and
 * subscribes to the channel of every room it has a member in, and to everyone's. A broadcast is
 * numbered, kept and published by one script (streams.ts), and every instance, the sender
 * included, delivers it when it comes back from Redis: so each room's frames reach every
 * receiver in one order, the order of their numbers, and each instance turns a frame into bytes
 * once for all its clients.
 *
 * States: `idle` (not attached yet), `connecting` (a link is being made), `up` (broadcasts go
 * through Redis), `down` (waiting to try again), `closed`. Whenever it is not `up`, a broadcast
 * goes to this instance's clients at once, and only to them.
 */
import { EventEmitter } from 'node:events';
import { EVERYONE_STREAM, OWN_STREAM, type HistoryLimits } from '../../protocol/resume.js';
import { withNumber } from '../../protocol/resume-frames.js';
import type { Adapter, AdapterHost, Member, NumberedFrame, OutgoingFrame, StreamRequest, StreamStart } from '../adapter.js';
import { Backoff } from './backoff.js';
import { Link, type ConnectionFactory } from './link.js';
import { missedSince, parseEntry, streamKeys, type Entry, type StreamKeys } from './streams.js';

/** Frames remembered as delivered here after a failed publish. */
const MAX_DELIVERED_HERE = 10_000;

type State = 'idle' | 'connecting' | 'up' | 'down' | 'closed';

export type { HistoryLimits };

export interface RedisAdapterSettings {
  readonly connect: ConnectionFactory;
  /** Where it connects, for messages. */
  readonly target: string;
  readonly prefix: string;
  /** Until `attach()`: then the server's `history` option. */
  history: HistoryLimits;
}

/**
 * A page's resume stream, as this instance keeps it. Resume across instances is not built yet:
 * a stream lives here, with its page's socket, and ends when that socket goes, so a page that
 * comes back (here or elsewhere) gets `recovered: false` and a new stream, never a gap it is not
 * told about.
 */
interface ResumeStream {
  readonly token: string;
  /** The last number of its own stream. */
  own: number;
}

/** One stream this instance listens to: a room with members here, or everyone. */
interface Stream {
  readonly room: string | null;
  readonly keys: StreamKeys;
  /** The number of the last frame delivered from Redis; 0 before the first. */
  last: number;
  /** Frames that arrived while the stream catches up after a reconnect, delivered after it; null otherwise. */
  held: Entry[] | null;
  /** Settles once Redis has confirmed the subscription (or the link was lost meanwhile). */
  subscribed: Promise<void>;
}

/** A frame this instance published and has not yet seen come back. */
interface Sent {
  readonly room: string | null;
  readonly frame: OutgoingFrame;
  /** Redis ran the script: the frame is in its history even if it never comes back on this link. */
  published: boolean;
}

export class RedisAdapter extends EventEmitter implements Adapter {
  #settings: RedisAdapterSettings;
  #state: State = 'idle';
  #host: AdapterHost | undefined;
  #link: Link | undefined;
  #backoff = new Backoff();
  #retry: ReturnType<typeof setTimeout> | undefined;
  /** The link being made, which `close()` waits for. */
  #attempt: Promise<void> | undefined;
  /** Whether the last link was up: the first failure after it is reported as a loss. */
  #wasUp = false;

  #members = new Set<Member>();
  #rooms = new Map<string, Set<Member>>();
  #memberships = new Map<Member, Set<string>>();
  /** By channel. */
  #streams = new Map<string, Stream>();
  /** Resume streams of this instance's pages, by token. */
  #resumeStreams = new Map<string, ResumeStream>();
  /** The stream of each resume member: it gets numbered frames. */
  #attached = new Map<Member, ResumeStream>();

  /** Unique per instance, so its frames can be told apart when they come back. */
  #origin = `${process.pid.toString(36)}.${Math.random().toString(36).slice(2, 10)}`;
  #sentCount = 0;
  /** By origin. */
  #sent = new Map<string, Sent>();
  /** Frames whose publishing failed and which went to this instance's clients instead: skipped if Redis has them after all. */
  #deliveredHere = new Set<string>();

  constructor(settings: RedisAdapterSettings) {
    super();
    this.#settings = settings;
    this.#stream(null);
  }

  /** Whether broadcasts currently go through Redis (to every instance). */
  get connected(): boolean {
    return this.#state === 'up';
  }

  attach(host: AdapterHost): void {
    if (this.#state !== 'idle') throw new Error('redisAdapter(): this adapter is already attached to a server; make one per server.');
    this.#host = host;
    this.#settings.history = host.history;
    this.#connect();
  }

  add(member: Member): void {
    this.#members.add(member);
  }

  async attachStream(member: Member, request: StreamRequest): Promise<StreamStart> {
    // Resume across reconnects is not kept here yet (see ResumeStream): every hello begins a
    // stream, and one that presented a token is told it was not recovered.
    const stream: ResumeStream = { token: request.fresh, own: 0 };
    this.#resumeStreams.set(stream.token, stream);
    this.#attached.set(member, stream);
    this.#members.add(member);
    return { token: stream.token, recovered: request.token === null, handled: request.next - 1, rooms: [], missed: [] };
  }

  async remove(member: Member): Promise<void> {
    this.#members.delete(member);
    for (const room of this.#memberships.get(member) ?? []) this.#drop(member, room);
    this.#memberships.delete(member);
    const stream = this.#attached.get(member);
    if (stream) {
      this.#attached.delete(member);
      this.#resumeStreams.delete(stream.token);
    }
  }

  async join(member: Member, room: string): Promise<void> {
    if (!this.#members.has(member)) return;
    let members = this.#rooms.get(room);
    if (!members) this.#rooms.set(room, (members = new Set()));
    members.add(member);
    let rooms = this.#memberships.get(member);
    if (!rooms) this.#memberships.set(member, (rooms = new Set()));
    rooms.add(room);
    await (this.#streams.get(streamKeys(this.#settings.prefix, room).channel) ?? this.#stream(room)).subscribed;
  }

  async leave(member: Member, room: string): Promise<void> {
    this.#memberships.get(member)?.delete(room);
    this.#drop(member, room);
  }

  broadcast(room: string | null, frame: OutgoingFrame): void {
    const link = this.#link;
    if (this.#state !== 'up' || !link) {
      this.#deliver(room, frame);
      return;
    }
    const origin = `${this.#origin}.${(++this.#sentCount).toString(36)}`;
    const sent: Sent = { room, frame, published: false };
    this.#sent.set(origin, sent);
    const keys = streamKeys(this.#settings.prefix, room);
    const { history } = this.#settings;
    const published = link.publish([keys.numbering, keys.history], [keys.channel, origin, frame.text, String(history.size), String(history.ttl)]);
    published.then(
      () => {
        sent.published = true;
      },
      (error: unknown) => {
        if (this.#state === 'closed' || !this.#sent.delete(origin)) return;
        // Not sent, or sent and lost with the link: this instance's clients get it now, and if
        // Redis did have it after all, it is skipped when it comes back.
        this.#deliveredHere.add(origin);
        // Those never published never come back: the oldest are forgotten.
        for (const old of this.#deliveredHere) {
          if (this.#deliveredHere.size <= MAX_DELIVERED_HERE) break;
          this.#deliveredHere.delete(old);
        }
        this.#deliver(room, frame);
        if (this.#link === link && this.#state === 'up') {
          this.#report(`could not send a frame to ${describe(room)} through Redis (${reason(error)}); it went to this instance's clients only`, error);
        }
      },
    );
  }

  appendOwn(token: string, text: string): NumberedFrame | null {
    const stream = this.#resumeStreams.get(token);
    if (!stream) return null;
    const n = ++stream.own;
    const numbered = withNumber(text, n, OWN_STREAM);
    return { stream: OWN_STREAM, n, text: numbered, bytes: Buffer.from(numbered) };
  }

  handled(_token: string, _n: number): void {
    // Kept nowhere yet: a stream never outlives its socket (see ResumeStream).
  }

  roomCount(): number {
    return this.#rooms.size;
  }

  streamCount(): number {
    return this.#resumeStreams.size;
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#retry);
    this.#retry = undefined;
    const link = this.#link;
    this.#link = undefined;
    this.#members.clear();
    this.#rooms.clear();
    this.#memberships.clear();
    this.#streams.clear();
    this.#resumeStreams.clear();
    this.#attached.clear();
    this.#sent.clear();
    this.#deliveredHere.clear();
    // A link still being made is closed as soon as it is (#up), before this resolves.
    await this.#attempt;
    await link?.close();
  }

  // ── the link ────────────────────────────────────────────────────────────

  #connect(): void {
    this.#state = 'connecting';
    this.#retry = undefined;
    // After a loss, what arrives while subscribing again waits until the missed frames are read.
    if (this.#wasUp) for (const stream of this.#streams.values()) if (stream.last > 0) stream.held ??= [];
    const channels = [...this.#streams.keys()];
    const attempt: { link?: Link } = {};
    this.#attempt = Link.open(this.#settings.connect, channels, {
      message: (raw, channel) => this.#received(raw, channel),
      lost: (cause) => {
        if (attempt.link && this.#link === attempt.link) this.#lost(cause);
      },
    }).then(
      (link) => {
        attempt.link = link;
        return this.#up(link, new Set(channels));
      },
      (error: unknown) => this.#failed(error),
    );
  }

  async #up(link: Link, subscribed: Set<string>): Promise<void> {
    if (this.#state === 'closed' || !link.open) {
      await link.close();
      if (this.#state !== 'closed') this.#failed(new Error('the connection closed'));
      return;
    }
    this.#link = link;
    this.#state = 'up';
    this.#backoff.reset();
    const catchUp = this.#wasUp;
    this.#wasUp = true;
    // Rooms joined or left while the link was being made.
    for (const [channel, stream] of this.#streams) {
      if (!subscribed.has(channel)) stream.subscribed = this.#subscribe(link, channel);
      else if (catchUp && stream.held) void this.#catchUp(link, stream);
    }
    for (const channel of subscribed) if (!this.#streams.has(channel)) link.unsubscribe(channel).catch(() => {});
    this.emit('connected');
  }

  #lost(cause: Error): void {
    if (this.#state === 'closed') return;
    this.#link = undefined;
    this.#state = 'down';
    for (const stream of this.#streams.values()) this.#release(stream);
    // Published frames that had not come back yet come with the catching up, or not at all;
    // the others are delivered here when their publishing fails.
    for (const [origin, sent] of this.#sent) if (sent.published) this.#sent.delete(origin);
    const delay = this.#backoff.next();
    this.#report(
      `lost the connection to Redis at ${this.#settings.target} (${reason(cause)}); until it is back, frames sent on this instance reach only its own clients and frames from other instances do not arrive. Reconnecting in ${delay} ms`,
      cause,
    );
    this.emit('disconnected');
    this.#retry = setTimeout(() => this.#connect(), delay);
  }

  #failed(error: unknown): void {
    if (this.#state === 'closed') return;
    this.#state = 'down';
    for (const stream of this.#streams.values()) this.#release(stream);
    const delay = this.#backoff.next();
    this.#report(
      `${this.#wasUp ? 'still cannot reach' : 'could not connect to'} Redis at ${this.#settings.target} (${reason(error)}); this instance's frames reach only its own clients until it does. Trying again in ${delay} ms`,
      error,
    );
    this.#retry = setTimeout(() => this.#connect(), delay);
  }

  /** Subscribes; once confirmed after a reconnect, fetches what the stream missed. Never rejects. */
  async #subscribe(link: Link, channel: string): Promise<void> {
    try {
      await link.subscribe(channel);
    } catch (error) {
      // A lost link reports itself; the next link subscribes again.
      if (this.#link === link) this.#report(`could not subscribe to ${channel} in Redis (${reason(error)})`, error);
      return;
    }
    const stream = this.#streams.get(channel);
    if (stream?.held && this.#link === link) await this.#catchUp(link, stream);
  }

  /** Delivers, in order, the frames of `stream` published while this instance had no link, from Redis' history. */
  async #catchUp(link: Link, stream: Stream): Promise<void> {
    try {
      const { numbering, history } = await link.read(stream.keys.numbering, stream.keys.history);
      const entries = history.map(parseEntry).filter((entry): entry is Entry => entry !== null);
      const missed = missedSince(stream.last, numbering, entries);
      if (missed.gap) {
        const { size, ttl } = this.#settings.history;
        this.#report(`some frames to ${describe(stream.room)} sent while this instance was cut off from Redis are no longer in its history (the last ${size} of each room, for ${ttl} ms), so this instance's clients missed them`);
      }
      if (this.#streams.get(stream.keys.channel) === stream) for (const entry of missed.entries) this.#take(stream, entry);
    } catch (error) {
      if (this.#link === link) this.#report(`could not read what ${describe(stream.room)} missed from Redis (${reason(error)})`, error);
    } finally {
      const held = stream.held ?? [];
      stream.held = null;
      for (const entry of held) this.#take(stream, entry);
    }
  }

  // ── frames ──────────────────────────────────────────────────────────────

  #received(raw: string, channel: string): void {
    const stream = this.#streams.get(channel);
    const entry = parseEntry(raw);
    if (!stream || !entry) return;
    if (stream.held) stream.held.push(entry);
    else this.#take(stream, entry);
  }

  /** A numbered frame from Redis: delivered unless it was already (a repeat, or ours sent here when Redis seemed to fail). */
  #take(stream: Stream, entry: Entry): void {
    if (entry.n <= stream.last) return;
    stream.last = entry.n;
    const sent = this.#sent.get(entry.origin);
    if (sent) this.#sent.delete(entry.origin);
    if (this.#deliveredHere.delete(entry.origin)) return;
    // Our own frame is already encoded; another instance's is encoded here, once for all.
    this.#deliver(stream.room, sent?.frame ?? { text: entry.text, bytes: Buffer.from(entry.text) }, entry.n);
  }

  /**
   * Hands `frame` to the members of `room` (everyone for null). Resume members get it numbered
   * with Redis' number `n` in the room's stream (made once, when the first of them needs it);
   * a frame delivered without Redis (`n` undefined: the link is down) goes to them unnumbered.
   */
  #deliver(room: string | null, frame: OutgoingFrame, n?: number): void {
    const members = room === null ? this.#members : this.#rooms.get(room);
    if (!members) return;
    let numbered: NumberedFrame | undefined;
    for (const member of members) {
      if (n !== undefined && numbered === undefined && this.#attached.has(member)) {
        const name = room ?? EVERYONE_STREAM;
        const text = withNumber(frame.text, n, name);
        numbered = { stream: name, n, text, bytes: Buffer.from(text) };
      }
      member.deliver(frame, this.#attached.has(member) ? numbered : undefined);
    }
  }

  // ── streams ─────────────────────────────────────────────────────────────

  #stream(room: string | null): Stream {
    const keys = streamKeys(this.#settings.prefix, room);
    const stream: Stream = { room, keys, last: 0, held: null, subscribed: Promise.resolve() };
    this.#streams.set(keys.channel, stream);
    const link = this.#link;
    if (this.#state === 'up' && link) stream.subscribed = this.#subscribe(link, keys.channel);
    return stream;
  }

  /** After a lost link: nothing is subscribed any more, and what was being caught up is delivered as it is. */
  #release(stream: Stream): void {
    stream.subscribed = Promise.resolve();
    const held = stream.held;
    stream.held = null;
    for (const entry of held ?? []) this.#take(stream, entry);
  }

  /** An empty room is forgotten, here and in this instance's subscriptions. */
  #drop(member: Member, room: string): void {
    const members = this.#rooms.get(room);
    if (!members) return;
    members.delete(member);
    if (members.size > 0) return;
    this.#rooms.delete(room);
    const { channel } = streamKeys(this.#settings.prefix, room);
    this.#streams.delete(channel);
    const link = this.#link;
    if (this.#state === 'up' && link) link.unsubscribe(channel).catch(() => {});
  }

  #report(sentence: string, cause?: unknown): void {
    this.#host?.error(new Error(`Redis adapter: ${sentence}.`, cause === undefined ? undefined : { cause }));
  }
}

function describe(room: string | null): string {
  return room === null ? 'everyone' : `room ${JSON.stringify(room)}`;
}

function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0]);
  return error instanceof Error ? error.message || error.name : String(error);
}
