// Typed access to the test run's raw WebSocket server (test/fixture/server.mjs).
//
//   const name = room();
//   const socket = new WebSocket(wsUrl(name));          // echo mode
//   await control(name).drop();                         // make the server misbehave
//   const { received } = await control(name).stats();   // see what it got
//   const message = await nextEvent<MessageEvent>(socket, 'message');

import { controlBase, wsBase } from 'virtual:test-server';

export { port } from 'virtual:test-server';

/**
 * How long a wait may take before the test fails with a message naming what it waited for.
 * A wait resolves as soon as its event happens, so this bounds only a test that is stuck; it is
 * generous because a machine busy with other work can take seconds to open a socket.
 */
export const WAIT_MS = 10_000;

/**
 * `echo` sends each frame back to its sender. `room` relays each frame to the other clients of the
 * room only, byte for byte, and sends everyone a `clock` frame every second (see
 * test/fixture/sockets.mjs). Both answer `{"type":"ping"}` with a `pong`. `resume-fake` speaks
 * resume just enough for the element's tests (test/fixture/resume-fake.mjs).
 */
export type Mode = 'echo' | 'room' | 'resume-fake';

/** A frame as the server records and sends it: text as is, binary as base64. */
export type Frame = string | { binary: string };

/** One WebSocket handshake the server saw. */
export interface Attempt {
  /** Date.now() on the server. */
  t: number;
  /** Subprotocols offered in `Sec-WebSocket-Protocol`. */
  protocols: string[];
  /** The subprotocol the server chose (always the first offered), or null. */
  protocol: string | null;
  /** The full URL requested, e.g. `ws://127.0.0.1:1234/ws/r-abc?mode=echo`. */
  url: string;
  /** True when /control/refuse turned it away. */
  refused: boolean;
  /** True when /control/stall held it unanswered. */
  stalled: boolean;
}

export interface Stats {
  /** Connections accepted since the room was created or reset. */
  connections: number;
  /** Connections open now. */
  open: number;
  /** Handshakes refused by `refuse()`. */
  refused: number;
  /** Handshakes held unanswered by `stall()` now (the client has not given up on them). */
  held: number;
  attempts: Attempt[];
  /** Every frame received from clients, in order. */
  received: Frame[];
}

/** One received frame, cut short by `digest()`. */
export interface DigestFrame {
  /** The first 48 characters of a text frame; `''` for a binary one. */
  head: string;
  /** Characters of a text frame, bytes of a binary one. */
  length: number;
  binary?: true;
}

/** What `resume-fake` saw. */
export interface ResumeRecords {
  handled: string[];
  hellos: { token: string | null; seen: Record<string, number>; next: number }[];
  answers: { token: string; recovered: boolean; missed: number; acked: number }[];
}

/** A fresh room name, so tests (and the two browsers running at once) never share a room. */
export function room(prefix = 't'): string {
  return `${prefix}-${crypto.randomUUID()}`;
}

export function wsUrl(roomName: string, mode: Mode = 'echo'): string {
  return `${wsBase}/${roomName}?mode=${mode}`;
}

/** The control endpoints of one room; each resolves once the server has acted. */
export function control(roomName: string) {
  const call = <T>(action: string, body?: unknown) => request<T>(`${controlBase}/${roomName}/${action}`, body);
  return {
    /** Cuts every connection without a close frame (clients see code 1006). Resolves with how many. */
    drop: () => call<{ dropped: number }>('drop', {}),
    /** Refuses new handshakes with HTTP `status` for `ms` milliseconds; `refuse(0)` stops refusing. */
    refuse: (ms: number, status = 503) => call<{ refusing: boolean; until: number; status: number }>('refuse', { ms, status }),
    /**
     * While on, new handshakes are accepted at the TCP level and never answered, like a hung
     * server or proxy; `stall(false)` hangs up on the ones held. Resolves with how many are held.
     */
    stall: (on = true) => call<{ stalling: boolean; held: number }>('stall', { on }),
    /** Closes every connection cleanly with `code` and `reason`. */
    close: (code = 1000, reason = '') => call<{ closed: number }>('close', { code, reason }),
    /** While on, the server stays connected but reads and sends nothing (no echoes, pongs or clock). */
    silence: (on = true) => call<{ silent: boolean; clients: number }>('silence', { on }),
    /** While on, the server stays connected and keeps sending but reads nothing, so the client's send buffer fills. */
    pause: (on = true) => call<{ paused: boolean; clients: number }>('pause', { on }),
    /** Sends the frames, in order, to every client of the room. */
    send: (...frames: Frame[]) => call<{ clients: number }>('send', { frames }),
    /** Sends `frame` `count` times to every client, as fast as the socket drains. */
    flood: (count: number, frame: string) => call<{ clients: number; sent: number[]; ms: number }>('flood', { count, frame }),
    stats: () => call<Stats>('stats'),
    /** What `stats` says was received, each frame cut to its start and its length: for tests that send megabytes. */
    digest: () => call<{ open: number; received: DigestFrame[] }>('digest'),
    /**
     * `resume-fake` only: `acks: 'hold'` stops acknowledging page frames, `'auto'` acknowledges
     * what was handled and goes on; `forget` drops every stream (a restart without shared state);
     * `lose` is how many of the next numbered page frames the fake drops as if lost on the way;
     * `publish` sends each as `{"type":"chat","data":...}` on the room's stream, kept to give back.
     */
    resume: (options: { acks?: 'hold' | 'auto'; forget?: true; lose?: number; publish?: unknown[] }) => call<{ streams: number; roomN: number; holdAcks: boolean }>('resume', options),
    /** `resume-fake` only: the page frames handed on (once each, as received), the hellos and the answers. */
    streams: () => call<ResumeRecords>('streams'),
    /** Forgets the room's records and stops refusing, stalling, pausing and silence. */
    reset: () => call<{ reset: true }>('reset', {}),
  };
}

async function request<T>(url: string, body?: unknown): Promise<T> {
  const init: RequestInit =
    body === undefined ? { method: 'GET' } : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const response = await fetch(url, init);
  const json = await response.json();
  if (!response.ok) throw new Error(`${init.method} ${url} → ${response.status}: ${json.error}`);
  return json as T;
}

/**
 * Polls the room's stats until `condition` holds; the server has no events the page could wait on.
 * Fails with what the server has, so a timeout says how far it got.
 */
export async function serverUntil(roomName: string, condition: (stats: Stats) => boolean, what = `room ${roomName}`, timeoutMs = WAIT_MS): Promise<Stats> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const stats = await control(roomName).stats();
    if (condition(stats)) return stats;
    if (performance.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for the server: ${what}; it has connections ${stats.connections}, open ${stats.open}, attempts ${stats.attempts.length}, received ${stats.received.length}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Resolves with the next `name` event on `target`, or rejects after
 * `timeoutMs` with a message that names the event, so a test never sleeps.
 * Start it before the action that causes the event.
 */
export function nextEvent<E extends Event = Event>(target: EventTarget, name: string, timeoutMs = WAIT_MS): Promise<E> {
  return new Promise<E>((resolve, reject) => {
    const onEvent = (event: Event) => {
      handled(event);
      clearTimeout(timer);
      resolve(event as E);
    };
    const timer = setTimeout(() => {
      target.removeEventListener(name, onEvent);
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for a "${name}" event on ${describeTarget(target)}`));
    }, timeoutMs);
    target.addEventListener(name, onEvent, { once: true });
  });
}

/**
 * Resolves with the next `count` `name` events on `target`. Start it before
 * the action that causes them: events that fire before anyone listens are lost.
 */
export function nextEvents<E extends Event = Event>(target: EventTarget, name: string, count: number, timeoutMs = WAIT_MS): Promise<E[]> {
  return new Promise<E[]>((resolve, reject) => {
    const events: E[] = [];
    const onEvent = (event: Event) => {
      handled(event);
      events.push(event as E);
      if (events.length < count) return;
      target.removeEventListener(name, onEvent);
      clearTimeout(timer);
      resolve(events);
    };
    const timer = setTimeout(() => {
      target.removeEventListener(name, onEvent);
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${count} "${name}" events on ${describeTarget(target)} (got ${events.length})`));
    }, timeoutMs);
    target.addEventListener(name, onEvent);
  });
}

/** An element's `error` that a test awaits is one it handles, as a page would: not printed on the console. */
function handled(event: Event): void {
  if (event.type === 'error') event.preventDefault();
}

function describeTarget(target: EventTarget): string {
  if (target instanceof Element) return `<${target.localName}>`;
  if (target instanceof WebSocket) return `WebSocket ${target.url}`;
  return target.constructor.name;
}
