import { LitElement, css, html } from 'lit';
import { isBinary, isBlob, toBase64, type BinaryInput } from './base64.js';
import { decodeFrame, encodeBase64Frame, encodeFrame, encodeReply, preview, type ReplyErrorBody } from './codec.js';
import type { ConnectionHost, ConnectionPolicy, ConnectionState } from './connection.js';
import type { BricksWebSocketErrorKind, BricksWebSocketEventMap } from './events.js';
import { BricksWebSocketFrameEvent, type ReplySender } from './frame-event.js';
import { createLink, type Link } from './hub.js';
import { Requests } from './requests.js';
import { SendQueue, type Payload } from './send-queue.js';
import { buildTarget, readSession, resolveSocketUrl, splitList, type SessionSource, type Target, type TargetProblem } from './target.js';

export type { ConnectionState as BricksWebSocketState } from './connection.js';
export type { SessionSource as BricksWebSocketSession } from './target.js';

const DEFAULT_QUEUE_LIMIT = 1000;
const DEFAULT_REQUEST_TIMEOUT = 10000;

/** Options of `request()`. */
export interface BricksWebSocketRequestOptions {
  /** Milliseconds from the call until the request fails with a `TimeoutError`; 0 is none. Default: `requestTimeout`. */
  timeout?: number;
  /** Aborting it ends the request with `signal.reason`. */
  signal?: AbortSignal;
}

/** The session of a bricks application page, when there is one. */
const bricksSession = (): string | null =>
  (globalThis as { bricks?: { app?: { get_session?: () => string | null } } }).bricks?.app?.get_session?.() ?? null;

/** Events are made outside the class so the manifest analyzer lists only the documented names. */
const eventOf = (type: string, detail: unknown) => new CustomEvent(type, { detail });
const frameEventOf = (type: string, detail: unknown, id: string | undefined, reply: ReplySender) =>
  new BricksWebSocketFrameEvent(type, detail, id, reply);

const numberOr = (value: number | null | undefined, fallback: number) =>
  typeof value === 'number' && value >= 0 ? value : fallback;

/**
 * A vertical box that owns a WebSocket. Every JSON frame `{"type": T, "data": D}` from the
 * server becomes a `CustomEvent` named `T` with `detail` D; frames are sent with `send()`,
 * `sendText()`, `sendBase64Audio()`, `sendBase64Video()` and `sendRaw()`, and wait in an
 * ordered queue while the socket is not open. The element reconnects with backoff and
 * jitter, and can watch the connection with a heartbeat.
 *
 * @summary A WebSocket as a custom element: JSON frames in, DOM events out.
 * @tagname bricks-websocket
 *
 * @attr ws-url - Endpoint: ws:, wss:, http:, https: or a relative URL.
 * @attr with-session - Pass the session as the first subprotocol.
 * @attr session-origins - Space-separated origins besides the page's own that may receive the session.
 * @attr protocols - More subprotocols, comma- or space-separated, after the session.
 * @attr binary-type - `arraybuffer` or `blob`, for binary frames.
 * @attr queue-limit - Most frames held while the socket is not open.
 * @attr reconnect-delay - Base reconnection delay in ms.
 * @attr reconnect-max-delay - Cap of the reconnection delay in ms.
 * @attr max-retries - Reconnection attempts in a row before giving up; 0 turns reconnecting off.
 * @attr stop-codes - Space-separated close codes after which the element does not reconnect.
 * @attr heartbeat - Milliseconds between pings; 0 is off.
 * @attr heartbeat-timeout - How long a ping may go unanswered before the connection counts as dead.
 * @attr heartbeat-type - The `type` of the ping frame.
 * @attr request-timeout - Default ms a `request()` waits for its reply; 0 is no timeout.
 * @attr share - `page`: elements of this page with the same URL, subprotocols and session use one socket; `tabs`: one socket for every same-origin tab.
 *
 * @fires {CustomEvent<{url: string, protocol: string}>} open - The socket opened. Does not bubble.
 * @fires {CustomEvent<{data: string | ArrayBuffer | Blob}>} message - Every frame, raw, before parsing. Does not bubble.
 * @fires {CustomEvent<{kind: string, message: string, error?: unknown}>} error - Something went wrong; `kind` is `connection`, `frame`, `url`, `session`, `queue-full` or `send`. Does not bubble.
 * @fires {CustomEvent<{code: number, reason: string, wasClean: boolean}>} close - The socket closed. Does not bubble.
 * @fires {CustomEvent<{attempt: number, delay: number, code: number}>} reconnecting - A retry is scheduled after `delay` ms. Does not bubble.
 * @fires {CustomEvent<string>} text - A `text` frame; `detail` is its data. Does not bubble.
 * @fires {CustomEvent<string>} base64audio - A `base64audio` frame; `detail` is its data. Does not bubble.
 * @fires {CustomEvent<string>} base64video - A `base64video` frame; `detail` is its data. Does not bubble.
 *
 * @slot - Children, stacked vertically.
 * @cssprop [--bricks-websocket-gap=0] - Space between the stacked children.
 * @cssstate idle - No connection has been asked for.
 * @cssstate connecting - A connection attempt is under way.
 * @cssstate open - The socket is open.
 * @cssstate closing - `close()` was called; waiting for the socket to close.
 * @cssstate closed - Closed, and not reconnecting.
 * @cssstate reconnecting - Waiting to try again.
 */
export class BricksWebSocketElement extends LitElement {
  // The VBox. Written compact: the CDN bundle carries this string as it is.
  static override styles = css`:host{display:flex;flex-direction:column;gap:var(--bricks-websocket-gap,0)}:host([hidden]){display:none}`;

  // Plain `static properties` rather than decorators: no decorator helper in the output,
  // and Lit wraps the hand-written wsUrl accessor below just the same.
  static override properties = {
    wsUrl: { attribute: 'ws-url' },
    withSession: { type: Boolean, attribute: 'with-session' },
    sessionOrigins: { attribute: 'session-origins' },
    protocols: {},
    binaryType: { attribute: 'binary-type' },
    queueLimit: { type: Number, attribute: 'queue-limit' },
    reconnectDelay: { type: Number, attribute: 'reconnect-delay' },
    reconnectMaxDelay: { type: Number, attribute: 'reconnect-max-delay' },
    maxRetries: { type: Number, attribute: 'max-retries' },
    stopCodes: { attribute: 'stop-codes' },
    heartbeat: { type: Number },
    heartbeatTimeout: { type: Number, attribute: 'heartbeat-timeout' },
    heartbeatType: { attribute: 'heartbeat-type' },
    requestTimeout: { type: Number, attribute: 'request-timeout' },
    share: {},
    session: { attribute: false },
  };

  /** Endpoint. Changing it while connected closes the old socket (1000) and opens the new one. */
  get wsUrl(): string {
    return this.#wsUrl;
  }
  set wsUrl(value: string) {
    const next = value == null ? '' : String(value);
    if (next === this.#wsUrl) return;
    this.#wsUrl = next;
    if (!this.#attached) return;
    if (next) this.#connection.restart();
    else this.#connection.close(1000, '');
  }

  /**
   * `page`: share one socket with the elements of this page that have the same URL, subprotocols
   * and session; `tabs`: with those of every same-origin tab too. Empty: this element's own socket.
   * Changing it while connected leaves (or closes) the current connection and connects anew.
   */
  get share(): string {
    return this.#share;
  }
  set share(value: string) {
    const next = value == null ? '' : String(value);
    if (next === this.#share) return;
    this.#share = next;
    const previous = this.#connection;
    this.#connection = createLink(next, this.#hostFor());
    // Its late callbacks are ignored: stateChanged shows only the current link's state.
    if (previous.state !== 'idle' && previous.state !== 'closed') previous.close(1000, '');
    if (this.#attached && this.#wsUrl) this.#connection.open();
    else this.#showState(this.#connection.state);
  }

  /** Pass the session as the first subprotocol of each connection. */
  withSession = false;

  /** Space-separated origins besides the page's own that may receive the session. */
  sessionOrigins = '';

  /** More subprotocols, comma- or space-separated, after the session. */
  protocols = '';

  /** How binary frames arrive: `arraybuffer` or `blob`. */
  binaryType: BinaryType = 'arraybuffer';

  /** Most frames held while the socket is not open. */
  queueLimit = DEFAULT_QUEUE_LIMIT;

  /** Base reconnection delay in ms. */
  reconnectDelay = 1000;

  /** Cap of the reconnection delay in ms. */
  reconnectMaxDelay = 30000;

  /** Reconnection attempts in a row before giving up; 0 turns reconnecting off. */
  maxRetries = Infinity;

  /** Space-separated close codes after which the element does not reconnect. */
  stopCodes = '1000 1008';

  /** Milliseconds between pings while open; 0 is off. */
  heartbeat = 0;

  /** How long after a ping without any inbound frame the connection counts as dead; equal to `heartbeat` unless set. */
  get heartbeatTimeout(): number {
    return this.#heartbeatTimeout ?? this.heartbeat;
  }
  set heartbeatTimeout(value: number | null) {
    this.#heartbeatTimeout = value ?? null;
  }

  /** The `type` of the ping frame `{"type": heartbeatType, "data": Date.now()}`. */
  heartbeatType = 'ping';

  /** Default milliseconds a `request()` waits for its reply; 0 is no timeout. */
  requestTimeout = DEFAULT_REQUEST_TIMEOUT;

  /**
   * The session token, or a function returning it (or a promise of it), read anew for every
   * connection attempt. When null, `bricks.app.get_session()` is asked, if the page has it.
   */
  session: SessionSource = null;

  /** The socket's ready state, 0 to 3 as `WebSocket`; 3 when there is no socket. */
  get readyState(): number {
    return this.#connection.readyState;
  }

  /** The connection state, also matched by `:state(...)`. */
  get state(): ConnectionState {
    return this.#connection.state;
  }

  /** The live `WebSocket`, or null; with `share="tabs"`, null in the tabs that do not hold the socket. */
  get socket(): WebSocket | null {
    return this.#connection.socket;
  }

  /** The subprotocol the server chose, or `''`. */
  get protocol(): string {
    return this.#connection.protocol;
  }

  /** Bytes handed to the socket and not yet sent. */
  get bufferedAmount(): number {
    return this.#connection.socket?.bufferedAmount ?? 0;
  }

  /** Frames waiting in the send queue. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Requests awaiting a reply, queued or sent. */
  get pending(): number {
    return this.#requests.size;
  }

  #wsUrl = '';
  #share = '';
  #heartbeatTimeout: number | null = null;
  /** Set from connectedCallback until the end of the task that removed the element. */
  #attached = false;
  #queue = new SendQueue();
  #requests = new Requests((slot) => this.#queue.release(slot));
  /** Answers a server's request through the send queue, for `BricksWebSocketFrameEvent.reply()`. */
  #replySender = (id: string, answer: { data: unknown } | { error: ReplyErrorBody }): boolean => {
    let frame: string;
    try {
      frame = encodeReply(id, answer);
    } catch (error) {
      this.#fail('send', `reply to request ${JSON.stringify(id)}: data is not JSON (a cycle? a BigInt?), so nothing was sent.`, error);
      return false;
    }
    return this.#enqueue(frame);
  };
  #internals: ElementInternals | undefined;
  #shownState: ConnectionState | undefined;
  /** Its own `Connection`, or a membership in a shared one (src/hub.ts). */
  #connection: Link = createLink('', this.#hostFor());

  constructor() {
    super();
    try {
      this.#internals = this.attachInternals();
      this.#setState('idle');
    } catch {
      // No ElementInternals: state styling is unavailable, everything else works.
    }
  }

  override render() {
    return html`<slot></slot>`;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.#attached) return; // re-inserted in the task that removed it: a move
    this.#settle();
    this.#attached = true;
    if (this.#wsUrl) this.#connection.open();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    // Wait for the end of the task: remove-then-insert is a move and keeps the socket.
    queueMicrotask(() => {
      if (this.isConnected || !this.#attached) return;
      this.#attached = false;
      this.#requests.abortAll();
      this.#connection.close(1000, '');
    });
  }

  /** `moveBefore()` keeps the element, and so its socket, as it is. */
  connectedMoveCallback(): void {}

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('binaryType') && this.socket) this.socket.binaryType = this.#binaryType();
    if (changed.has('heartbeat') || changed.has('heartbeatTimeout')) this.#connection.heartbeatChanged();
  }

  /** Opens the socket if it is not open or opening; during a reconnect wait, tries at once. */
  connect(): void {
    this.#settle();
    this.#connection.open();
  }

  /** Closes the socket; it stays closed until `connect()`, a new `ws-url` or re-insertion. */
  close(code = 1000, reason = ''): void {
    if (typeof code !== 'number' || typeof reason !== 'string') throw new TypeError('close(code, reason): code is a number (1000 or 3000-4999), reason a string.');
    this.#requests.abortAll();
    this.#connection.close(code, reason);
  }

  /** Sends `{"type": type, "data": data}`; false when the frame could not be sent or queued. */
  send(type: string, data?: unknown): boolean {
    if (typeof type !== 'string' || type === '') {
      throw new TypeError('send(type, data): type must be a non-empty string.');
    }
    let frame: string;
    try {
      frame = encodeFrame(type, data);
    } catch (error) {
      this.#fail('send', `send(${JSON.stringify(type)}): data is not JSON (a cycle? a BigInt?), so nothing was sent.`, error);
      return false;
    }
    return this.#enqueue(frame);
  }

  /** Sends a `text` frame. */
  sendText(text: string): boolean {
    if (typeof text !== 'string') throw new TypeError('sendText(text): text must be a string.');
    return this.send('text', text);
  }

  /** Sends a `base64audio` frame: a string as given (already base64), binary input encoded. */
  sendBase64Audio(audio: string | BinaryInput): Promise<boolean> {
    return this.#sendBase64('base64audio', audio, 'sendBase64Audio(audio)');
  }

  /** Sends a `base64video` frame: a string as given (already base64), binary input encoded. */
  sendBase64Video(video: string | BinaryInput): Promise<boolean> {
    return this.#sendBase64('base64video', video, 'sendBase64Video(video)');
  }

  /** Sends one frame exactly as given. */
  sendRaw(data: Payload): boolean {
    if (typeof data !== 'string' && !isBinary(data) && !isBlob(data)) {
      throw new TypeError('sendRaw(data): pass a string, an ArrayBuffer, a typed array or a Blob.');
    }
    return this.#enqueue(data);
  }

  /**
   * Sends `{"type": type, "data": data, "id": ...}` and resolves with the `data` of the server's
   * `reply` frame with the same `id`; rejects with `ReplyError` for an error reply, or with a
   * `DOMException`: `TimeoutError`, `AbortError` (the signal's reason, `close()`, removal),
   * `NetworkError` (the socket closed after the request left; it is never resent),
   * `QuotaExceededError` (the queue is full).
   */
  request<T = unknown>(type: string, data?: unknown, options?: BricksWebSocketRequestOptions): Promise<T> {
    if (typeof type !== 'string' || type === '') throw new TypeError('request(type, data, options): type must be a non-empty string.');
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new TypeError('request(type, data, options): options must be an object.');
    }
    const { timeout = numberOr(this.requestTimeout, DEFAULT_REQUEST_TIMEOUT), signal } = options ?? {};
    if (typeof timeout !== 'number' || !(timeout >= 0)) {
      throw new TypeError('request(type, data, options): timeout must be a number of milliseconds, 0 or more.');
    }
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError('request(type, data, options): signal must be an AbortSignal.');
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.#requests.nextId();
    let frame: string;
    try {
      frame = encodeFrame(type, data, id);
    } catch (error) {
      this.#fail('send', `request(${JSON.stringify(type)}): data is not JSON (a cycle? a BigInt?), so nothing was sent.`, error);
      return Promise.reject(error);
    }
    const reply = this.#requests.add<T>(id, timeout, signal);
    if (this.#queue.size === 0 && this.#connection.send(frame)) return reply;
    const slot = this.#queue.reserve(this.#queueLimit(), frame);
    if (slot) {
      slot.sent = () => this.#requests.sent(id);
      this.#requests.queued(id, slot);
    } else {
      this.#queueFull();
      this.#requests.refuse(id, new DOMException(`The send queue is full (${this.#queueLimit()} frames).`, 'QuotaExceededError'));
    }
    return reply;
  }

  // ── sending ─────────────────────────────────────────────────────────────

  #queueLimit(): number {
    this.#settle();
    return numberOr(this.queueLimit, DEFAULT_QUEUE_LIMIT);
  }

  #enqueue(payload: Payload): boolean {
    // The hot path: open and nothing waiting, so straight to the socket.
    if (this.#queue.size === 0 && this.#connection.send(payload)) return true;
    if (this.#queue.reserve(this.#queueLimit(), payload)) return true;
    this.#queueFull();
    return false;
  }

  #sendBase64(type: string, input: string | BinaryInput, call: string): Promise<boolean> {
    if (typeof input === 'string') return Promise.resolve(this.#enqueue(encodeFrame(type, input)));
    if (!isBlob(input) && !isBinary(input)) {
      throw new TypeError(`${call}: pass a base64 string, a Blob, an ArrayBuffer or a typed array.`);
    }
    // Take the place in line now, so frames sent after this call leave after it.
    const slot = this.#queue.reserve(this.#queueLimit());
    if (!slot) {
      this.#queueFull();
      return Promise.resolve(false);
    }
    return toBase64(input).then(
      (base64) => {
        slot.payload = encodeBase64Frame(type, base64);
        this.#flush();
        return true;
      },
      (error) => {
        this.#queue.release(slot);
        this.#fail('send', `${call}: reading the input failed, so nothing was sent.`, error);
        this.#flush();
        return false;
      },
    );
  }

  #flush(): void {
    this.#queue.drain((payload) => this.#connection.send(payload));
  }

  #queueFull(): void {
    const limit = this.#queueLimit();
    this.#fail('queue-full', `Queue full (${limit} frames), so this one was not queued: raise queue-limit or wait for open.`);
  }

  /**
   * Properties a page set before the element was defined are kept by Lit and applied at the
   * first update, which would come after connectedCallback has already dialled. Taking that
   * update now puts them in force for the very first attempt.
   */
  #settle(): void {
    if (!this.hasUpdated) this.performUpdate();
  }

  // ── events ──────────────────────────────────────────────────────────────

  #fire(type: string, detail: unknown): void {
    this.dispatchEvent(eventOf(type, detail));
  }

  #fail(kind: BricksWebSocketErrorKind, message: string, error?: unknown): void {
    this.#fire('error', error === undefined ? { kind, message } : { kind, message, error });
  }

  /** Shows `state` in `:state(...)`; returns the state it replaces. */
  #setState(state: ConnectionState): ConnectionState | undefined {
    const previous = this.#shownState;
    this.#shownState = state;
    const states = this.#internals?.states;
    if (!states) return previous;
    try {
      states.clear();
      states.add(state);
    } catch {
      // Engines with the older dashed-ident syntax only: state styling is unavailable.
    }
    return previous;
  }

  #showState(state: ConnectionState): void {
    // The socket that carried sent requests is gone, whatever replaces it.
    if (this.#setState(state) === 'open' && state !== 'open') this.#requests.disconnected();
  }

  #binaryType(): BinaryType {
    return this.binaryType === 'blob' ? 'blob' : 'arraybuffer';
  }

  #policy(): ConnectionPolicy {
    const heartbeat = numberOr(this.heartbeat, 0);
    return {
      reconnectDelay: numberOr(this.reconnectDelay, 1000),
      reconnectMaxDelay: numberOr(this.reconnectMaxDelay, 30000),
      maxRetries: numberOr(this.maxRetries, Infinity),
      stopCodes: new Set(splitList(String(this.stopCodes ?? '')).map(Number)),
      heartbeat,
      heartbeatTimeout: numberOr(this.heartbeatTimeout, heartbeat),
      heartbeatType: this.heartbeatType || 'ping',
      binaryType: this.#binaryType(),
    };
  }

  #target(): Target | TargetProblem | Promise<Target | TargetProblem> {
    if (!this.#wsUrl) {
      return { kind: 'url', message: 'ws-url is empty: set it before connecting.' };
    }
    const url = resolveSocketUrl(this.#wsUrl, document.baseURI);
    if (!(url instanceof URL)) return url;
    const build = (session: string | null | TargetProblem) =>
      session !== null && typeof session === 'object'
        ? session
        : buildTarget(url, String(this.protocols ?? ''), session, this.withSession, location.origin, String(this.sessionOrigins ?? ''));
    if (!this.withSession) return build(null);
    const session = readSession(this.session ?? bricksSession);
    return session instanceof Promise ? session.then(build) : build(session);
  }

  #hostFor(): ConnectionHost {
    return {
      target: () => this.#target(),
      policy: () => this.#policy(),
      stateChanged: (state) => {
        // A link replaced by a new `share` may still report; only the current one is shown.
        if (state === this.#connection.state) this.#showState(state);
      },
      opened: (socket) => {
        this.#flush();
        this.#fire('open', { url: socket.url, protocol: socket.protocol });
      },
      received: (data) => {
        this.#fire('message', { data });
        if (typeof data !== 'string') return; // binary frames are data, not envelopes
        const frame = decodeFrame(data);
        if (frame.type !== undefined) this.dispatchEvent(frameEventOf(frame.type, frame.data, frame.id, this.#replySender));
        else if (frame.reply) this.#requests.settle(frame.reply);
        else this.#fail('frame', `A frame ${frame.problem}, so it came only as message: ${preview(data)}. Send {"type", "data"} objects.`);
      },
      closed: (code, reason, wasClean) => this.#fire('close', { code, reason, wasClean }),
      failed: (kind, message, error) => this.#fail(kind, message, error),
      reconnecting: (attempt, delay, code) => this.#fire('reconnecting', { attempt, delay, code }),
    };
  }
}

/** The properties a page or framework sets, for framework typings (React, Vue). */
export type BricksWebSocketProperties = Partial<
  Pick<
    BricksWebSocketElement,
    | 'wsUrl'
    | 'withSession'
    | 'sessionOrigins'
    | 'protocols'
    | 'binaryType'
    | 'queueLimit'
    | 'reconnectDelay'
    | 'reconnectMaxDelay'
    | 'maxRetries'
    | 'stopCodes'
    | 'heartbeat'
    | 'heartbeatTimeout'
    | 'heartbeatType'
    | 'requestTimeout'
    | 'share'
    | 'session'
  >
>;

type Listener<K extends keyof BricksWebSocketEventMap> = (this: BricksWebSocketElement, event: BricksWebSocketEventMap[K]) => unknown;

// Typed listeners for the element's own events and the built-in frame types.
export interface BricksWebSocketElement {
  addEventListener<K extends keyof BricksWebSocketEventMap>(type: K, listener: Listener<K>, options?: boolean | AddEventListenerOptions): void;
  addEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: HTMLElement, event: HTMLElementEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: (this: BricksWebSocketElement, event: BricksWebSocketFrameEvent<unknown>) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof BricksWebSocketEventMap>(type: K, listener: Listener<K>, options?: boolean | EventListenerOptions): void;
  removeEventListener<K extends keyof HTMLElementEventMap>(type: K, listener: (this: HTMLElement, event: HTMLElementEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: (this: BricksWebSocketElement, event: BricksWebSocketFrameEvent<unknown>) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
}
