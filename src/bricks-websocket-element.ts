import { ReactiveElement, css } from '@lit/reactive-element';
import type { BinaryInput } from './frames/base64.js';
import { sendClip } from './frames/clips.js';
import { decodeFrame, encodeFrame } from './frames/codec.js';
import { closeProblem, policyOf, type ConnectionHost, type ConnectionState } from './connection/connection.js';
import { CustomStates } from './element/custom-states.js';
import { DeclarativeLoader } from './declarative/declarative-loader.js';
import type { Place } from './declarative/scope.js';
import { adoptStylesIn } from './element/document-styles.js';
import type { BricksWebSocketErrorKind, BricksWebSocketEventMap } from './element/events.js';
import { DEFAULT_BUFFER_LIMIT, FlowControl } from './connection/flow-control.js';
import { BricksWebSocketFrameEvent, type ReplySender } from './frames/frame-event.js';
import { numberSetting } from './element/number-setting.js';
import { describePayload, isBinary, isBlob, preview, sendProblem, type Payload } from './frames/payload.js';
import { Presence } from './connection/presence.js';
import { PageLifecycle } from './connection/page-lifecycle.js';
import type { Link } from './connection/link.js';
import { createLink } from './sharing/hub.js';
import { Requests, type BricksWebSocketRequestOptions } from './requests/requests.js';
import { SendQueue, type Outlet, type Slot } from './connection/send-queue.js';
import { ServerReplies } from './requests/server-replies.js';
import { targetOf, type SessionSource } from './connection/target.js';
import { UnhandledErrors } from './element/unhandled-errors.js';

export type { ConnectionState as BricksWebSocketState } from './connection/connection.js';
export type { SessionSource as BricksWebSocketSession } from './connection/target.js';

const DEFAULT_QUEUE_LIMIT = 1000;
const DEFAULT_RECONNECT_DELAY = 1000;
const DEFAULT_RECONNECT_MAX_DELAY = 30000;
const DEFAULT_CONNECT_TIMEOUT = 10000;
const DEFAULT_REQUEST_TIMEOUT = 10000;
/** Taken while the window is alive: where it has gone, Chromium removes the global. */
const Abort = DOMException;
const REPLY_ADVICE = 'A reply is {"type": "reply", "id": <the request\'s id>} with exactly one of "data" or "error": {"message": ...}.';

/** An AbortSignal from this window or another (an iframe's), where instanceof would say no. */
const isAbortSignal = (value: unknown) => Object.prototype.toString.call(value) === '[object AbortSignal]';

/** Events are made outside the class so the manifest analyzer lists only the documented names. */
const eventOf = (type: string, detail: unknown, cancelable = false) => new CustomEvent(type, { detail, cancelable });
const frameEventOf = (type: string, detail: unknown, id: string | undefined, reply: ReplySender) =>
  new BricksWebSocketFrameEvent(type, detail, id, reply);

type NumericSetting = 'queueLimit' | 'reconnectDelay' | 'reconnectMaxDelay' | 'maxRetries' | 'connectTimeout' | 'heartbeat' | 'heartbeatTimeout' | 'requestTimeout';

/**
 * A vertical box that owns a WebSocket. Every JSON frame `{"type": T, "data": D}` from the
 * server becomes a `CustomEvent` named `T` with `detail` D; frames are sent with `send()`,
 * `sendText()`, `sendBase64Audio()`, `sendBase64Video()` and `sendRaw()`, and wait in an
 * ordered queue while the socket is not open or its buffer is over `buffer-limit`. The element
 * reconnects with backoff and jitter, can watch the connection with a heartbeat, and lets go of
 * its socket while the page is in the back/forward cache. Descendants can send and show frames
 * with `data-*` attributes and no script (README, "Without a script").
 *
 * @summary A WebSocket as a custom element: JSON frames in, DOM events out.
 * @tagname bricks-websocket
 *
 * @attr ws-url - Endpoint: ws:, wss:, http:, https: or a relative URL.
 * @attr with-session - Pass the session as the first subprotocol.
 * @attr session-origins - Space-separated origins besides the page's own that may receive the session.
 * @attr protocols - More subprotocols, comma- or space-separated, after the session.
 * @attr binary-type - `arraybuffer` or `blob`, for binary frames.
 * @attr queue-limit - Most frames that may wait for the connection or behind `buffer-limit`; a send while open and under the limit is never refused.
 * @attr reconnect-delay - Base reconnection delay in ms.
 * @attr reconnect-max-delay - Cap of the reconnection delay in ms.
 * @attr max-retries - Reconnection attempts in a row before giving up; 0 turns reconnecting off.
 * @attr connect-timeout - Most ms a connection attempt may take to open before it is abandoned; 0 is no limit.
 * @attr stop-codes - Space-separated close codes after which the element does not reconnect.
 * @attr heartbeat - Milliseconds between pings; 0 is off.
 * @attr heartbeat-timeout - How long a ping may go unanswered before the connection counts as dead; `0` pings without ever counting it dead.
 * @attr heartbeat-type - The `type` of the ping frame.
 * @attr request-timeout - Default ms a `request()` waits for its reply; 0 is no timeout.
 * @attr buffer-limit - Bytes the socket may buffer before frames wait in the queue; 0 turns flow control off.

 * @attr share - `page`: elements of this page with the same URL, subprotocols and session use one socket; `tabs`: one socket for every same-origin tab.
 *
 * Numeric attributes and properties take a number or a string holding one; an empty,
 * unparsable or negative value means the default, as if absent.
 *
 * @fires {CustomEvent<{url: string, protocol: string}>} open - The socket opened. Does not bubble.
 * @fires {CustomEvent<{data: string | ArrayBuffer | Blob}>} message - Every frame, raw, before parsing, wherever a listener may take it (README, Events). Does not bubble.
 * @fires {CustomEvent<{kind: string, message: string, error?: unknown}>} error - Something went wrong; `kind` is `connection`, `frame`, `url`, `session`, `queue-full` or `send`. Cancelable: unless a listener calls `preventDefault()`, the element prints it with `console.error`, once per distinct cause. Does not bubble.
 * @fires {CustomEvent<{code: number, reason: string, wasClean: boolean}>} close - The socket closed. Does not bubble.
 * @fires {CustomEvent<{attempt: number, delay: number, code: number}>} reconnecting - A retry is scheduled after `delay` ms. Does not bubble.
 * @fires {BricksWebSocketFrameEvent<string>} text - A `text` frame; `detail` is its data. Does not bubble.
 * @fires {BricksWebSocketFrameEvent<string>} base64audio - A `base64audio` frame; `detail` is its data. Does not bubble.
 * @fires {BricksWebSocketFrameEvent<string>} base64video - A `base64video` frame; `detail` is its data. Does not bubble.
 * @fires {CustomEvent<{bufferedAmount: number}>} drain - Frames had to wait behind `buffer-limit`; now all have left and the buffer is at or below half the limit. Does not bubble.
 *
 * @descendantattr data-send - On a form or button: submitting the form (it does not navigate) or clicking the button sends a frame of this type; the form is reset once the frame is sent or queued.
 * @descendantattr data-request - On a form or button: sends a request of this type with `request()`; `aria-busy="true"` until it settles.
 * @descendantattr data-send-when - `open`: the form's controls or the button are disabled unless the connection is open.
 * @descendantattr data-receive - On any element: each frame of this type sets its text, appends a clone of its `<template>`, or plays in an `<audio>`/`<video>`.
 * @descendantattr data-reply - Shows the reply to a `data-request` of this type, as `data-receive` shows frames.
 * @descendantattr data-reply-error - Shows the failure of a `data-request` of this type: `{message, code, data}`, the message when shown as text.
 * @descendantattr data-field - A property path in the frame's data, such as `from` or `meta.at`; in a template, the part shown by this node.
 * @descendantattr data-field-attr - In a template: `attr:path` pairs, space-separated; never `on*` attributes; URLs only http:, https:, mailto:, relative or data: of media.
 * @descendantattr data-insert - `prepend`: new clones go first instead of last.
 * @descendantattr data-limit - Keeps only the last N clones.
 * @descendantattr data-type - On an `<audio>` or `<video>` receiver: the clip's MIME type (default `audio/webm` or `video/webm`).
 * @descendantattr data-state - Its text is the element's connection state, kept current.
 *
 * @slot - Children, stacked vertically.
 * @cssprop [--bricks-websocket-gap=0] - Space between the stacked children.
 * @cssstate idle - No connection has been asked for.
 * @cssstate connecting - A connection attempt is under way.
 * @cssstate open - The socket is open.
 * @cssstate closing - `close()` was called; waiting for the socket to close.
 * @cssstate closed - Closed, and not reconnecting.
 * @cssstate reconnecting - Waiting to try again.
 * @cssstate backpressure - Frames wait behind `buffer-limit`; matches beside the connection state.
 */
export class BricksWebSocketElement extends ReactiveElement {
  // The VBox. Written compact: the CDN bundle carries this string as it is.
  static override styles = css`:host{display:flex;flex-direction:column;gap:var(--bricks-websocket-gap,0)}:host([hidden]){display:none}`;

  // Plain `static properties` rather than decorators: no decorator helper in the output,
  // and Lit wraps the hand-written accessors below just the same. The numeric ones have no
  // `type: Number`, which reads an empty attribute as 0: their setters read the string.
  static override properties = {
    wsUrl: { attribute: 'ws-url' },
    withSession: { type: Boolean, attribute: 'with-session' },
    sessionOrigins: { attribute: 'session-origins' },
    protocols: {},
    binaryType: { attribute: 'binary-type' },
    queueLimit: { attribute: 'queue-limit' },
    reconnectDelay: { attribute: 'reconnect-delay' },
    reconnectMaxDelay: { attribute: 'reconnect-max-delay' },
    maxRetries: { attribute: 'max-retries' },
    connectTimeout: { attribute: 'connect-timeout' },
    stopCodes: { attribute: 'stop-codes' },
    heartbeat: {},
    heartbeatTimeout: { attribute: 'heartbeat-timeout' },
    heartbeatType: { attribute: 'heartbeat-type' },
    requestTimeout: { attribute: 'request-timeout' },
    bufferLimit: { attribute: 'buffer-limit' },
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
    // Followed in the document, and outside it once connect() asked for a connection.
    if (this.#gone || (!this.#presence.present && !this.#connection.wanted)) return;
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
    if (this.#gone) return;
    const previous = this.#connection;
    // Outside the document, an element that connect() opened stays connected, as for ws-url.
    const wanted = this.#presence.present || previous.wanted;
    this.#connection = createLink(next, this.#hostFor());
    // Its late callbacks are ignored: stateChanged shows only the current link's state. Its
    // close is reported now, not when its socket confirms it, so it comes before the new `open`.
    if (previous.state !== 'idle' && previous.state !== 'closed') previous.closeNow(1000, '');
    if (wanted && this.#wsUrl) this.#connection.open();
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

  /**
   * Most frames that may wait for the connection or behind `bufferLimit`; a send while open and under the limit is never refused.
   * @default 1000
   */
  get queueLimit(): number { return this.#numbers.queueLimit ?? DEFAULT_QUEUE_LIMIT; }
  set queueLimit(value: number) { this.#numbers.queueLimit = numberSetting(value); }

  /**
   * Base reconnection delay in ms.
   * @default 1000
   */
  get reconnectDelay(): number { return this.#numbers.reconnectDelay ?? DEFAULT_RECONNECT_DELAY; }
  set reconnectDelay(value: number) { this.#numbers.reconnectDelay = numberSetting(value); }

  /**
   * Cap of the reconnection delay in ms.
   * @default 30000
   */
  get reconnectMaxDelay(): number { return this.#numbers.reconnectMaxDelay ?? DEFAULT_RECONNECT_MAX_DELAY; }
  set reconnectMaxDelay(value: number) { this.#numbers.reconnectMaxDelay = numberSetting(value); }

  /**
   * Reconnection attempts in a row before giving up; 0 turns reconnecting off.
   * @default Infinity
   */
  get maxRetries(): number { return this.#numbers.maxRetries ?? Infinity; }
  set maxRetries(value: number) { this.#numbers.maxRetries = numberSetting(value); }

  /**
   * Most ms a connection attempt, session included, may take to open before it is abandoned; 0 is no limit.
   * @default 10000
   */
  get connectTimeout(): number { return this.#numbers.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT; }
  set connectTimeout(value: number) { this.#numbers.connectTimeout = numberSetting(value); }

  /** Space-separated close codes after which the element does not reconnect. */
  stopCodes = '1000 1008';

  /**
   * Milliseconds between pings while open; 0 is off.
   * @default 0
   */
  get heartbeat(): number { return this.#numbers.heartbeat ?? 0; }
  set heartbeat(value: number) { this.#numbers.heartbeat = numberSetting(value); }

  /** How long after a ping without any inbound frame the connection counts as dead; equal to `heartbeat` unless set; `0` pings without ever counting it dead. */
  get heartbeatTimeout(): number { return this.#numbers.heartbeatTimeout ?? this.heartbeat; }
  set heartbeatTimeout(value: number | null) { this.#numbers.heartbeatTimeout = numberSetting(value); }

  /** The `type` of the ping frame `{"type": heartbeatType, "data": Date.now()}`. */
  heartbeatType = 'ping';

  /** Default milliseconds a `request()` waits for its reply; 0 is no timeout. */
  get requestTimeout(): number { return this.#numbers.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT; }
  set requestTimeout(value: number) { this.#numbers.requestTimeout = numberSetting(value); }

  /** Bytes the socket may buffer before frames wait in the queue; 0 turns flow control off. */
  get bufferLimit(): number {
    return this.#flow.limit;
  }
  set bufferLimit(value: number | null) {
    this.#flow.limit = numberSetting(value) ?? DEFAULT_BUFFER_LIMIT;
  }

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

  /** Frames wait in the queue because the socket's buffer is over `bufferLimit`; also `:state(backpressure)`. */
  get backpressure(): boolean {
    return this.#flow.backpressure;
  }

  #wsUrl = '';
  #share = '';
  /** What numberSetting() made of each numeric setting given; null or absent is the default. */
  #numbers: Partial<Record<NumericSetting, number | null>> = {};
  #queue = new SendQueue(this.#outletFor());
  #requests = new Requests((slot) => this.#queue.release(slot));
  /** How `BricksWebSocketFrameEvent.reply()` answers the server's requests (src/server-replies.ts). */
  #answers = new ServerReplies({
    queue: this.#queue,
    open: () => this.#connection.state === 'open' && this.#socketOpen(),
    claim: (id) => this.#connection.claimReply(id),
    fail: (message, error) => this.#fail('send', message, error),
  });
  #states = new CustomStates(this);
  /** Its own `Connection`, or a membership in a shared one (src/hub.ts). */
  #connection: Link = createLink('', this.#hostFor());
  #unhandled = new UnhandledErrors();
  /**
   * The document of the window that defined this element. Once that window has gone (its iframe
   * removed or navigated), no timer, socket or event of this code runs, and some engines remove
   * its globals: every call then does nothing and says so in what it returns, and none throws.
   */
  #home = this.ownerDocument;
  /**
   * Whether a `message` listener may be on the element. One added before the element was defined
   * (an upgrade) went through HTMLElement's own `addEventListener`, out of sight, so an upgraded
   * element always fires `message`; a new one does from its first `message` listener on.
   */
  #messageHeard = true;
  /** The data-* bindings of the descendants, while the element is in a document; loaded on first use. */
  #declarative: DeclarativeLoader | null = null;
  // In a live document: connect on arrival, close like close() on leaving.
  #presence = new Presence(this, {
    arrived: () => {
      this.#declarative = new DeclarativeLoader(this, (kind, message, error) => this.#fail(kind, message, error), undefined, () => this.#place());
      this.#lifecycle.attach(this.ownerDocument);
      if (this.#wsUrl) this.#connection.open();
    },
    // A move keeps the socket. One that close() closed opens again, as on any re-insertion:
    // whether the removal's task had ended is a race the page cannot see.
    moved: () => {
      if (this.#wsUrl && this.#connection.state === 'closed' && !this.#connection.wanted) this.#connection.open();
    },
    left: () => {
      this.#leave();
      this.#connection.close(1000, '');
    },
    // Events on an element in a document that has gone reach no listener (Chromium): report the close while they still do.
    documentGone: () => {
      this.#leave();
      this.#connection.closeNow(1000, '');
    },
  });
  #flow = new FlowControl({
    socket: () => this.#connection.socket,
    waiting: () => this.#queue.size,
    resume: () => this.#queue.flush(),
    changed: (on) => this.#states.toggle('backpressure', on),
    drained: (bufferedAmount) => this.#fire('drain', { bufferedAmount }),
  });
  #lifecycle = new PageLifecycle({
    hidden: () => this.#connection.suspend(1000, 'pagehide'),
    shown: () => this.#connection.restore(),
    resumed: () => this.#connection.wake(),
    // Its timers never fire afterwards: a request awaiting a reply would wait for ever.
    unloading: () => this.#requests.abortAll(),
  });

  constructor() {
    super();
    // During an upgrade the element is not yet :defined; constructed anew (createElement, the
    // parser after the definition, `new`), it already is, and nothing can have listened to it.
    // Decided before the first update below, whose hooks (a subclass's firstUpdated()) may listen.
    try {
      this.#messageHeard = !this.matches(':defined');
    } catch {
      // An engine without :defined: keep firing.
    }
    this.#setState('idle');
    // Properties a page set before the element was defined: Lit keeps them and would apply them
    // at the first update, a microtask after connectedCallback has already dialled with the
    // defaults. Taking that update now (Lit's documented performUpdate()) puts them in force at
    // once, for the first connection, every method and every read.
    this.performUpdate();
  }

  /** @internal Notes a `message` listener, so the raw frame is dispatched only when one may listen. */
  override addEventListener(...args: [type: string, listener: unknown, options?: boolean | AddEventListenerOptions]): void {
    // Converted here once, as the platform converts it; the arguments go on as given otherwise,
    // so too few throw as they do on any element.
    if (args.length > 0 && typeof args[0] !== 'string') args[0] = `${args[0] as string}`;
    super.addEventListener(...(args as [string, EventListenerOrEventListenerObject, (boolean | AddEventListenerOptions)?]));
    if (args[0] === 'message') this.#messageHeard = true;
  }

  // One `<slot>`, made once: a VBox needs no template, so the element is built on Lit's
  // ReactiveElement and leaves lit-html out (3 KB min+gzip less in the CDN bundle).
  // A declarative shadow root that came with the page may have its slot already.
  protected override createRenderRoot(): HTMLElement | DocumentFragment {
    const root = super.createRenderRoot() as ShadowRoot;
    if (this.ownerDocument !== document) this.#restyle(root);
    if (!root.querySelector('slot:not([name])')) root.append(this.ownerDocument.createElement('slot'));
    return root;
  }

  /** Moved to another document: its styles are made anew there (document-styles.ts). */
  adoptedCallback(): void {
    if (this.renderRoot) this.#restyle(this.renderRoot as ShadowRoot);
  }

  #restyle(root: ShadowRoot): void {
    adoptStylesIn(root, (this.constructor as typeof ReactiveElement).elementStyles);
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#presence.connected();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    // Takes effect at the end of the task: remove-then-insert is a move and keeps the socket.
    this.#presence.disconnected();
  }

  /** `moveBefore()` keeps the element, and so its socket, as it is. */
  connectedMoveCallback(): void {}

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('binaryType') || changed.has('heartbeat') || changed.has('heartbeatTimeout')) this.#connection.settingsChanged();
  }

  /** Opens the socket if it is not open or opening; during a reconnect wait, tries at once. */
  connect(): void {
    if (!this.#gone) this.#connection.open();
  }

  /** Closes the socket; it stays closed until `connect()`, a new `ws-url` or re-insertion. */
  close(code = 1000, reason = ''): void {
    if (typeof code !== 'number' || typeof reason !== 'string') throw new TypeError('close(code, reason): code is a number (1000 or 3000-4999), reason a string.');
    if (this.#gone) return;
    const refused = closeProblem(code, reason);
    this.#requests.abortAll();
    this.#connection.close(refused ? 1000 : code, refused ? '' : reason);
    // Reported once the state has moved on, like the other setting errors; for a shared
    // connection's member too, which has no socket of its own to refuse it.
    if (refused) this.#fail('connection', `close(${code}) refused: use 1000 or 3000-4999 and a reason under 124 bytes. Closed with 1000.`, refused);
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
    return this.#push(frame);
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

  /** Sends one frame exactly as given, with the bytes it has now. */
  sendRaw(data: Payload): boolean {
    const problem = sendProblem(data);
    if (problem !== null) throw new TypeError(`sendRaw(data): ${problem}`);
    return this.#push(data);
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
    if (type === 'reply') throw new TypeError('request(type, data, options): "reply" is the type of answers, so the server would never answer it; pick another type.');
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new TypeError('request(type, data, options): options must be an object.');
    }
    const { timeout = this.requestTimeout, signal } = options ?? {};
    if (typeof timeout !== 'number' || !(timeout >= 0)) {
      throw new TypeError('request(type, data, options): timeout must be a number of milliseconds, 0 or more.');
    }
    if (signal !== undefined && !isAbortSignal(signal)) {
      throw new TypeError('request(type, data, options): signal must be an AbortSignal.');
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#gone) return Promise.reject(new Abort("The element's window has gone, so nothing was sent.", 'AbortError'));
    return this.#request<T>(type, data, timeout, signal);
  }

  // ── sending ─────────────────────────────────────────────────────────────

  /** Queued, or sent when the socket is open; never in a window that has gone (nothing there would send it). */
  #push(payload: Payload): boolean {
    return !this.#gone && this.#queue.push(payload);
  }

  /** A checked request, in `reserved` (a place taken earlier for a kept `data-request`) or at the end of the queue. */
  #request<T>(type: string, data: unknown, timeout: number, signal?: AbortSignal, reserved?: Slot): Promise<T> {
    const id = this.#requests.nextId();
    let frame: string;
    try {
      frame = encodeFrame(type, data, id);
    } catch (error) {
      // Never with a place taken earlier: form data and button values are strings.
      this.#fail('send', `request(${JSON.stringify(type)}): data is not JSON (a cycle? a BigInt?), so nothing was sent.`, error);
      return Promise.reject(error);
    }
    const reply = this.#requests.add<T>(id, timeout, signal);
    const slot = reserved ?? this.#queue.reserve();
    if (!slot) {
      this.#requests.refuse(id, new DOMException(`The send queue is full (${this.queueLimit} frames).`, 'QuotaExceededError'));
      return reply;
    }
    // Followed in the queue until it is handed to the socket: then it can be lost, never unsent.
    slot.sent = () => this.#requests.sent(id);
    slot.once = true;
    this.#requests.queued(id, slot);
    this.#queue.fill(slot, frame);
    return reply;
  }

  #sendBase64(type: string, input: string | BinaryInput, call: string): Promise<boolean> {
    if (typeof input === 'string') return Promise.resolve(this.#push(encodeFrame(type, input)));
    if (!isBlob(input) && !isBinary(input)) {
      throw new TypeError(`${call}: pass a base64 string, a Blob, an ArrayBuffer or a typed array.`);
    }
    if (this.#gone) return Promise.resolve(false);
    return sendClip(this.#queue, type, input, (message, error) => this.#fail('send', `${call}: ${message}`, error));
  }

  /** A place in line for a frame or request of the declarative layer kept while it loads (declarative-loader.ts). */
  #place(): Place | null {
    const slot = this.#queue.reserve();
    return slot && {
      // Form data and button values are strings and arrays of them: always JSON.
      send: (type, data) => (this.#queue.fill(slot, encodeFrame(type, data)), !slot.refused),
      // The layer has checked the type as request() does.
      request: (type, data) => this.#request(type, data, this.requestTimeout, undefined, slot),
      release: () => this.#queue.release(slot),
    };
  }

  #outletFor(): Outlet {
    return {
      // Open (the socket, where this tab holds it), and flow control lets frames through
      // (bufferedAmount under buffer-limit). A tab that shares another tab's socket has none here.
      ready: () => this.#connection.state === 'open' && this.#socketOpen() && this.#flow.admits(this.#connection.socket),
      limit: () => this.queueLimit,
      send: (payload, once) => {
        // Only called while ready(), which is the connection's own test; never let a frame vanish.
        if (!this.#connection.send(payload, once)) throw new Error('The socket was not open.');
      },
      full: (limit) =>
        this.#fail('queue-full', this.#connection.state === 'open'
          ? `Queue full (${limit} frames waiting behind buffer-limit), so this one was not queued: raise queue-limit or buffer-limit, or wait for drain.`
          : `Queue full (${limit} frames), so this one was not queued: raise queue-limit or wait for open.`),
      refused: (payload, error) =>
        this.#fail('send', `The socket refused ${describePayload(payload)} (${(error as Error)?.message ?? error}), so it was not sent; the frames after it go on.`, error),
    };
  }


  // ── events ──────────────────────────────────────────────────────────────

  get #gone(): boolean {
    return !this.#home.defaultView;
  }

  #fire(type: string, detail: unknown): void {
    this.dispatchEvent(eventOf(type, detail));
  }

  /** Removed from the document (not moved): nothing waits for an answer any more, and the bindings let go. */
  #leave(): void {
    this.#lifecycle.detach();
    this.#requests.abortAll();
    this.#declarative?.dispose();
    this.#declarative = null;
  }

  #fail(kind: BricksWebSocketErrorKind, message: string, error?: unknown): void {
    const detail = error === undefined ? { kind, message } : { kind, message, error };
    const event = eventOf('error', detail, true);
    this.dispatchEvent(event);
    // Nobody handled it: say so on the console rather than leave a blank page without a word.
    if (!event.defaultPrevented) this.#unhandled.report(this, detail);
  }

  /** Shows `state` in `:state(...)` in place of the previous connection state; returns that one. */
  #setState(state: ConnectionState): ConnectionState | undefined {
    this.#declarative?.stateChanged(state);
    return this.#states.show(state);
  }

  #showState(state: ConnectionState): void {
    if (this.#setState(state) !== 'open' || state === 'open') return;
    // The socket that carried sent requests is gone, whatever replaces it; frames that
    // waited behind its buffer now wait for the next one.
    this.#requests.disconnected();
    this.#answers.closed();
    this.#flow.stop();
  }

  /** The socket in this tab is open, or this tab has none (it shares another tab's). */
  #socketOpen(): boolean {
    const socket = this.#connection.socket;
    return socket === null || socket.readyState === WebSocket.OPEN;
  }

  #hostFor(): ConnectionHost {
    return {
      target: () => targetOf(this, document.baseURI, location.origin),
      policy: () => policyOf(this),
      stateChanged: (state) => {
        // A link replaced by a new `share` may still report; only the current one is shown.
        if (state === this.#connection.state) this.#showState(state);
      },
      opened: (socket) => {
        this.#answers.opened();
        this.#queue.flush();
        this.#flow.opened();
        this.#fire('open', { url: socket.url, protocol: socket.protocol });
      },
      received: (data) => {
        if (this.#messageHeard) this.dispatchEvent(eventOf('message', { data }));
        if (typeof data !== 'string') return; // binary frames are data, not envelopes
        const frame = decodeFrame(data);
        if (frame.type !== undefined) {
          this.dispatchEvent(frameEventOf(frame.type, frame.data, frame.id, this.#answers.sender));
          this.#declarative?.receive(frame.type, frame.data);
        }
        else if (frame.reply) this.#requests.settle(frame.reply);
        // Without a message listener no event carried it: say so rather than point at one that never came.
        else this.#fail('frame', `A frame ${frame.problem}, so it came only as ${this.#messageHeard ? 'message' : 'this error (a message listener gets it raw)'}: ${preview(data)}. ${frame.problem.startsWith('is a reply') ? REPLY_ADVICE : 'Send {"type", "data"} objects.'}`);
      },
      closed: (code, reason, wasClean) => this.#fire('close', { code, reason, wasClean }),
      failed: (kind, message, error) => this.#fail(kind, message, error),
      reconnecting: (attempt, delay, code) => this.#fire('reconnecting', { attempt, delay, code }),
    };
  }
}

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
