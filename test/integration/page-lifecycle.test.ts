// The page lifecycle: the back/forward cache (pagehide / pageshow with `persisted`) and frozen
// pages (resume), with synthetic events in every engine, and a real trip through the cache
// where the engine caches a page under automation.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { control, nextEvent, room, serverUntil, wsUrl } from '../helpers/server.js';
import { dropIntoWait, mount, quiet, receivedEnvelopes, spyOnSockets } from '../resilience/support.js';

const pagehide = (persisted: boolean) => window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted }));
const pageshow = (persisted: boolean) => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted }));
/** What Chromium fires on a page it unfreezes; the other engines have no such event. */
const resume = () => document.dispatchEvent(new Event('resume'));

/** The server's received `q` frames' data, in order. */
async function arrivals(name: string, count: number): Promise<unknown[]> {
  const stats = await serverUntil(name, (s) => receivedEnvelopes(s).filter((e) => e.type === 'q').length >= count, `${count} "q" frames`);
  return receivedEnvelopes(stats).filter((e) => e.type === 'q').map((e) => e.data);
}

/** Records what the element hands to its current socket. */
function recordSends(el: BricksWebSocketElement): string[] {
  const socket = el.socket!;
  const sent: string[] = [];
  const send = socket.send.bind(socket);
  socket.send = (data) => {
    sent.push(String(data));
    send(data);
  };
  return sent;
}

describe('back/forward cache (synthetic page transitions)', function () {
  this.timeout(20_000);
  let sockets: ReturnType<typeof spyOnSockets>;
  beforeEach(() => {
    sockets = spyOnSockets();
  });
  afterEach(() => sockets.restore());

  it('pagehide (persisted) closes with 1000 "pagehide", fires one close, keeps the queue and starts no reconnect', async () => {
    const name = room('bf-hide');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '50' });
    await log.nth('open', 1);
    const old = el.socket!;

    pagehide(true);
    expect(log.count('close')).to.equal(1);
    expect(log.of('close')[0].detail).to.deep.equal({ code: 1000, reason: 'pagehide', wasClean: true });
    expect(log.of('close')[0].state).to.equal('closed');
    expect(el.state).to.equal('closed');
    expect(el.matches(':state(closed)')).to.equal(true);
    expect(el.socket).to.equal(null);
    expect(old.readyState).to.be.at.least(WebSocket.CLOSING);

    for (const n of [1, 2, 3]) expect(el.send('q', n)).to.equal(true);
    expect(el.queued).to.equal(3);
    await serverUntil(name, (s) => s.open === 0, 'the socket closed');
    // Cached: no timer, no attempt, and the old socket's own close event changes nothing.
    await quiet(400);
    expect(sockets.count(name)).to.equal(1);
    expect(log.count('reconnecting')).to.equal(0);
    expect(log.count('close')).to.equal(1);
    expect(el.state).to.equal('closed');
    expect(el.queued).to.equal(3);
  });

  it('pageshow (persisted) reconnects at once, and the queued frames leave in order, once', async () => {
    const name = room('bf-show');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '50' });
    await log.nth('open', 1);
    pagehide(true);
    for (const n of [1, 2, 3]) el.send('q', n);

    pageshow(true);
    expect(el.state).to.equal('connecting');
    expect(sockets.count(name)).to.equal(2);
    await log.nth('open', 2);
    expect(el.queued).to.equal(0);
    expect(await arrivals(name, 3)).to.deep.equal([1, 2, 3]);
    el.send('q', 4);
    expect(await arrivals(name, 4)).to.deep.equal([1, 2, 3, 4]);
    expect((await control(name).stats()).connections).to.equal(2);
    expect(log.count('close')).to.equal(1);
    expect(log.count('reconnecting')).to.equal(0);
  });

  it('cancels a pending retry at pagehide, and pageshow tries at once with the backoff reset', async () => {
    const name = room('bf-retry');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '200', 'reconnect-max-delay': '200' });
    await log.nth('open', 1);
    await control(name).refuse(60_000);
    // In the task of the second wait, before its retry can run.
    const { wait: second } = await dropIntoWait(log, name, 2);
    expect(second.detail.attempt).to.equal(2);
    expect(el.state).to.equal('reconnecting');
    const created = sockets.count(name);
    const closes = log.count('close');

    pagehide(true);
    expect(el.state).to.equal('closed');
    expect(log.count('close'), 'no socket, so no close').to.equal(closes);
    await quiet(600); // three times the longest wait
    expect(sockets.count(name)).to.equal(created);
    expect(log.count('reconnecting')).to.equal(2);

    pageshow(true);
    expect(sockets.count(name), 'an attempt at once').to.equal(created + 1);
    const third = await log.nth('reconnecting', 3, 10_000);
    expect(third.detail.attempt, 'the backoff starts over').to.equal(1);
    await control(name).refuse(0);
    await log.nth('open', 2, 10_000);
  });

  it('ignores a late close of the socket it let go: no second close, no reconnect', async () => {
    const name = room('bf-late');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '50' });
    await log.nth('open', 1);
    const old = el.socket!;
    pagehide(true);
    pageshow(true);
    await log.nth('open', 2);
    const current = el.socket;

    // What Chromium does for a cached page's socket: a 1006 delivered after the restore.
    const late = new CloseEvent('close', { code: 1006, reason: '', wasClean: false });
    old.dispatchEvent(late);
    old.onclose?.(late);
    await quiet(300);
    expect(log.count('close')).to.equal(1);
    expect(log.count('reconnecting')).to.equal(0);
    expect(el.state).to.equal('open');
    expect(el.socket).to.equal(current);
    expect(sockets.count(name)).to.equal(2);
  });

  it('changes nothing on pagehide and pageshow that are not persisted (the page is unloading or loading)', async () => {
    const name = room('bf-unload');
    const { el, log } = await mount({ 'ws-url': wsUrl(name) });
    await log.nth('open', 1);
    const socket = el.socket;
    pagehide(false);
    pageshow(false);
    await quiet(200);
    expect(el.state).to.equal('open');
    expect(el.socket).to.equal(socket);
    expect(log.count('close')).to.equal(0);
    expect(sockets.count(name)).to.equal(1);
  });

  it('rejects requests in flight at pagehide; a request made while cached leaves after pageshow', async () => {
    const name = room('bf-requests');
    const { el, log } = await mount({ 'ws-url': wsUrl(name) });
    await log.nth('open', 1);
    const inFlight = el.request('ignore', 1).then(
      () => 'resolved',
      (error: DOMException) => error.name,
    );
    await serverUntil(name, (s) => receivedEnvelopes(s).some((e) => e.type === 'ignore'), 'the request');
    pagehide(true);
    expect(await inFlight).to.equal('NetworkError');

    const queued = el.request<number>('echo', 7);
    expect(el.queued).to.equal(1);
    pageshow(true);
    expect(await queued).to.equal(7);
  });

  it('leaves an element the page closed closed through pagehide and pageshow', async () => {
    const name = room('bf-closed');
    const { el, log } = await mount({ 'ws-url': wsUrl(name) });
    await log.nth('open', 1);
    el.close();
    await log.nth('close', 1);
    pagehide(true);
    pageshow(true);
    await quiet(200);
    expect(el.state).to.equal('closed');
    expect(log.count('close')).to.equal(1);
    expect(sockets.count(name)).to.equal(1);
  });

  it('does nothing for an element that is not in a document', async () => {
    const el = document.createElement('bricks-websocket');
    el.wsUrl = wsUrl(room('bf-detached'));
    const opened = nextEvent(el, 'open');
    el.connect();
    await opened;
    let closes = 0;
    el.addEventListener('close', () => closes++);
    pagehide(true);
    expect(el.state).to.equal('open');
    expect(closes).to.equal(0);
    el.close();
  });
});

describe('frozen pages (synthetic resume)', function () {
  this.timeout(20_000);

  it('pings at once on resume when heartbeat is set, and the usual timeout applies', async () => {
    const name = room('freeze-ping');
    // A minute between pings: only the resume can send one within this test.
    const { el, log } = await mount({ 'ws-url': wsUrl(name), heartbeat: '60000', 'heartbeat-timeout': '300', 'reconnect-delay': '50' });
    await log.nth('open', 1);
    const sent = recordSends(el);
    await control(name).silence(true);
    resume();
    expect(sent.map((frame) => JSON.parse(frame).type)).to.deep.equal(['ping']);
    const close = await log.nth('close', 1);
    expect(close.detail.code).to.equal(4000);
    await control(name).silence(false);
  });

  it('sends nothing on resume without a heartbeat', async () => {
    const name = room('freeze-quiet');
    const { el, log } = await mount({ 'ws-url': wsUrl(name) });
    await log.nth('open', 1);
    const sent = recordSends(el);
    resume();
    expect(sent).to.deep.equal([]);
    expect(el.state).to.equal('open');
  });

  it('runs a reconnect wait that fell due while frozen at once on resume, and leaves one not yet due', async () => {
    const name = room('freeze-retry');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '200', 'reconnect-max-delay': '200' });
    await log.nth('open', 1);
    const sockets = spyOnSockets();
    try {
      // In the task of the wait, before its retry can run.
      const { wait } = await dropIntoWait(log, name);
      resume();
      expect(sockets.count(name), 'not due yet').to.equal(0);
      // A frozen page runs no timer: holding the main thread past the wait does the same here.
      const until = performance.now() + wait.detail.delay + 50;
      while (performance.now() < until) {
        // frozen
      }
      resume();
      expect(sockets.count(name), 'due: tried at once').to.equal(1);
      expect(el.state).to.equal('connecting');
      await log.nth('open', 2);
      await quiet(300);
      expect(sockets.count(name), 'the cancelled timer tried nothing more').to.equal(1);
    } finally {
      sockets.restore();
    }
  });
});

describe('back/forward cache (a real navigation)', function () {
  this.timeout(30_000);

  it('puts a page whose only blocker is the element into the cache, and brings it back connected', async () => {
    const name = room('bf-real');
    const key = `bf-${crypto.randomUUID()}`;
    type Entry = { type: string; [field: string]: unknown };
    const read = (): Entry[] => JSON.parse(localStorage.getItem(key) ?? '[]');
    const ended = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        removeEventListener('storage', onStorage);
        reject(new Error(`The page did not finish in 20 s; it reported: ${JSON.stringify(read())}`));
      }, 20_000);
      const onStorage = () => {
        if (!read().some((entry) => entry.type === 'done' || entry.type === 'reloaded')) return;
        clearTimeout(timer);
        removeEventListener('storage', onStorage);
        resolve();
      };
      addEventListener('storage', onStorage);
    });
    // noopener: Chromium keeps a page with an opener out of the cache.
    window.open(`/test/integration/bfcache/page.html?key=${key}&ws=${encodeURIComponent(wsUrl(name))}`, '_blank', 'noopener');
    let entries: Entry[] = [];
    try {
      await ended;
    } finally {
      // The page reports through localStorage; leave nothing behind.
      entries = read();
      localStorage.removeItem(key);
    }
    const restored = entries.some((entry) => entry.type === 'pageshow' && entry.persisted === true);
    if (!restored) {
      // Firefox keeps a page out of the cache when a WebSocket is open as the navigation starts,
      // before pagehide: nothing the page does at pagehide (or beforeunload) lets it in.
      expect(navigator.userAgent, `not restored: ${JSON.stringify(entries)}`).to.contain('Firefox');
      expect(entries.find((entry) => entry.type === 'pagehide')?.persisted).to.equal(false);
      return;
    }
    const types = entries.map((entry) => entry.type);
    const closes = entries.filter((entry) => entry.type === 'close');
    expect(closes.map((entry) => entry.detail), 'one close, the element\'s own').to.deep.equal([{ code: 1000, reason: 'pagehide', wasClean: true }]);
    expect(types.indexOf('close')).to.be.below(types.indexOf('pagehide'));
    expect(entries.find((entry) => entry.type === 'sent')).to.deep.include({ ok: true, queued: 1 });
    expect(types.filter((type) => type === 'open').length).to.equal(2);
    expect(types.indexOf('pageshow', types.indexOf('pagehide'))).to.be.below(types.lastIndexOf('open'));
    expect(types).not.to.include('reconnecting');
    expect(types).not.to.include('error');
    expect(entries.filter((entry) => entry.type === 'echoed').map((entry) => entry.detail)).to.deep.equal(['from pagehide']);
    const stats = await control(name).stats();
    expect(stats.connections).to.equal(2);
    expect(receivedEnvelopes(stats).filter((e) => e.type === 'queued').length).to.equal(1);
  });
});
