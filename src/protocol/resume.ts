/**
 * Resume's delivery rules, the same on both sides of the wire (PROTOCOL.md, "Resume").
 * Pure: no socket, no timer and no clock of its own; times are passed in.
 *
 * Page to server: the page numbers every frame of its stream (`n`, from 1), keeps it in an
 * `Outbox` until the server acknowledges it, and sends the unacknowledged ones again after a
 * reconnect. The server's `Inbox` hands each number on once, in order, and acknowledges the
 * highest number up to which every frame has been handled.
 *
 * Server to page: the server numbers every frame per stream (the client's own, each room,
 * everyone) and keeps the latest in a `History`; the page's `Positions` remember the last number
 * seen per stream, drop repeats, and tell the server where to start again.
 */

/** The stream key of frames sent to one client (`client.send()`, replies, the server's requests). */
export const OWN_STREAM = '';
/** The stream key of frames sent to every client (`bricks.send()`). */
export const EVERYONE_STREAM = '*';

/** A frame the page has numbered and not yet seen acknowledged. */
export interface Kept<T> {
  readonly n: number;
  readonly item: T;
}

/** The page's side of page-to-server delivery: numbers frames and keeps them until acknowledged. */
export class Outbox<T> {
  #next: number;
  #kept: Kept<T>[] = [];

  /** `next`: the number of the first frame, above 1 for a stream taken over from elsewhere (another tab). */
  constructor(next = 1) {
    this.#next = next;
  }

  /** The number the next frame will get. */
  get next(): number {
    return this.#next;
  }

  /** Numbers `item` as the next frame of the stream and keeps it; returns its number. */
  add(item: T): number {
    const n = this.#next++;
    this.#kept.push({ n, item });
    return n;
  }

  /** Forgets every kept frame numbered `n` or lower; returns how many that was. */
  acknowledge(n: number): number {
    let count = 0;
    while (count < this.#kept.length && this.#kept[count].n <= n) count++;
    if (count > 0) this.#kept.splice(0, count);
    return count;
  }

  /** The frames not yet acknowledged, oldest first: what to send again after a reconnect. */
  get kept(): readonly Kept<T>[] {
    return this.#kept;
  }
}

/** What the server does with a numbered frame from the page. */
export type Arrival = 'new' | 'repeat' | 'gap';

/**
 * The server's side of page-to-server delivery, one per stream. A frame is `new` when it is the
 * next number: hand it to its handler, then call `finished(n)`. A `repeat` (a number already handed
 * on, sent again after a reconnect) is dropped. A `gap` (numbers skipped) means the page is on a
 * stream this side does not know; the frame is not handed on.
 */
export class Inbox {
  #dispatched: number;
  #running = new Set<number>();
  #acknowledged: number;

  /** `handled`: the stream's acknowledged position, when restored from shared state. */
  constructor(handled = 0) {
    this.#dispatched = handled;
    this.#acknowledged = handled;
  }

  receive(n: number): Arrival {
    if (n <= this.#dispatched) return 'repeat';
    if (n !== this.#dispatched + 1) return 'gap';
    this.#dispatched = n;
    this.#running.add(n);
    return 'new';
  }

  /** Frame `n`'s handler has returned (or its promise settled). */
  finished(n: number): void {
    this.#running.delete(n);
  }

  /** The highest number up to which every frame has been handled. */
  get handled(): number {
    // Numbers enter `#running` in rising order and a Set keeps that order, so its first is its
    // lowest: constant time however many frames run behind a slow one (a scan made a page's
    // 40,000 frames behind one slow handler cost the server seconds).
    const lowest = this.#running.values().next();
    return lowest.done ? this.#dispatched : lowest.value - 1;
  }

  /** The highest number handed on, handled or not. */
  get dispatched(): number {
    return this.#dispatched;
  }

  /**
   * The acknowledgement to send now, or null when there is nothing new: sent once `batch` handled
   * frames wait for one, or on `flush` (the server's short timer), so acknowledgements come in batches.
   */
  acknowledgement(batch: number, flush = false): number | null {
    const handled = this.handled;
    const waiting = handled - this.#acknowledged;
    if (waiting <= 0 || (!flush && waiting < batch)) return null;
    this.#acknowledged = handled;
    return handled;
  }

  /** Handled frames not yet acknowledged. */
  get unacknowledged(): number {
    return this.handled - this.#acknowledged;
  }
}

/** How much a `History` keeps: at most `size` frames, none older than `ttl` ms. */
export interface HistoryLimits {
  readonly size: number;
  readonly ttl: number;
}

export const DEFAULT_HISTORY: HistoryLimits = { size: 1000, ttl: 120_000 };

/** The server's numbered frames of one stream, the latest of them kept to give back. */
export class History {
  readonly #limits: HistoryLimits;
  // A ring: frame n sits at n % size once numbered; `#times` holds when each was added.
  #texts: string[] = [];
  #times: number[] = [];
  #last = 0;

  constructor(limits: HistoryLimits = DEFAULT_HISTORY, last = 0) {
    this.#limits = limits;
    this.#last = last;
  }

  /** The number of the latest frame, 0 before the first. */
  get last(): number {
    return this.#last;
  }

  /** Numbers `text` as the stream's next frame and keeps it; returns its number. */
  add(text: string, now: number): number {
    const n = ++this.#last;
    const slot = n % this.#limits.size;
    this.#texts[slot] = text;
    this.#times[slot] = now;
    return n;
  }

  /**
   * The frames numbered after `after`, oldest first, or null when any of them is gone (pushed out
   * by `size`, older than `ttl`) or `after` is a number this stream never gave (it restarted).
   */
  since(after: number, now: number): string[] | null {
    if (!Number.isSafeInteger(after) || after < 0 || after > this.#last) return null;
    const count = this.#last - after;
    if (count > this.#limits.size) return null;
    const frames: string[] = [];
    for (let n = after + 1; n <= this.#last; n++) {
      const slot = n % this.#limits.size;
      if (now - this.#times[slot] > this.#limits.ttl) return null;
      frames.push(this.#texts[slot]);
    }
    return frames;
  }
}

/** The page's side of server-to-page delivery: the last number seen on each stream. */
export class Positions {
  #last = new Map<string, number>();

  /** Whether frame `n` of `stream` is one not seen before; remembers it. */
  take(stream: string, n: number): boolean {
    const last = this.#last.get(stream);
    if (last !== undefined && n <= last) return false;
    this.#last.set(stream, n);
    return true;
  }

  /** The positions to resume from, as sent in the resume hello. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.#last);
  }

  /** Forgets every position: the server started a new stream. */
  clear(): void {
    this.#last.clear();
  }
}
