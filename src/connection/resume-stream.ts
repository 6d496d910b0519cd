/**
 * The page's half of `resume` (PROTOCOL.md, "Resume"), one per connection: shared by every
 * member of a shared connection, so a page resumes once; with `share="tabs"`, every tab keeps a
 * copy that the holding tab's changes keep current, so the next holder carries the same stream.
 * Loaded on demand with the first `resume` connection (resume-loader.ts). The connection calls it
 * at the edges: `opened()` for what goes out first on a new socket, `number()` for each frame it
 * sends, `received()` for each text frame.
 *
 * Frames the page sends are numbered and kept until the server acknowledges them; after a
 * reconnect the kept ones go again, and the server hands on each number once. Frames the server
 * sends are numbered per stream; a number already seen is a repeat and goes no further.
 */
import { Outbox, OWN_STREAM, Positions } from '../protocol/resume.js';
import type { ResumeHost, Target, TargetProblem } from './target.js';

/** The subprotocol that asks the server for resume, offered after the element's own. */
export const RESUME_PROTOCOL = 'bricks.resume.1';

/** The type of resume's own frames, both ways. */
const RESUMED = 'resumed';

/** `target` asking for resume, with a new stream for the connection that dials it. */
export function resumable(target: Target | TargetProblem): Target | TargetProblem {
  return 'kind' in target ? target : { url: target.url, protocols: [...target.protocols, RESUME_PROTOCOL], resume: () => new ResumeStream() };
}

/** The detail of the element's `resumed` event. */
export interface ResumedDetail {
  /** False when the server could not give everything the page missed: fetch the page's state again. */
  recovered: boolean;
  /** Frames the server gave back that were sent while the page was away. */
  missed: number;
  /** Frames the page sent again because the server had not acknowledged them. */
  resent: number;
}

/** What became of a text frame from the server. */
export interface Received {
  /** The frame goes no further: a repeat, or resume's own frame. */
  drop: boolean;
  /** How the reconnect went, once this frame has told. */
  resumed?: ResumedDetail;
}

/**
 * A change of the stream, as the holding tab tells the others (sharing/tab-share.ts): a frame
 * numbered and kept, an acknowledgement, a server frame taken, the server's answer, or the whole
 * stream for a tab that has just joined.
 */
export type StreamChange =
  | { k: 'kept'; n: number; text: string }
  | { k: 'acked'; n: number }
  | { k: 'took'; r: string; n: number }
  | { k: 'token'; token: string | null; recovered: boolean }
  | { k: 'state'; token: string | null; id: string; seen: Record<string, number>; next: number; kept: [number, string][] };

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A request's id as `encodeFrame` writes it: the envelope's last member. */
const REQUEST_ID = /,"id":("(?:[^"\\]|\\.)*"),"n":\d+\}$/;

export class ResumeStream {
  #outbox = new Outbox<string>();
  #positions = new Positions();
  #token: string | null = null;
  /**
   * The page's own name for the stream (128 random bits, base64url), in every hello: a server
   * whose first answer never arrived here continues the numbering of the stream it began for it.
   */
  #id = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16)))).replace(/\+/g, '-').replace(/\//g, '_').slice(0, 22);
  #sockets = 0;
  #resent = 0;
  /** This socket continues a stream (an earlier socket, here or in another tab): the answer fires `resumed`. */
  #resuming = false;
  /**
   * This socket's hello had no token: a socket before it went before its answer was known here,
   * so what the server had of that stream (frames it handed on, frames it sent) is lost to this one.
   */
  #tokenless = false;
  /** Whether this socket's server answered the hello; until then, whether it will is unknown. */
  #answered = false;
  /** The server did not answer the hello: nothing is kept on this socket. */
  #unsupported = false;
  /** Told of every change, where another tab may have to carry the stream on (tab-share.ts). */
  watch: ((change: StreamChange) => void) | null = null;

  /** The token of the stream, null until a server has answered. */
  get token(): string | null {
    return this.#token;
  }

  /**
   * Whether a socket of this stream has opened, here or in the tab that held it before: a server
   * may then number the page's frames past this copy's count, token or not (a stream it continues
   * by the page's name for it).
   */
  get begun(): boolean {
    return this.#sockets > 0 || this.#token !== null;
  }

  /** Frames sent and not yet acknowledged. */
  get kept(): number {
    return this.#outbox.kept.length;
  }

  /** Whether the request `id` was sent and is kept: it goes again after a reconnect, so its reply may still come. */
  keeps(id: string): boolean {
    const quoted = JSON.stringify(id);
    return this.#outbox.kept.some(({ item }) => REQUEST_ID.exec(item)?.[1] === quoted);
  }

  /** A socket opened: the hello, then every kept frame, to go out before anything else. */
  opened(): string[] {
    const kept = this.#outbox.kept;
    this.#answered = this.#unsupported = false;
    this.#resuming = this.#sockets++ > 0 || this.#token !== null;
    this.#tokenless = this.#token === null;
    this.#resent = kept.length;
    const hello = { type: RESUMED, data: { token: this.#token, stream: this.#id, seen: this.#positions, next: kept[0]?.n ?? this.#outbox.next } };
    return [JSON.stringify(hello), ...kept.map(({ item }) => item)];
  }

  /**
   * Numbers an envelope (`{"type":...}`) and keeps it until acknowledged. Binary frames and other
   * text cannot carry a number: they go as they are, outside resume.
   */
  number<T>(payload: T): T {
    const text = payload as unknown as string;
    if (this.#unsupported || typeof payload !== 'string' || !text.startsWith('{') || !text.endsWith('}')) return payload;
    const n = this.#outbox.next;
    const numbered = `${text.slice(0, -1)},"n":${n}}`;
    this.#outbox.add(numbered);
    this.watch?.({ k: 'kept', n, text: numbered });
    return numbered as unknown as T;
  }

  /** Reads a frame for its connection: tells `host`, and says whether the frame goes no further (binary frames always go on). */
  received(data: unknown, host: ResumeHost): boolean {
    if (typeof data !== 'string') return false;
    const kept = this.kept;
    const { drop, resumed } = this.read(data);
    if (resumed) host.resumed(resumed, (id) => resumed.recovered || this.keeps(id));
    if (this.kept < kept) host.acknowledged();
    return drop;
  }

  /** Reads a text frame from the server. */
  read(text: string): Received {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return this.#unanswered();
    }
    if (!isObject(value)) return this.#unanswered();
    if (value.type === RESUMED && isObject(value.data)) return this.#control(value.data);
    if (!this.#answered) return this.#unanswered();
    const { n } = value;
    if (typeof n !== 'number') return { drop: false };
    const r = typeof value.r === 'string' ? value.r : OWN_STREAM;
    const fresh = this.#positions.take(r, n);
    if (fresh) this.watch?.({ k: 'took', r, n });
    return { drop: !fresh };
  }

  /** Another tab's holder opened a socket of this stream: the next socket this copy opens continues it. */
  followed(): void {
    this.#sockets ||= 1;
  }

  /** Carries out a change the holding tab made; for `took`, whether that frame is one not seen before. */
  apply(change: StreamChange): boolean {
    switch (change.k) {
      case 'kept':
        if (change.n !== this.#outbox.next) this.#outbox = new Outbox(change.n);
        this.#outbox.add(change.text);
        break;
      case 'acked':
        this.#outbox.acknowledge(change.n);
        break;
      case 'took':
        return this.#positions.take(change.r, change.n);
      case 'token':
        this.#token = change.token;
        if (!change.recovered) this.#positions.clear();
        break;
      case 'state':
        this.#token = change.token;
        this.#id = change.id;
        this.#positions.clear();
        for (const [r, n] of Object.entries(change.seen)) this.#positions.take(r, n);
        this.#outbox = new Outbox(change.kept[0]?.[0] ?? change.next);
        for (const [, text] of change.kept) this.#outbox.add(text);
        break;
    }
    return true;
  }

  /** The whole stream, for a tab that has just joined. */
  state(): StreamChange {
    return { k: 'state', token: this.#token, id: this.#id, seen: this.#positions.toJSON(), next: this.#outbox.next, kept: this.#outbox.kept.map(({ n, item }) => [n, item]) };
  }

  /**
   * A server that speaks resume answers the hello before it sends anything else. One whose first
   * frame is something else does not: nothing is kept for this socket, and a reconnect says so.
   */
  #unanswered(): Received {
    const result: Received = { drop: false };
    if (this.#answered || this.#unsupported) return result;
    this.#unsupported = true;
    this.#forget(null, false);
    this.#acknowledge(Infinity);
    if (this.#resuming) result.resumed = { recovered: false, missed: 0, resent: this.#resent };
    return result;
  }

  #control(data: Record<string, unknown>): Received {
    if (typeof data.acked === 'number') this.#acknowledge(data.acked);
    // A server that speaks resume answers with a token first: one whose first frame is another
    // `resumed` (its echo of the hello) does not.
    if (typeof data.token !== 'string') return { ...(this.#answered ? {} : this.#unanswered()), drop: true };
    // The server hands on from `next`. Above this copy's own next number, another tab's holder
    // numbered frames whose changes never reached this tab before it went: number from there, and
    // keep none of the frames below it, which the server has handed on.
    const next = data.next as number;
    if (Number.isSafeInteger(next) && next > this.#outbox.next) {
      this.#outbox = new Outbox(next);
      this.watch?.(this.state());
    }
    this.#answered = true;
    // A new stream in place of one whose answer never arrived here: what it had is lost, whatever the server says.
    const recovered = data.recovered === true && !(this.#resuming && this.#tokenless);
    this.#forget(data.token, recovered);
    if (!this.#resuming) return { drop: true };
    return { drop: true, resumed: { recovered, missed: typeof data.missed === 'number' ? data.missed : 0, resent: this.#resent } };
  }

  #acknowledge(n: number): void {
    if (this.#outbox.acknowledge(n) > 0) this.watch?.({ k: 'acked', n });
  }

  /** The server's answer: its token, and after `recovered: false` no position of the old stream. */
  #forget(token: string | null, recovered: boolean): void {
    this.apply({ k: 'token', token, recovered });
    this.watch?.({ k: 'token', token, recovered });
  }
}
