// Shared by the resilience tests: mount an element with its events recorded from
// the first moment, wait on those events (never on the clock), and poll the
// server's records, which have no events to wait on.

import { fixture, html } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { WAIT_MS, control, type Stats } from '../helpers/server.js';

/** One event the element fired, with the state it was in at that moment. */
export interface Entry {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  detail: any;
  /** `el.state` inside the listener. */
  state: string;
  /** Whether `:state(<state>)` matched inside the listener. */
  matchesState: boolean;
  /** performance.now() inside the listener. */
  at: number;
}

/** The element's own events; frame types are added per test. */
export const LIFECYCLE = ['open', 'close', 'error', 'reconnecting', 'message'] as const;

/** Records the element's events and lets a test wait for a condition on them. */
export class EventLog {
  readonly entries: Entry[] = [];
  #waiters = new Set<() => void>();

  constructor(readonly el: BricksWebSocketElement, types: readonly string[] = LIFECYCLE) {
    for (const type of types) {
      el.addEventListener(type, (event: Event) => {
        // Recorded for the test to assert on is handled: the element need not print it too.
        if (type === 'error') event.preventDefault();
        const state = el.state;
        this.entries.push({ type, detail: (event as CustomEvent).detail, state, matchesState: el.matches(`:state(${state})`), at: performance.now() });
        for (const wake of [...this.#waiters]) wake();
      });
    }
  }

  of(type: string): Entry[] {
    return this.entries.filter((entry) => entry.type === type);
  }

  count(type: string): number {
    return this.of(type).length;
  }

  /** The event types in order, without `message` and `error` noise unless asked. */
  sequence(types: readonly string[] = ['open', 'close', 'reconnecting']): string[] {
    return this.entries.filter((entry) => types.includes(entry.type)).map((entry) => entry.type);
  }

  /** Resolves once `condition` holds: checked now and after every recorded event. */
  until(condition: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = () => {
        if (!condition()) return;
        this.#waiters.delete(wake);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; state ${this.el.state}; events: ${this.sequence().join(', ') || 'none'}`));
      }, timeoutMs);
      this.#waiters.add(wake);
    });
  }

  /** The n-th (1-based) event of `type`, waiting for it if it has not happened yet. */
  async nth(type: string, n: number, timeoutMs = WAIT_MS): Promise<Entry> {
    await this.until(() => this.count(type) >= n, `${n} "${type}" event(s)`, timeoutMs);
    return this.of(type)[n - 1];
  }
}

/**
 * A `<bricks-websocket>` with these attributes, its events recorded from before it
 * connects, put in the document by `fixture` (which removes it after the test).
 */
export async function mount(attributes: Record<string, string>, types: readonly string[] = LIFECYCLE): Promise<{ el: BricksWebSocketElement; log: EventLog }> {
  const el = document.createElement('bricks-websocket');
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  const log = new EventLog(el, types);
  await fixture(html`${el}`);
  return { el, log };
}

/**
 * Has the server drop the room's connections, and resolves with the element's `n`-th `reconnecting`
 * entry (by default its next) in the task that fired it: its retry timer has not run yet, so what
 * the caller does next happens during that wait. The drop's own answer may come after the retry,
 * so it is not what is waited for; `dropped` settles with it.
 */
export async function dropIntoWait(log: EventLog, name: string, n = log.count('reconnecting') + 1): Promise<{ wait: Entry; dropped: Promise<{ dropped: number }> }> {
  const next = log.nth('reconnecting', n);
  const dropped = control(name).drop();
  dropped.catch(() => {}); // reported where the caller awaits it
  return { wait: await next, dropped };
}

/** Waits a fixed time. Only for "nothing happens" checks. */
export function quiet(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The text frames the server received, parsed; binary frames and non-JSON are left out. */
export function receivedEnvelopes(stats: Stats): { type: unknown; data: unknown }[] {
  const envelopes: { type: unknown; data: unknown }[] = [];
  for (const frame of stats.received) {
    if (typeof frame !== 'string') continue;
    try {
      envelopes.push(JSON.parse(frame));
    } catch {
      // not an envelope
    }
  }
  return envelopes;
}

/** The ceiling of retry n (0-based): the delay lies in [0.5, 1] times this. */
export function ceiling(n: number, base: number, max: number): number {
  return Math.min(max, base * 2 ** n);
}

/**
 * Records when the element constructs each WebSocket, and the sockets, by putting a subclass in place of
 * the global for the duration of a test. Firefox holds back a handshake to an endpoint
 * whose last handshake failed (RFC 6455 §7.2.3), so the server's clock alone cannot show
 * when the element itself decided to try. `fromTimer` says, for each socket, the delay of the
 * timer whose callback constructed it (undefined when no timer's did): what the element waited
 * for, whenever a busy machine let that timer run.
 */
export function spyOnSockets(): { created: number[]; fromTimer: (number | undefined)[]; sockets: WebSocket[]; count(room: string): number; restore(): void } {
  const Original = globalThis.WebSocket;
  const originalSetTimeout = globalThis.setTimeout;
  const created: number[] = [];
  const fromTimer: (number | undefined)[] = [];
  const sockets: WebSocket[] = [];
  let firing: number | undefined;
  class RecordedWebSocket extends Original {
    constructor(url: string | URL, protocols?: string | string[]) {
      created.push(performance.now());
      fromTimer.push(firing);
      super(url, protocols);
      sockets.push(this);
    }
  }
  globalThis.WebSocket = RecordedWebSocket;
  globalThis.setTimeout = ((handler: TimerHandler, delay?: number, ...args: unknown[]) => {
    if (typeof handler !== 'function') return originalSetTimeout(handler, delay, ...args);
    return originalSetTimeout((...callArgs: unknown[]) => {
      const outer = firing;
      firing = delay ?? 0;
      try {
        return (handler as (...values: unknown[]) => unknown)(...callArgs);
      } finally {
        firing = outer;
      }
    }, delay, ...args);
  }) as typeof setTimeout;
  return {
    created,
    fromTimer,
    sockets,
    // Only this test's sockets: an element of an earlier test may still be on its way out
    // (WebKit can deliver the task that ends a removal late on a busy machine).
    count: (room) => sockets.filter((socket) => socket.url.includes(`/ws/${room}`)).length,
    restore: () => {
      globalThis.WebSocket = Original;
      globalThis.setTimeout = originalSetTimeout;
    },
  };
}
