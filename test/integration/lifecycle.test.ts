// The element's lifecycle against the real ws server, in real browsers: what a listener sees
// during a setting error, moves within a task, ws-url outside the document, the connect
// timeout, and a document that goes away under the element (issue 11, items 5-8 and 10).

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { WAIT_MS, control, nextEvent, port, room, serverUntil, wsUrl } from '../helpers/server.js';
import { EventLog, quiet, spyOnSockets } from '../resilience/support.js';

const serverOrigin = `ws://127.0.0.1:${port}`;
const mounted: Element[] = [];
const stalled: string[] = [];

/**
 * Makes the room's server hold handshakes unanswered until the end of the test. Firefox keeps
 * the TCP connection of a handshake its page gave up on, and holds other handshakes to the same
 * server back behind a few of them, so the server hangs up on them after each test.
 */
async function stall(name: string): Promise<void> {
  stalled.push(name);
  await control(name).stall();
}

/** A new element with these attributes; appended to the document unless `attach` is false. */
function make(attributes: Record<string, string>, attach = true): BricksWebSocketElement {
  const element = document.createElement('bricks-websocket');
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  mounted.push(element);
  if (attach) document.body.append(element);
  return element;
}

/** An element open on a fresh echo room, its events recorded from then on. */
async function openElement(attributes: Record<string, string> = {}) {
  const name = room();
  const element = make({ 'ws-url': wsUrl(name), ...attributes }, false);
  const opened = nextEvent(element, 'open');
  document.body.append(element);
  await opened;
  return { element, name, log: new EventLog(element) };
}

/** Resolves once `condition` holds, checked after each task; for states that fire no event. */
async function settles(condition: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** Sends a text frame and waits for its echo: the socket works, and the task that moved the element is over. */
async function roundTrip(element: BricksWebSocketElement, text: string): Promise<void> {
  const echoed = nextEvent<CustomEvent>(element, 'text');
  element.sendText(text);
  expect((await echoed).detail).to.equal(text);
}

afterEach(async () => {
  for (const element of mounted.splice(0)) {
    element.remove();
    (element as BricksWebSocketElement).close?.();
  }
  for (const name of stalled.splice(0)) await control(name).stall(false);
});

describe('error listeners acting on a setting error', () => {
  it('see state closed during an error of kind url, and a ws-url set there connects', async () => {
    const name = room();
    const element = make({ 'ws-url': 'ftp://example.com/ws' }, false);
    const seen: string[] = [];
    element.addEventListener('error', (event) => {
      seen.push(`${event.detail.kind} while ${element.state}`);
      element.wsUrl = wsUrl(name);
    }, { once: true });
    const opened = nextEvent(element, 'open');
    document.body.append(element);
    await opened;
    expect(seen).to.deep.equal(['url while closed']);
    expect(element.state).to.equal('open');
    expect(element.socket!.url).to.equal(wsUrl(name));
  });

  it('see state closed during an error of kind session, and connect() there after setting a session connects', async () => {
    const name = room();
    const element = make({ 'ws-url': wsUrl(name), 'with-session': '', 'session-origins': serverOrigin }, false);
    const seen: string[] = [];
    element.addEventListener('error', (event) => {
      seen.push(`${event.detail.kind} while ${element.state}`);
      element.session = 'tok-2';
      element.connect();
    }, { once: true });
    const opened = nextEvent<CustomEvent>(element, 'open');
    document.body.append(element);
    expect((await opened).detail.protocol).to.equal('tok-2');
    expect(seen).to.deep.equal(['session while closed']);
    expect(element.state).to.equal('open');
  });

  it('see state closed during an error of kind session from a rejected session promise, and connect() there retries', async () => {
    const name = room();
    const element = make({ 'ws-url': wsUrl(name), 'with-session': '', 'session-origins': serverOrigin }, false);
    let reads = 0;
    element.session = () => (++reads === 1 ? Promise.reject(new Error('expired')) : Promise.resolve('fresh'));
    const seen: string[] = [];
    element.addEventListener('error', (event) => {
      seen.push(`${event.detail.kind} while ${element.state}`);
      element.connect();
    }, { once: true });
    const opened = nextEvent<CustomEvent>(element, 'open');
    document.body.append(element);
    expect((await opened).detail.protocol).to.equal('fresh');
    expect(seen).to.deep.equal(['session while closed']);
  });
});

describe('moves and re-connections', () => {
  it('keeps the socket when removed and re-inserted within one task, across a microtask', async () => {
    const { element, name, log } = await openElement();
    const socket = element.socket;
    const other = document.createElement('div');
    mounted.push(other);
    document.body.append(other);
    element.remove();
    await null; // still the same task
    other.append(element);
    await roundTrip(element, 'still here');
    expect(element.socket).to.equal(socket);
    expect(element.state).to.equal('open');
    expect(log.sequence()).to.deep.equal([]);
    expect((await control(name).stats()).connections).to.equal(1);
  });

  it('closes on removal and opens anew on re-insertion in a later task, with the close between the opens', async () => {
    const { element, name, log } = await openElement();
    element.remove();
    await settles(() => element.state !== 'open', 'the removal to take effect');
    document.body.append(element);
    await log.nth('open', 1);
    expect(log.sequence()).to.deep.equal(['close', 'open']);
    expect(log.of('close')[0].detail.code).to.equal(1000);
    await serverUntil(name, (stats) => stats.connections === 2 && stats.open === 1);
  });

  it('fires close for the first socket when connect() follows close() at once', async () => {
    const { element, name, log } = await openElement();
    element.close(4001, 'again');
    element.connect();
    await log.nth('open', 1);
    expect(log.sequence()).to.deep.equal(['close', 'open']);
    const [close] = log.of('close');
    expect(close.detail).to.deep.equal({ code: 4001, reason: 'again', wasClean: false });
    expect(close.state).to.equal('connecting'); // the state that follows, as in every close listener
    await serverUntil(name, (stats) => stats.connections === 2 && stats.open === 1);
  });

  it('fires close for the first socket when a new ws-url follows close() at once', async () => {
    const { element, log } = await openElement();
    const next = room();
    element.close();
    element.wsUrl = wsUrl(next);
    await log.nth('open', 1);
    expect(log.sequence()).to.deep.equal(['close', 'open']);
    expect(element.socket!.url).to.equal(wsUrl(next));
  });
});

describe('ws-url outside the document', () => {
  it('follows a new ws-url after connect() on an element not in the document, and keeps it on insertion', async () => {
    const first = room();
    const second = room();
    const element = make({ 'ws-url': wsUrl(first) }, false);
    let opened = nextEvent(element, 'open');
    element.connect();
    await opened;
    opened = nextEvent(element, 'open');
    element.wsUrl = wsUrl(second);
    await opened;
    expect(element.socket!.url).to.equal(wsUrl(second));
    await serverUntil(first, (stats) => stats.open === 0);
    document.body.append(element);
    await roundTrip(element, 'inserted');
    expect(element.socket!.url).to.equal(wsUrl(second));
    expect((await control(second).stats()).connections).to.equal(1);
  });

  it('closes when ws-url is emptied after connect() on an element not in the document', async () => {
    const name = room();
    const element = make({ 'ws-url': wsUrl(name) }, false);
    const opened = nextEvent(element, 'open');
    element.connect();
    await opened;
    const closed = nextEvent<CustomEvent>(element, 'close');
    element.wsUrl = '';
    expect((await closed).detail.code).to.equal(1000);
    expect(element.state).to.equal('closed');
    await serverUntil(name, (stats) => stats.open === 0);
  });
});

describe('connect-timeout', function () {
  this.timeout(20_000);

  it('abandons a handshake the server never answers: error of kind connection, close 1006, a retry, then open once it answers', async () => {
    const name = room();
    await stall(name);
    const sockets = spyOnSockets();
    try {
      const element = make({ 'ws-url': wsUrl(name), 'connect-timeout': '500', 'reconnect-delay': '100' }, false);
      const log = new EventLog(element);
      document.body.append(element);
      const wait = await log.nth('reconnecting', 1);
      expect(wait.detail).to.include({ attempt: 1, code: 1006 });
      expect(log.sequence()).to.deep.equal(['close', 'reconnecting']);
      const [error] = log.of('error');
      expect(error.detail.kind).to.equal('connection');
      expect(error.detail.message).to.contain(wsUrl(name)).and.to.match(/500 ms/).and.to.match(/connect-timeout/);
      expect(log.of('close')[0].detail).to.deep.equal({ code: 1006, reason: '', wasClean: false });
      // The abandoned socket was closed, and the element let go of it.
      expect(sockets.sockets[0].readyState).to.be.at.least(WebSocket.CLOSING);
      expect(element.socket).to.not.equal(sockets.sockets[0]);
      expect((await control(name).stats()).attempts[0].stalled).to.equal(true);
      // The timeout has been shown. What follows is the recovery, which a handshake on a busy
      // machine (or one Firefox holds back after the abandoned ones) must not race against 500 ms.
      element.connectTimeout = WAIT_MS;
      await control(name).stall(false);
      await log.nth('open', 1);
      expect(element.state).to.equal('open');
    } finally {
      sockets.restore();
    }
  });

  it('counts a timed-out attempt against max-retries, and leaves no socket behind', async () => {
    const name = room();
    await stall(name);
    const sockets = spyOnSockets();
    try {
      const element = make({ 'ws-url': wsUrl(name), 'connect-timeout': '700', 'reconnect-delay': '50', 'max-retries': '1' }, false);
      const log = new EventLog(element);
      document.body.append(element);
      await log.until(() => log.of('close').some((entry) => entry.state === 'closed'), 'a final close', 10_000);
      expect(log.sequence()).to.deep.equal(['close', 'reconnecting', 'close']);
      expect(log.of('error').map((entry) => entry.detail.kind)).to.deep.equal(['connection', 'connection']);
      expect(sockets.sockets).to.have.length(2);
      for (const socket of sockets.sockets) expect(socket.readyState).to.be.at.least(WebSocket.CLOSING);
      expect([element.state, element.socket]).to.deep.equal(['closed', null]);
      const stats = await control(name).stats();
      expect(stats.connections).to.equal(0);
      expect(stats.attempts.every((attempt) => attempt.stalled)).to.equal(true);
    } finally {
      sockets.restore();
    }
  });

  it('abandons an attempt whose session never settles, and ignores that session when it comes later', async () => {
    const name = room();
    const element = make({ 'ws-url': wsUrl(name), 'with-session': '', 'session-origins': serverOrigin, 'connect-timeout': '300', 'max-retries': '0' }, false);
    let release!: (session: string) => void;
    element.session = () => new Promise<string>((resolve) => (release = resolve));
    const log = new EventLog(element);
    document.body.append(element);
    await log.until(() => log.count('close') === 1, 'the close of the abandoned attempt');
    const [error] = log.of('error');
    expect(error.detail.kind).to.equal('connection');
    expect(error.detail.message).to.match(/session/).and.to.match(/300 ms/);
    expect(log.of('close')[0].state).to.equal('closed');
    release('late');
    await quiet(300);
    expect([element.state, element.socket]).to.deep.equal(['closed', null]);
    expect((await control(name).stats()).attempts).to.have.length(0);
  });

  it('waits as long as it takes with connect-timeout="0"', async () => {
    const name = room();
    await stall(name);
    const element = make({ 'ws-url': wsUrl(name), 'connect-timeout': '0' }, false);
    const log = new EventLog(element);
    document.body.append(element);
    await serverUntil(name, (stats) => stats.held === 1, 'the held handshake');
    await quiet(800);
    expect(element.state).to.equal('connecting');
    expect(log.entries).to.deep.equal([]);
  });
});

describe('a document that goes away', () => {
  /** A same-origin iframe in the page, and a count of the listeners added to its window and not removed. */
  function frame() {
    const iframe = document.createElement('iframe');
    mounted.push(iframe);
    document.body.append(iframe);
    const view = iframe.contentWindow!;
    const listening = new Map<string, number>();
    const add = view.addEventListener.bind(view);
    const remove = view.removeEventListener.bind(view);
    // Only listeners the element adds after this point are counted; each is a distinct function.
    const seen = new Set<unknown>();
    view.addEventListener = ((type: string, listener: EventListenerOrEventListenerObject, options?: AddEventListenerOptions | boolean) => {
      if (!seen.has(listener)) listening.set(type, (listening.get(type) ?? 0) + 1);
      seen.add(listener);
      add(type, listener, options);
    }) as typeof view.addEventListener;
    view.removeEventListener = ((type: string, listener: EventListenerOrEventListenerObject, options?: EventListenerOptions | boolean) => {
      if (seen.delete(listener)) listening.set(type, (listening.get(type) ?? 0) - 1);
      remove(type, listener, options);
    }) as typeof view.removeEventListener;
    const left = () => [...listening].filter(([, count]) => count !== 0);
    return { iframe, document: iframe.contentDocument!, left, added: () => listening.size };
  }

  it('closes like a removal when moved into an iframe that is then removed: 1000, no retry, no listener left', async () => {
    const { element, name, log } = await openElement({ 'reconnect-delay': '50' });
    const socket = element.socket;
    const { iframe, document: inner, left, added } = frame();
    inner.body.append(element); // a move, in one task
    await roundTrip(element, 'in the frame');
    expect(element.socket).to.equal(socket);
    expect(added(), 'the element watches the frame').to.be.greaterThan(0);
    const closed = log.nth('close', 1);
    iframe.remove();
    const close = await closed;
    expect(close.detail.code).to.equal(1000);
    expect(close.state).to.equal('closed');
    expect(left()).to.deep.equal([]);
    await serverUntil(name, (stats) => stats.open === 0);
    await quiet(300);
    expect(log.sequence()).to.deep.equal(['close']);
    expect([element.state, element.socket]).to.deep.equal(['closed', null]);
    expect((await control(name).stats()).attempts).to.have.length(1);
  });

  it('keeps the socket when moved into an iframe and back, and leaves no listener on the iframe', async () => {
    const { element, name, log } = await openElement();
    const socket = element.socket;
    const { iframe, document: inner, left } = frame();
    inner.body.append(element);
    await roundTrip(element, 'in');
    document.body.append(element);
    await roundTrip(element, 'back');
    expect(left()).to.deep.equal([]);
    iframe.remove();
    await roundTrip(element, 'frame gone');
    expect(element.socket).to.equal(socket);
    expect(log.sequence()).to.deep.equal([]);
    expect((await control(name).stats()).connections).to.equal(1);
  });

  it('leaves no listener on the iframe when removed from it', async () => {
    const { element, name, log } = await openElement();
    const { document: inner, left } = frame();
    inner.body.append(element);
    await roundTrip(element, 'in');
    element.remove();
    await log.nth('close', 1);
    expect(left()).to.deep.equal([]);
    await serverUntil(name, (stats) => stats.open === 0);
  });
});
