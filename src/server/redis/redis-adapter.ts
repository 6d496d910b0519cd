/**
 * The Redis adapter: rooms and broadcasts across server instances, Redis doing the distribution.
 * Each instance keeps its own clients and their rooms (as the in-memory adapter does) and
 * subscribes to the channel of every room it has a member in, and to everyone's. A broadcast is
 * numbered, kept and published by one script (streams.ts), and every instance, the sender
 * included, delivers it when it comes back from Redis: so each room's frames reach every
 * receiver in one order, the order of their numbers, and each instance turns a frame into bytes
 * once for all its clients.
 *
 * A resume stream is held (numbered, sent to its page) by one instance at a time, named in its
 * state in Redis. What another instance does for it (the client of an older socket of the page:
 * a frame, a join, a leave, or the page's reply to a request made there) goes over the holding
 * instance's own channel, or is done on the state in Redis while no instance holds it.
 *
 * States: `idle` (not attached yet), `connecting` (a link is being made), `up` (broadcasts go
 * through Redis), `down` (waiting to try again), `closed`. Whenever it is not `up`, a broadcast
 * goes to this instance's clients at once, and only to them.
 */
import { EventEmitter } from 'node:events';
import { EVERYONE_STREAM, OWN_STREAM, type HistoryLimits } from '../../protocol/resume.js';
import { withNumber } from '../../protocol/resume-frames.js';
import { PASSED, type Adapter, type AdapterHost, type Member, type NumberedFrame, type OutgoingFrame, type StreamRequest, type StreamStart } from '../adapter.js';
import { Backoff } from './backoff.js';
import { Link, type ConnectionFactory } from './link.js';
import {
  LEFT_SCRIPT,
  NAME_SCRIPT,
  OWN_SCRIPT,
  PASS_SCRIPT,
  POSITION_SCRIPT,
  RAISE_SCRIPT,
  TAKE_SCRIPT,
  UNNAME_SCRIPT,
  framesAfter,
  instanceChannel,
  missedSince,
  nameKey,
  parseEntry,
  parseOwn,
  resumeKeys,
  streamKeys,
  type Entry,
  type StreamKeys,
} from './streams.js';
import { Tails } from './tails.js';

/** How often, at most, attached streams' state in Redis is kept from expiring (a third of `ttl` when shorter); it expires `ttl` plus that after the last time. */
const REFRESH_MS = 10_000;

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
 * A page's resume stream while it is attached to a member of this instance. Its state lives in
 * Redis (`resumeKeys`): owner, handled, its own frames and their last number, its positions in
 * its rooms and everyone's, and `at`, the member holding it; this instance holds the own
 * stream's counter while attached, and writes each frame through, in order: the page gets it
 * once Redis has it.
 */
interface ResumeStream {
  readonly token: string;
  /** The last number of its own stream. */
  own: number;
  member: Member | null;
  /** The member that held it last, while it waits for its page (`member` null). */
  last: Member;
  /** When its page left (Date.now()), while it waits. */
  left: number;
  /** Whether Redis has its state (false: begun while Redis was away, this instance's alone). */
  stored: boolean;
  /** The key of the page's name for it (`nameKey`), kept from expiring with its state until its token resumes it; null without. */
  name: string | null;
}

/** An own frame numbered here and not yet handed to the server to send. */
interface Unsent {
  readonly frame: NumberedFrame;
  /** `wait`: Redis has not answered its write; `send`: kept, or Redis was lost (sent unkept); `passed`: another member took the stream, and the frame went on to it. */
  outcome: 'wait' | 'send' | 'passed';
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
  /**
   * Broadcasts made during the first try at reaching Redis (the instance just started), in order:
   * published once it is up, or delivered here only if that try fails. Null after it.
   */
  #starting: [string | null, OutgoingFrame][] | null = null;

  #members = new Set<Member>();
  #rooms = new Map<string, Set<Member>>();
  #memberships = new Map<Member, Set<string>>();
  /** By channel. */
  #streams = new Map<string, Stream>();
  /** Resume streams of this instance's pages, by token. */
  #resumeStreams = new Map<string, ResumeStream>();
  /** The stream of each resume member: it gets numbered frames. */
  #attached = new Map<Member, ResumeStream>();
  /** Resume members by id, for a displacement another instance asks for. */
  #byId = new Map<string, Member>();
  /** The token of each resume member that has gone, for a join or leave on its way. */
  #away = new WeakMap<Member, string>();
  /**
   * Per token, the own frames written or passed on and not yet answered by Redis: a frame passed
   * on to another instance waits for them, so the frames of one stream keep their order.
   */
  #passing = new Tails();
  /** Streams this instance is taking over (#takingOver): from TAKE_SCRIPT sent until bound here. */
  #taking = new Tails();
  /**
   * Per token, the own frames numbered here and not sent yet, oldest first: each waits for Redis'
   * answer to its write, and for the frames before it.
   */
  #unsent = new Map<string, Unsent[]>();
  /** Keeps the Redis state of attached streams from expiring; runs while any is attached. */
  #refresh: ReturnType<typeof setInterval> | undefined;

  /**
   * Unique per instance, so its frames can be told apart when they come back: the server's
   * `instance`, which its request ids begin with, so a reply finds the instance that asked.
   */
  #origin = `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 10)}`;
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
    this.#origin = host.instance;
    this.#settings.history = host.history;
    this.#starting = [];
    this.#connect();
  }

  add(member: Member): void {
    this.#members.add(member);
  }

  async attachStream(member: Member, request: StreamRequest): Promise<StreamStart> {
    // A link being made (an instance just started) is waited for: the stream is in Redis. Only
    // while Redis is unreachable does a page that comes back start again (recovered: false).
    if ((request.token !== null || request.stream !== null) && this.#state === 'connecting') await this.#attempt;
    const link = this.#link;
    if (request.token !== null && this.#state === 'up' && link) {
      try {
        const resumed = await this.#resume(link, member, request, request.token);
        if (resumed) return resumed;
      } catch (error) {
        this.#report(`could not read stream state from Redis for a page that came back (${reason(error)}); it starts a new stream and is told nothing was recovered`, error);
      }
    }
    return this.#begin(member, request);
  }

  async remove(member: Member): Promise<void> {
    this.#members.delete(member);
    for (const room of this.#memberships.get(member) ?? []) this.#drop(member, room);
    this.#memberships.delete(member);
    const stream = this.#attached.get(member);
    if (!stream) return;
    this.#attached.delete(member);
    this.#byId.delete(member.id);
    if (stream.member !== member) return;
    // It waits for its page here, numbering its own frames (a reply finishing late), until
    // another member takes it or `ttl` passes.
    stream.member = null;
    stream.left = Date.now();
    this.#away.set(member, stream.token);
    const link = this.#link;
    if (!stream.stored || this.#state !== 'up' || !link) return;
    const keys = resumeKeys(this.#settings.prefix, stream.token);
    // Only if no other member took it meanwhile: from now its page has `ttl` to come back.
    await link.run(LEFT_SCRIPT, [keys.state, keys.own], ['at', this.#at(member), String(this.#settings.history.ttl)]).catch((error: unknown) => {
      this.#report(`could not mark a page's stream as left in Redis (${reason(error)}); it expires later than history.ttl`, error);
    });
  }

  async join(member: Member, room: string): Promise<void> {
    if (!this.#members.has(member)) {
      // A page that has gone comes back in the room: its stream joins, wherever it is now.
      const token = this.#away.get(member);
      if (token !== undefined) await this.#elsewhere(token, room, true);
      return;
    }
    let members = this.#rooms.get(room);
    if (!members) this.#rooms.set(room, (members = new Set()));
    members.add(member);
    let rooms = this.#memberships.get(member);
    if (!rooms) this.#memberships.set(member, (rooms = new Set()));
    rooms.add(room);
    const { channel } = streamKeys(this.#settings.prefix, room);
    if (!this.#streams.has(channel)) this.#stream(room);
    // Just started: Redis is there, and the link about to be made subscribes to the room.
    if (this.#starting) await this.#attempt;
    await this.#streams.get(channel)?.subscribed;
    // The stream's frames of the room begin after the room's number once this instance hears
    // it: a frame in between comes live, and is not one to give back.
    const stream = this.#attached.get(member);
    if (stream?.stored && stream.member === member) await this.#position(stream.token, room);
  }

  async leave(member: Member, room: string): Promise<void> {
    this.#memberships.get(member)?.delete(room);
    this.#drop(member, room);
    const token = this.#attached.get(member)?.token;
    if (token === undefined) {
      const away = this.#away.get(member);
      if (away !== undefined) await this.#elsewhere(away, room, false);
      return;
    }
    const link = this.#link;
    if (this.#state !== 'up' || !link) return;
    await link.command(['HDEL', resumeKeys(this.#settings.prefix, token).state, `p:${room}`]).catch((error: unknown) => {
      this.#report(`could not take a page's stream out of ${describe(room)} in Redis (${reason(error)}); if it comes back it is in the room again`, error);
    });
  }

  broadcast(room: string | null, frame: OutgoingFrame): void {
    if (this.#starting) {
      this.#starting.push([room, frame]);
      return;
    }
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

  appendOwn(token: string, text: string): NumberedFrame | typeof PASSED | null {
    // Only the instance holding the stream numbers it; another (the client of an older socket of
    // the page, a reply finishing after the page moved) passes the frame on to it.
    const stream = this.#resumeStreams.get(token);
    if (!stream) {
      const before = this.#passing.get(token);
      this.#passing.track(token, before ? before.then(() => this.#pass(token, text)) : this.#pass(token, text));
      return PASSED;
    }
    const n = ++stream.own;
    const numbered = withNumber(text, n, OWN_STREAM);
    const frame: NumberedFrame = { stream: OWN_STREAM, n, text: numbered, bytes: Buffer.from(numbered) };
    const link = this.#link;
    const queue = this.#unsent.get(token);
    if (!stream.stored || this.#state !== 'up' || !link) {
      if (!queue) return frame;
      // Frames numbered before it still wait for Redis' answer: it goes after them.
      queue.push({ frame, outcome: 'send' });
      return { ...frame, later: true };
    }
    // Written through: the page gets the frame once Redis has it, so an instance it comes back on
    // never finds it ahead of Redis' count (and tells it nothing was lost, rightly).
    const unsent: Unsent = { frame, outcome: 'wait' };
    if (queue) queue.push(unsent);
    else this.#unsent.set(token, [unsent]);
    const keys = resumeKeys(this.#settings.prefix, token);
    const { size, ttl } = this.#settings.history;
    const written = link.run(OWN_SCRIPT, [keys.state, keys.own], [String(n), `${n} ${Date.now()} ${numbered}`, String(size), String(ttl + this.#refreshMs), this.#at(stream.member ?? stream.last)]).then(
      (done) => {
        unsent.outcome = Number(done) === 1 ? 'send' : 'passed';
        this.#sendUnsent(token);
        // Another member took the stream meanwhile (its page came back elsewhere): the frame
        // never reached the page from here, and goes to it there, once.
        return unsent.outcome === 'passed' ? this.#pass(token, text, stream) : undefined;
      },
      (error: unknown) => {
        // Redis lost: the page gets it anyway, as while Redis is unreachable.
        unsent.outcome = 'send';
        this.#sendUnsent(token);
        if (this.#link === link) this.#report(`could not keep a page's own frame in Redis (${reason(error)}); if the page comes back it is told what was lost`, error);
      },
    );
    this.#passing.track(token, written);
    return { ...frame, later: true };
  }

  reply(token: string, id: string, text: string): boolean {
    // The id names the instance that asked (AdapterHost.instance); the page may have forged it,
    // which sends it nowhere, or to an instance whose stream of that token has no such request.
    const origin = id.slice(0, id.indexOf('.'));
    const link = this.#link;
    if (!/^[0-9a-z]+$/.test(origin) || origin === this.#origin || this.#state !== 'up' || !link) return false;
    link.command(['PUBLISH', instanceChannel(this.#settings.prefix, origin), `r ${token} ${text}`]).catch((error: unknown) => {
      if (this.#link === link) this.#report(`could not pass a page's reply on to the instance that asked (${reason(error)}); that request ends with its timeout`, error);
    });
    return true;
  }

  handled(token: string, n: number): void {
    const stream = this.#resumeStreams.get(token);
    const link = this.#link;
    if (!stream?.stored || this.#state !== 'up' || !link) return;
    link.run(RAISE_SCRIPT, [resumeKeys(this.#settings.prefix, token).state], ['handled', String(n), this.#at(stream.member ?? stream.last)]).catch(() => {
      // The page's next hello says which frames it still has: it sends them again, and those
      // handled already are handled again (README: frames handled twice).
    });
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
    this.#byId.clear();
    clearInterval(this.#refresh);
    this.#refresh = undefined;
    this.#sent.clear();
    this.#deliveredHere.clear();
    this.#passing.clear();
    this.#taking.clear();
    this.#unsent.clear();
    this.#starting = null;
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
    const channels = [...this.#streams.keys(), this.#control];
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
    for (const channel of subscribed) if (!this.#streams.has(channel) && channel !== this.#control) link.unsubscribe(channel).catch(() => {});
    const early = this.#starting;
    this.#starting = null;
    for (const [room, frame] of early ?? []) this.broadcast(room, frame);
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
    const early = this.#starting;
    this.#starting = null;
    for (const [room, frame] of early ?? []) this.#deliver(room, frame);
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
    if (channel === this.#control) {
      this.#told(raw);
      return;
    }
    const stream = this.#streams.get(channel);
    const entry = parseEntry(raw);
    if (!stream || !entry) return;
    if (stream.held) stream.held.push(entry);
    else this.#take(stream, entry);
  }

  /**
   * A message on this instance's own channel, from another instance: `d <id> <token>`, it took
   * stream `token` from member `id` of this one; `f <token> <frame>`, `j <token> <room>`,
   * `l <token> <room>`, what the client of an older socket of a page did there, for the stream
   * this instance holds; `r <token> <reply>`, the page's reply to a request of this instance.
   */
  #told(raw: string): void {
    const space = raw.indexOf(' ', 2);
    if (raw[1] !== ' ' || space < 0) return;
    // Room names, frames and replies may hold spaces: they come last.
    const first = raw.slice(2, space);
    const rest = raw.slice(space + 1);
    switch (raw[0]) {
      case 'd': {
        const member = this.#byId.get(first);
        if (member) this.#displace(member);
        const stream = this.#resumeStreams.get(rest);
        if (stream && stream.member === null) this.#resumeStreams.delete(stream.token);
        break;
      }
      case 'f':
        this.#host?.write(first, rest);
        break;
      case 'r':
        this.#host?.replied(first, rest);
        break;
      case 'j':
      case 'l':
        void this.#elsewhere(first, rest, raw[0] === 'j');
    }
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

  // ── resume ──────────────────────────────────────────────────────────────

  get #refreshMs(): number {
    return Math.max(50, Math.min(REFRESH_MS, Math.floor(this.#settings.history.ttl / 3)));
  }

  get #control(): string {
    return instanceChannel(this.#settings.prefix, this.#origin);
  }

  /** How the state names the member holding a stream: its instance and its id. */
  #at(member: Member): string {
    return `${this.#origin} ${member.id}`;
  }

  /**
   * A new stream, named `request.fresh`, kept in Redis when it is reachable. With the page's own
   * name for its stream, it numbers the page's frames on from the stream that name gave before
   * (whose token the page never learnt), which its older socket, if any, holds no more.
   */
  async #begin(member: Member, request: StreamRequest): Promise<StreamStart> {
    const { prefix, history } = this.#settings;
    const name = request.stream === null ? null : nameKey(prefix, request.owner, request.stream);
    const stream: ResumeStream = { token: request.fresh, own: 0, member, last: member, left: 0, stored: false, name };
    let handled = request.next - 1;
    let before: string | undefined;
    const link = this.#link;
    if (name !== null && this.#state === 'up' && link) {
      try {
        const found = (await link.run(NAME_SCRIPT, [name], [request.owner, stream.token, String(history.ttl + this.#refreshMs), resumeKeys(prefix, '').state])) as string[] | null;
        if (Array.isArray(found)) {
          before = found[0]!;
          handled = Math.max(handled, Number(found[1]) || 0);
          await this.#takeFrom(link, found[2]!, before, member);
        }
      } catch (error) {
        this.#report(`could not read which stream a page's first socket began from Redis (${reason(error)}); frames it sent there may be handled again`, error);
      }
    }
    this.#bind(member, stream);
    if (this.#state === 'up' && link) {
      const keys = resumeKeys(prefix, stream.token);
      try {
        await link.command(['HSET', keys.state, 'owner', request.owner, 'handled', String(handled), 'own', '0', 'at', this.#at(member), ...(name === null ? [] : ['name', name])]);
        await link.command(['PEXPIRE', keys.state, String(this.#settings.history.ttl + this.#refreshMs)]);
        stream.stored = true;
        // Everyone's frames after now are the stream's.
        if ((await this.#position(stream.token, null)) === null) stream.stored = false;
      } catch (error) {
        stream.stored = false;
        this.#report(`could not keep a new page's stream in Redis (${reason(error)}); if that page comes back it is told nothing was recovered`, error);
      }
    }
    return { token: stream.token, recovered: request.token === null && before === undefined, handled, continues: before, rooms: [], missed: [] };
  }

  /** The member `at` (`<instance> <id>`) held stream `token`, which `member` now carries on: it is displaced, where it is. */
  async #takeFrom(link: Link, at: string, token: string, member: Member): Promise<void> {
    if (at === this.#at(member)) return;
    const [origin, id] = at.split(' ');
    if (origin === this.#origin) {
      const old = id === undefined ? undefined : this.#byId.get(id);
      if (old && old !== member) this.#displace(old);
    } else if (origin && id) await link.command(['PUBLISH', instanceChannel(this.#settings.prefix, origin), `d ${id} ${token}`]);
  }

  /** The stream `token` names, taken by `member` with what its page missed; null when Redis has no such stream for this owner. */
  async #resume(link: Link, member: Member, request: StreamRequest, token: string): Promise<StreamStart | null> {
    const keys = resumeKeys(this.#settings.prefix, token);
    const taken = await this.#takingOver(token, async () => {
      const fields = (await link.run(TAKE_SCRIPT, [keys.state], [request.owner, this.#at(member), String(this.#settings.history.ttl + this.#refreshMs)])) as Record<string, string> | string[];
      const state: Record<string, string> = Array.isArray(fields) ? Object.fromEntries(pairs(fields)) : fields instanceof Map ? Object.fromEntries(fields) : fields;
      if (state.owner === undefined || state.owner !== request.owner) return null;
      const seenOwn = request.seen[OWN_STREAM] ?? 0;
      const storedOwn = Number(state.own ?? 0);
      const stream: ResumeStream = { token, own: Math.max(storedOwn, Number.isSafeInteger(seenOwn) ? seenOwn : 0), member, last: member, left: 0, stored: true, name: null };
      // The page knows the token: its name for the stream continues it no more.
      if (state.name !== undefined) await link.run(UNNAME_SCRIPT, [state.name], [token]);
      // Attach first, so that no live frame falls between what is read next and what comes live
      // (one arriving both ways is dropped by the server).
      this.#bind(member, stream);
      return { state, seenOwn, storedOwn };
    });
    if (taken === null) return null;
    const { state, seenOwn, storedOwn } = taken;
    if (state.at !== undefined) await this.#takeFrom(link, state.at, token, member);
    const rooms: string[] = [];
    const positions: [string, number][] = [];
    for (const [field, value] of Object.entries(state)) {
      if (!field.startsWith('p:')) continue;
      const name = field.slice(2);
      positions.push([name, Number(value)]);
      if (name !== EVERYONE_STREAM) rooms.push(name);
    }
    for (const room of rooms) this.#enterRoom(member, room);
    await Promise.all(rooms.map((room) => this.#streams.get(streamKeys(this.#settings.prefix, room).channel)?.subscribed));
    const { ttl } = this.#settings.history;
    const now = Date.now();
    const missed: NumberedFrame[] = [];
    let recovered = true;
    const own = ((await link.command(['LRANGE', keys.own, '0', '-1'])) as string[]).map(parseOwn).filter((entry) => entry !== null);
    const ownFrames = framesAfter(seenOwn, storedOwn, 1, own, ttl, now);
    if (ownFrames === null) recovered = false;
    else for (const { n, text } of ownFrames) missed.push({ stream: OWN_STREAM, n, text, bytes: Buffer.from(text) });
    for (const [name, joined] of positions) {
      if (!recovered) break;
      const room = name === EVERYONE_STREAM ? null : name;
      const roomKeys = streamKeys(this.#settings.prefix, room);
      const { numbering, history } = await link.read(roomKeys.numbering, roomKeys.history);
      const seen = request.seen[name];
      const after = Math.max(typeof seen === 'number' && Number.isSafeInteger(seen) ? seen : joined, joined);
      const entries = history.map(parseEntry).filter((entry): entry is Entry => entry !== null);
      const frames = numbering === null ? null : framesAfter(after, numbering.n, numbering.start, entries, ttl, now);
      if (frames === null) recovered = false;
      else {
        for (const { n, text } of frames) {
          const numbered = withNumber(text, n, name);
          missed.push({ stream: name, n, text: numbered, bytes: Buffer.from(numbered) });
        }
      }
    }
    const handled = Math.max(Number(state.handled ?? 0), request.next - 1);
    return { token, recovered, handled, rooms, missed: recovered ? missed : [] };
  }

  /** Writes `token`'s position in `room` (everyone for null) into its state: the room's last number now. Null when the state is gone. */
  async #position(token: string, room: string | null): Promise<number | null> {
    const link = this.#link;
    if (this.#state !== 'up' || !link) return null;
    const keys = resumeKeys(this.#settings.prefix, token);
    try {
      const n = Number(await link.run(POSITION_SCRIPT, [streamKeys(this.#settings.prefix, room).numbering, keys.state], [`p:${room ?? EVERYONE_STREAM}`, String(this.#settings.history.ttl)]));
      return n < 0 ? null : n;
    } catch (error) {
      this.#report(`could not keep a page's place in ${describe(room)} in Redis (${reason(error)}); if it comes back it is told what was lost`, error);
      return null;
    }
  }

  /** Attaches `member` to `stream` on this instance. */
  #bind(member: Member, stream: ResumeStream): void {
    const previous = this.#resumeStreams.get(stream.token)?.member;
    if (previous && previous !== member) this.#displace(previous);
    this.#resumeStreams.set(stream.token, stream);
    this.#attached.set(member, stream);
    this.#byId.set(member.id, member);
    this.#members.add(member);
    this.#refresh ??= setInterval(() => this.#keepAlive(), this.#refreshMs).unref();
  }

  /** `member`'s stream was taken by a newer socket of its page: it gets nothing more, and the server closes it. */
  #displace(member: Member): void {
    const stream = this.#attached.get(member);
    // A join or leave on its client, closing, goes to the stream wherever it is.
    if (stream) this.#away.set(member, stream.token);
    this.#attached.delete(member);
    this.#byId.delete(member.id);
    this.#members.delete(member);
    for (const room of this.#memberships.get(member) ?? []) this.#drop(member, room);
    this.#memberships.delete(member);
    if (stream && stream.member === member && this.#resumeStreams.get(stream.token) === stream) this.#resumeStreams.delete(stream.token);
    this.#host?.displaced(member);
  }

  /** Keeps attached streams' state (and their rooms' numbering) in Redis while their pages are here. */
  #keepAlive(): void {
    const now = Date.now();
    for (const stream of this.#resumeStreams.values()) if (stream.member === null && now - stream.left > this.#settings.history.ttl) this.#resumeStreams.delete(stream.token);
    if (this.#resumeStreams.size === 0) {
      clearInterval(this.#refresh);
      this.#refresh = undefined;
      return;
    }
    const link = this.#link;
    if (this.#state !== 'up' || !link) return;
    const ms = String(this.#settings.history.ttl + this.#refreshMs);
    for (const stream of this.#resumeStreams.values()) {
      if (!stream.stored || stream.member === null) continue;
      const keys = resumeKeys(this.#settings.prefix, stream.token);
      link.command(['PEXPIRE', keys.state, ms]).catch(() => {});
      link.command(['PEXPIRE', keys.own, ms]).catch(() => {});
      if (stream.name !== null) link.command(['PEXPIRE', stream.name, ms]).catch(() => {});
    }
    // The numbering of rooms with an attached stream outlives their history while idle: a page
    // that comes back finds the numbers it knows.
    const twice = String(2 * this.#settings.history.ttl);
    const rooms = new Set<string | null>([null]);
    for (const member of this.#attached.keys()) for (const room of this.#memberships.get(member) ?? []) rooms.add(room);
    for (const room of rooms) link.command(['PEXPIRE', streamKeys(this.#settings.prefix, room).numbering, twice]).catch(() => {});
  }

  /**
   * A join (or leave) of `room` for stream `token`, asked for by the client of an older socket of
   * its page: for its member here, when the stream is attached here; otherwise passed on to the
   * instance holding it, or, while its page is away, done on its state in Redis.
   */
  async #elsewhere(token: string, room: string, join: boolean): Promise<void> {
    const here = this.#resumeStreams.get(token)?.member;
    if (here) {
      this.#host?.changeRoom(here, room, join);
      return;
    }
    const link = this.#link;
    if (this.#state !== 'up' || !link) return;
    const { prefix, history } = this.#settings;
    const keys = resumeKeys(prefix, token);
    const mode = join ? 'j' : 'l';
    try {
      await link.run(PASS_SCRIPT, [keys.state, join ? streamKeys(prefix, room).numbering : keys.own], [this.#origin, instanceChannel(prefix, ''), `${mode} ${token} ${room}`, mode, `p:${room}`, String(history.size), String(history.ttl)]);
    } catch (error) {
      if (this.#link === link) this.#report(`could not ${join ? 'put' : 'take'} a page's stream ${join ? 'in' : 'out of'} ${describe(room)} in Redis (${reason(error)})`, error);
    }
  }

  /**
   * Runs `taking` (TAKE_SCRIPT until the stream is bound here) with `token` marked as taken over:
   * a frame passed meanwhile waits for it and is numbered here, where the count read from Redis is,
   * instead of being appended in Redis behind that count (the page would get two frames with one
   * number, and drop the second).
   */
  #takingOver<T>(token: string, taking: () => Promise<T>): Promise<T> {
    const work = taking();
    this.#taking.track(token, work);
    return work;
  }

  /**
   * An own frame of stream `token`, which this instance does not hold, or held as `from` and Redis
   * says another member took: numbered here if a member of this instance has taken the stream
   * since (or is taking it: the frame waits for that), otherwise passed on to the instance holding it (which numbers and sends it), or, while
   * no instance listens for it, kept in Redis for the page.
   */
  async #pass(token: string, text: string, from?: ResumeStream): Promise<void> {
    await this.#taking.get(token);
    const now = this.#resumeStreams.get(token);
    if (now && now !== from) {
      this.#host?.write(token, text);
      return;
    }
    const link = this.#link;
    if (this.#state !== 'up' || !link) return;
    const { prefix, history } = this.#settings;
    const keys = resumeKeys(prefix, token);
    try {
      await link.run(PASS_SCRIPT, [keys.state, keys.own], [this.#origin, instanceChannel(prefix, ''), `f ${token} ${text}`, 'f', text, String(history.size), String(history.ttl)]);
    } catch (error) {
      if (this.#link === link) this.#report(`could not pass a frame on to the instance a page is on now (${reason(error)}); the page does not get it`, error);
    }
  }

  /** Sends stream `token`'s own frames that Redis has answered for, up to the first still waiting, in the order they were numbered. */
  #sendUnsent(token: string): void {
    const queue = this.#unsent.get(token);
    if (!queue) return;
    while (queue.length > 0 && queue[0]!.outcome !== 'wait') {
      const { frame, outcome } = queue.shift()!;
      if (outcome === 'send' && this.#state !== 'closed') this.#host?.sendOwn(token, frame);
    }
    if (queue.length === 0 && this.#unsent.get(token) === queue) this.#unsent.delete(token);
  }




  #enterRoom(member: Member, room: string): void {
    let members = this.#rooms.get(room);
    if (!members) this.#rooms.set(room, (members = new Set()));
    members.add(member);
    let rooms = this.#memberships.get(member);
    if (!rooms) this.#memberships.set(member, (rooms = new Set()));
    rooms.add(room);
    if (!this.#streams.has(streamKeys(this.#settings.prefix, room).channel)) this.#stream(room);
  }

  #report(sentence: string, cause?: unknown): void {
    this.#host?.error(new Error(`Redis adapter: ${sentence}.`, cause === undefined ? undefined : { cause }));
  }
}

function* pairs(list: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < list.length; i += 2) yield [list[i]!, list[i + 1]!];
}

function describe(room: string | null): string {
  return room === null ? 'everyone' : `room ${JSON.stringify(room)}`;
}

function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0]);
  return error instanceof Error ? error.message || error.name : String(error);
}
