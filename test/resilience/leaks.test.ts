// Leaks: elements that come and go leave no socket open on the server and no
// reconnection behind them, however many of them there were; nor a page-lifecycle
// listener on the window or document, nor a backpressure check.

import { expect, fixture, html } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { control, nextEvent, room, serverUntil, wsUrl } from '../helpers/server.js';
import { quiet, spyOnSockets } from './support.js';

const PARALLEL = 4;

/** Runs `cycle` `count` times, `PARALLEL` at a time. */
async function repeat(count: number, cycle: (i: number) => Promise<void>): Promise<void> {
  let started = 0;
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (started < count) await cycle(started++);
    }),
  );
}

const PAGE_EVENTS = ['pagehide', 'pageshow', 'freeze', 'resume'];

/**
 * Tracks the page-lifecycle listeners added to and removed from the window and the document
 * while it is on: `live` is what is still attached.
 */
function trackPageListeners() {
  const { addEventListener: add, removeEventListener: remove } = EventTarget.prototype;
  const live = new Set<string>();
  const ids = new WeakMap<object, number>();
  let added = 0;
  let next = 0;
  const id = (listener: unknown) => {
    if (!ids.has(listener as object)) ids.set(listener as object, ++next);
    return ids.get(listener as object);
  };
  const watched = (target: EventTarget, type: string) => (target === window || target === document) && PAGE_EVENTS.includes(type);
  const key = (target: EventTarget, type: string, listener: unknown) => `${target === window ? 'window' : 'document'} ${type} ${id(listener)}`;
  EventTarget.prototype.addEventListener = function (this: EventTarget, type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions) {
    if (listener && watched(this, type)) {
      added++;
      live.add(key(this, type, listener));
    }
    return add.call(this, type, listener, options);
  };
  EventTarget.prototype.removeEventListener = function (this: EventTarget, type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions) {
    if (listener && watched(this, type)) live.delete(key(this, type, listener));
    return remove.call(this, type, listener, options);
  };
  return {
    live,
    added: () => added,
    restore() {
      EventTarget.prototype.addEventListener = add;
      EventTarget.prototype.removeEventListener = remove;
    },
  };
}

function create(url: string): BricksWebSocketElement {
  const el = document.createElement('bricks-websocket');
  el.setAttribute('ws-url', url);
  el.setAttribute('reconnect-delay', '50');
  return el;
}

/** Resolves once every element is closed with no socket, checked after each close event. */
async function allClosed(elements: BricksWebSocketElement[], timeoutMs: number): Promise<void> {
  await Promise.all(elements.map((el) => (el.state === 'closed' ? undefined : nextEvent(el, 'close', timeoutMs))));
  for (const el of elements) {
    expect(el.state).to.equal('closed');
    expect(el.socket).to.equal(null);
  }
}

describe('leaks', function () {
  this.timeout(120_000);

  it('500 cycles of create, connect and remove leave no open socket and no later attempt', async () => {
    const CYCLES = 500;
    const name = room('leak');
    const url = wsUrl(name);
    const container = await fixture<HTMLDivElement>(html`<div></div>`);
    const removed: BricksWebSocketElement[] = [];
    const closing: Promise<Event>[] = [];

    await repeat(CYCLES, async () => {
      const el = create(url);
      const opened = nextEvent(el, 'open', 15_000);
      container.append(el);
      await opened;
      closing.push(nextEvent(el, 'close', 15_000));
      el.remove();
      removed.push(el);
    });

    await Promise.all(closing);
    await allClosed(removed, 1);
    const stats = await serverUntil(name, (s) => s.open === 0, 'no open socket', 10_000);
    expect(stats.connections).to.equal(CYCLES);
    expect(stats.attempts.length).to.equal(CYCLES);

    // Nothing comes back later: a stray retry would show within 50-100 ms.
    await quiet(2500);
    const later = await control(name).stats();
    expect(later.attempts.length).to.equal(CYCLES);
    expect(later.open).to.equal(0);
  });

  it('100 elements removed while still connecting leave no open socket and no later attempt', async () => {
    const CYCLES = 100;
    const name = room('leak-connecting');
    const url = wsUrl(name);
    const container = await fixture<HTMLDivElement>(html`<div></div>`);
    const removed: BricksWebSocketElement[] = [];
    const sockets = spyOnSockets();
    try {
      await repeat(CYCLES, async () => {
        const el = create(url);
        container.append(el);
        expect(el.state).to.equal('connecting');
        await quiet(0); // removed in a later task: not a move
        el.remove();
        removed.push(el);
      });

      // Removal closes an element still connecting without waiting for the handshake.
      await allClosed(removed, 15_000);
      expect(sockets.created.length).to.equal(CYCLES);
      // The browser may still deliver handshakes it had queued for those sockets (Chromium
      // serialises handshakes to one endpoint), so the server is judged once it settles.
      await quiet(2500);
      expect(sockets.created.length, 'sockets created after removal').to.equal(CYCLES);
      const stats = await serverUntil(name, (s) => s.open === 0, 'no open socket', 10_000);
      expect(stats.attempts.length).to.be.at.most(CYCLES);
    } finally {
      sockets.restore();
    }
  });

  it('removed elements leave no pagehide, pageshow, freeze or resume listener, and none of those events wakes them', async () => {
    const CYCLES = 60;
    const name = room('leak-lifecycle');
    const url = wsUrl(name);
    const container = await fixture<HTMLDivElement>(html`<div></div>`);
    const removed: BricksWebSocketElement[] = [];
    const listeners = trackPageListeners();
    try {
      await repeat(CYCLES, async () => {
        const el = create(url);
        el.setAttribute('heartbeat', '60000');
        const opened = nextEvent(el, 'open', 15_000);
        container.append(el);
        await opened;
        const closed = nextEvent(el, 'close', 15_000);
        el.remove();
        removed.push(el);
        await closed;
      });
    } finally {
      listeners.restore();
    }
    expect(listeners.added(), 'listeners were added while the elements were in the document').to.be.at.least(CYCLES);
    expect([...listeners.live]).to.deep.equal([]);

    // The page goes into the cache, comes back, and is frozen and resumed: nothing stirs.
    const sockets = spyOnSockets();
    let events = 0;
    for (const el of removed) for (const type of ['open', 'close', 'reconnecting', 'error']) el.addEventListener(type, () => events++);
    try {
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
      window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
      document.dispatchEvent(new Event('freeze'));
      document.dispatchEvent(new Event('resume'));
      await quiet(300);
      expect(sockets.created.length).to.equal(0);
      expect(events).to.equal(0);
      expect(removed.every((el) => el.state === 'closed' && el.socket === null)).to.equal(true);
      const stats = await control(name).stats();
      expect(stats.attempts.length).to.equal(CYCLES);
    } finally {
      sockets.restore();
    }
  });

  it('an element removed while frames wait behind buffer-limit stops checking bufferedAmount at once', async () => {
    const name = room('leak-backpressure');
    const Original = globalThis.WebSocket;
    const counts = { reads: 0 };
    const bufferedOf = Object.getOwnPropertyDescriptor(Original.prototype, 'bufferedAmount')!.get!;
    class CountingWebSocket extends Original {}
    Object.defineProperty(CountingWebSocket.prototype, 'bufferedAmount', {
      get() {
        counts.reads++;
        return bufferedOf.call(this);
      },
    });
    globalThis.WebSocket = CountingWebSocket;
    const container = await fixture<HTMLDivElement>(html`<div></div>`);
    const el = create(wsUrl(name, 'room'));
    let closed: Promise<Event> | undefined;
    try {
      el.setAttribute('buffer-limit', '65536');
      const opened = nextEvent(el, 'open', 15_000);
      container.append(el);
      await opened;
      // A server that reads nothing keeps the socket closing, and the frames queued, meanwhile.
      await control(name).pause(true);
      let drains = 0;
      el.addEventListener('drain', () => drains++);
      // Over the limit within this task in every engine.
      for (let i = 0; i < 10; i++) el.send('big', 'x'.repeat(32 * 1024));
      expect(el.backpressure).to.equal(true);
      closed = nextEvent(el, 'close', 15_000);
      el.remove();
      for (let turns = 0; el.state === 'open' && turns < 100; turns++) await quiet(0); // removal counts once the task ends
      expect(el.state).to.equal('closing');
      expect(el.backpressure).to.equal(false);
      const reads = counts.reads;
      await quiet(300); // thirty checks' worth
      expect(counts.reads - reads).to.equal(0);
      expect(drains).to.equal(0);
    } finally {
      globalThis.WebSocket = Original;
      await control(name).pause(false);
      await closed;
    }
  });
});
