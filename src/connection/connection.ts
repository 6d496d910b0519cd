/**
 * The connection and its state machine. One `Connection` owns at most one live WebSocket,
 * its reconnect timer, its heartbeat timer, and its network listeners. The element only
 * orchestrates: it tells the connection to open, restart or close, and reacts to the
 * host callbacks. Every state change goes through `#enter`.
 *
 *   idle ──open()──▶ connecting ──socket open──▶ open ──close()──▶ closing ──▶ closed
 *                        │  ▲                      │
 *   fails or times out   ▼  │ timer, online,       │ lost (not asked for, code not in
 *                   reconnecting ◀─────────────────┘ stop-codes, retries left)
 *                        │ retries spent / stop code
 *                        ▼
 *                      closed
 *
 * `closed` and the setting errors (`url`, `session`) are reported once the state has moved
 * on: a listener sees the state that follows, and whatever it calls (open, close, restart)
 * wins over what was under way.
 * The page lifecycle adds `suspend()` (into the back/forward cache: connecting, open or
 * reconnecting → closed, remembered) and `restore()` (back from it: → connecting).
 */
import { retryDelay } from './backoff.js';
import { encodeFrame } from '../frames/codec.js';
import { splitList, type ResumeHost, type Resumer, type Target, type TargetProblem } from './target.js';

/** `setTimeout` overflows past this (about 24.8 days) and fires at once; longer waits are held to it. */
const MAX_TIMER_DELAY = 2 ** 31 - 1;
const later = (run: () => void, ms: number) => setTimeout(run, Math.min(ms, MAX_TIMER_DELAY));

/**
 * Why `WebSocket.close()` would refuse this code or reason, as the exception it throws, or null.
 * Checked before closing, not left to the socket: there may be no socket (a wait, a shared one).
 */
export function closeProblem(code: number, reason: string): DOMException | null {
  if (!(code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999))) {
    return new DOMException(`The close code must be 1000 or 3000-4999, not ${code}.`, 'InvalidAccessError');
  }
  if (new TextEncoder().encode(reason).length > 123) return new DOMException('The close reason must be 123 bytes of UTF-8 or fewer.', 'SyntaxError');
  return null;
}

/** The element's connection states, also exposed as `:state(...)`. */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'closing' | 'closed' | 'reconnecting';

/** Settings read when they are needed, so attribute changes apply to the next attempt. */
export interface ConnectionPolicy {
  /** Most ms an attempt may take to open, session included; 0 is no limit. */
  connectTimeout: number;
  reconnectDelay: number;
  reconnectMaxDelay: number;
  maxRetries: number;
  stopCodes: ReadonlySet<number>;
  heartbeat: number;
  heartbeatTimeout: number;
  heartbeatType: string;
  binaryType: BinaryType;
}

/** The element's settings a policy is read from. */
export type PolicySettings = Omit<ConnectionPolicy, 'stopCodes' | 'binaryType'> & { readonly stopCodes: string; readonly binaryType: string };

/** The policy the settings give now: an unknown binary type is `arraybuffer`, an empty ping type `ping`. */
export function policyOf(settings: PolicySettings): ConnectionPolicy {
  return {
    connectTimeout: settings.connectTimeout,
    reconnectDelay: settings.reconnectDelay,
    reconnectMaxDelay: settings.reconnectMaxDelay,
    maxRetries: settings.maxRetries,
    stopCodes: new Set(splitList(String(settings.stopCodes ?? '')).map(Number)),
    heartbeat: settings.heartbeat,
    heartbeatTimeout: settings.heartbeatTimeout,
    heartbeatType: settings.heartbeatType || 'ping',
    binaryType: settings.binaryType === 'blob' ? 'blob' : 'arraybuffer',
  };
}

/** What the connection needs from its owner; `resumed` and `acknowledged` come only with `resume`. */
export interface ConnectionHost extends ResumeHost {
  /** Where to connect; read anew for every attempt. */
  target(): Target | TargetProblem | Promise<Target | TargetProblem>;
  policy(): ConnectionPolicy;
  stateChanged(state: ConnectionState): void;
  /** The socket opened; across tabs only its `url` and `protocol` are known. */
  opened(socket: { url: string; protocol: string }): void;
  received(data: unknown): void;
  closed(code: number, reason: string, wasClean: boolean): void;
  /** `frame`: only from a shared connection's channel between tabs. */
  failed(kind: 'connection' | 'url' | 'session' | 'frame', message: string, error?: unknown): void;
  reconnecting(attempt: number, delay: number, code: number): void;
}

const HEARTBEAT_CODE = 4000;
const HEARTBEAT_REASON = 'heartbeat timeout';
/** How late a heartbeat timer may fire before the page counts as having been busy. */
const LATE_TIMER_MS = 20;

export class Connection {
  #host: ConnectionHost;
  #state: ConnectionState = 'idle';
  #socket: WebSocket | null = null;
  #url = '';
  /** Bumped whenever an attempt is superseded, so late async results are ignored. */
  #generation = 0;
  /** Reconnection attempts in a row since the last successful open. */
  #retries = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Runs while `connecting`, when a connect timeout is set. */
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  /** The code and reason close() asked for, reported if the socket is let go before its close event. */
  #requestedClose = { code: 1000, reason: '' };
  #wanted = false;
  /** performance.now() when the pending retry is due. */
  #retryAt = 0;
  /** `suspend()` let go of a connection that `restore()` brings back. */
  #suspended = false;
  #beatTimer: ReturnType<typeof setTimeout> | undefined;
  #lastPing = 0;
  #pingAt = 0;
  #answered = true;
  #watching = false;
  /** With `resume`: the stream this connection carries across its sockets; a new target (`restart()`) starts another. */
  #resume: Resumer | null = null;

  constructor(host: ConnectionHost) {
    this.#host = host;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The live socket (connecting, open or closing), or null. */
  get socket(): WebSocket | null {
    return this.#socket;
  }

  /**
   * Whether the owner asked for a connection (`open()` or `restart()`) and has not asked to
   * close it since, even if the connection gave up on its own (retries spent, a stop code,
   * a setting problem).
   */
  get wanted(): boolean {
    return this.#wanted;
  }

  /** The socket's ready state, 0 to 3 as `WebSocket`; 3 when there is no socket. */
  get readyState(): number {
    return this.#socket?.readyState ?? 3;
  }

  /** The subprotocol the server chose, or `''`. */
  get protocol(): string {
    return this.#socket?.protocol ?? '';
  }

  /** Under `resume`, the stream of the latest socket; null without. */
  get stream(): Resumer | null {
    return this.#resume;
  }

  /** Opens the connection unless it is open or opening; during a reconnect wait, tries at once. */
  open(): void {
    this.#wanted = true;
    if (this.#state === 'connecting' || this.#state === 'open') return;
    if (this.#state !== 'reconnecting') this.#retries = 0;
    this.#attempt();
  }

  /** Replaces any socket by a fresh attempt (a new URL): `#attempt` closes the old one with 1000. */
  restart(): void {
    this.#wanted = true;
    this.#retries = 0;
    this.#resume = null;
    this.#attempt();
  }

  /** Closes on request: no reconnection follows until `open()` or `restart()`. */
  /** Closes with `code` and `reason`, which the caller has checked with `closeProblem()`. */
  close(code: number, reason: string): void {
    this.#wanted = false;
    this.#suspended = false;
    this.#cancelTimers();
    if (this.#state !== 'closing') this.#closeSocket(code, reason);
  }

  #closeSocket(code: number, reason: string): void {
    this.#generation++;
    const socket = this.#socket;
    if (!socket) {
      // Nothing live to wait for: a pending attempt or a wait is simply abandoned.
      this.#enter('closed');
      return;
    }
    this.#requestedClose = { code, reason };
    this.#enter('closing');
    // Already closing from the server's side: its close event ends this, as asked.
    if (socket.readyState < WebSocket.CLOSING) socket.close(code, reason);
  }

  /**
   * Closes like close(), and reports the close now rather than when the socket confirms it:
   * for an element whose document is going away, whose events would reach no listener later.
   */
  closeNow(code: number, reason: string): void {
    this.close(code, reason);
    if (this.#state !== 'closing') return;
    this.#detach();
    this.#enter('closed');
    this.#host.closed(this.#requestedClose.code, this.#requestedClose.reason, false);
  }

  /** Its own element is the only one that sees the server's requests, and answers each once. */
  claimReply(): boolean {
    return true;
  }

  /** Sends one frame now if the socket is open; false when it must wait. `raw` (`sendRaw()`): outside resume. */
  send(payload: string | ArrayBuffer | ArrayBufferView | Blob, _once?: boolean, raw?: boolean): boolean {
    const socket = this.#socket;
    if (this.#state !== 'open' || !socket || socket.readyState !== WebSocket.OPEN) return false;
    if (this.#resume && !raw) payload = this.#resume.number(payload);
    socket.send(payload as string | ArrayBuffer | Blob);
    return true;
  }

  /**
   * The page is going into the back/forward cache: lets go of the socket (a cached page must
   * not hold one) and of any pending retry. The close is reported now, because the page runs
   * nothing more until it is restored, and the socket's own close event, whenever the browser
   * delivers it, is ignored. `restore()` reconnects.
   */
  suspend(code: number, reason: string): void {
    if (this.#state !== 'connecting' && this.#state !== 'open' && this.#state !== 'reconnecting') return;
    this.#cancelTimers();
    const hadSocket = this.#socket !== null;
    this.#discard(code, reason);
    this.#suspended = true;
    this.#enter('closed');
    if (hadSocket) this.#host.closed(code, reason, true);
  }

  /** The page is back from the back/forward cache: reconnects at once, backoff reset, if `suspend()` let go. */
  restore(): void {
    if (!this.#suspended) return;
    this.#retries = 0;
    this.#attempt();
  }

  /**
   * The page was frozen, so no timer ran: an open connection is checked now (a ping, when the
   * heartbeat is on, whose timeout counts from now), and a retry that fell due runs now.
   */
  wake(): void {
    if (this.#state === 'open') {
      if (!(this.#host.policy().heartbeat > 0)) return;
      clearTimeout(this.#beatTimer);
      // Silence while frozen is nobody's fault: the verdict waits for this new ping.
      this.#answered = true;
      this.#lastPing = -Infinity;
      this.#beat();
    } else if (this.#state === 'reconnecting' && this.#retryTimer !== undefined && performance.now() >= this.#retryAt) {
      this.#attempt();
    }
  }

  /** Settings changed: the binary type applies to the live socket at once; the heartbeat starts, stops or is re-timed. */
  settingsChanged(): void {
    if (this.#socket) this.#socket.binaryType = this.#host.policy().binaryType;
    if (this.#state !== 'open') return;
    clearTimeout(this.#beatTimer);
    this.#beatTimer = undefined;
    this.#scheduleBeat(performance.now());
  }

  // ── transitions ─────────────────────────────────────────────────────────

  #enter(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    if (state !== 'connecting') {
      clearTimeout(this.#connectTimer);
      this.#connectTimer = undefined;
    }
    this.#watch(state === 'reconnecting');
    this.#host.stateChanged(state);
  }

  #attempt(): void {
    this.#suspended = false;
    this.#cancelTimers();
    // A socket still closing after close() is let go, so there is never more than one live
    // socket; its close event will not come, so the close that was asked for is reported here.
    const unfinished = this.#state === 'closing' ? this.#requestedClose : null;
    if (this.#socket) this.#discard(1000, '');
    const generation = ++this.#generation;
    const offline = globalThis.navigator?.onLine === false;
    // No attempt while offline; `online` brings the next one.
    this.#enter(offline ? 'reconnecting' : 'connecting');
    if (unfinished) {
      this.#host.closed(unfinished.code, unfinished.reason, false);
      if (generation !== this.#generation) return; // the close listener closed or restarted
    }
    if (offline) return;
    const { connectTimeout } = this.#host.policy();
    if (connectTimeout > 0) this.#connectTimer = later(() => this.#timedOut(connectTimeout), connectTimeout);
    let target: ReturnType<ConnectionHost['target']>;
    try {
      target = this.#host.target();
    } catch (error) {
      target = { kind: 'url', message: 'Reading the connection settings failed.', error };
    }
    if (target instanceof Promise) {
      target.then(
        (settled) => generation === this.#generation && this.#dial(settled),
        (error) => generation === this.#generation && this.#dial({ kind: 'session', message: 'Reading the session failed.', error }),
      );
    } else {
      this.#dial(target);
    }
  }

  #dial(target: Target | TargetProblem): void {
    if ('kind' in target) {
      // A configuration problem: retrying cannot fix it, a new setting or connect() can.
      this.#enter('closed');
      this.#host.failed(target.kind, target.message, target.error);
      return;
    }
    let socket: WebSocket;
    try {
      socket = new WebSocket(target.url, target.protocols);
    } catch (error) {
      this.#enter('closed');
      this.#host.failed('connection', `Could not create a WebSocket for ${target.url}: ${(error as Error)?.message ?? error}`, error);
      return;
    }
    socket.binaryType = this.#host.policy().binaryType;
    this.#resume = target.resume ? (this.#resume ?? target.resume()) : null;
    socket.onopen = this.#onOpen;
    socket.onmessage = this.#onMessage;
    socket.onerror = this.#onError;
    socket.onclose = this.#onClose;
    this.#socket = socket;
    this.#url = target.url;
  }

  /** The attempt did not open in time: let it go and count it as a failed handshake. */
  #timedOut(ms: number): void {
    this.#connectTimer = undefined;
    if (this.#state !== 'connecting') return;
    const message = this.#socket
      ? `No answer from ${this.#url} within ${ms} ms, so the attempt was abandoned: the server or a proxy did not complete the handshake. Raise connect-timeout if it is only slow.`
      : `The session did not arrive within ${ms} ms, so the connection attempt was abandoned: check the session function. Raise connect-timeout if it is only slow.`;
    this.#discard(1000, ''); // also makes a session that settles later count for nothing
    const generation = this.#generation;
    this.#host.failed('connection', message);
    if (generation !== this.#generation) return; // the error listener closed or restarted
    this.#lost(1006, '', false);
  }

  #onOpen = (): void => {
    const socket = this.#socket!;
    this.#retries = 0;
    // Under resume, the hello and every frame not yet acknowledged go before anything queued.
    for (const text of this.#resume?.opened() ?? []) socket.send(text);
    this.#enter('open');
    this.#startHeartbeat();
    this.#host.opened(socket);
  };

  #onMessage = (event: MessageEvent): void => {
    this.#answered = true;
    // Under resume, a repeat or resume's own frame goes no further: no event at all.
    if (!this.#resume?.received(event.data, this.#host)) this.#host.received(event.data);
  };

  #onError = (): void => {
    if (this.#state === 'closing') return; // closing a socket that never opened reports an error
    const message = this.#state === 'connecting'
      ? `Could not connect to ${this.#url}: unreachable, or the handshake was refused.`
      : `The connection to ${this.#url} failed.`;
    this.#host.failed('connection', message);
  };

  #onClose = (event: CloseEvent): void => {
    const requested = this.#state === 'closing';
    this.#detach();
    if (requested) {
      this.#enter('closed');
      this.#host.closed(event.code, event.reason, event.wasClean);
    } else {
      this.#lost(event.code, event.reason, event.wasClean);
    }
  };

  /** A close nobody asked for: reconnect unless the code or the retry budget says stop. */
  #lost(code: number, reason: string, wasClean: boolean): void {
    const policy = this.#host.policy();
    if (policy.stopCodes.has(code) || this.#retries >= policy.maxRetries) {
      this.#enter('closed');
      this.#host.closed(code, reason, wasClean);
      return;
    }
    const delay = retryDelay(this.#retries, policy.reconnectDelay, policy.reconnectMaxDelay);
    const attempt = ++this.#retries;
    this.#enter('reconnecting');
    this.#host.closed(code, reason, wasClean);
    // A close listener may have called connect() or close(); then that wins.
    if (this.#state !== 'reconnecting') return;
    this.#host.reconnecting(attempt, delay, code);
    if (this.#state !== 'reconnecting') return;
    this.#retryAt = performance.now() + delay;
    this.#retryTimer = later(() => this.#attempt(), delay);
  }

  // ── heartbeat ───────────────────────────────────────────────────────────

  #startHeartbeat(): void {
    const now = performance.now();
    this.#lastPing = now;
    this.#answered = true;
    this.#scheduleBeat(now);
  }

  #scheduleBeat(now: number): void {
    const { heartbeat, heartbeatTimeout } = this.#host.policy();
    if (!(heartbeat > 0)) return;
    const nextPing = this.#lastPing + heartbeat;
    // A timeout of 0 pings without a deadline: a keep-alive that never calls the connection dead.
    const deadline = this.#answered || !(heartbeatTimeout > 0) ? Infinity : this.#pingAt + heartbeatTimeout;
    this.#beatTimer = later(this.#beat, Math.max(0, Math.min(nextPing, deadline) - now));
  }

  /**
   * Judged by timestamps, not by when the timer fires: a throttled background tab delays
   * pings, and a late ping is not a dead connection. Dead means a ping went out
   * `heartbeatTimeout` ago and nothing at all has arrived since.
   */
  #beat = (confirming = false): void => {
    this.#beatTimer = undefined;
    const socket = this.#socket;
    if (this.#state !== 'open' || !socket) return;
    const { heartbeat, heartbeatTimeout, heartbeatType } = this.#host.policy();
    if (!(heartbeat > 0)) return;
    const now = performance.now();
    if (!this.#answered && heartbeatTimeout > 0 && now - this.#pingAt >= heartbeatTimeout) {
      // A timer that fires late means the page was busy; an answer may be queued behind it.
      // Give it one more turn of the event loop before calling the connection dead.
      if (!confirming && now - this.#pingAt - heartbeatTimeout > LATE_TIMER_MS) {
        this.#beatTimer = setTimeout(this.#beat, 0, true);
        return;
      }
      this.#discard(HEARTBEAT_CODE, HEARTBEAT_REASON);
      this.#lost(HEARTBEAT_CODE, HEARTBEAT_REASON, false);
      return;
    }
    if (now - this.#lastPing >= heartbeat) {
      socket.send(encodeFrame(heartbeatType, Date.now()));
      this.#lastPing = now;
      if (this.#answered) {
        this.#pingAt = now;
        this.#answered = false;
      }
    }
    this.#scheduleBeat(now);
  };

  // ── resources ───────────────────────────────────────────────────────────

  /** Lets go of the socket without waiting for its close event. */
  #discard(code: number, reason: string): void {
    const socket = this.#socket;
    this.#detach();
    this.#generation++;
    if (socket && socket.readyState < WebSocket.CLOSING) socket.close(code, reason);
  }

  #detach(): void {
    clearTimeout(this.#beatTimer);
    this.#beatTimer = undefined;
    const socket = this.#socket;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
    this.#socket = null;
  }

  #cancelTimers(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
  }

  /** Network and visibility listeners, only while a retry is pending. */
  #watch(on: boolean): void {
    if (on === this.#watching || typeof window === 'undefined') return;
    this.#watching = on;
    const method = on ? 'addEventListener' : 'removeEventListener';
    window[method]('online', this.#onOnline);
    document[method]('visibilitychange', this.#onVisible);
  }

  #onOnline = (): void => {
    if (this.#state !== 'reconnecting') return;
    this.#retries = 0;
    this.#attempt();
  };

  #onVisible = (): void => {
    if (this.#state === 'reconnecting' && document.visibilityState === 'visible') this.#attempt();
  };
}
