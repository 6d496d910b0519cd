// Pages and frameworks often set properties before the element is defined: a CDN module
// runs after inline scripts, a framework renders before its lazy import resolves. Each
// test here runs in a fresh same-origin <iframe> (its own custom element registry), sets
// everything up while <bricks-websocket> is still an unknown element, then loads the
// definition, and checks on the server what the first and only connection offered.

import { expect } from '@open-wc/testing';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { useBlankFrames } from '../helpers/late-definition.js';
import { control, nextEvent, port, room, serverUntil, wsUrl } from '../helpers/server.js';

const serverOrigin = `ws://127.0.0.1:${port}`;
const { blankFrame, define } = useBlankFrames();

/** The server's record once the element's first socket has opened, with the element's view. */
async function firstConnection(name: string, element: BricksWebSocketElement) {
  if (element.state !== 'open') await nextEvent(element, 'open');
  const stats = await control(name).stats();
  return { stats, attempt: stats.attempts[0] };
}

describe('properties set before the element is defined', () => {
  it('a parsed element: wsUrl, withSession, session, sessionOrigins and protocols are in force for the one first connection', async () => {
    const { doc, win } = await blankFrame();
    doc.body.innerHTML = '<bricks-websocket id="a"></bricks-websocket>';
    const name = room();
    const element = doc.getElementById('a') as BricksWebSocketElement;
    Object.assign(element, {
      withSession: true,
      session: 'tokPre',
      sessionOrigins: serverOrigin,
      protocols: 'chat.v1',
      wsUrl: wsUrl(name),
    });
    await define(doc, win);
    const { stats, attempt } = await firstConnection(name, element);
    expect(attempt.protocols, 'what the first handshake offered').to.deep.equal(['tokPre', 'chat.v1']);
    expect(stats.attempts.length, 'handshakes').to.equal(1);
    expect(stats.connections, 'connections').to.equal(1);
    expect(element.wsUrl).to.equal(wsUrl(name));
  });

  it('a session property wins over bricks.app.get_session() on the first attempt', async () => {
    const { doc, win } = await blankFrame();
    (win as unknown as { bricks: unknown }).bricks = { app: { get_session: () => 'fromBricks' } };
    const name = room();
    const element = doc.createElement('bricks-websocket') as BricksWebSocketElement;
    element.setAttribute('with-session', '');
    element.setAttribute('session-origins', serverOrigin);
    element.session = 'chosenByPage';
    element.setAttribute('ws-url', wsUrl(name));
    doc.body.append(element);
    await define(doc, win);
    const { stats, attempt } = await firstConnection(name, element);
    expect(attempt.protocols).to.deep.equal(['chosenByPage']);
    expect(stats.attempts.length).to.equal(1);
  });

  it('a created and appended element: protocols, binaryType, heartbeat settings and reconnect settings apply from the start', async () => {
    const { doc, win } = await blankFrame();
    const name = room();
    const element = doc.createElement('bricks-websocket') as BricksWebSocketElement;
    doc.body.append(element);
    Object.assign(element, {
      protocols: 'p.one p.two',
      binaryType: 'blob',
      // Pings often enough to see one soon, with room for a busy machine to answer them.
      heartbeat: 200,
      heartbeatTimeout: 10_000,
      heartbeatType: 'beat',
      maxRetries: 0,
      wsUrl: wsUrl(name),
    });
    await define(doc, win);
    const { stats, attempt } = await firstConnection(name, element);
    expect(attempt.protocols).to.deep.equal(['p.one', 'p.two']);
    expect(element.socket!.binaryType).to.equal('blob');
    const pinged = await serverUntil(name, (s) => s.received.length > 0, 'a ping');
    expect(JSON.parse(pinged.received[0] as string).type, 'the heartbeat type set before definition').to.equal('beat');
    expect(stats.attempts.length).to.equal(1);

    // maxRetries 0 set before definition: a drop ends the connection instead of retrying.
    const closed = nextEvent(element, 'close');
    await control(name).drop();
    await closed;
    expect(element.state).to.equal('closed');
  });

  it('a queueLimit set before definition applies to sends made before the first update', async () => {
    const { doc, win } = await blankFrame();
    const element = doc.createElement('bricks-websocket') as BricksWebSocketElement;
    element.queueLimit = 1;
    element.id = 'a';
    doc.body.append(element);
    const errors: string[] = [];
    element.addEventListener('error', (event) => errors.push((event as CustomEvent).detail.kind));
    await define(doc, win, `
      const element = document.getElementById('a');
      window.sent = [element.sendText('one'), element.sendText('two')];
    `);
    expect((win as unknown as { sent: boolean[] }).sent, 'the second frame is over the limit').to.deep.equal([true, false]);
    expect(errors).to.deep.equal(['queue-full']);
    expect(element.queued).to.equal(1);
  });

  it('frames sent right after definition, before the first update, queue and go out in order', async () => {
    const { doc, win } = await blankFrame();
    const name = room();
    doc.body.innerHTML = `<bricks-websocket id="a" ws-url="${wsUrl(name)}"></bricks-websocket>`;
    await define(doc, win, `
      const element = document.getElementById('a');
      element.sendText('first');
      element.send('second', { n: 2 });
      element.sendText('third');
    `);
    const element = doc.getElementById('a') as BricksWebSocketElement;
    const { received } = await serverUntil(name, (s) => s.received.length >= 3, 'three frames');
    expect(received).to.deep.equal([
      '{"type":"text","data":"first"}',
      '{"type":"second","data":{"n":2}}',
      '{"type":"text","data":"third"}',
    ]);
    expect(element.queued).to.equal(0);
    expect((await control(name).stats()).attempts.length).to.equal(1);
  });

  it('listeners added before definition receive open and typed frames', async () => {
    const { doc, win } = await blankFrame();
    const name = room();
    const element = doc.createElement('bricks-websocket') as BricksWebSocketElement;
    const seen: string[] = [];
    element.addEventListener('open', () => seen.push('open'));
    element.addEventListener('echoed', (event) => seen.push(`echoed:${(event as CustomEvent).detail}`));
    element.wsUrl = wsUrl(name);
    doc.body.append(element);
    await define(doc, win);
    const echoed = nextEvent(element, 'echoed');
    element.send('echoed', 'x');
    await echoed;
    expect(seen).to.deep.equal(['open', 'echoed:x']);
  });

  it('message listeners added before definition hear every frame: created, parsed, and upgraded by customElements.upgrade()', async () => {
    const { doc, win } = await blankFrame();
    const name = room();
    const url = wsUrl(name);
    const created = doc.createElement('bricks-websocket') as BricksWebSocketElement;
    created.wsUrl = url;
    doc.body.append(created);
    doc.body.insertAdjacentHTML('beforeend', `<bricks-websocket ws-url="${url}"></bricks-websocket>`);
    const parsed = doc.body.lastElementChild as BricksWebSocketElement;
    // Out of the document and upgraded by hand: nothing but the listener tells it apart.
    const detached = doc.createElement('bricks-websocket') as BricksWebSocketElement;
    const elements = [created, parsed, detached];
    const heard = elements.map(() => [] as string[]);
    elements.forEach((element, i) => element.addEventListener('message', (event) => heard[i]!.push((event as CustomEvent).detail.data)));
    await define(doc, win);
    win.customElements.upgrade(detached);
    detached.wsUrl = url;
    detached.connect();
    await Promise.all(elements.map((element) => (element.state === 'open' ? null : nextEvent(element, 'open'))));
    const arrived = elements.map((element) => nextEvent(element, 'ping'));
    await control(name).send('{"type":"ping","data":1}');
    await Promise.all(arrived);
    expect(heard).to.deep.equal(elements.map(() => ['{"type":"ping","data":1}']));
  });
});

