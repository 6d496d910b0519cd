// share="tabs": one socket for every same-origin browsing context (issue 14). A same-origin
// <iframe> is a second context with its own module instance, its own Web Locks client and its
// own BroadcastChannel, which is what a second tab is to the element. Connections are counted
// on the real ws server.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketErrorDetail } from '../../src/element/events.js';
import { connectionKey } from '../../src/sharing/shared-connection.js';
import { channelName } from '../../src/sharing/tab-share.js';
import { useContexts } from '../helpers/contexts.js';
import { useElements } from '../helpers/elements.js';
import { WAIT_MS, control, nextEvent, nextEvents, port, room, serverUntil, wsUrl } from '../helpers/server.js';

const serverOrigin = `ws://127.0.0.1:${port}`;
// Frames first: removing a frame ends its document, and with it its lock, channel and socket.
const { context, removeContexts } = useContexts();
const { make } = useElements('tabs');

/** An element of `doc` sharing `url` across tabs, inserted and open. */
async function member(doc: Document, url: string, attributes: Record<string, string> = {}) {
  const element = make({ 'ws-url': url, share: 'tabs', ...attributes }, doc);
  const opened = nextEvent(element, 'open');
  doc.body.append(element);
  await opened;
  return element;
}

/** Resolves at the first `type` event whose detail passes `test`. */
const until = (element: EventTarget, type: string, test: (detail: unknown) => boolean, timeoutMs = WAIT_MS) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching ${type} event within ${timeoutMs} ms`)), timeoutMs);
    const listener = (event: Event) => {
      if (!test((event as CustomEvent).detail)) return;
      element.removeEventListener(type, listener);
      clearTimeout(timer);
      resolve();
    };
    element.addEventListener(type, listener);
  });

const dataOnServer = async (name: string) =>
  (await control(name).stats()).received.map((frame) => (JSON.parse(frame as string) as { data: unknown }).data);


describe('share="tabs": one socket for every context', () => {
  it('gives two contexts with one URL one connection, held by one of them', async () => {
    const name = room('tabs');
    const here = await member(document, wsUrl(name));
    const there = await member(await context(), wsUrl(name));
    const stats = await control(name).stats();
    expect([stats.connections, stats.open]).to.deep.equal([1, 1]);
    expect(here.socket).to.be.instanceOf(WebSocket);
    expect(there.socket).to.equal(null);
    expect([there.state, there.readyState, there.matches(':state(open)')]).to.deep.equal(['open', 1, true]);
  });

  it('delivers every frame to both contexts, in the same order', async () => {
    const name = room('tabs');
    const here = await member(document, wsUrl(name));
    const there = await member(await context(), wsUrl(name));
    const journals = [here, there].map((element) => {
      const seen: string[] = [];
      for (const type of ['message', 'text', 'error']) element.addEventListener(type, () => seen.push(type));
      return seen;
    });
    const done = Promise.all([here, there].map((element) => nextEvent(element, 'done')));
    await control(name).send('{"type":"text","data":"a"}', 'not json', '{"type":"text","data":"b"}', '{"type":"done"}');
    await done;
    expect(journals[0]).to.deep.equal(['message', 'text', 'message', 'error', 'message', 'text', 'message']);
    expect(journals[1]).to.deep.equal(journals[0]);
  });

  it('sends from the context that does not hold the socket, once and in order', async () => {
    const name = room('tabs');
    await member(document, wsUrl(name));
    const there = await member(await context(), wsUrl(name));
    const echoed = until(there, 'n', (data) => data === 4);
    for (let n = 0; n < 5; n++) expect(there.send('n', n)).to.equal(true);
    await echoed;
    expect(await dataOnServer(name)).to.deep.equal([0, 1, 2, 3, 4]);
  });

  it('takes over when the holding context goes away, and delivers what was sent meanwhile once', async () => {
    const name = room('tabs');
    const frameDoc = await context();
    await member(frameDoc, wsUrl(name));
    const here = await member(document, wsUrl(name));
    expect(here.socket).to.equal(null);
    const reopened = nextEvent(here, 'open');
    removeContexts();
    for (let n = 0; n < 3; n++) here.send('during', n);
    await reopened;
    expect(here.socket).to.be.instanceOf(WebSocket);
    const echoed = until(here, 'during', (data) => data === 2);
    await echoed;
    expect(await dataOnServer(name)).to.deep.equal([0, 1, 2]);
    const got = nextEvent<CustomEvent>(here, 'text');
    await control(name).send('{"type":"text","data":"after"}');
    expect((await got).detail).to.equal('after');
    const stats = await serverUntil(name, (s) => s.open === 1, 'one open connection');
    expect(stats.connections).to.equal(2);
  });

  it('does not resend a request the old holder took without confirming: it fails with NetworkError and reaches the server once', async () => {
    const name = room('tabs');
    const frameDoc = await context();
    await member(frameDoc, wsUrl(name));
    const here = await member(document, wsUrl(name));
    expect(here.socket).to.equal(null);
    // The holder sends what it is handed but its confirmations are lost, as when it goes away
    // between sending a frame and saying so.
    const Channel = (frameDoc.defaultView as Window & typeof globalThis).BroadcastChannel;
    const post = Channel.prototype.postMessage;
    Channel.prototype.postMessage = function (this: BroadcastChannel, message: unknown) {
      if ((message as { t?: string }).t !== 'ack') post.call(this, message);
    };
    const reply = here.request('ask', 'once').then(() => 'resolved', (error: Error) => error.name);
    const plain = here.sendText('plain');
    expect(plain).to.equal(true);
    await serverUntil(name, (s) => s.received.length >= 2, 'the request and the text from the holder');
    const reopened = nextEvent(here, 'open');
    removeContexts();
    expect(await reply).to.equal('NetworkError');
    await reopened;
    // A frame sent after the takeover marks the end of what the new holder sends first.
    here.sendText('after');
    const { received } = await serverUntil(name, (s) => s.received.some((frame) => String(frame).includes('after')), 'the frame after the takeover');
    const types = received.map((frame) => (JSON.parse(frame as string) as { type: string; data: unknown }))
      .map((frame) => `${frame.type} ${String(frame.data)}`);
    // The plain frame may go twice (its socket died with it unconfirmed); the request never does.
    expect(types.filter((frame) => frame === 'ask once')).to.have.length(1);
    expect(types.at(-1)).to.equal('text after');
  });

  it('gives a context with another session its own connection', async () => {
    const name = room('tabs');
    const here = make({ 'ws-url': wsUrl(name), share: 'tabs', 'with-session': '', 'session-origins': serverOrigin });
    here.session = 'alpha';
    const opened = nextEvent(here, 'open');
    document.body.append(here);
    await opened;
    const there = make({ 'ws-url': wsUrl(name), share: 'tabs', 'with-session': '', 'session-origins': serverOrigin }, await context());
    there.session = 'beta';
    const alsoOpened = nextEvent(there, 'open');
    there.ownerDocument.body.append(there);
    await alsoOpened;
    const stats = await control(name).stats();
    expect(stats.connections).to.equal(2);
    expect(stats.attempts.map((attempt) => attempt.protocols)).to.have.deep.members([['alpha'], ['beta']]);
    // That frame's own WebSocket class: compare by name across realms.
    expect(there.socket?.constructor.name).to.equal('WebSocket');
  });

  it('closes the socket when the last member everywhere has left', async () => {
    const name = room('tabs');
    const frameDoc = await context();
    const there = await member(frameDoc, wsUrl(name));
    const here = await member(document, wsUrl(name));
    here.remove();
    await nextEvent(here, 'close');
    expect(there.state).to.equal('open');
    there.remove();
    await serverUntil(name, (s) => s.open === 0, 'no open connection');
    expect((await control(name).stats()).connections).to.equal(1);
  });
});

describe('share="tabs": bad input', () => {
  it('ignores a foreign message on the channel with an error of kind frame, and keeps working', async () => {
    const name = room('tabs');
    const here = await member(document, wsUrl(name));
    const there = await member(await context(), wsUrl(name));
    const channel = new BroadcastChannel(await channelName(connectionKey({ url: wsUrl(name), protocols: [] })));
    const failed = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(there, 'error');
    channel.postMessage({ hello: 'from elsewhere' });
    expect((await failed).detail.kind).to.equal('frame');
    channel.close();
    const got = nextEvent<CustomEvent>(here, 'text');
    const gotThere = nextEvent<CustomEvent>(there, 'text');
    await control(name).send('{"type":"text","data":"fine"}');
    expect([(await got).detail, (await gotThere).detail]).to.deep.equal(['fine', 'fine']);
  });

  it('keeps delivering to the other context when a listener throws in one', async () => {
    const name = room('tabs');
    const frameDoc = await context();
    const there = await member(frameDoc, wsUrl(name));
    const here = await member(document, wsUrl(name));
    const frameWindow = frameDoc.defaultView!;
    // A listener of that context, so its throw is reported there and not to this test's window.
    frameWindow.onerror = () => true;
    const throwing = new (frameWindow as unknown as { Function: FunctionConstructor }).Function("throw new Error('a listener failed')");
    there.addEventListener('text', throwing as EventListener);
    const got = nextEvents(here, 'text', 2);
    await control(name).send('{"type":"text","data":1}', '{"type":"text","data":2}');
    expect((await got).map((event) => (event as CustomEvent).detail)).to.deep.equal([1, 2]);
  });
});
