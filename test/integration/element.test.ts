// The element's contract (issue 2) against the real ws server, in real browsers.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import type { BricksWebSocketErrorDetail } from '../../src/element/events.js';
import { control, nextEvent, nextEvents, port, room, serverUntil, wsUrl } from '../helpers/server.js';
import { captureConsole } from '../helpers/console.js';

const serverOrigin = `ws://127.0.0.1:${port}`;
const mounted: BricksWebSocketElement[] = [];

/** A new element with these attributes; appended to the document unless `attach` is false. */
function make(attributes: Record<string, string>, attach = true): BricksWebSocketElement {
  const element = document.createElement('bricks-websocket');
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  mounted.push(element);
  if (attach) document.body.append(element);
  return element;
}

/** A mounted element connected to a fresh echo room, after its `open` event. */
async function openElement(attributes: Record<string, string> = {}) {
  const name = room();
  const element = make({ 'ws-url': wsUrl(name), ...attributes }, false);
  const opened = nextEvent<CustomEvent>(element, 'open');
  document.body.append(element);
  await opened;
  return { element, name, server: control(name) };
}

const errorDetail = (event: Event) => (event as CustomEvent<BricksWebSocketErrorDetail>).detail;

/** Base64 of bytes, the slow obvious way, as the reference. */
const reference = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

const received = (name: string, count: number) =>
  serverUntil(name, (stats) => stats.received.length >= count, `${count} frames`).then((stats) => stats.received);

afterEach(() => {
  for (const element of mounted.splice(0)) {
    element.remove();
    element.close();
  }
});

describe('connecting', () => {
  it('opens when in the document with a ws-url, and says so in every read-only property', async () => {
    const { element, name } = await openElement();
    expect(element.state).to.equal('open');
    expect(element.readyState).to.equal(WebSocket.OPEN);
    expect(element.socket).to.be.instanceOf(WebSocket);
    expect(element.socket!.url).to.equal(wsUrl(name));
    expect(element.protocol).to.equal('');
    expect(element.bufferedAmount).to.equal(0);
    expect(element.queued).to.equal(0);
    expect(element.matches(':state(open)')).to.equal(true);
    expect((await control(name).stats()).open).to.equal(1);
  });

  it('fires open with the url and the chosen protocol', async () => {
    const name = room();
    const element = make({ 'ws-url': wsUrl(name), protocols: 'chat.v1, chat.v2' }, false);
    const opened = nextEvent<CustomEvent>(element, 'open');
    document.body.append(element);
    expect((await opened).detail).to.deep.equal({ url: wsUrl(name), protocol: 'chat.v1' });
    const [attempt] = (await control(name).stats()).attempts;
    expect(attempt.protocols).to.deep.equal(['chat.v1', 'chat.v2']);
  });

  it('maps http: to ws:', async () => {
    const name = room();
    const element = make({ 'ws-url': wsUrl(name).replace('ws:', 'http:') }, false);
    const opened = nextEvent<CustomEvent>(element, 'open');
    document.body.append(element);
    expect((await opened).detail.url).to.equal(wsUrl(name));
  });

  it('resolves a relative ws-url against document.baseURI', async () => {
    const base = document.createElement('base');
    base.href = `http://127.0.0.1:${port}/`;
    document.head.append(base);
    try {
      const name = room();
      const element = make({ 'ws-url': `/ws/${name}?mode=echo` }, false);
      const opened = nextEvent<CustomEvent>(element, 'open');
      document.body.append(element);
      expect((await opened).detail.url).to.equal(wsUrl(name));
    } finally {
      base.remove();
    }
  });

  for (const bad of ['ftp://example.com/ws', 'javascript:alert(1)', 'http://[::1']) {
    it(`reports ws-url ${JSON.stringify(bad)} as an error of kind url and makes no socket`, async () => {
      const element = make({ 'ws-url': bad }, false);
      const failed = nextEvent(element, 'error');
      document.body.append(element);
      const detail = errorDetail(await failed);
      expect(detail.kind).to.equal('url');
      expect(detail.message).to.match(/ws-url/);
      expect(element.socket).to.equal(null);
      expect(element.readyState).to.equal(3);
    });
  }

  it('makes no socket while ws-url is empty', async () => {
    const element = make({});
    await element.updateComplete;
    expect(element.socket).to.equal(null);
    expect(element.state).to.equal('idle');
    expect(element.matches(':state(idle)')).to.equal(true);
  });

  it('closes the old socket with 1000 and opens the new one when ws-url changes', async () => {
    const { element, name } = await openElement();
    const old = element.socket!;
    const oldClosed = nextEvent<CloseEvent>(old, 'close');
    const next = room();
    const opened = nextEvent(element, 'open');
    element.wsUrl = wsUrl(next);
    // Never two live sockets: the old one is closing before the new one exists.
    expect(old.readyState).to.be.at.least(WebSocket.CLOSING);
    await opened;
    expect((await oldClosed).code).to.equal(1000);
    expect(element.socket).to.not.equal(old);
    expect(element.socket!.url).to.equal(wsUrl(next));
    await serverUntil(name, (stats) => stats.open === 0);
    expect((await control(next).stats()).open).to.equal(1);
  });

  it('closes with 1000 when removed', async () => {
    const { element, name } = await openElement();
    const closed = nextEvent<CustomEvent>(element, 'close');
    element.remove();
    expect((await closed).detail).to.deep.equal({ code: 1000, reason: '', wasClean: true });
    expect(element.state).to.equal('closed');
    await serverUntil(name, (stats) => stats.open === 0);
  });

  it('keeps the same socket when moved in one task', async () => {
    const { element, name } = await openElement();
    const socket = element.socket;
    const other = document.createElement('div');
    document.body.append(other);
    other.append(element); // removed and re-inserted synchronously
    await element.updateComplete;
    expect(element.socket).to.equal(socket);
    expect(element.state).to.equal('open');
    const echoed = nextEvent<CustomEvent>(element, 'text');
    element.sendText('still here');
    expect((await echoed).detail).to.equal('still here');
    expect((await control(name).stats()).connections).to.equal(1);
    other.remove();
  });

  it('keeps the same socket when moved with moveBefore, where the browser has it', async function () {
    const { element } = await openElement();
    const socket = element.socket;
    const parent = document.createElement('div');
    document.body.append(parent);
    const moveBefore = (parent as unknown as { moveBefore?: (node: Node, child: Node | null) => void }).moveBefore;
    if (moveBefore) moveBefore.call(parent, element, null);
    else parent.append(element); // without moveBefore, a same-task move is the fallback
    // An echo comes back tasks later, after a removal would have taken effect.
    const echoed = nextEvent<CustomEvent>(element, 'text');
    element.sendText('moved');
    expect((await echoed).detail).to.equal('moved');
    expect(element.parentNode).to.equal(parent);
    expect(element.socket).to.equal(socket);
    expect(element.state).to.equal('open');
    parent.remove();
  });

  it('stays closed after close() until connect()', async () => {
    const { element, name } = await openElement();
    const closed = nextEvent<CustomEvent>(element, 'close');
    element.close(4001, 'bye');
    expect(element.state).to.equal('closing');
    expect((await closed).detail).to.deep.include({ code: 4001, reason: 'bye' });
    expect(element.state).to.equal('closed');
    expect(element.socket).to.equal(null);
    expect(element.readyState).to.equal(3);
    const reopened = nextEvent(element, 'open');
    element.connect();
    await reopened;
    expect((await control(name).stats()).connections).to.equal(2);
  });

  it('fires one close event when close() is called twice, or before removal', async () => {
    const { element } = await openElement();
    const closes: CustomEvent[] = [];
    element.addEventListener('close', (event) => closes.push(event));
    const closed = nextEvent(element, 'close');
    element.close(4002, 'first');
    element.close();
    element.remove(); // closes with 1000 at the end of the task, unless a close is under way
    await closed;
    await Promise.resolve();
    expect(closes.map((event) => event.detail.code)).to.deep.equal([4002]);
    expect(element.state).to.equal('closed');
  });

  for (const [code, reason] of [[1005, ''], [4000, 'x'.repeat(124)]] as const) {
    it(`reports close(${code}, ${reason.length}-byte reason), which the browser refuses, and closes with 1000`, async () => {
      const { element, name } = await openElement();
      const failed = nextEvent(element, 'error');
      const closed = nextEvent<CustomEvent>(element, 'close');
      element.close(code, reason);
      const detail = errorDetail(await failed);
      expect(detail.kind).to.equal('connection');
      expect(detail.message).to.match(/1000 or 3000-4999/);
      expect(detail.error).to.be.instanceOf(DOMException);
      expect((await closed).detail.code).to.equal(1000);
      expect(element.state).to.equal('closed');
      await serverUntil(name, (stats) => stats.open === 0);
    });
  }

  it('reopens on re-insertion after close()', async () => {
    const { element, name } = await openElement();
    const closed = nextEvent(element, 'close');
    element.close();
    await closed;
    element.remove();
    // A removal takes effect at the end of its task; a request to the server ends many tasks later.
    await control(name).stats();
    const reopened = nextEvent(element, 'open');
    document.body.append(element);
    await reopened;
    expect(element.state).to.equal('open');
  });

  it('opens on connect() before it is inserted', async () => {
    const name = room();
    const element = make({ 'ws-url': wsUrl(name) }, false);
    const opened = nextEvent(element, 'open');
    element.connect();
    await opened;
    expect(element.state).to.equal('open');
  });

  it('reports connect() without a ws-url as an error of kind url', async () => {
    const element = make({});
    const failed = nextEvent(element, 'error');
    element.connect();
    expect(errorDetail(await failed).kind).to.equal('url');
    expect(element.socket).to.equal(null);
  });

  it('reports a server that is not there as an error of kind connection, then a close', async () => {
    const element = make({ 'ws-url': `ws://127.0.0.1:${port}/nowhere`, 'max-retries': '0' }, false);
    const failed = nextEvent(element, 'error');
    const closed = nextEvent<CustomEvent>(element, 'close');
    document.body.append(element);
    expect(errorDetail(await failed).kind).to.equal('connection');
    expect((await closed).detail.code).to.equal(1006);
    expect(element.state).to.equal('closed');
  });

  it('rejects wrong argument types to close() with a TypeError', async () => {
    const element = make({});
    expect(() => element.close('1000' as unknown as number)).to.throw(TypeError);
    expect(() => element.close(1000, 5 as unknown as string)).to.throw(TypeError);
  });
});

describe('receiving', () => {
  it('fires message for every frame, raw, text and binary', async () => {
    const { element, server } = await openElement();
    const messages = nextEvents<CustomEvent>(element, 'message', 2);
    const failed = nextEvent(element, 'error');
    await server.send('not json at all', { binary: btoa('\x00\x01\xff') });
    const [text, binary] = await messages;
    expect(text.detail.data).to.equal('not json at all');
    expect(errorDetail(await failed).kind, 'the text frame is no envelope').to.equal('frame');
    expect(binary.detail.data).to.be.instanceOf(ArrayBuffer);
    expect([...new Uint8Array(binary.detail.data)]).to.deep.equal([0, 1, 255]);
  });

  it('fires message to a listener added after frames have arrived, and in order before the typed event', async () => {
    const { element, server } = await openElement();
    const typed = nextEvent(element, 'first');
    await server.send('{"type":"first","data":1}');
    await typed;
    const seen: string[] = [];
    element.addEventListener('message', (event) => seen.push(`message:${(event as CustomEvent).detail.data}`));
    element.addEventListener('second', () => seen.push('second'));
    const second = nextEvent(element, 'second');
    await server.send('{"type":"second","data":2}');
    await second;
    expect(seen).to.deep.equal(['message:{"type":"second","data":2}', 'second']);
  });

  it('delivers binary frames as Blob with binary-type="blob"', async () => {
    const { element, server } = await openElement({ 'binary-type': 'blob' });
    const message = nextEvent<CustomEvent>(element, 'message');
    await server.send({ binary: btoa('abc') });
    const { data } = (await message).detail;
    expect(data).to.be.instanceOf(Blob);
    expect(await (data as Blob).text()).to.equal('abc');
  });

  it('applies a binary-type change to the live socket', async () => {
    const { element } = await openElement();
    element.binaryType = 'blob';
    await element.updateComplete;
    expect(element.socket!.binaryType).to.equal('blob');
  });

  for (const type of ['text', 'base64audio', 'base64video', 'presence']) {
    it(`turns a ${type} frame into a ${type} event whose detail is the data as is`, async () => {
      const { element, server } = await openElement();
      const data = type === 'presence' ? { who: ['ann', 'bo'], count: 2 } : 'QUJD';
      const event = nextEvent<CustomEvent>(element, type);
      await server.send(JSON.stringify({ type, data }));
      const fired = await event;
      expect(fired.detail).to.deep.equal(data);
      expect(fired.bubbles).to.equal(false);
      expect(fired).to.be.instanceOf(CustomEvent);
    });
  }

  for (const [frame, why] of [
    ['{"type": "text", "data": ', /not JSON/],
    ['[1, 2, 3]', /not an object/],
    ['"just a string"', /not an object/],
    ['{"data": 1}', /"type"/],
    ['{"type": "", "data": 1}', /"type"/],
    ['{"type": 7, "data": 1}', /"type"/],
  ] as const) {
    it(`delivers ${frame} by message and reports it as an error of kind frame`, async () => {
      const { element, server } = await openElement();
      const message = nextEvent<CustomEvent>(element, 'message');
      const failed = nextEvent(element, 'error');
      await server.send(frame);
      expect((await message).detail.data).to.equal(frame);
      const detail = errorDetail(await failed);
      expect(detail.kind).to.equal('frame');
      expect(detail.message).to.match(why);
    });
  }

  for (const type of ['open', 'message', 'error', 'close', 'reconnecting']) {
    it(`does not dispatch a frame typed ${type} under that name`, async () => {
      const { element, server } = await openElement();
      const faked: Event[] = [];
      const fake = (event: Event) => {
        if ((event as CustomEvent).detail === 'forged') faked.push(event);
      };
      element.addEventListener(type, fake);
      const failed = nextEvent(element, 'error');
      const after = nextEvent<CustomEvent>(element, 'text');
      await server.send(JSON.stringify({ type, data: 'forged' }), '{"type":"text","data":"after"}');
      expect(errorDetail(await failed)).to.include({ kind: 'frame' });
      expect(errorDetail(await failed).message).to.contain(type);
      await after;
      expect(faked).to.have.length(0);
      expect(element.state).to.equal('open');
    });
  }

  it('keeps dispatching after a listener throws', async () => {
    const { element, server } = await openElement();
    // The browser reports a listener's exception to window.onerror, where mocha would fail the test.
    const mochaOnError = window.onerror;
    const reported: string[] = [];
    window.onerror = (message, ...rest) => {
      if (String(message).includes('listener broke')) return reported.push(String(message)) > 0;
      return mochaOnError?.call(window, message, ...rest);
    };
    const thrower = () => {
      throw new Error('listener broke');
    };
    element.addEventListener('text', thrower);
    // The test runner prints every window error too; these two are asserted through onerror.
    const printed = captureConsole('error');
    try {
      const texts = nextEvents<CustomEvent>(element, 'text', 2);
      await server.send('{"type":"text","data":"one"}', '{"type":"text","data":"two"}');
      expect((await texts).map((event) => event.detail)).to.deep.equal(['one', 'two']);
      expect(reported).to.have.length(2);
    } finally {
      printed.restore();
      element.removeEventListener('text', thrower);
      window.onerror = mochaOnError;
    }
  });
});

describe('sending', () => {
  it('sends envelopes with send() and sendText()', async () => {
    const { element, name } = await openElement();
    expect(element.send('cursor', { x: 1, y: [2] })).to.equal(true);
    expect(element.send('bare')).to.equal(true);
    expect(element.sendText('héllo')).to.equal(true);
    expect(await received(name, 3)).to.deep.equal([
      '{"type":"cursor","data":{"x":1,"y":[2]}}',
      '{"type":"bare"}',
      '{"type":"text","data":"héllo"}',
    ]);
  });

  it('sends a base64 string as given, and encodes binary input as padded base64', async () => {
    const { element, name } = await openElement();
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252, 253]);
    expect(await element.sendBase64Audio('QUJD')).to.equal(true);
    expect(await element.sendBase64Audio(bytes)).to.equal(true);
    expect(await element.sendBase64Video(bytes.buffer)).to.equal(true);
    expect(await element.sendBase64Video(new Blob([bytes]))).to.equal(true);
    expect(await element.sendBase64Audio(new DataView(bytes.buffer, 1, 3))).to.equal(true);
    const frames = (await received(name, 5)).map((frame) => JSON.parse(frame as string));
    expect(frames).to.deep.equal([
      { type: 'base64audio', data: 'QUJD' },
      { type: 'base64audio', data: reference(bytes) },
      { type: 'base64video', data: reference(bytes) },
      { type: 'base64video', data: reference(bytes) },
      { type: 'base64audio', data: reference(bytes.subarray(1, 4)) },
    ]);
  });

  it('sends raw frames exactly as given', async () => {
    const { element, name } = await openElement();
    // The echo server sends 'plain' back, which is no envelope.
    const echoed = nextEvent(element, 'error');
    element.sendRaw('plain');
    element.sendRaw(new Uint8Array([1, 2, 3]).buffer);
    element.sendRaw(new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4));
    element.sendRaw(new Blob([new Uint8Array([4, 5])]));
    expect(await received(name, 4)).to.deep.equal([
      'plain',
      { binary: btoa('\x01\x02\x03') },
      { binary: btoa('\x01\x02\x03') },
      { binary: btoa('\x04\x05') },
    ]);
    expect(errorDetail(await echoed).message).to.include('"plain"');
  });

  it('keeps call order when a Blob must be read first', async () => {
    const { element, name } = await openElement();
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
    const audio = element.sendBase64Audio(new Blob([big]));
    element.send('after', 1);
    const video = element.sendBase64Video(big);
    element.sendText('last');
    expect(await Promise.all([audio, video])).to.deep.equal([true, true]);
    const frames = (await received(name, 4)).map((frame) => JSON.parse(frame as string));
    expect(frames.map((frame) => frame.type)).to.deep.equal(['base64audio', 'after', 'base64video', 'text']);
    expect(frames[0].data).to.have.length(Math.ceil(big.length / 3) * 4);
    expect(frames[0].data).to.equal(frames[2].data);
  });

  it('queues frames while connecting and sends them in order on open', async () => {
    const name = room();
    const element = make({ 'ws-url': wsUrl(name) }, false);
    element.sendText('one');
    element.send('two', 2);
    element.sendRaw('three');
    expect(element.queued).to.equal(3);
    const opened = nextEvent(element, 'open');
    const echoed = nextEvent(element, 'error'); // 'three' comes back from the echo server, no envelope
    document.body.append(element);
    await opened;
    expect(element.queued).to.equal(0);
    expect(await received(name, 3)).to.deep.equal(['{"type":"text","data":"one"}', '{"type":"two","data":2}', 'three']);
    expect(errorDetail(await echoed).message).to.include('"three"');
  });

  it('refuses a frame past queue-limit with an error of kind queue-full, and keeps the rest', async () => {
    const name = room();
    const element = make({ 'ws-url': wsUrl(name), 'queue-limit': '2' }, false);
    expect(element.sendText('a')).to.equal(true);
    expect(await element.sendBase64Audio(new Uint8Array([1]))).to.equal(true);
    const failed = nextEvent(element, 'error');
    expect(element.sendText('c')).to.equal(false);
    const detail = errorDetail(await failed);
    expect(detail.kind).to.equal('queue-full');
    expect(detail.message).to.match(/queue-limit/);
    const failedAgain = nextEvent(element, 'error');
    expect(await element.sendBase64Video(new Uint8Array([2]))).to.equal(false);
    expect(errorDetail(await failedAgain).kind).to.equal('queue-full');
    expect(element.queued).to.equal(2);
    document.body.append(element);
    expect(await received(name, 2)).to.deep.equal(['{"type":"text","data":"a"}', '{"type":"base64audio","data":"AQ=="}']);
  });

  it('throws a TypeError for wrong argument types, at once', () => {
    const element = make({});
    const anyElement = element as unknown as Record<string, (...args: unknown[]) => unknown>;
    expect(() => anyElement.send(42)).to.throw(TypeError);
    expect(() => anyElement.send('')).to.throw(TypeError);
    expect(() => anyElement.sendText({ text: 'x' })).to.throw(TypeError);
    expect(() => anyElement.sendRaw({})).to.throw(TypeError);
    expect(() => anyElement.sendRaw(null)).to.throw(TypeError);
    expect(() => anyElement.sendBase64Audio(null)).to.throw(TypeError);
    expect(() => anyElement.sendBase64Video(12)).to.throw(TypeError);
    expect(element.queued).to.equal(0);
  });

  it('reports data JSON cannot hold as an error of kind send', async () => {
    const { element, name } = await openElement();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    let failed = nextEvent(element, 'error');
    expect(element.send('loop', cyclic)).to.equal(false);
    expect(errorDetail(await failed)).to.include({ kind: 'send' });
    failed = nextEvent(element, 'error');
    expect(element.send('big', 10n)).to.equal(false);
    expect(errorDetail(await failed).kind).to.equal('send');
    element.sendText('fine');
    expect(await received(name, 1)).to.deep.equal(['{"type":"text","data":"fine"}']);
  });
});

describe('session', () => {
  it('passes the session as the first subprotocol to an origin in session-origins, never in the URL', async () => {
    const name = room();
    const element = make({ 'ws-url': wsUrl(name), 'with-session': '', 'session-origins': serverOrigin, protocols: 'v2' }, false);
    element.session = 'tok.EN-1_x';
    const opened = nextEvent<CustomEvent>(element, 'open');
    document.body.append(element);
    expect((await opened).detail.protocol).to.equal('tok.EN-1_x');
    const [attempt] = (await control(name).stats()).attempts;
    expect(attempt.protocols).to.deep.equal(['tok.EN-1_x', 'v2']);
    expect(attempt.url).to.not.contain('tok.EN');
  });

  it('accepts session-origins written as http origins', async () => {
    const name = room();
    const element = make({ 'ws-url': wsUrl(name), 'with-session': '', 'session-origins': `https://elsewhere.example http://127.0.0.1:${port}` }, false);
    element.session = 'abc';
    const opened = nextEvent(element, 'open');
    document.body.append(element);
    await opened;
    expect(element.protocol).to.equal('abc');
  });

  it('reads a session function anew for every connection attempt', async () => {
    const name = room();
    const element = make({ 'ws-url': wsUrl(name), 'with-session': '', 'session-origins': serverOrigin }, false);
    let calls = 0;
    element.session = async () => `token${++calls}`;
    let opened = nextEvent(element, 'open');
    document.body.append(element);
    await opened;
    const closed = nextEvent(element, 'close');
    element.close();
    await closed;
    opened = nextEvent(element, 'open');
    element.connect();
    await opened;
    expect(calls).to.equal(2);
    const { attempts } = await control(name).stats();
    expect(attempts.map((attempt) => attempt.protocols[0])).to.deep.equal(['token1', 'token2']);
  });

  it('asks bricks.app.get_session() when no session is set', async () => {
    const name = room();
    const global = globalThis as { bricks?: unknown };
    global.bricks = { app: { get_session: () => 'from-bricks' } };
    try {
      const element = make({ 'ws-url': wsUrl(name), 'with-session': '', 'session-origins': serverOrigin }, false);
      const opened = nextEvent(element, 'open');
      document.body.append(element);
      await opened;
      expect((await control(name).stats()).attempts[0].protocols).to.deep.equal(['from-bricks']);
    } finally {
      delete global.bricks;
    }
  });

  const refusals: [string, Record<string, string>, string | null | (() => never)][] = [
    ['to an origin that is neither the page nor in session-origins', {}, 'tok'],
    ['when the session is not a subprotocol token', { 'session-origins': serverOrigin }, 'abc=='],
    ['when there is no session', { 'session-origins': serverOrigin }, null],
    ['when the session function throws', { 'session-origins': serverOrigin }, () => { throw new Error('signed out'); }],
  ];
  for (const [when, attributes, session] of refusals) {
    it(`refuses to connect ${when}: error of kind session, no attempt`, async () => {
      const name = room();
      const element = make({ 'ws-url': wsUrl(name), 'with-session': '', ...attributes }, false);
      element.session = session;
      const failed = nextEvent(element, 'error');
      document.body.append(element);
      const detail = errorDetail(await failed);
      expect(detail.kind).to.equal('session');
      expect(detail.message.length).to.be.greaterThan(20);
      expect(element.socket).to.equal(null);
      expect(element.state).to.equal('closed');
      expect((await control(name).stats()).attempts).to.have.length(0);
    });
  }
});
