// The element against `bricks-websocket/server`, the library (test/fixture/library.mjs says
// what its handlers do): typed frames both ways, requests in both directions with every outcome,
// rooms, the heartbeat, authenticate refusing, and the session arriving as the client's.

import { expect } from '@open-wc/testing';
import { libraryUrl } from 'virtual:library-server';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import type { BricksWebSocketCloseDetail } from '../../src/element/events.js';
import type { BricksWebSocketFrameEvent } from '../../src/frames/frame-event.js';
import { useElements } from '../helpers/elements.js';
import { WAIT_MS, nextEvent, nextEvents, room } from '../helpers/server.js';

const { make } = useElements('lib');

/** An element on the library, in the document and open. */
async function open(attributes: Record<string, string> = {}, url = libraryUrl): Promise<BricksWebSocketElement> {
  const element = make({ 'ws-url': url, ...attributes });
  const opened = nextEvent(element, 'open');
  document.body.append(element);
  await opened;
  return element;
}

/** What a request's promise settled with: its value, or the error's name, message, code and data. */
async function outcome(promise: Promise<unknown>): Promise<unknown> {
  try {
    return { data: await promise };
  } catch (error) {
    const { name, message, code, data } = error as { name: string; message: string; code?: string; data?: unknown };
    return { error: { name, message, code, data } };
  }
}

/** How many `type` events `element` gets from now on. */
function counter(element: EventTarget, type: string) {
  const count = { value: 0 };
  element.addEventListener(type, () => count.value++);
  return count;
}

describe('the library: typed frames', () => {
  it('takes a frame the element sends, and its frame back arrives as a typed event', async () => {
    const element = await open();
    const echoed = nextEvent<CustomEvent>(element, 'echo');
    element.send('echo', { text: 'héllo 👋', n: [1, 2] });
    expect((await echoed).detail).to.deep.equal({ text: 'héllo 👋', n: [1, 2] });
  });
});

describe('the library: the element asks, a handler answers', () => {
  it("resolves request() with the handler's return value", async () => {
    const element = await open();
    expect(await element.request('echo', { a: 1 })).to.deep.equal({ a: 1 });
  });

  it('rejects with the ReplyError a handler throws, its code and data included', async () => {
    const element = await open();
    expect(await outcome(element.request('refuse', { why: 'test' }))).to.deep.equal({
      error: { name: 'ReplyError', message: 'refused', code: 'no', data: { why: 'test' } },
    });
  });

  it('rejects a request no handler takes with code unknown-type', async () => {
    const element = await open();
    const { error } = (await outcome(element.request('no-such-type'))) as { error: { name: string; code: string; message: string } };
    expect([error.name, error.code]).to.deep.equal(['ReplyError', 'unknown-type']);
    expect(error.message).to.include('no-such-type');
  });

  it('rejects with "Internal error" when a handler throws anything else, and never with its text', async () => {
    const element = await open();
    expect(await outcome(element.request('crash'))).to.deep.equal({ error: { name: 'ReplyError', message: 'Internal error', code: 'internal', data: undefined } });
    // The connection carries on.
    expect(element.state).to.equal('open');
    expect(await element.request('echo', 'still here')).to.equal('still here');
  });
});

describe('the library: the server asks, the page answers', () => {
  it("resolves client.request() with the page's event.reply()", async () => {
    const element = await open();
    const asked = nextEvent<BricksWebSocketFrameEvent<{ q: number }>>(element, 'whoami');
    element.addEventListener('whoami', (event) => (event as BricksWebSocketFrameEvent).reply({ name: 'ana' }), { once: true });
    const answer = element.request('ask', { type: 'whoami', data: { q: 1 } });
    const event = await asked;
    expect(event.detail).to.deep.equal({ q: 1 });
    expect(event.id).to.be.a('string');
    expect(await answer).to.deep.equal({ data: { name: 'ana' } });
  });

  it('rejects client.request() with a ReplyError for event.replyError()', async () => {
    const element = await open();
    element.addEventListener('confirm', (event) => (event as BricksWebSocketFrameEvent).replyError('no thanks', { code: 'nope', data: 2 }), { once: true });
    expect(await element.request('ask', { type: 'confirm' })).to.deep.equal({ error: { name: 'ReplyError', message: 'no thanks', code: 'nope', data: 2 } });
  });

  it('rejects client.request() with TimeoutError when the page does not answer', async () => {
    const element = await open();
    const asked = nextEvent(element, 'unanswered');
    const answer = element.request('ask', { type: 'unanswered', timeout: 100 });
    await asked;
    const { error } = (await answer) as { error: { name: string } };
    expect(error.name).to.equal('TimeoutError');
  });
});

describe('the library: rooms', () => {
  it('sends to the members of a room, each once, and to nobody else', async () => {
    const news = room('news');
    const other = room('other');
    const [ana, bo, cy] = await Promise.all([open(), open(), open()]);
    await Promise.all([ana.request('join', news), bo.request('join', news), cy.request('join', other)]);
    expect(await ana.request('members', news)).to.equal(2);
    const counts = [ana, bo, cy].map((element) => counter(element, 'headline'));
    const arrived = [nextEvent<CustomEvent>(ana, 'headline'), nextEvent<CustomEvent>(bo, 'headline')];
    const markers = [ana, bo, cy].map((element) => nextEvent(element, 'marker'));
    ana.send('shout', { room: news, type: 'headline', data: 'rooms work' });
    // One client's frames are handled in order, and each socket's frames are sent in order:
    // once every member of both rooms has the marker, a second headline would have come before it.
    ana.send('shout', { room: news, type: 'marker' });
    ana.send('shout', { room: other, type: 'marker' });
    expect((await Promise.all(arrived)).map((event) => event.detail)).to.deep.equal(['rooms work', 'rooms work']);
    await Promise.all(markers);
    expect(counts.map((count) => count.value)).to.deep.equal([1, 1, 0]);
  });

  it('stops sending to a client that left the room', async () => {
    const news = room('news');
    const [ana, bo] = await Promise.all([open(), open()]);
    await Promise.all([ana.request('join', news), bo.request('join', news)]);
    await bo.request('leave', news);
    expect(await bo.request('me')).to.have.property('rooms').that.deep.equals([]);
    const count = counter(bo, 'headline');
    const heard = nextEvent(ana, 'headline');
    bo.send('shout', { room: news, type: 'headline', data: 1 });
    await heard;
    // bo's own echo, after the shout on its socket, says the shout was handled.
    expect(await bo.request('echo', 'after')).to.equal('after');
    expect(count.value).to.equal(0);
  });
});

describe('the library: heartbeat', () => {
  it("answers the element's ping with a pong carrying the ping's data, and the connection stays open", async () => {
    const started = Date.now();
    // A timeout of WAIT_MS: a pong late on a busy machine must not count the connection dead.
    const element = await open({ heartbeat: '50', 'heartbeat-timeout': String(WAIT_MS) });
    const closes = counter(element, 'close');
    const pongs = await nextEvents<CustomEvent>(element, 'pong', 3);
    for (const pong of pongs) expect(pong.detail).to.be.a('number').within(started, Date.now());
    expect(closes.value).to.equal(0);
    expect(element.state).to.equal('open');
  });
});

describe('the library: authenticate', () => {
  /** Every event of `types` on `element`, in order. */
  function journal(element: EventTarget, types: string[]): string[] {
    const seen: string[] = [];
    for (const type of types) element.addEventListener(type, () => seen.push(type));
    return seen;
  }

  for (const [how, reason] of [
    ['refuse', 'Not signed in'],
    ['fail', ''],
  ] as const) {
    it(`closes with 1008 and "${reason}" when authenticate ${how === 'refuse' ? 'throws a ReplyError' : 'throws another error'}, and the element stops retrying`, async () => {
      const element = make({ 'ws-url': `${libraryUrl}?auth=${how}`, 'reconnect-delay': '10' });
      const seen = journal(element, ['open', 'close', 'reconnecting']);
      const closed = nextEvent<CustomEvent<BricksWebSocketCloseDetail>>(element, 'close');
      document.body.append(element);
      const { detail } = await closed;
      expect([detail.code, detail.reason]).to.deep.equal([1008, reason]);
      // Closed for good at its close: no retry is scheduled.
      expect(element.state).to.equal('closed');
      expect(seen).to.deep.equal(['open', 'close']);
    });
  }

  it("gives the element's session (with-session) to authenticate, as client.user", async () => {
    const origin = new URL(libraryUrl).origin;
    const element = make({ 'ws-url': libraryUrl, 'with-session': '', 'session-origins': origin });
    element.session = 'tok-123_abc';
    const opened = nextEvent(element, 'open');
    document.body.append(element);
    await opened;
    expect(element.protocol).to.equal('tok-123_abc');
    expect(await element.request('me')).to.deep.equal({ user: { session: 'tok-123_abc' }, rooms: [] });
  });

  it('gives a null session to authenticate without with-session', async () => {
    const element = await open();
    expect(await element.request('me')).to.deep.equal({ user: { session: null }, rooms: [] });
  });
});
