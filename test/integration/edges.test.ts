// Edge cases of the send path, the lifecycle, flow control and the page lifecycle, against
// the real server: each was a defect found by trying to break the element as a user would.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import type { BricksWebSocketFrameEvent } from '../../src/frames/frame-event.js';
import { control, room, serverUntil, wsUrl } from '../helpers/server.js';
import { mount, quiet, receivedEnvelopes } from '../resilience/support.js';

describe('edge cases: answers to the server', function () {
  this.timeout(20_000);

  it('never sends a reply queued behind a clip on the connection that follows a drop', async () => {
    const name = room('atk-reply');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '50' });
    await log.nth('open', 1);
    let replied: boolean | undefined;
    el.addEventListener('ask', (event) => {
      const ask = event as BricksWebSocketFrameEvent<unknown>;
      // A clip is being encoded (its place is at the head of the queue) when the server asks.
      void el.sendBase64Audio(new Uint8Array(4 * 1024 * 1024));
      replied = ask.reply('yes');
      // The connection goes before the answer can leave.
      el.socket!.close(4001, 'gone');
    });
    await control(name).send(JSON.stringify({ type: 'ask', data: null, id: 'srv-1' }));
    await log.nth('open', 2);
    // The clip (accepted while open) follows to the new connection, as documented.
    await serverUntil(name, (s) => receivedEnvelopes(s).some((e) => e.type === 'base64audio'), 'the clip', 10_000);
    const stats = await control(name).stats();
    // README: a reply after the connection the request came on has closed sends nothing;
    // a server numbers its requests per connection, so this one must not reach the new one.
    const replies = receivedEnvelopes(stats).filter((e) => e.type === 'reply');
    expect({ replied, replies }).to.deep.equal({ replied: true, replies: [] });
  });

  it('never sends a reply made while the socket is closing on the next connection', async () => {
    const name = room('atk-reply2');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '50' });
    await log.nth('open', 1);
    let replied: boolean | undefined;
    el.addEventListener('ask', (event) => {
      const ask = event as BricksWebSocketFrameEvent<unknown>;
      el.socket!.close(4001, 'gone'); // the server or the network ends it: readyState CLOSING
      replied = ask.reply('late');
    });
    await control(name).send(JSON.stringify({ type: 'ask', data: null, id: 'srv-1' }));
    await log.nth('open', 2);
    el.send('marker', 1);
    const stats = await serverUntil(name, (s) => receivedEnvelopes(s).some((e) => e.type === 'marker'), 'the marker');
    const replies = receivedEnvelopes(stats).filter((e) => e.type === 'reply');
    expect({ replied, replies }).to.deep.equal({ replied: false, replies: [] });
  });
});

describe('edge cases: connect-timeout and the error listener', function () {
  this.timeout(20_000);

  it('lets connect() in the reconnecting listener after a timed-out attempt try again at once', async () => {
    // In the error listener of a failing attempt, state is still connecting (README, Staying connected).
    // Whether the server then sees the new handshake at once is the engine's business (Firefox
    // delays handshakes after a failed one), so the new attempt is checked on the element.
    const name = room('atk-timeout');
    await control(name).stall(true);
    const el = document.createElement('bricks-websocket') as BricksWebSocketElement;
    el.setAttribute('ws-url', wsUrl(name));
    el.setAttribute('connect-timeout', '300');
    el.setAttribute('reconnect-delay', '60000');
    el.setAttribute('reconnect-max-delay', '60000');
    const seen: string[] = [];
    el.addEventListener('error', (event) => {
      event.preventDefault();
      seen.push(`error:${el.state}`);
    });
    const retried = new Promise<{ state: string; socket: boolean }>((resolve) => {
      el.addEventListener('reconnecting', () => {
        seen.push('reconnecting');
        el.connect(); // "during a reconnect wait, tries at once"
        resolve({ state: el.state, socket: el.socket !== null });
      }, { once: true });
    });
    document.body.append(el);
    try {
      expect(await retried).to.deep.equal({ state: 'connecting', socket: true });
      expect(seen).to.deep.equal(['error:connecting', 'reconnecting']);
    } finally {
      el.remove();
      await control(name).stall(false);
    }
  });
});

describe('edge cases: queue-full while open', function () {
  this.timeout(20_000);

  it('says the buffer is full, not "wait for open", when a frame is refused behind buffer-limit while open', async () => {
    const name = room('atk-qfull');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'buffer-limit': '65536', 'queue-limit': '0' });
    await log.nth('open', 1);
    expect(el.send('big', 'x'.repeat(200_000))).to.equal(true);
    const accepted = el.send('small', 1);
    expect(accepted).to.equal(false);
    const error = log.of('error').at(-1)!;
    expect(error.detail.kind).to.equal('queue-full');
    expect(error.state).to.equal('open');
    expect(error.detail.message).not.to.match(/wait for open/);
    await quiet(0);
  });
});

describe('edge cases: the back/forward cache and an element in an iframe', function () {
  this.timeout(20_000);

  it('comes back after the cache when it sits in a same-origin iframe, whose pagehide is persisted too', async () => {
    const name = room('atk-bf-iframe');
    const frame = document.createElement('iframe');
    document.body.append(frame);
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '50' });
    await log.nth('open', 1);
    const inner = frame.contentWindow!;
    try {
      inner.document.body.append(el); // a move: keeps the socket
      expect(el.state).to.equal('open');
      // The whole page goes into the cache: every document of it gets pagehide with persisted.
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
      inner.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
      expect(el.state).to.equal('closed');
      // ...and comes back.
      window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
      inner.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
      await log.nth('open', 2);
      expect(el.state).to.equal('open');
    } finally {
      el.remove();
      frame.remove();
    }
  });
});

describe('edge cases: frames sent from a pagehide listener', function () {
  this.timeout(20_000);

  it('queues a frame sent from a pagehide listener added after the element arrived', async () => {
    // Listeners of one event run in the order they were added, at the window too: one added
    // before the element arrived runs while the socket is still open (README, Back/forward cache).
    const name = room('atk-bf-listener');
    let accepted: boolean | undefined;
    const mounted = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '50' });
    const el = mounted.el;
    await mounted.log.nth('open', 1);
    const onHide = (event: PageTransitionEvent) => {
      if (event.persisted) accepted = el.send('bye', 1);
    };
    window.addEventListener('pagehide', onHide);
    try {
      window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: true }));
      expect({ accepted, queued: el.queued, state: el.state }).to.deep.equal({ accepted: true, queued: 1, state: 'closed' });
    } finally {
      window.removeEventListener('pagehide', onHide);
    }
  });
});

describe('edge cases: close() with a code the browser refuses', function () {
  this.timeout(20_000);

  it('reports a refused close code also while waiting to reconnect, when there is no socket', async () => {
    const name = room('atk-close-code');
    // Refused until this test lifts it, not for a span a busy machine could use up before the first attempt.
    await control(name).refuse(60_000);
    try {
      const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '5000' });
      await log.nth('reconnecting', 1);
      expect(el.socket).to.equal(null);
      el.close(1001, 'bye'); // README: a code other than 1000 or 3000-4999 fires an error of kind connection
      expect(el.state).to.equal('closed');
      expect(log.of('error').filter((e) => /close\(1001\)/.test(e.detail.message))).to.have.length(1);
    } finally {
      await control(name).refuse(0);
    }
  });

  it('reports a refused close code of a shared connection\'s member, which leaves with 1000', async () => {
    const name = room('atk-close-shared');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), share: 'page' });
    await log.nth('open', 1);
    el.close(1001, 'bye');
    const [error] = log.of('error');
    expect(error.detail.kind).to.equal('connection');
    expect(error.detail.message).to.match(/close\(1001\) refused/);
    expect(error.state, 'reported once the member has left').to.equal('closed');
    expect(log.of('close').map((entry) => entry.detail.code)).to.deep.equal([1000]);
  });
});

describe('edge cases: re-insertion after close()', function () {
  this.timeout(20_000);

  it('opens again when moved within a task after close(), as on any re-insertion', async () => {
    const name = room('atk-move-closed');
    const { el, log } = await mount({ 'ws-url': wsUrl(name) });
    await log.nth('open', 1);
    el.close();
    await log.nth('close', 1);
    const parent = el.parentElement!;
    el.remove();
    parent.append(el); // the same task: a move
    await log.nth('open', 2);
    expect(el.state).to.equal('open');
  });
});
