// share="page": elements of one page with the same connection key use one socket (issue 14).
// Connections are counted on the real ws server.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import type { BricksWebSocketErrorDetail } from '../../src/element/events.js';
import { useElements } from '../helpers/elements.js';
import { control, nextEvent, nextEvents, port, room, serverUntil, wsUrl } from '../helpers/server.js';

const serverOrigin = `ws://127.0.0.1:${port}`;
const { make } = useElements('share');

/** `count` members of one shared connection to a fresh room, all open. */
async function members(count: number, attributes: Record<string, string> = {}, mode: 'echo' | 'room' = 'echo') {
  const name = room('share');
  const elements = Array.from({ length: count }, (_, i) =>
    make({ 'ws-url': wsUrl(name, mode), share: 'page', ...attributes, id: `m${i}` }),
  );
  const opened = Promise.all(elements.map((element) => nextEvent(element, 'open')));
  document.body.append(...elements);
  await opened;
  return { elements, name, server: control(name) };
}

/** Records the names of these events on an element, in order. */
function journal(element: BricksWebSocketElement, types: string[]): string[] {
  const seen: string[] = [];
  for (const type of types) {
    element.addEventListener(type, (event) => {
      const detail = (event as CustomEvent).detail;
      seen.push(type === 'message' ? `message ${detail.data}` : type === 'error' ? `error ${detail.kind}` : type);
    });
  }
  return seen;
}

/** Resolves at the first `type` event whose detail passes `test`. */
const until = (element: BricksWebSocketElement, type: string, test: (detail: unknown) => boolean) =>
  new Promise<void>((resolve) => {
    const listener = (event: Event) => {
      if (!test((event as CustomEvent).detail)) return;
      element.removeEventListener(type, listener);
      resolve();
    };
    element.addEventListener(type, listener);
  });

const parsed = (frames: unknown[]) => frames.map((frame) => JSON.parse(frame as string) as { type: string; data: unknown });


describe('share="page": one socket', () => {
  it('gives three elements with one URL one connection, and each reports it as its own', async () => {
    const { elements, name } = await members(3);
    const stats = await control(name).stats();
    expect([stats.connections, stats.open]).to.deep.equal([1, 1]);
    for (const element of elements) {
      expect([element.state, element.readyState, element.socket, element.matches(':state(open)')]).to.deep.equal(['open', 1, elements[0].socket, true]);
    }
    expect(elements[0].socket).to.be.instanceOf(WebSocket);
  });

  it('delivers every frame to every member, in the same order', async () => {
    const { elements, server } = await members(3);
    const journals = elements.map((element) => journal(element, ['message', 'text', 'news', 'error']));
    const last = Promise.all(elements.map((element) => nextEvent(element, 'done')));
    await server.send('{"type":"text","data":"a"}', '{"type":"news","data":1}', 'not json', '{"type":"done"}');
    await last;
    expect(journals[0]).to.deep.equal([
      'message {"type":"text","data":"a"}', 'text',
      'message {"type":"news","data":1}', 'news',
      'message not json', 'error frame',
      'message {"type":"done"}',
    ]);
    expect(journals[1]).to.deep.equal(journals[0]);
    expect(journals[2]).to.deep.equal(journals[0]);
  });

  it('sends from every member once, in each member\'s call order, and queues while connecting', async () => {
    const name = room('share');
    const elements = [0, 1, 2].map((i) => make({ 'ws-url': wsUrl(name), share: 'page', id: `q${i}` }));
    document.body.append(...elements);
    // Not open yet: each element queues its own frames.
    for (let n = 0; n < 3; n++) elements.forEach((element, i) => element.send('n', `${i}.${n}`));
    expect(elements.map((element) => element.queued)).to.deep.equal([3, 3, 3]);
    // The echo of each element's last frame: nothing sent before it is still on the way.
    const echoed = Promise.all(elements.map((element, i) => until(element, 'n', (data) => data === `${i}.5`)));
    for (let n = 3; n < 6; n++) elements.forEach((element, i) => element.send('n', `${i}.${n}`));
    await echoed;
    const data = parsed((await control(name).stats()).received).map((frame) => frame.data as string);
    expect(data.length).to.equal(18);
    expect(new Set(data).size).to.equal(18);
    for (const i of [0, 1, 2]) {
      expect(data.filter((d) => d.startsWith(`${i}.`))).to.deep.equal([0, 1, 2, 3, 4, 5].map((n) => `${i}.${n}`));
    }
    expect(elements.map((element) => element.queued)).to.deep.equal([0, 0, 0]);
    expect((await control(name).stats()).connections).to.equal(1);
  });

  it('gives an element with another URL, or another session, its own connection', async () => {
    const { elements, name } = await members(1);
    const other = room('share');
    const elsewhere = make({ 'ws-url': wsUrl(other), share: 'page' });
    const sessioned = [make({ 'ws-url': wsUrl(name), share: 'page', 'with-session': '', 'session-origins': serverOrigin }), make({ 'ws-url': wsUrl(name), share: 'page', 'with-session': '', 'session-origins': serverOrigin })];
    sessioned[0].session = 'alpha';
    sessioned[1].session = 'beta';
    const opened = Promise.all([elsewhere, ...sessioned].map((element) => nextEvent(element, 'open')));
    document.body.append(elsewhere, ...sessioned);
    await opened;
    const stats = await control(name).stats();
    expect(stats.connections).to.equal(3);
    expect(stats.attempts.map((attempt) => attempt.protocols)).to.have.deep.members([[], ['alpha'], ['beta']]);
    expect((await control(other).stats()).connections).to.equal(1);
    expect(sessioned[0].protocol).to.equal('alpha');
    expect(sessioned[1].protocol).to.equal('beta');
    expect(elements[0].socket).not.to.equal(sessioned[0].socket);
  });

  it('shares between elements with the same session', async () => {
    const name = room('share');
    const pair = [make({ 'ws-url': wsUrl(name), share: 'page', 'with-session': '', 'session-origins': serverOrigin }), make({ 'ws-url': wsUrl(name), share: 'page', 'with-session': '', 'session-origins': serverOrigin })];
    pair[0].session = 'same';
    pair[1].session = async () => 'same';
    const opened = Promise.all(pair.map((element) => nextEvent(element, 'open')));
    document.body.append(...pair);
    await opened;
    expect((await control(name).stats()).connections).to.equal(1);
    expect(pair.map((element) => element.protocol)).to.deep.equal(['same', 'same']);
  });

  it('reports any other share value as an error of kind url and makes no connection', async () => {
    const name = room('share');
    const element = make({ 'ws-url': wsUrl(name), share: 'window' });
    const failed = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(element, 'error');
    document.body.append(element);
    const { detail } = await failed;
    expect(detail.kind).to.equal('url');
    expect(detail.message).to.contain('"window"');
    expect(element.state).to.equal('closed');
    expect((await control(name).stats()).attempts).to.have.length(0);
  });
});

describe('share="page": leaving', () => {
  it('keeps the last member receiving after two are removed; only those fire close', async () => {
    const { elements, name, server } = await members(3);
    const closes = elements.map((element) => {
      const seen: number[] = [];
      element.addEventListener('close', (event) => seen.push(event.detail.code));
      return seen;
    });
    elements[0].remove();
    elements[1].close();
    await nextEvent(elements[0], 'close'); // fired at the end of the removal's task
    expect([elements[0].state, elements[1].state, elements[2].state]).to.deep.equal(['closed', 'closed', 'open']);
    const got = nextEvent<CustomEvent>(elements[2], 'text');
    await server.send('{"type":"text","data":"still here"}');
    expect((await got).detail).to.equal('still here');
    expect(closes).to.deep.equal([[1000], [1000], []]);
    const stats = await control(name).stats();
    expect([stats.connections, stats.open]).to.deep.equal([1, 1]);
    expect(elements[0].socket).to.equal(null);
  });

  it('closes the socket when the last member leaves, and joins again on connect()', async () => {
    const { elements, name } = await members(2);
    const socket = elements[0].socket!;
    const socketClosed = nextEvent<CloseEvent>(socket, 'close');
    elements[0].remove();
    elements[1].remove();
    expect((await socketClosed).code).to.equal(1000);
    await serverUntil(name, (s) => s.open === 0, 'no open connection');
    const reopened = nextEvent(elements[1], 'open');
    elements[1].connect();
    await reopened;
    expect((await control(name).stats()).connections).to.equal(2);
  });

  it('does not reconnect when the last member is moved in one task', async () => {
    const { elements, name, server } = await members(1);
    const [element] = elements;
    const socket = element.socket;
    const holder = document.createElement('div');
    document.body.append(holder);
    holder.append(element); // remove and insert in one task
    const got = nextEvent<CustomEvent>(element, 'text');
    await server.send('{"type":"text","data":"moved"}');
    expect((await got).detail).to.equal('moved');
    expect(element.socket).to.equal(socket);
    expect((await control(name).stats()).connections).to.equal(1);
    holder.remove();
  });
});

describe('share="page": one schedule', () => {
  it('takes settings from the member that opened it: one heartbeat', async () => {
    const name = room('share');
    const opener = make({ 'ws-url': wsUrl(name), share: 'page', heartbeat: '50', 'heartbeat-type': 'beat-a' });
    const others = ['beat-b', 'beat-c'].map((type) => make({ 'ws-url': wsUrl(name), share: 'page', heartbeat: '50', 'heartbeat-type': type }));
    const opened = Promise.all([opener, ...others].map((element) => nextEvent(element, 'open')));
    document.body.append(opener);
    document.body.append(...others);
    await opened;
    const { received } = await serverUntil(name, (s) => s.received.length >= 6, '6 pings');
    const types = new Set(parsed(received).map((frame) => frame.type));
    expect([...types]).to.deep.equal(['beat-a']);
  });

  it('takes binary-type from the member that opened it: another member setting it leaves the socket as it is', async () => {
    const { elements } = await members(2);
    const socket = elements[0].socket!;
    expect(socket.binaryType).to.equal('arraybuffer');
    elements[1].binaryType = 'blob';
    await elements[1].updateComplete;
    expect(socket.binaryType).to.equal('arraybuffer');
    elements[0].binaryType = 'blob';
    await elements[0].updateComplete;
    expect(socket.binaryType).to.equal('blob');
  });

  it('reconnects on one schedule: every member sees the same reconnecting events, and the server one attempt for each', async () => {
    const { elements, name, server } = await members(3, { 'reconnect-delay': '20', 'reconnect-max-delay': '40' });
    const journals = elements.map((element) => journal(element, ['close', 'reconnecting', 'open']));
    const retries = elements.map((element) => {
      const attempts: number[] = [];
      element.addEventListener('reconnecting', (event) => attempts.push(event.detail.attempt));
      return attempts;
    });
    await server.refuse(60_000);
    const three = nextEvents(elements[2], 'reconnecting', 4);
    await server.drop();
    await three;
    // Listening before the refusal is lifted: the next attempt may open before its answer comes.
    const reopened = Promise.all(elements.map((element) => nextEvent(element, 'open')));
    await server.refuse(0);
    await reopened;
    const stats = await control(name).stats();
    expect(retries[0].length).to.be.at.least(4);
    expect(retries[1]).to.deep.equal(retries[0]);
    expect(retries[2]).to.deep.equal(retries[0]);
    // The first connection, then one attempt per reconnecting event.
    expect(stats.attempts.length).to.equal(1 + retries[0].length);
    expect(stats.open).to.equal(1);
    expect(journals[1]).to.deep.equal(journals[0]);
    expect(journals[2]).to.deep.equal(journals[0]);
  });
});
