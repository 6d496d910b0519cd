/**
 * The in-memory adapter, the default: rooms and resume streams of this one process. A broadcast
 * reaches the members of this instance only, synchronously, in the order the server called it.
 * Everything it keeps goes with the process: after a restart every token is unknown, and pages
 * get `recovered: false`.
 *
 * What it keeps for resume, and for how long: per stream, its owner, its handled position, its
 * rooms and at most `history.size` frames of its own; per room with a stream in it (and for
 * everyone while any stream exists), at most `history.size` frames. A stream whose page went is
 * forgotten `history.ttl` ms later by one sweep timer, which runs only while such streams exist;
 * a room's history goes with the last stream in it.
 */
import { EVERYONE_STREAM, History, OWN_STREAM, type HistoryLimits } from '../protocol/resume.js';
import { withNumber } from '../protocol/resume-frames.js';
import type { Adapter, AdapterHost, Member, NumberedFrame, OutgoingFrame, StreamRequest, StreamStart } from './adapter.js';

export function memoryAdapter(): Adapter {
  return new MemoryAdapter();
}

/** A stream of numbered frames kept for resume: a room's, or everyone's. */
interface Kept {
  history: History;
  /** The resume streams in it; the history goes with the last. */
  streams: Set<Stream>;
}

/** One page's resume stream. */
interface Stream {
  token: string;
  owner: string;
  handled: number;
  own: History;
  /** Room (or `'*'`) → the number after which its frames are this stream's. */
  positions: Map<string, number>;
  member: Member | null;
  /** When its page went (Date.now()), or null while attached. */
  left: number | null;
  /** Its key in `#named` (the owner and the page's name for it), until its token resumes it. */
  name: string | null;
}

function numbered(stream: string, n: number, text: string): NumberedFrame {
  return { stream, n, text, bytes: Buffer.from(text) };
}

class MemoryAdapter implements Adapter {
  #limits: HistoryLimits = { size: 1000, ttl: 120_000 };
  #members = new Set<Member>();
  #rooms = new Map<string, Set<Member>>();
  /** Each member's rooms, so `remove()` need not scan every room. */
  #memberships = new Map<Member, Set<string>>();
  /** Rooms (and `'*'` for everyone) whose frames are numbered and kept. */
  #kept = new Map<string, Kept>();
  #streams = new Map<string, Stream>();
  /** The latest stream a hello with the page's `stream` name began, by owner and name, until its token resumes it. */
  #named = new Map<string, Stream>();
  /** The stream each resume member is attached to. */
  #attached = new Map<Member, Stream>();
  /** The stream each resume member was last attached to, after it has gone too: a join or leave for a page that is away. */
  #streamOf = new WeakMap<Member, Stream>();
  /** Streams whose page has gone, oldest first, until the sweep forgets them. */
  #waiting = new Set<Stream>();
  /** Due when the oldest stream in `#waiting` expires: one timer, only while streams wait. */
  #sweep: ReturnType<typeof setTimeout> | undefined;
  #host: AdapterHost | undefined;

  attach(host: AdapterHost): void {
    this.#host = host;
    this.#limits = host.history;
  }

  add(member: Member): void {
    this.#members.add(member);
  }

  async attachStream(member: Member, request: StreamRequest): Promise<StreamStart> {
    const now = Date.now();
    let stream = request.token === null ? undefined : this.#streams.get(request.token);
    if (stream && stream.left !== null && now - stream.left > this.#limits.ttl) {
      this.#forget(stream);
      stream = undefined;
    }
    if (!stream || stream.owner !== request.owner) {
      const name = request.stream === null ? null : `${request.owner} ${request.stream}`;
      // The page never learnt that stream's token: it sends again the frames it handed on.
      let before = name === null ? undefined : this.#named.get(name);
      if (before && before.left !== null && now - before.left > this.#limits.ttl) before = undefined;
      const everyone = this.#keep(EVERYONE_STREAM);
      const fresh: Stream = {
        token: request.fresh,
        owner: request.owner,
        handled: Math.max(request.next - 1, before?.handled ?? 0),
        own: new History(this.#limits),
        positions: new Map([[EVERYONE_STREAM, everyone.history.last]]),
        member: null,
        left: null,
        name,
      };
      everyone.streams.add(fresh);
      this.#streams.set(fresh.token, fresh);
      if (name !== null) this.#named.set(name, fresh);
      if (before) this.#unbind(before);
      this.#bind(member, fresh);
      return { token: fresh.token, recovered: request.token === null && !before, handled: fresh.handled, continues: before?.token, rooms: [], missed: [] };
    }
    this.#unname(stream);
    const missed: NumberedFrame[] = [];
    let recovered = this.#collect(OWN_STREAM, stream.own, request.seen[OWN_STREAM] ?? 0, missed);
    for (const [name, joined] of stream.positions) {
      if (!recovered) break;
      // Never before the stream joined, whatever the page says: a room's earlier frames are not its.
      recovered = this.#collect(name, this.#kept.get(name)!.history, Math.max(request.seen[name] ?? joined, joined), missed);
    }
    this.#bind(member, stream);
    return { token: stream.token, recovered, handled: stream.handled, rooms: this.#roomsOf(stream), missed: recovered ? missed : [] };
  }

  async remove(member: Member): Promise<void> {
    this.#members.delete(member);
    for (const room of this.#memberships.get(member) ?? []) this.#drop(member, room);
    this.#memberships.delete(member);
    const stream = this.#attached.get(member);
    if (!stream) return;
    this.#attached.delete(member);
    if (stream.member !== member) return;
    stream.member = null;
    stream.left = Date.now();
    this.#waiting.add(stream);
    if (this.#sweep === undefined) this.#armSweep(stream.left);
  }

  async join(member: Member, room: string): Promise<void> {
    // A member that has gone must not come back through a join that was still on its way; its
    // stream, waiting for its page, joins (from the room's frames after now).
    if (!this.#members.has(member)) {
      const stream = this.#away(member);
      if (stream && !stream.positions.has(room)) this.#position(stream, room);
      return;
    }
    this.#enter(member, room);
    const stream = this.#attached.get(member);
    if (stream && !stream.positions.has(room)) this.#position(stream, room);
  }

  async leave(member: Member, room: string): Promise<void> {
    this.#memberships.get(member)?.delete(room);
    this.#drop(member, room);
    const stream = this.#attached.get(member) ?? this.#away(member);
    if (stream?.positions.delete(room)) this.#release(room, stream);
  }

  /** The stream of `member`, which has gone, while it waits for its page: not attached elsewhere, not forgotten. */
  #away(member: Member): Stream | undefined {
    const stream = this.#streamOf.get(member);
    return stream && stream.member === null && this.#streams.get(stream.token) === stream ? stream : undefined;
  }

  /** `stream` joins `room`: the room's frames after its number now are the stream's. */
  #position(stream: Stream, room: string): void {
    const kept = this.#keep(room);
    kept.streams.add(stream);
    stream.positions.set(room, kept.history.last);
  }

  broadcast(room: string | null, frame: OutgoingFrame): void {
    const members = room === null ? this.#members : this.#rooms.get(room);
    const name = room ?? EVERYONE_STREAM;
    const kept = this.#kept.get(name);
    let frameN: NumberedFrame | undefined;
    if (kept) {
      const n = kept.history.last + 1;
      const text = withNumber(frame.text, n, name);
      kept.history.add(text, Date.now());
      frameN = numbered(name, n, text);
    }
    if (!members) return;
    for (const member of members) member.deliver(frame, frameN);
  }

  appendOwn(token: string, text: string): NumberedFrame | null {
    const stream = this.#streams.get(token);
    if (!stream) return null;
    const n = stream.own.last + 1;
    const numberedText = withNumber(text, n, OWN_STREAM);
    stream.own.add(numberedText, Date.now());
    return numbered(OWN_STREAM, n, numberedText);
  }

  handled(token: string, n: number): void {
    const stream = this.#streams.get(token);
    if (stream && n > stream.handled) stream.handled = n;
  }

  reply(): boolean {
    // One instance: a request of this process waits in the stream this process holds.
    return false;
  }

  roomCount(): number {
    return this.#rooms.size;
  }

  streamCount(): number {
    return this.#streams.size;
  }

  async close(): Promise<void> {
    clearTimeout(this.#sweep);
    this.#sweep = undefined;
    this.#members.clear();
    this.#rooms.clear();
    this.#memberships.clear();
    this.#kept.clear();
    this.#streams.clear();
    this.#named.clear();
    this.#attached.clear();
    this.#waiting.clear();
  }

  /** `stream`, which a newer socket of its page continues, waits for nobody: its member (a socket the page gave up on) is displaced. */
  #unbind(stream: Stream): void {
    const member = stream.member;
    if (!member) return;
    stream.member = null;
    stream.left = Date.now();
    this.#waiting.add(stream);
    if (this.#sweep === undefined) this.#armSweep(stream.left);
    this.#attached.delete(member);
    this.#members.delete(member);
    for (const room of [...(this.#memberships.get(member) ?? [])]) this.#drop(member, room);
    this.#host?.displaced(member);
  }

  /** `stream`'s page knows its token: no later hello continues it by name. */
  #unname(stream: Stream): void {
    if (stream.name !== null && this.#named.get(stream.name) === stream) this.#named.delete(stream.name);
    stream.name = null;
  }

  /** Attaches `member` to `stream`, taking it from the member it had, and puts it in the stream's rooms. */
  #bind(member: Member, stream: Stream): void {
    const previous = stream.member;
    if (previous && previous !== member) {
      this.#attached.delete(previous);
      this.#members.delete(previous);
    }
    stream.member = member;
    stream.left = null;
    this.#waiting.delete(stream);
    this.#attached.set(member, stream);
    this.#streamOf.set(member, stream);
    this.#members.add(member);
    for (const room of this.#roomsOf(stream)) {
      if (previous && previous !== member) this.#drop(previous, room);
      this.#enter(member, room);
    }
    if (previous && previous !== member) this.#host?.displaced(previous);
  }

  /** Adds the frames of `history` after `after` to `missed`; false when any of them is gone. */
  #collect(name: string, history: History, after: number, missed: NumberedFrame[]): boolean {
    const texts = history.since(after, Date.now());
    if (texts === null) return false;
    for (let i = 0; i < texts.length; i++) missed.push(numbered(name, after + 1 + i, texts[i]!));
    return true;
  }

  #roomsOf(stream: Stream): string[] {
    return [...stream.positions.keys()].filter((name) => name !== EVERYONE_STREAM);
  }

  /** The kept stream of `name` (a room or `'*'`), begun if there was none. */
  #keep(name: string): Kept {
    let kept = this.#kept.get(name);
    if (!kept) this.#kept.set(name, (kept = { history: new History(this.#limits), streams: new Set() }));
    return kept;
  }

  /** `stream` no longer needs `name`'s history; the last stream to go takes it along. */
  #release(name: string, stream: Stream): void {
    const kept = this.#kept.get(name);
    if (!kept) return;
    kept.streams.delete(stream);
    if (kept.streams.size === 0) this.#kept.delete(name);
  }

  #forgetExpired(): void {
    this.#sweep = undefined;
    const now = Date.now();
    for (const stream of this.#waiting) {
      if (now - stream.left! <= this.#limits.ttl) {
        // Streams wait oldest first: the next to expire is this one, `ttl` after it was left.
        this.#armSweep(stream.left!);
        return;
      }
      this.#forget(stream);
    }
  }

  /** The sweep runs once the stream left at `left` is older than `ttl`, not up to a whole `ttl` later. */
  #armSweep(left: number): void {
    this.#sweep = setTimeout(() => this.#forgetExpired(), Math.max(left + this.#limits.ttl + 1 - Date.now(), 1)).unref();
  }

  #forget(stream: Stream): void {
    this.#waiting.delete(stream);
    this.#streams.delete(stream.token);
    this.#unname(stream);
    for (const name of stream.positions.keys()) this.#release(name, stream);
  }

  #enter(member: Member, room: string): void {
    let members = this.#rooms.get(room);
    if (!members) this.#rooms.set(room, (members = new Set()));
    members.add(member);
    let rooms = this.#memberships.get(member);
    if (!rooms) this.#memberships.set(member, (rooms = new Set()));
    rooms.add(room);
  }

  /** An empty room is forgotten, so rooms named by clients cannot pile up. */
  #drop(member: Member, room: string): void {
    this.#memberships.get(member)?.delete(room);
    const members = this.#rooms.get(room);
    if (!members) return;
    members.delete(member);
    if (members.size === 0) this.#rooms.delete(room);
  }
}
