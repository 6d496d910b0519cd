import { ReactiveElement, css } from '@lit/reactive-element';
import { closeProblem, policyOf, type ConnectionHost, type ConnectionState } from './connection/connection.js';
import { DEFAULT_BUFFER_LIMIT } from './connection/flow-control.js';
import type { Link } from './connection/link.js';
import { Outbox } from './connection/outbox.js';
import { Presence } from './connection/presence.js';
import { withResume } from './connection/resume-loader.js';
import { targetOf, type Resumer, type SessionSource } from './connection/target.js';
import { DeclarativeLoader } from './declarative/declarative-loader.js';
import { CustomStates } from './element/custom-states.js';
import { adoptStylesIn, boxRoot } from './element/document-styles.js';
import { Emitter } from './element/emitter.js';
import type { BricksWebSocketEventMap } from './element/events.js';
import { numberSetting, type NumberSettings } from './element/number-setting.js';
import type { BinaryInput } from './frames/base64.js';
import { sendBase64 } from './frames/clips.js';
import { decodeFrame, envelopeOf } from './frames/codec.js';
import type { BricksWebSocketFrameEvent } from './frames/frame-event.js';
import { preview, sendProblem, type Payload } from './frames/payload.js';
import { Requests, type BricksWebSocketRequestOptions } from './requests/requests.js';
import { ServerReplies } from './requests/server-replies.js';
import { createLink } from './sharing/hub.js';

export type { ConnectionState as BricksWebSocketState } from './connection/connection.js';
export type { SessionSource as BricksWebSocketSession } from './connection/target.js';

/** The declarative layer, imported at its first use; one function for every element, by which its module is kept. */
const importDeclarative = () => import('./declarative/declarative.js');
const REPLY_ADVICE = 'A reply is {"type": "reply", "id": <the request\'s id>} with exactly one of "data" or "error": {"message": ...}.';

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
 * @attr resume - Every frame exactly once and in order, both ways, across drops and reconnects, with a server that speaks resume (PROTOCOL.md); from the next connection.

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
 * @fires {CustomEvent<{recovered: boolean, missed: number, resent: number}>} resumed - With `resume`, after each reconnect: whether the server gave back everything the page missed (`false`: fetch the page's state again), how many frames it gave back, how many the page sent again. Does not bubble.
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
    resume: { type: Boolean },
    session: { attribute: false },
  };

  /** Endpoint. Changing it while connected closes the old socket (1000) and opens the new one. */
  get wsUrl(): string { return this.#wsUrl; }
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
  get share(): string { return this.#share; }
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

  /**
   * Every frame exactly once and in order, in both directions, across drops and reconnects, with
   * a server that speaks resume (`bricks-websocket/server`, or PROTOCOL.md); `resumed` fires after
   * each reconnect. From the next connection; the stream lasts as long as the element.
   */
  resume = false;

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
  get queueLimit(): number { return this.#numbers.queueLimit ?? 1000; }
  set queueLimit(value: number) { this.#numbers.queueLimit = numberSetting(value); }

  /**
   * Base reconnection delay in ms.
   * @default 1000
   */
  get reconnectDelay(): number { return this.#numbers.reconnectDelay ?? 1000; }
  set reconnectDelay(value: number) { this.#numbers.reconnectDelay = numberSetting(value); }

  /**
   * Cap of the reconnection delay in ms.
   * @default 30000
   */
  get reconnectMaxDelay(): number { return this.#numbers.reconnectMaxDelay ?? 30000; }
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
  get connectTimeout(): number { return this.#numbers.connectTimeout ?? 10000; }
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
  get requestTimeout(): number { return this.#numbers.requestTimeout ?? 10000; }
  set requestTimeout(value: number) { this.#numbers.requestTimeout = numberSetting(value); }

  /** Bytes the socket may buffer before frames wait in the queue; 0 turns flow control off. */
  get bufferLimit(): number { return this.#out.flow.limit; }
  set bufferLimit(value: number | null) { this.#out.flow.limit = numberSetting(value) ?? DEFAULT_BUFFER_LIMIT; }

  /**
   * The session token, or a function returning it (or a promise of it), read anew for every
   * connection attempt. When null, `bricks.app.get_session()` is asked, if the page has it.
   */
  session: SessionSource = null;

  /** The socket's ready state, 0 to 3 as `WebSocket`; 3 when there is no socket. */
  get readyState(): number { return this.#connection.readyState; }

  /** The connection state, also matched by `:state(...)`. */
  get state(): ConnectionState { return this.#connection.state; }

  /** The live `WebSocket`, or null; with `share="tabs"`, null in the tabs that do not hold the socket. */
  get socket(): WebSocket | null { return this.#connection.socket; }

  /** The subprotocol the server chose, or `''`. */
  get protocol(): string { return this.#connection.protocol; }

  /** Bytes handed to the socket and not yet sent. */
  get bufferedAmount(): number { return this.#connection.socket?.bufferedAmount ?? 0; }

  /** Frames waiting in the send queue. */
  get queued(): number { return this.#out.size; }

  /** Requests awaiting a reply, queued or sent. */
  get pending(): number { return this.#requests.size; }

  /** Frames wait in the queue because the socket's buffer is over `bufferLimit`; also `:state(backpressure)`. */
  get backpressure(): boolean { return this.#out.flow.backpressure; }

  #wsUrl = '';
  #share = '';
  #numbers: NumberSettings = {};
  /** Its events, made outside the class (src/element/emitter.ts). */
  #events = new Emitter(this);
  /** Its send queue, whose outlet is the link, with flow control (src/connection/outbox.ts). */
  #out = new Outbox({
    link: () => this.#connection,
    limit: () => this.queueLimit,
    fail: (kind, message, error) => this.#events.fail(kind, message, error),
    changed: (on) => this.#states.toggle('backpressure', on),
    drained: (bufferedAmount) => this.#events.fire('drain', { bufferedAmount }),
  });
  #requests = new Requests({ queue: this.#out, limit: () => this.queueLimit, fail: (message, error) => this.#events.fail('send', message, error) });
  /** How `BricksWebSocketFrameEvent.reply()` answers the server's requests (src/requests/server-replies.ts). */
  #answers = new ServerReplies({ out: this.#out, claim: (id) => this.#connection.claimReply(id), fail: (message, error) => this.#events.fail('send', message, error) });
  #states = new CustomStates(this);
  /** Its own `Connection`, or a membership in a shared one (src/sharing/hub.ts). */
  #connection: Link = createLink('', this.#hostFor());
  /** The resume stream of the connection that opened last, null without (undefined before the first): what the requests sent on it wait for. */
  #stream: Resumer | null | undefined;
  /**
   * The document of the window that defined this element. Once that window has gone (its iframe
   * removed or navigated), no timer, socket or event of this code runs, and some engines remove
   * its globals: every call then does nothing and says so in what it returns, and none throws.
   */
  #home = this.ownerDocument;
  /** The data-* bindings of the descendants, while the element is in a document; loaded on first use. */
  #declarative: DeclarativeLoader | null = null;
  // In a live document: connect on arrival, close like close() on leaving; let go while the page is cached.
  #presence = new Presence(this, {
    arrived: () => {
      this.#declarative = new DeclarativeLoader(this, (kind, message, error) => this.#events.fail(kind, message, error), importDeclarative, () => this.#requests.place(() => this.requestTimeout));
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
    hidden: () => this.#connection.suspend(1000, 'pagehide'),
    shown: () => this.#connection.restore(),
    resumed: () => this.#connection.wake(),
    // Its timers never fire afterwards: a request awaiting a reply would wait for ever.
    unloading: () => this.#requests.abortAll(),
  });

  constructor() {
    super();
    this.#showState('idle');
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
    this.#events.listening(args[0]);
  }

  // One `<slot>`, made once: a VBox needs no template, so the element is built on Lit's
  // ReactiveElement and leaves lit-html out (3 KB min+gzip less in the CDN bundle).
  protected override createRenderRoot(): HTMLElement | DocumentFragment {
    return boxRoot(super.createRenderRoot() as ShadowRoot, (this.constructor as typeof ReactiveElement).elementStyles);
  }

  /** Moved to another document: its styles are made anew there (src/element/document-styles.ts). */
  adoptedCallback(): void {
    if (this.renderRoot) adoptStylesIn(this.renderRoot as ShadowRoot, (this.constructor as typeof ReactiveElement).elementStyles);
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
    if (refused) this.#events.fail('connection', `close(${code}) refused: use 1000 or 3000-4999 and a reason under 124 bytes. Closed with 1000.`, refused);
  }

  /** Sends `{"type": type, "data": data}`; false when the frame could not be sent or queued. */
  send(type: string, data?: unknown): boolean {
    const frame = envelopeOf(type, data, (message, error) => this.#events.fail('send', message, error));
    return frame !== null && this.#push(frame);
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
    return this.#push(data, true);
  }

  /**
   * Sends `{"type": type, "data": data, "id": ...}` and resolves with the `data` of the server's
   * `reply` frame with the same `id`; rejects with `ReplyError` for an error reply, or with a
   * `DOMException`: `TimeoutError`, `AbortError` (the signal's reason, `close()`, removal),
   * `NetworkError` (the socket closed after the request left; it is never resent, except under
   * `resume`, where only a `resumed` with `recovered: false` can lose it),
   * `QuotaExceededError` (the queue is full).
   */
  request<T = unknown>(type: string, data?: unknown, options?: BricksWebSocketRequestOptions): Promise<T> {
    return this.#requests.request<T>(type, data, options, this, this.#gone);
  }

  // ── sending ─────────────────────────────────────────────────────────────

  /** Queued, or sent when the socket is open; never in a window that has gone (nothing there would send it). */
  #push(payload: Payload, raw?: boolean): boolean {
    return !this.#gone && this.#out.push(payload, raw);
  }

  #sendBase64(type: string, input: string | BinaryInput, call: string): Promise<boolean> {
    return sendBase64(this.#gone ? null : this.#out, type, input, call, (message, error) => this.#events.fail('send', message, error));
  }

  // ── wiring ──────────────────────────────────────────────────────────────

  get #gone(): boolean { return !this.#home.defaultView; }

  /** Removed from the document (not moved): nothing waits for an answer any more, and the bindings let go. */
  #leave(): void {
    this.#requests.abortAll();
    this.#declarative?.dispose();
    this.#declarative = null;
  }

  /** Shows `state` in `:state(...)` (in place of the previous one) and to the declarative layer. */
  #showState(state: ConnectionState): void {
    this.#declarative?.stateChanged(state);
    if (this.#states.show(state) !== 'open' || state === 'open') return;
    // The socket that carried sent requests is gone, whatever replaces it (under resume the
    // stream goes on, and they wait for its verdict); frames that waited behind its buffer now
    // wait for the next one.
    // So do the server's requests and the answers waiting for them.
    if (!this.#stream || state === 'closed') this.#requests.disconnected(), this.#answers.closed();
    this.#out.closed();
  }

  #hostFor(): ConnectionHost {
    return {
      target: () => {
        const target = targetOf(this, document.baseURI, location.origin);
        return this.resume ? withResume(target) : target;
      },
      policy: () => policyOf(this),
      stateChanged: (state) => {
        // A link replaced by a new `share` may still report; only the current one is shown.
        if (state === this.#connection.state) this.#showState(state);
      },
      opened: (socket) => {
        // Another stream (a new ws-url or share, resume turned on or off) never answers what the old one carried.
        const stream = this.#connection.stream;
        if (stream !== this.#stream) this.#requests.disconnected(), this.#answers.closed();
        this.#stream = stream;
        this.#answers.opened();
        this.#out.opened();
        this.#events.fire('open', { url: socket.url, protocol: socket.protocol });
      },
      received: (data) => {
        this.#events.message(data);
        if (typeof data !== 'string') return; // binary frames are data, not envelopes
        const frame = decodeFrame(data);
        if (frame.type !== undefined) {
          this.#events.frame(frame.type, frame.data, frame.id, this.#answers.sender);
          this.#declarative?.receive(frame.type, frame.data);
        }
        else if (frame.reply) this.#requests.settle(frame.reply);
        // Without a message listener no event carried it: say so rather than point at one that never came.
        else this.#events.fail('frame', `A frame ${frame.problem}, so it came only as ${this.#events.heard ? 'message' : 'this error (a message listener gets it raw)'}: ${preview(data)}. ${frame.problem.startsWith('is a reply') ? REPLY_ADVICE : 'Send {"type", "data"} objects.'}`);
      },
      closed: (code, reason, wasClean) => this.#events.fire('close', { code, reason, wasClean }),
      failed: (kind, message, error) => this.#events.fail(kind, message, error),
      reconnecting: (attempt, delay, code) => this.#events.fire('reconnecting', { attempt, delay, code }),
      resumed: (detail, spared) => {
        // After recovered: false, requests the server had taken: their replies went with the old stream.
        this.#requests.disconnected(spared);
        // and the server's requests with it: their answers are refused, and a new stream begins.
        if (!detail.recovered) this.#answers.closed(), this.#answers.opened();
        this.#events.fire('resumed', detail);
      },
      acknowledged: () => this.#out.flush(),
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
