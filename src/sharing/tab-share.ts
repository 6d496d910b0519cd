/**
 * The cross-tab transport of `share="tabs"`: one socket for every same-origin tab, window and
 * frame of the browser profile. A Web Lock chooses the holding tab, which runs the one
 * `Connection`; a `BroadcastChannel` carries its callbacks to the other tabs and their sends
 * (and `connect()`s) to it. Both are named by a SHA-256 of the connection key, so neither the
 * session nor the URL appears anywhere another context could list.
 *
 * A tab that does not hold the socket mirrors the holder's state. Its sends go to the holder
 * addressed by its id and stay here until acknowledged; when the holder changes (it left,
 * crashed or went into the back/forward cache) the unacknowledged ones go again, in order, to
 * the next holder once it is open, so a frame is neither lost nor doubled by the change.
 *
 * Under `resume` every tab keeps a copy of the stream (resume-stream.ts): the holder tells the
 * others each change (a frame numbered, an acknowledgement, a server frame taken, the server's
 * answer), so the next holder sends the same token, positions and kept frames, and a takeover is
 * a reconnect like any other. A tab drops a server frame its copy has already taken.
 */
import { Connection, type ConnectionHost, type ConnectionState } from '../connection/connection.js';
import type { ResumeStream, ResumedDetail, StreamChange } from '../connection/resume-stream.js';
import type { Target } from '../connection/target.js';
import type { Payload } from '../frames/payload.js';

/** How many answered server requests a page remembers, so that a second member's reply is not sent. */
export const ANSWERED_KEPT = 256;

/** Records `id` as answered, forgetting the oldest beyond `ANSWERED_KEPT` (under resume a stream lives long; the server drops a late second reply). */
export function rememberAnswered(ids: Set<string>, id: string): void {
  ids.add(id);
  if (ids.size > ANSWERED_KEPT) ids.delete(ids.values().next().value!);
}

const PROTOCOL = 'bricks-websocket/tabs-1';
const READY_STATES: Record<ConnectionState, number> = { idle: 3, connecting: 0, open: 1, closing: 2, closed: 3, reconnecting: 3 };

/** True where `tabs` can work; elsewhere it behaves as `page`. */
export function tabsSupported(): boolean {
  return typeof BroadcastChannel === 'function' && !!globalThis.navigator?.locks && !!globalThis.crypto?.subtle;
}

/** The channel and lock name for a connection key. */
export async function channelName(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key)));
  return `bricks-websocket:${Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/** Messages on the channel. `holder` names the tab that sent a holder's message. */
type Message =
  | { t: 'hello' }
  | { t: 'open'; to: string }
  | { t: 'send'; to: string; from: string; id: number; payload: Payload; raw?: boolean }
  | { t: 'ack'; to: string; id: number; ok: boolean }
  | { t: 'state'; holder: string; state: ConnectionState; url: string; protocol: string }
  | { t: 'received'; holder: string; data: unknown; at?: { r: string; n: number } | null }
  | { t: 'stream'; holder: string; change: StreamChange }
  | { t: 'resumed'; holder: string; detail: ResumedDetail }
  | { t: 'closed'; holder: string; code: number; reason: string; wasClean: boolean }
  | { t: 'failed'; holder: string; kind: 'connection' | 'url' | 'session' | 'frame'; message: string }
  | { t: 'reconnecting'; holder: string; attempt: number; delay: number; code: number }
  | { t: 'handover'; holder: string };

const str = (value: unknown) => typeof value === 'string';
const num = (value: unknown) => typeof value === 'number';
const obj = (value: unknown) => value !== null && typeof value === 'object';

/** Checks the shape of a message from another tab; null for anything malformed or foreign. */
function parse(raw: unknown): Message | null {
  if (raw === null || typeof raw !== 'object') return null;
  const m = raw as Record<string, unknown>;
  if (m.p !== PROTOCOL) return null;
  const holder = m.t === 'hello' || m.t === 'open' || m.t === 'send' || m.t === 'ack' || str(m.holder);
  const ok =
    holder &&
    (m.t === 'hello' ||
      (m.t === 'open' && str(m.to)) ||
      (m.t === 'send' && str(m.to) && str(m.from) && num(m.id) && 'payload' in m) ||
      (m.t === 'ack' && str(m.to) && num(m.id) && typeof m.ok === 'boolean') ||
      (m.t === 'state' && Object.hasOwn(READY_STATES, m.state as string) && str(m.url) && str(m.protocol)) ||
      (m.t === 'received' && 'data' in m) ||
      (m.t === 'closed' && num(m.code) && str(m.reason) && typeof m.wasClean === 'boolean') ||
      (m.t === 'failed' && ['connection', 'url', 'session', 'frame'].includes(m.kind as string) && str(m.message)) ||
      (m.t === 'reconnecting' && num(m.attempt) && num(m.delay) && num(m.code)) ||
      ((m.t === 'stream' || m.t === 'resumed') && obj(m.change ?? m.detail)) ||
      m.t === 'handover');
  return ok ? (m as unknown as Message) : null;
}

/** The id of a reply frame as `encodeReply` writes it, or null for any other payload. */
function replyIdOf(payload: Payload): string | null {
  if (typeof payload !== 'string') return null;
  const match = /^\{"type":"reply","id":("(?:[^"\\]|\\.)*")/.exec(payload);
  return match ? (JSON.parse(match[1]!) as string) : null;
}

/** A frame sent from this tab through the holder, until the holder says it went out. */
interface Outgoing {
  payload: Payload;
  /** The holder it was handed to; null once it must go again. */
  to: string | null;
  /** A request or reply: never sent again, since its element counts it lost once the connection leaves open (unless under resume). */
  once: boolean;
  raw: boolean;
}

export class TabLink {
  #host: ConnectionHost;
  #tab = crypto.randomUUID();
  #channel: BroadcastChannel | null = null;
  #name = '';
  #abort: AbortController | null = null;
  #release: (() => void) | null = null;
  /** The socket, while this tab holds it. */
  #connection: Connection | null = null;
  #holder: string | null = null;
  #state: ConnectionState = 'idle';
  #remote = { url: '', protocol: '' };
  /** A `connect()` not yet carried to a holder. */
  #openWanted = false;
  #ended = false;
  #outgoing = new Map<number, Outgoing>();
  #nextId = 0;
  /** While holding: server requests some tab answered on the live socket, so a second answer is not sent. */
  #answered = new Set<string>();
  /** Under resume: this tab's copy of the stream, the holder's own while this tab holds. */
  #stream: ResumeStream | null;
  /** While holding: the position of the server frame being passed on, for the other tabs' copies. */
  #took: { r: string; n: number } | null = null;
  /**
   * While holding under resume, until the server's first answer: reports the open held back.
   * This tab's copy of the stream may lag behind the holder before (changes it made just before
   * it went may never have arrived), so nothing is numbered here until the answer's `next` has
   * set the numbering right: members in every tab see `open` only then.
   */
  #heldOpen: (() => void) | null = null;

  constructor(key: string, host: ConnectionHost, stream: ResumeStream | null = null) {
    this.#host = host;
    this.#stream = stream;
    if (stream) {
      stream.watch = (change) => {
        if (!this.#connection) return; // a follower's copy changes by what the holder says
        if (change.k === 'took') this.#took = change;
        else this.#broadcast({ t: 'stream', change });
        if (change.k === 'token') this.#heldOpen?.();
      };
    }
    channelName(key).then((name) => {
      if (this.#ended) return;
      this.#name = name;
      this.#join();
      addEventListener('pagehide', this.#onPageHide);
      addEventListener('pageshow', this.#onPageShow);
    });
  }

  get state(): ConnectionState {
    return this.#connection && !this.#heldOpen ? this.#connection.state : this.#state;
  }

  get socket(): WebSocket | null {
    return this.#connection?.socket ?? null;
  }

  get readyState(): number {
    return READY_STATES[this.state];
  }

  get protocol(): string {
    return this.#connection ? this.#connection.protocol : this.#state === 'open' ? this.#remote.protocol : '';
  }

  get stream(): ResumeStream | null {
    return this.#stream;
  }

  open(): void {
    if (this.#connection) {
      this.#connection.open();
      return;
    }
    if (this.#holder) this.#post({ t: 'open', to: this.#holder });
    else this.#openWanted = true;
    if (this.#state === 'idle' || this.#state === 'closed') this.#enter('connecting');
  }

  restart(): void {
    this.open();
  }

  /** A tab link is the shared connection of its members, which say what they want. */
  get wanted(): boolean {
    return !this.#ended;
  }

  closeNow(): void {
    this.close();
  }

  // The back/forward cache and frozen pages: this tab hands the socket over on pagehide and
  // asks for it again on pageshow by itself (#onPageHide, #onPageShow); a holder's own
  // connection is woken like any.
  suspend(): void {}

  restore(): void {}

  wake(): void {
    this.#connection?.wake();
  }

  /** The last member of this tab left: let go of the socket (another tab takes over) and the channel. */
  close(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#leave();
    this.#state = 'closed';
  }

  /** Members in every tab see a server request; the holder sends the first reply to reach it (#sendHere). */
  claimReply(): boolean {
    return true;
  }

  send(payload: Payload, once = false, raw = false): boolean {
    if (this.#connection) return this.#sendHere(payload, raw);
    if (this.#state !== 'open' || !this.#holder) return false;
    const id = ++this.#nextId;
    this.#outgoing.set(id, { payload, to: this.#holder, once, raw });
    this.#post({ t: 'send', to: this.#holder, from: this.#tab, id, payload, raw });
    return true;
  }

  settingsChanged(): void {
    this.#connection?.settingsChanged();
  }

  // ── joining and leaving ─────────────────────────────────────────────────

  #join(): void {
    const channel = new BroadcastChannel(this.#name);
    channel.onmessage = (event) => this.#onMessage(event.data);
    channel.onmessageerror = () => this.#host.failed('frame', 'A message from another tab could not be read, so it was ignored.');
    this.#channel = channel;
    const abort = new AbortController();
    this.#abort = abort;
    // Queued behind the holding tab; granted when it lets go, and held until this tab does.
    navigator.locks
      .request(this.#name, { signal: abort.signal }, () => new Promise<void>((release) => this.#hold(release)))
      .catch(() => {}); // aborted: this tab left before its turn
    this.#post({ t: 'hello' });
  }

  #leave(): void {
    removeEventListener('pagehide', this.#onPageHide);
    removeEventListener('pageshow', this.#onPageShow);
    this.#letGo();
  }

  /** Gives up the socket, the lock and the channel; the next tab in line takes over. */
  #letGo(): void {
    const connection = this.#connection;
    this.#connection = null;
    if (connection) {
      this.#post({ t: 'handover', holder: this.#tab });
      connection.close(1000, '');
    }
    this.#abort?.abort();
    this.#abort = null;
    this.#release?.();
    this.#release = null;
    this.#channel?.close();
    this.#channel = null;
    this.#holder = null;
  }

  /** Into the back/forward cache: another tab must carry on. Out of it: back in line. */
  #onPageHide = (event: PageTransitionEvent): void => {
    if (!event.persisted) {
      // Unloading: the lock and channel end with the document; tell the others at once.
      if (this.#connection) this.#post({ t: 'handover', holder: this.#tab });
      return;
    }
    this.#letGo();
    this.#mirror('connecting');
  };

  #onPageShow = (event: PageTransitionEvent): void => {
    if (event.persisted && !this.#ended && !this.#channel) {
      this.#openWanted = true;
      this.#join();
    }
  };

  // ── holding the socket ──────────────────────────────────────────────────

  #hold(release: () => void): void {
    if (this.#ended || !this.#channel) {
      release();
      return;
    }
    this.#release = release;
    this.#holder = this.#tab;
    // Frames handed to the previous holder and never acknowledged go out first on the new socket.
    this.#unconfirmed();
    const host = this.#host;
    // A connection let go of (handed over) may still report its close: nobody listens any more.
    const live = () => this.#connection === connection;
    const stream = this.#stream;
    const stateChanged = (state: ConnectionState) => {
      if (!live() || (state === 'open' && this.#heldOpen)) return;
      this.#state = state;
      const socket = connection.socket;
      this.#broadcast({ t: 'state', state, url: socket?.url ?? '', protocol: socket?.protocol ?? '' });
      host.stateChanged(state);
    };
    const opened = (socket: WebSocket) => {
      if (!live() || this.#heldOpen) return;
      this.#answered.clear(); // a server numbers its requests per connection
      for (const [id, frame] of this.#outgoing) {
        if (!this.#sendHere(frame.payload, frame.raw)) break;
        this.#outgoing.delete(id);
      }
      host.opened(socket);
    };
    // Only the very first socket of a stream starts on the server from the hello's `next`: a copy
    // of a stream another holder opened may lag behind the server's numbering, token or not (the
    // server continues a stream whose first answer was lost by the page's name for it).
    this.#heldOpen = stream?.begun
      ? () => {
          this.#heldOpen = null;
          if (connection.state !== 'open') return;
          stateChanged('open');
          opened(connection.socket!);
        }
      : null;
    const connection: Connection = new Connection({
      // Under resume, the stream is this tab's copy: what the holders before it numbered and took.
      target: () => {
        const target = host.target() as Target;
        return stream ? { ...target, resume: () => stream } : target;
      },
      policy: host.policy,
      stateChanged,
      opened,
      received: (data) => {
        if (!live()) return;
        this.#broadcast({ t: 'received', data, at: this.#took });
        this.#took = null;
        host.received(data);
      },
      closed: (code, reason, wasClean) => {
        if (!live()) return;
        this.#broadcast({ t: 'closed', code, reason, wasClean });
        host.closed(code, reason, wasClean);
      },
      failed: (kind, message, error) => {
        if (!live()) return;
        this.#broadcast({ t: 'failed', kind, message });
        host.failed(kind, message, error);
      },
      reconnecting: (attempt, delay, code) => {
        if (!live()) return;
        this.#broadcast({ t: 'reconnecting', attempt, delay, code });
        host.reconnecting(attempt, delay, code);
      },
      resumed: (detail, spared) => {
        if (!live()) return;
        this.#broadcast({ t: 'resumed', detail });
        host.resumed(detail, spared);
      },
      acknowledged: () => live() && host.acknowledged(),
    });
    this.#connection = connection;
    // Take over unless the shared connection had been closed for good and nobody asked again.
    if (this.#state !== 'closed' || this.#openWanted) connection.open();
    this.#openWanted = false;
  }

  #onHolderMessage(message: Message & { from?: string }): void {
    const connection = this.#connection!;
    if (message.t === 'hello') {
      const socket = connection.socket;
      if (this.#stream) this.#broadcast({ t: 'stream', change: this.#stream.state() });
      this.#broadcast({ t: 'state', state: this.state, url: socket?.url ?? '', protocol: socket?.protocol ?? '' });
    } else if (message.t === 'open' && message.to === this.#tab) {
      connection.open();
    } else if (message.t === 'send' && message.to === this.#tab) {
      this.#post({ t: 'ack', to: message.from, id: message.id, ok: this.#sendHere(message.payload, message.raw) });
    }
  }

  /** Sends on this tab's socket; a reply to a request another tab has answered counts as sent and is dropped. */
  #sendHere(payload: Payload, raw?: boolean): boolean {
    if (this.#heldOpen) return false; // nothing numbered before the server's answer
    const reply = replyIdOf(payload);
    if (reply !== null && this.#answered.has(reply)) return true;
    const sent = this.#connection!.send(payload, false, raw);
    if (sent && reply !== null) rememberAnswered(this.#answered, reply);
    return sent;
  }

  // ── following the holder ────────────────────────────────────────────────

  #onMessage(raw: unknown): void {
    const message = parse(raw);
    if (!message) {
      this.#host.failed('frame', 'A message on the tab-sharing channel was not understood (another version, or not ours), so it was ignored.');
      return;
    }
    if (this.#connection) {
      this.#onHolderMessage(message);
      return;
    }
    if (message.t === 'ack') {
      if (message.to !== this.#tab) return;
      const frame = this.#outgoing.get(message.id);
      if (!frame) return;
      // Not ok: the holder was not open; a frame goes again on the next open, a request or reply
      // only under resume (its element counts it lost otherwise).
      if (message.ok || (frame.once && !this.#stream)) this.#outgoing.delete(message.id);
      else frame.to = null;
      return;
    }
    if (!('holder' in message)) return; // another follower's hello, open or send
    if (message.holder !== this.#holder) {
      this.#holder = message.holder;
      this.#unconfirmed();
      if (this.#openWanted) {
        this.#openWanted = false;
        this.#post({ t: 'open', to: message.holder });
      }
    }
    switch (message.t) {
      case 'state':
        this.#remote = { url: message.url, protocol: message.protocol };
        this.#mirror(message.state);
        break;
      case 'received':
        // A frame this tab's copy of the stream has taken already (from the holder before) goes no further.
        if (!message.at || !this.#stream || this.#stream.apply({ k: 'took', ...message.at })) this.#host.received(message.data);
        break;
      case 'stream':
        this.#stream?.apply(message.change);
        if (message.change.k === 'acked' || message.change.k === 'state') this.#host.acknowledged();
        break;
      case 'resumed':
        this.#host.resumed(message.detail, (id) => message.detail.recovered || !!this.#stream?.keeps(id) || this.#waits(id));
        break;
      case 'closed':
        this.#host.closed(message.code, message.reason, message.wasClean);
        break;
      case 'failed':
        this.#host.failed(message.kind, message.message);
        break;
      case 'reconnecting':
        this.#host.reconnecting(message.attempt, message.delay, message.code);
        break;
      case 'handover':
        this.#holder = null;
        this.#mirror('connecting');
        break;
    }
  }

  /**
   * Whether request `id` waits here for the holder to number it: handed to a holder that has not
   * confirmed it (a holder numbers and confirms in one task), so no server has it yet, and it
   * goes on whatever stream the holder now carries.
   */
  #waits(id: string): boolean {
    const end = `,"id":${JSON.stringify(id)}}`;
    return [...this.#outgoing.values()].some(({ payload }) => typeof payload === 'string' && payload.endsWith(end));
  }

  #mirror(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#enter(state);
    if (state !== 'open' || this.#state !== 'open') return;
    // A takeover continues the stream, a reconnect like any other: its answer fires `resumed`.
    this.#stream?.followed();
    // Frames the holder never took go again, in order, before the members flush their queues.
    for (const [id, frame] of this.#outgoing) {
      if (frame.to !== null) continue;
      frame.to = this.#holder;
      this.#post({ t: 'send', to: this.#holder!, from: this.#tab, id, payload: frame.payload, raw: frame.raw });
    }
    this.#host.opened(this.#remote);
  }

  #enter(state: ConnectionState): void {
    if (state !== 'open') this.#unconfirmed();
    this.#state = state;
    this.#host.stateChanged(state);
  }

  /**
   * Frames handed to a holder that did not confirm them may or may not have left: they go again
   * on the next open, except requests and replies, which their element has already counted lost
   * (a request is never resent; a reply belongs to the connection the request came on).
   */
  #unconfirmed(): void {
    for (const [id, frame] of this.#outgoing) {
      // Under resume a request goes again too: a holder numbers a frame and confirms it in one
      // task, so one it did not confirm was never numbered, and the server never had it.
      if (frame.once && !this.#stream) this.#outgoing.delete(id);
      else frame.to = null;
    }
  }

  // ── the channel ─────────────────────────────────────────────────────────

  #broadcast(message: DistributiveOmit<Message & { holder: string }, 'holder'>): void {
    this.#post({ ...message, holder: this.#tab } as Message);
  }

  #post(message: Message): void {
    try {
      this.#channel?.postMessage({ p: PROTOCOL, ...message });
    } catch (error) {
      // A payload the channel cannot clone; the socket in this tab is unaffected.
      this.#host.failed('connection', 'A frame could not be passed to the other tabs.', error);
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
