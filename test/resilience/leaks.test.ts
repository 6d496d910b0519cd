// Leaks: elements that come and go leave no socket open on the server and no
// reconnection behind them, however many of them there were.

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
});
