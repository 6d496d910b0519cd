// <bricks-websocket> against mock-socket: the element's contract (issues 2 and 3) where a fake
// network is clearer than the real one. The real server's tests live outside test/unit.

import { expect } from '@open-wc/testing';
import fc from 'fast-check';
import type { BricksWebSocketElement } from '../../src/bricks-websocket.js';
import type { BricksWebSocketCloseDetail, BricksWebSocketErrorDetail, BricksWebSocketReconnectingDetail } from '../../src/element/events.js';
import {
  catchingWindowErrors,
  clientOf,
  details,
  mockUrl,
  mount,
  recorded,
  sameOriginUrl,
  settles,
  spyOnTimers,
  until,
  useMockNetwork,
} from './mock-network.js';

const network = useMockNetwork();

const STATES = ['idle', 'connecting', 'open', 'closing', 'closed', 'reconnecting'];

/** The custom states the element matches now. */
const matching = (el: Element) => STATES.filter((state) => el.matches(`:state(${state})`));

const errors = (el: HTMLElement) => details<BricksWebSocketErrorDetail>(el, 'error');
const errorKinds = (el: HTMLElement) => errors(el).map((e) => e.kind);

/** btoa over the bytes: what base64 payloads must equal. */
const reference = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));

/** An element open on a fresh mock server. */
async function opened(attributes: Record<string, string | boolean> = {}, options: Parameters<typeof mount>[1] = {}) {
  const url = mockUrl();
  const server = network.serve(url);
  const el = mount({ 'ws-url': url, ...attributes }, options);
  await until(el, 'open');
  return { el, server, url, socket: network.last(), client: clientOf(server) };
}

describe('element: attributes and properties', () => {
  it('has the documented defaults', () => {
    const el = document.createElement('bricks-websocket');
    expect({
      wsUrl: el.wsUrl,
      withSession: el.withSession,
      sessionOrigins: el.sessionOrigins,
      protocols: el.protocols,
      binaryType: el.binaryType,
      queueLimit: el.queueLimit,
      reconnectDelay: el.reconnectDelay,
      reconnectMaxDelay: el.reconnectMaxDelay,
      maxRetries: el.maxRetries,
      connectTimeout: el.connectTimeout,
      stopCodes: el.stopCodes,
      heartbeat: el.heartbeat,
      heartbeatTimeout: el.heartbeatTimeout,
      heartbeatType: el.heartbeatType,
      session: el.session,
    }).to.deep.equal({
      wsUrl: '',
      withSession: false,
      sessionOrigins: '',
      protocols: '',
      binaryType: 'arraybuffer',
      queueLimit: 1000,
      reconnectDelay: 1000,
      reconnectMaxDelay: 30000,
      maxRetries: Infinity,
      connectTimeout: 10000,
      stopCodes: '1000 1008',
      heartbeat: 0,
      heartbeatTimeout: 0, // equal to heartbeat
      heartbeatType: 'ping',
      session: null,
    });
  });

  it('reads every attribute into its property, numbers as numbers', () => {
    const cases: [string, string, keyof BricksWebSocketElement, unknown][] = [
      ['ws-url', 'ws://example.com/a', 'wsUrl', 'ws://example.com/a'],
      ['with-session', '', 'withSession', true],
      ['session-origins', 'wss://a.example.com https://b.example.com', 'sessionOrigins', 'wss://a.example.com https://b.example.com'],
      ['protocols', 'chat, v2', 'protocols', 'chat, v2'],
      ['binary-type', 'blob', 'binaryType', 'blob'],
      ['queue-limit', '5', 'queueLimit', 5],
      ['reconnect-delay', '20', 'reconnectDelay', 20],
      ['reconnect-max-delay', '400', 'reconnectMaxDelay', 400],
      ['max-retries', '3', 'maxRetries', 3],
      ['connect-timeout', '2500', 'connectTimeout', 2500],
      ['stop-codes', '1000 4001', 'stopCodes', '1000 4001'],
      ['heartbeat', '5000', 'heartbeat', 5000],
      ['heartbeat-timeout', '2000', 'heartbeatTimeout', 2000],
      ['heartbeat-type', 'hb', 'heartbeatType', 'hb'],
    ];
    for (const [attribute, value, property, expected] of cases) {
      const el = document.createElement('bricks-websocket');
      el.setAttribute(attribute, value);
      expect(el[property], attribute).to.equal(expected);
    }
  });

  it('keeps heartbeat-timeout equal to heartbeat until it is set, and again after it is removed', () => {
    const el = document.createElement('bricks-websocket');
    el.setAttribute('heartbeat', '700');
    expect(el.heartbeatTimeout).to.equal(700);
    el.setAttribute('heartbeat-timeout', '90');
    el.setAttribute('heartbeat', '800');
    expect(el.heartbeatTimeout).to.equal(90);
    el.removeAttribute('heartbeat-timeout');
    expect(el.heartbeatTimeout).to.equal(800);
  });

  it('keeps heartbeat-timeout equal to heartbeat when set to an empty value or null', () => {
    const el = document.createElement('bricks-websocket');
    el.setAttribute('heartbeat', '700');
    el.setAttribute('heartbeat-timeout', '');
    expect(el.heartbeatTimeout).to.equal(700);
    el.heartbeatTimeout = 90;
    el.heartbeatTimeout = null;
    expect(el.heartbeatTimeout).to.equal(700);
  });

  it('turns with-session off and empties ws-url when the attributes are removed', () => {
    const el = document.createElement('bricks-websocket');
    el.setAttribute('with-session', '');
    el.setAttribute('ws-url', 'ws://example.com/a');
    el.removeAttribute('with-session');
    el.removeAttribute('ws-url');
    expect(el.withSession).to.equal(false);
    expect(el.wsUrl).to.equal('');
  });

  it('takes the session as a property only, never from an attribute', () => {
    const el = document.createElement('bricks-websocket');
    el.setAttribute('session', 'from-attribute');
    expect(el.session).to.equal(null);
  });

  it('applies binary-type to the socket, also when it changes while open', async () => {
    const { el, socket } = await opened({ 'binary-type': 'blob' });
    expect(socket.binaryType).to.equal('blob');
    el.binaryType = 'arraybuffer';
    await el.updateComplete;
    expect(socket.binaryType).to.equal('arraybuffer');
  });
});

describe('element: numeric attributes and properties', () => {
  /** Every numeric setting: attribute, property, default. heartbeat-timeout's default is heartbeat's value. */
  const NUMERIC: [string, 'queueLimit' | 'reconnectDelay' | 'reconnectMaxDelay' | 'maxRetries' | 'connectTimeout' | 'heartbeat' | 'heartbeatTimeout', number][] = [
    ['queue-limit', 'queueLimit', 1000],
    ['reconnect-delay', 'reconnectDelay', 1000],
    ['reconnect-max-delay', 'reconnectMaxDelay', 30000],
    ['max-retries', 'maxRetries', Infinity],
    ['connect-timeout', 'connectTimeout', 10000],
    ['heartbeat', 'heartbeat', 0],
    ['heartbeat-timeout', 'heartbeatTimeout', 700],
  ];

  /** A fresh element whose heartbeat is 700, so heartbeat-timeout's default can be told from 0. */
  function element(attribute: string) {
    const el = document.createElement('bricks-websocket');
    if (attribute === 'heartbeat-timeout') el.heartbeat = 700;
    return el;
  }

  const padding = fc.constantFrom('', ' ', '  ', '\t', '\n', ' \r\n ');
  const amount = fc.oneof(fc.nat(), fc.double({ min: 0, noNaN: true }), fc.constantFrom(0, 1, 0.5, 1e21, Infinity));
  /** A numeric string and the number it holds: the number written by String(), padded with whitespace. */
  const numericString = fc.tuple(padding, amount, padding).map(([before, n, after]) => ({ value: `${before}${String(n)}${after}`, number: n }));
  /** Strings that hold no usable number: empty, blank, words, units, several numbers, negatives. */
  const junk = fc.oneof(
    padding,
    fc.constantFrom('abc', 'NaN', '-', '1,000', '12px', '5 ms', '1 2', 'true', 'null', '-1', '-0.5', '-Infinity'),
    fc.tuple(fc.nat(), fc.constantFrom('px', 'ms', 's', 'x', '%')).map(([n, unit]) => `${n}${unit}`),
    fc.double({ max: -Number.MIN_VALUE, noNaN: true }).map(String),
    fc.string().filter((text) => Number.isNaN(Number(text))),
  );
  /** Property values that are neither a number nor a string holding one. */
  const junkProperty = fc.oneof(junk, fc.double({ max: -Number.MIN_VALUE, noNaN: true }), fc.constantFrom(NaN, null, undefined, true, false, {}, [], [5]));

  it('reads an attribute holding a number as that number, whitespace aside', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NUMERIC), numericString, ([attribute, property], { value, number }) => {
        const el = element(attribute);
        el.setAttribute(attribute, value);
        expect(el[property], `${attribute}=${JSON.stringify(value)}`).to.equal(number);
      }),
    );
  });

  it('reads an empty or unparsable attribute as the default, as if it were absent', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NUMERIC), junk, ([attribute, property, fallback], value) => {
        const el = element(attribute);
        el.setAttribute(attribute, '3');
        el.setAttribute(attribute, value);
        expect(el[property], `${attribute}=${JSON.stringify(value)}`).to.equal(fallback);
        el.setAttribute(attribute, '3');
        el.removeAttribute(attribute);
        expect(el[property], `${attribute} removed`).to.equal(fallback);
      }),
    );
  });

  it('takes a number or a numeric string as a property, and anything else as the default', () => {
    const given = fc.oneof(
      amount.map((n) => ({ value: n as unknown, number: n })),
      numericString,
      junkProperty.map((value) => ({ value, number: null })),
    );
    fc.assert(
      fc.property(fc.constantFrom(...NUMERIC), given, ([attribute, property, fallback], { value, number }) => {
        const el = element(attribute) as unknown as Record<string, unknown>;
        el[property] = 3;
        el[property] = value;
        expect(el[property], `${property} = ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`).to.equal(number ?? fallback);
      }),
    );
  });

  it('keeps queueing with queue-limit="", reconnecting with max-retries="", and a healthy connection with heartbeat-timeout=""', async () => {
    const queueing = mount({ 'queue-limit': '' });
    expect(queueing.send('a')).to.equal(true);
    expect(errorKinds(queueing)).to.deep.equal([]);

    const url = mockUrl();
    const server = network.serve(url);
    let connections = 0;
    let pings = 0;
    server.on('connection', (client) => {
      client.on('message', (data) => {
        const frame = JSON.parse(data as string);
        if (frame.type !== 'ping') return;
        pings++;
        client.send(JSON.stringify({ type: 'pong', data: frame.data }));
      });
      if (connections++ === 0) client.close({ code: 4001, reason: 'once', wasClean: false });
    });
    const el = mount({ 'ws-url': url, 'max-retries': '', 'reconnect-delay': '5', heartbeat: '20', 'heartbeat-timeout': '' });
    await until(el, 'open', () => recorded(el, 'open').length === 2);
    // Several pings, each answered: with heartbeat-timeout read as 0, the first would close it.
    await until(el, 'message', () => pings >= 3);
    expect(recorded(el).map((r) => r.type).filter((type) => type !== 'message')).to.deep.equal(['open', 'close', 'reconnecting', 'open']);
    expect(el.state).to.equal('open');
  });

  it('does not reconnect with maxRetries = \'0\' set as a string', async () => {
    const url = mockUrl();
    const server = network.serve(url);
    server.on('connection', (client) => client.close({ code: 4001, reason: 'bye', wasClean: false }));
    const el = mount({ 'ws-url': url, 'reconnect-delay': '5' }, { props: { maxRetries: '0' as unknown as number } });
    await until(el, 'close');
    expect(el.state).to.equal('closed');
    expect(recorded(el, 'reconnecting')).to.deep.equal([]);
  });
});

describe('element: connect-timeout', () => {
  it('gives every attempt 10 s to open by default, and stops the clock once it opens', async () => {
    const spy = spyOnTimers();
    try {
      const url = mockUrl();
      network.serve(url);
      const el = mount({ 'ws-url': url });
      const timer = spy.timers.find((t) => t.delay === 10000);
      expect(timer, 'a 10 s timer').to.not.equal(undefined);
      await until(el, 'open');
      expect(timer!.cleared).to.equal(true);
    } finally {
      spy.restore();
    }
  });

  it('holds a connect-timeout past what setTimeout can count to its limit, rather than firing at once', async () => {
    const spy = spyOnTimers();
    try {
      const url = mockUrl();
      network.serve(url);
      const el = mount({ 'ws-url': url, 'connect-timeout': '1e12' });
      expect(spy.timers.map((t) => t.delay)).to.include(2 ** 31 - 1);
      await until(el, 'open');
      expect(errors(el)).to.deep.equal([]);
    } finally {
      spy.restore();
    }
  });
});

describe('element: read-only properties', () => {
  it('reports no socket before connecting: readyState 3, state idle, nothing queued', () => {
    const el = mount({});
    expect({
      readyState: el.readyState,
      state: el.state,
      socket: el.socket,
      protocol: el.protocol,
      bufferedAmount: el.bufferedAmount,
      queued: el.queued,
    }).to.deep.equal({ readyState: 3, state: 'idle', socket: null, protocol: '', bufferedAmount: 0, queued: 0 });
  });

  it('refuses assignment to readyState, state, socket, protocol, bufferedAmount and queued', () => {
    const el = mount({}) as unknown as Record<string, unknown>;
    for (const name of ['readyState', 'state', 'socket', 'protocol', 'bufferedAmount', 'queued']) {
      const before = el[name];
      expect(() => {
        el[name] = 1;
      }, name).to.throw(TypeError);
      expect(el[name], name).to.equal(before);
    }
  });

  it('follows the socket: readyState 0 and state connecting, then 1 and open with the chosen protocol', async () => {
    const url = mockUrl();
    network.serve(url);
    const el = mount({ 'ws-url': url, protocols: 'chat v2' });
    expect([el.readyState, el.state]).to.deep.equal([0, 'connecting']);
    expect(el.socket).to.equal(network.last());
    await until(el, 'open');
    expect([el.readyState, el.state, el.protocol]).to.deep.equal([1, 'open', 'chat']);
    expect(el.socket).to.equal(network.last());
    expect(el.bufferedAmount).to.equal(0);
  });

  it('counts frames waiting in queued', () => {
    const el = mount({});
    el.send('a');
    el.sendText('b');
    expect(el.queued).to.equal(2);
  });
});

describe('element: state styling', () => {
  it('matches exactly one :state() at each step: idle, connecting, open, closing, closed', async () => {
    const url = mockUrl();
    network.serve(url);
    const el = mount({ 'ws-url': url }, { attach: false });
    expect(matching(el)).to.deep.equal(['idle']);
    document.body.append(el);
    expect(matching(el)).to.deep.equal(['connecting']);
    await until(el, 'open');
    expect(matching(el)).to.deep.equal(['open']);
    el.close();
    expect(matching(el)).to.deep.equal(['closing']);
    await until(el, 'close');
    expect(matching(el)).to.deep.equal(['closed']);
    expect(el.state).to.equal('closed');
  });
});

describe('element: layout', () => {
  it('stacks its children in a flex column spaced by --bricks-websocket-gap', async () => {
    const el = mount({});
    el.style.setProperty('--bricks-websocket-gap', '12px');
    el.innerHTML = '<div style="height: 10px"></div><div style="height: 10px"></div>';
    await el.updateComplete;
    const style = getComputedStyle(el);
    expect([style.display, style.flexDirection, style.rowGap]).to.deep.equal(['flex', 'column', '12px']);
    const [first, second] = [...el.children].map((child) => child.getBoundingClientRect());
    expect(second.top - first.bottom).to.equal(12);
    expect(second.left).to.equal(first.left);
  });

  it('shows its children through one slot, also after it is removed and inserted again', async () => {
    const el = mount({});
    el.innerHTML = '<p>a</p><p>b</p>';
    await el.updateComplete;
    const parent = el.parentNode!;
    el.remove();
    parent.append(el);
    await el.updateComplete;
    const slots = el.shadowRoot!.querySelectorAll('slot');
    expect([slots.length, slots[0].assignedElements().length]).to.deep.equal([1, 2]);
  });

  /** A same-origin document of its own (an iframe here; a picture-in-picture window is another), removed after the test. */
  async function otherDocument(html = ''): Promise<Document> {
    const frame = document.createElement('iframe');
    frame.srcdoc = `<!doctype html>${html}`;
    const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
    document.body.append(frame);
    after(frame);
    await loaded;
    return frame.contentDocument!;
  }
  const frames: HTMLIFrameElement[] = [];
  const after = (frame: HTMLIFrameElement) => frames.push(frame);
  afterEach(() => frames.splice(0).forEach((frame) => frame.remove()));
  const layout = (el: Element) => {
    const style = el.ownerDocument.defaultView!.getComputedStyle(el);
    return [style.display, style.flexDirection, style.rowGap];
  };

  it('keeps its layout when moved into another document, and back', async () => {
    const doc = await otherDocument();
    const el = mount({});
    el.style.setProperty('--bricks-websocket-gap', '7px');
    el.innerHTML = '<p>a</p><p>b</p>';
    await el.updateComplete;
    doc.body.append(doc.adoptNode(el));
    expect(layout(el), 'in the other document').to.deep.equal(['flex', 'column', '7px']);
    document.body.append(el);
    expect(layout(el), 'back').to.deep.equal(['flex', 'column', '7px']);
  });

  it('has its layout when first inserted into another document than the one it was made in', async () => {
    const doc = await otherDocument();
    const el = document.createElement('bricks-websocket') as BricksWebSocketElement;
    el.innerHTML = '<p>a</p>';
    doc.body.append(doc.adoptNode(el));
    await el.updateComplete;
    expect(layout(el)).to.deep.equal(['flex', 'column', '0px']);
  });

  it('uses the slot of a declarative shadow root it already has instead of adding a second', async () => {
    const doc = await otherDocument('<bricks-websocket><template shadowrootmode="open"><slot></slot></template><p>a</p><p>b</p></bricks-websocket><script src="/dist/cdn/bricks-websocket.iife.js"></script>');
    const el = doc.querySelector('bricks-websocket') as BricksWebSocketElement;
    await el.updateComplete;
    const slots = el.shadowRoot!.querySelectorAll('slot');
    expect([slots.length, slots[0].assignedElements().length, layout(el)[0]]).to.deep.equal([1, 2, 'flex']);
  });

  it('has no gap by default', async () => {
    const el = mount({});
    await el.updateComplete;
    expect(getComputedStyle(el).rowGap).to.equal('0px');
  });

  it('is hidden by the hidden attribute', async () => {
    const el = mount({ hidden: true });
    await el.updateComplete;
    expect(getComputedStyle(el).display).to.equal('none');
  });
});

describe('element: receiving frames', () => {
  it('fires open with the url and the chosen protocol, not bubbling', async () => {
    const url = mockUrl();
    network.serve(url);
    const el = mount({ 'ws-url': url, protocols: 'chat' });
    const event = await until(el, 'open');
    expect(event).to.be.instanceOf(CustomEvent);
    expect(event.detail).to.deep.equal({ url: network.last().url, protocol: 'chat' });
    expect(event.bubbles).to.equal(false);
  });

  it('fires message with the raw text, then the typed event with its data', async () => {
    const { el, client } = await opened({}, { extraTypes: ['text'] });
    const frame = '{"type":"text","data":"hello"}';
    client.send(frame);
    expect(recorded(el).slice(-2).map((r) => [r.type, r.detail])).to.deep.equal([
      ['message', { data: frame }],
      ['text', 'hello'],
    ]);
    expect(recorded(el, 'text')[0].event.bubbles).to.equal(false);
  });

  it('dispatches text, base64audio, base64video and any other type with the data as is', async () => {
    const types = ['text', 'base64audio', 'base64video', 'chat-line'];
    const { el, client } = await opened({}, { extraTypes: types });
    client.send(JSON.stringify({ type: 'text', data: 'hi' }));
    client.send(JSON.stringify({ type: 'base64audio', data: 'UklGRg==' }));
    client.send(JSON.stringify({ type: 'base64video', data: 'AAAAIGZ0eXA=' }));
    client.send(JSON.stringify({ type: 'chat-line', data: { from: 'ann', lines: [1, null, 'x'] } }));
    expect(recorded(el).filter((r) => types.includes(r.type)).map((r) => [r.type, r.detail])).to.deep.equal([
      ['text', 'hi'],
      ['base64audio', 'UklGRg=='],
      ['base64video', 'AAAAIGZ0eXA='],
      ['chat-line', { from: 'ann', lines: [1, null, 'x'] }],
    ]);
    expect(errors(el)).to.deep.equal([]);
  });

  it('delivers a binary frame by message only, without an error', async () => {
    const { el, client } = await opened();
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    client.send(buffer);
    expect(details<{ data: unknown }>(el, 'message').at(-1)!.data).to.equal(buffer);
    expect(errors(el)).to.deep.equal([]);
  });

  it('reports a frame that is not an envelope by message and error kind frame, and goes on', async () => {
    const { el, client } = await opened({}, { extraTypes: ['text'] });
    const bad = ['not json', '[1,2]', 'null', '42', '"text"', '{"data":1}', '{"type":""}', '{"type":7}'];
    for (const frame of bad) {
      const before = recorded(el).length;
      client.send(frame);
      const fresh = recorded(el).slice(before);
      expect(fresh.map((r) => r.type), frame).to.deep.equal(['message', 'error']);
      const error = fresh[1].detail as BricksWebSocketErrorDetail;
      expect(error.kind, frame).to.equal('frame');
      expect(error.message, frame).to.include(JSON.stringify(frame));
    }
    client.send('{"type":"text","data":"still working"}');
    expect(details(el, 'text')).to.deep.equal(['still working']);
    expect(el.state).to.equal('open');
  });

  it('never dispatches a frame under one of its own event names: message and error kind frame instead', async () => {
    const { el, client } = await opened();
    for (const type of ['open', 'message', 'error', 'close', 'reconnecting']) {
      const before = recorded(el).length;
      client.send(JSON.stringify({ type, data: { kind: 'fake', code: 1000 } }));
      const fresh = recorded(el).slice(before);
      expect(fresh.map((r) => r.type), type).to.deep.equal(['message', 'error']);
      const error = fresh[1].detail as BricksWebSocketErrorDetail;
      expect(error.kind, type).to.equal('frame');
      expect(error.message, type).to.include(`"${type}"`);
    }
    expect(el.state).to.equal('open');
    expect(recorded(el, 'open')).to.have.length(1);
  });

  it('goes on dispatching later frames after a listener throws', async () => {
    const { el, client } = await opened({}, { extraTypes: ['text'] });
    el.addEventListener('text', () => {
      throw new Error('a listener failed');
    });
    el.addEventListener('message', () => {
      throw new Error('another listener failed');
    });
    const reported = await catchingWindowErrors(async () => {
      client.send('{"type":"text","data":"one"}');
      client.send('{"type":"text","data":"two"}');
    });
    expect(details(el, 'text')).to.deep.equal(['one', 'two']);
    expect(details(el, 'message')).to.have.length(2);
    expect(reported.map((e) => (e as Error)?.message)).to.deep.equal([
      'another listener failed',
      'a listener failed',
      'another listener failed',
      'a listener failed',
    ]);
  });

  it('fires close with code, reason and wasClean when the server closes', async () => {
    const { el, client } = await opened({ 'max-retries': '0' });
    client.close({ code: 4001, reason: 'bye', wasClean: true });
    const { detail } = await until<BricksWebSocketCloseDetail>(el, 'close');
    expect([detail.code, detail.reason, typeof detail.wasClean]).to.deep.equal([4001, 'bye', 'boolean']);
    expect(el.state).to.equal('closed');
    expect(el.socket).to.equal(null);
  });

  it('fires error kind connection when the handshake fails, then close', async () => {
    const url = mockUrl();
    network.serve(url, { verifyClient: () => false });
    const el = mount({ 'ws-url': url, 'max-retries': '0' });
    await until(el, 'close');
    expect(errorKinds(el)).to.deep.equal(['connection']);
    expect(errors(el)[0].message).to.include(url);
  });
});

describe('element: sending', () => {
  it('send(type, data) writes {"type","data"} to the open socket and returns true', async () => {
    const { el, socket } = await opened();
    expect(el.send('chat-line', { n: 1, s: 'é' })).to.equal(true);
    expect(el.send('bare')).to.equal(true);
    expect(socket.sent).to.deep.equal(['{"type":"chat-line","data":{"n":1,"s":"é"}}', '{"type":"bare"}']);
  });

  it('sendText(text) sends a text frame', async () => {
    const { el, socket } = await opened();
    expect(el.sendText('hello')).to.equal(true);
    expect(socket.sent).to.deep.equal(['{"type":"text","data":"hello"}']);
  });

  it('throws TypeError synchronously for wrong argument types of send, sendText and sendRaw', async () => {
    const { el, socket } = await opened();
    const loose = el as unknown as Record<string, (...args: unknown[]) => unknown>;
    const calls: [string, unknown[]][] = [
      ['send', ['']],
      ['send', [42]],
      ['send', [undefined]],
      ['sendText', [42]],
      ['sendText', [undefined]],
      ['sendText', [{ text: 'x' }]],
      ['sendRaw', [42]],
      ['sendRaw', [null]],
      ['sendRaw', [{}]],
      ['sendRaw', [[1, 2]]],
    ];
    for (const [method, args] of calls) {
      expect(() => loose[method](...args), `${method}(${String(args[0])})`).to.throw(TypeError);
    }
    expect(socket.sent).to.deep.equal([]);
    expect(el.queued).to.equal(0);
  });

  it('throws TypeError synchronously from sendBase64Audio and sendBase64Video for a wrong type, not a rejected promise', async () => {
    const { el, socket } = await opened();
    const loose = el as unknown as Record<string, (arg: unknown) => unknown>;
    for (const method of ['sendBase64Audio', 'sendBase64Video']) {
      for (const arg of [42, null, undefined, {}, [1, 2], true]) {
        expect(() => loose[method](arg), `${method}(${String(arg)})`).to.throw(TypeError);
      }
    }
    expect(socket.sent).to.deep.equal([]);
    expect(el.queued).to.equal(0);
  });

  it('returns false and fires error kind send for data JSON cannot hold, a cycle or a BigInt', async () => {
    const { el, socket } = await opened();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(el.send('t', cyclic)).to.equal(false);
    expect(el.send('t', 10n)).to.equal(false);
    expect(errorKinds(el)).to.deep.equal(['send', 'send']);
    expect(errors(el)[0].error).to.be.instanceOf(TypeError);
    expect(socket.sent).to.deep.equal([]);
    expect(el.queued).to.equal(0);
  });

  it('queues frames while connecting and sends them in call order on open', async () => {
    const url = mockUrl();
    network.serve(url);
    const el = mount({ 'ws-url': url });
    const buffer = new Uint8Array([9, 8]).buffer;
    expect(el.send('a', 1)).to.equal(true);
    expect(el.sendText('b')).to.equal(true);
    expect(el.sendRaw(buffer)).to.equal(true);
    expect(await el.sendBase64Audio('AAAA')).to.equal(true);
    expect(el.queued).to.equal(4);
    const socket = network.last();
    expect(socket.sent).to.deep.equal([]);
    await until(el, 'open');
    expect(socket.sent).to.deep.equal(['{"type":"a","data":1}', '{"type":"text","data":"b"}', buffer, '{"type":"base64audio","data":"AAAA"}']);
    // A frame that waited is a copy made at the call, with the same bytes.
    expect(socket.sent[2]).to.not.equal(buffer);
    expect(Array.from(new Uint8Array(socket.sent[2] as ArrayBuffer))).to.deep.equal([9, 8]);
    expect(el.queued).to.equal(0);
  });

  it('queues frames while it has no ws-url and sends them once one is set', async () => {
    const el = mount({});
    el.send('early', true);
    const url = mockUrl();
    network.serve(url);
    el.wsUrl = url;
    await until(el, 'open');
    expect(network.last().sent).to.deep.equal(['{"type":"early","data":true}']);
  });

  it('refuses a frame when the queue is full: false and error kind queue-full, earlier frames kept', async () => {
    const el = mount({ 'queue-limit': '2' });
    expect([el.send('a'), el.sendText('b')]).to.deep.equal([true, true]);
    expect(el.send('c')).to.equal(false);
    expect(el.sendRaw('d')).to.equal(false);
    expect(await el.sendBase64Video(new Uint8Array([1]))).to.equal(false);
    expect(await el.sendBase64Audio('AAAA')).to.equal(false);
    expect(errorKinds(el)).to.deep.equal(['queue-full', 'queue-full', 'queue-full', 'queue-full']);
    expect(errors(el)[0].message).to.include('2');
    expect(el.queued).to.equal(2);
    const url = mockUrl();
    network.serve(url);
    el.wsUrl = url;
    await until(el, 'open');
    expect(network.last().sent).to.deep.equal(['{"type":"a"}', '{"type":"text","data":"b"}']);
  });

  it('keeps call order when sendBase64Audio(blob) is followed by other sends', async () => {
    const { el, socket } = await opened();
    const audio = new Uint8Array([0, 1, 2, 250, 251]);
    const video = new Uint8Array([7, 7, 7, 7]);
    const audioSent = el.sendBase64Audio(new Blob([audio], { type: 'audio/wav' }));
    el.send('after', 1);
    const videoSent = el.sendBase64Video(video);
    el.sendText('last');
    expect(socket.sent).to.deep.equal([]); // all wait behind the Blob being read
    expect(el.queued).to.equal(4);
    expect(await audioSent).to.equal(true);
    expect(await videoSent).to.equal(true);
    expect(socket.sent).to.deep.equal([
      JSON.stringify({ type: 'base64audio', data: reference(audio) }),
      '{"type":"after","data":1}',
      JSON.stringify({ type: 'base64video', data: reference(video) }),
      '{"type":"text","data":"last"}',
    ]);
    expect(el.queued).to.equal(0);
  });

  it('sends a string given to sendBase64Audio or sendBase64Video as is', async () => {
    const { el, socket } = await opened();
    expect(await el.sendBase64Video('AAEC/w==')).to.equal(true);
    expect(await el.sendBase64Audio('data:audio/wav;base64,UklG')).to.equal(true);
    expect(socket.sent).to.deep.equal([
      '{"type":"base64video","data":"AAEC/w=="}',
      '{"type":"base64audio","data":"data:audio/wav;base64,UklG"}',
    ]);
  });

  it('encodes binary input as padded base64 without a data: prefix', async () => {
    const { el, socket } = await opened();
    const bytes = Uint8Array.from({ length: 40 }, (_, i) => (i * 53) & 255);
    await el.sendBase64Audio(bytes.slice().buffer);
    await el.sendBase64Audio(new Uint8Array(bytes.buffer, 3, 7));
    await el.sendBase64Video(new DataView(bytes.buffer, 5, 11));
    expect(socket.sent.map((frame) => JSON.parse(frame as string))).to.deep.equal([
      { type: 'base64audio', data: reference(bytes) },
      { type: 'base64audio', data: reference(bytes.subarray(3, 10)) },
      { type: 'base64video', data: reference(bytes.subarray(5, 16)) },
    ]);
  });

  it('sendRaw hands the socket the payload as given', async () => {
    const { el, socket } = await opened();
    const payloads = ['raw text', new ArrayBuffer(3), new Uint8Array([1, 2]), new Blob(['b'])];
    for (const payload of payloads) expect(el.sendRaw(payload)).to.equal(true);
    expect(socket.sent).to.have.length(4);
    payloads.forEach((payload, i) => expect(socket.sent[i]).to.equal(payload));
  });
});

describe('element: connecting and closing', () => {
  it('makes no socket without a ws-url', () => {
    const el = mount({});
    expect([el.socket, el.readyState, el.state]).to.deep.equal([null, 3, 'idle']);
    expect(network.dialed).to.have.length(0);
    expect(errors(el)).to.deep.equal([]);
  });

  it('connect() without a ws-url fires error kind url and makes no socket', () => {
    const el = mount({});
    el.connect();
    expect(errorKinds(el)).to.deep.equal(['url']);
    expect(network.dialed).to.have.length(0);
  });

  it('fires error kind url for another scheme or an unparsable ws-url, and makes no socket', () => {
    for (const url of ['ftp://example.com/x', 'javascript:alert(1)', 'http://[::1']) {
      const el = mount({ 'ws-url': url });
      expect(errorKinds(el), url).to.deep.equal(['url']);
      expect(errors(el)[0].message, url).to.include(JSON.stringify(url));
      expect(el.socket, url).to.equal(null);
    }
    expect(network.dialed).to.have.length(0);
  });

  it('connects http:, https: and relative ws-url values as ws: and wss:', () => {
    const pageWs = location.origin.replace(/^http/, 'ws');
    const cases: [string, string][] = [
      ['http://example.com:81/a', 'ws://example.com:81/a'],
      ['https://example.com/b?x=1', 'wss://example.com/b?x=1'],
      ['/relative/c', `${pageWs}/relative/c`],
    ];
    for (const [given, expected] of cases) {
      mount({ 'ws-url': given, 'max-retries': '0' });
      expect(network.last().url, given).to.equal(expected);
    }
  });

  it('drops a fragment from ws-url, also an empty one, instead of failing to connect', () => {
    for (const given of ['ws://example.com/d#section', 'ws://example.com/d#']) {
      const el = mount({ 'ws-url': given, 'max-retries': '0' });
      expect(errors(el), given).to.deep.equal([]);
      expect(network.last().url, given).to.equal('ws://example.com/d');
    }
  });

  it('closes the socket with 1000 when the element is removed', async () => {
    const { el, socket } = await opened();
    el.remove();
    const { detail } = await until<BricksWebSocketCloseDetail>(el, 'close');
    expect(detail.code).to.equal(1000);
    expect(socket.closeCalls).to.deep.equal([{ code: 1000, reason: '' }]);
    expect([el.state, el.socket]).to.deep.equal(['closed', null]);
  });

  it('keeps the same socket when removed and re-inserted in the same task, also across microtasks', async () => {
    const { el, socket, client } = await opened({}, { extraTypes: ['text'] });
    client.on('message', (data) => client.send(data as string)); // echo
    const parent = el.parentNode!;
    el.remove();
    await null;
    await Promise.resolve();
    parent.append(el);
    // A round trip after the task ends shows the socket survived the move.
    el.sendText('still here');
    await until(el, 'text');
    expect(el.socket).to.equal(socket);
    expect(socket.closeCalls).to.deep.equal([]);
    expect(recorded(el, 'close')).to.deep.equal([]);
    expect(el.state).to.equal('open');
    expect(network.dialed).to.have.length(1);
  });

  it('close(code, reason) closes with them and stays closed', async () => {
    const { el, socket } = await opened();
    el.close(4001, 'done');
    expect(el.state).to.equal('closing');
    const { detail } = await until<BricksWebSocketCloseDetail>(el, 'close');
    expect([detail.code, detail.reason]).to.deep.equal([4001, 'done']);
    expect(socket.closeCalls).to.deep.equal([{ code: 4001, reason: 'done' }]);
    expect([el.state, el.socket, el.readyState]).to.deep.equal(['closed', null, 3]);
    expect(recorded(el, 'reconnecting')).to.deep.equal([]);
  });

  it('close() without arguments closes with 1000 and an empty reason, and reports it clean', async () => {
    const { el } = await opened();
    el.close();
    const { detail } = await until<BricksWebSocketCloseDetail>(el, 'close');
    expect(detail).to.deep.equal({ code: 1000, reason: '', wasClean: true });
  });

  it('close() throws TypeError for a code that is not a number or a reason that is not a string', async () => {
    const { el } = await opened();
    const loose = el as unknown as { close(...args: unknown[]): void };
    expect(() => loose.close('1000')).to.throw(TypeError);
    expect(() => loose.close(1000, 42)).to.throw(TypeError);
    expect(el.state).to.equal('open');
  });

  it('connect() after close() opens a new socket', async () => {
    const { el, socket } = await opened();
    el.close();
    await until(el, 'close');
    el.connect();
    await until(el, 'open');
    expect(network.dialed).to.have.length(2);
    expect(el.socket).to.not.equal(socket);
    expect(el.state).to.equal('open');
  });

  it('connect() while open does nothing', async () => {
    const { el, socket } = await opened();
    el.connect();
    expect(el.socket).to.equal(socket);
    expect(network.dialed).to.have.length(1);
  });

  it('changing ws-url closes the old socket with 1000 and opens the new one, never two at once', async () => {
    const { el, socket: old } = await opened();
    const next = mockUrl();
    const server = network.serve(next);
    let openAtConnection = -1;
    server.on('connection', () => {
      openAtConnection = network.dialed.filter((s) => s.readyState === WebSocket.OPEN).length;
    });
    el.setAttribute('ws-url', next);
    await until(el, 'open');
    expect(old.closeCalls).to.deep.equal([{ code: 1000, reason: '' }]);
    expect(old.readyState).to.be.oneOf([WebSocket.CLOSING, WebSocket.CLOSED]);
    expect(network.last().url).to.equal(next);
    expect(el.socket).to.equal(network.last());
    expect(openAtConnection).to.equal(1);
    expect(network.dialed).to.have.length(2);
  });

  it('opens no socket when inserted into a document without a window, and connect() still opens one there', async () => {
    const url = mockUrl();
    network.serve(url);
    // Rendered in this document first: Lit cannot adopt this document's styles into another's.
    const el = mount({});
    await el.updateComplete;
    el.remove();
    await settles(() => el.state === 'closed', 'the removal to take effect');
    el.wsUrl = url;
    const inert = document.implementation.createHTMLDocument('');
    inert.body.append(el);
    expect(el.isConnected).to.equal(true);
    expect(network.dialed).to.have.length(0);
    el.connect();
    await until(el, 'open');
    el.close();
    await until(el, 'close');
  });

  it('never fires two opens without a close between them, whatever the page does in whatever order', async () => {
    type Step = 'remove' | 'append' | 'microtask' | 'task' | 'close' | 'connect' | 'drop' | 'wait';
    const steps: Step[] = ['remove', 'append', 'microtask', 'task', 'close', 'connect', 'drop', 'wait'];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...steps), { minLength: 1, maxLength: 10 }), async (script) => {
        const url = mockUrl();
        const server = network.serve(url);
        const el = mount({ 'ws-url': url, 'reconnect-delay': '2', 'reconnect-max-delay': '2' });
        await until(el, 'open');
        const run: Record<Step, () => unknown> = {
          remove: () => el.remove(),
          append: () => document.body.append(el),
          microtask: () => null,
          task: () => new Promise((resolve) => setTimeout(resolve, 0)),
          close: () => el.close(),
          connect: () => el.connect(),
          drop: () => server.clients().forEach((client) => client.close({ code: 4001, reason: 'drop', wasClean: false })),
          wait: () => until(el, 'open', () => true, 50).catch(() => undefined),
        };
        for (const step of script) await run[step]();
        // Let whatever is under way finish, then close for good.
        el.remove();
        el.close();
        await settles(() => el.state === 'closed', 'the element to close');
        const opensAndCloses = recorded(el)
          .map((r) => r.type)
          .filter((type) => type === 'open' || type === 'close');
        const twice = opensAndCloses.findIndex((type, i) => type === 'open' && opensAndCloses[i + 1] === 'open');
        expect(twice, `${script.join(', ')} gave ${opensAndCloses.join(', ')}`).to.equal(-1);
      }),
      { numRuns: 80 },
    );
  });

  it('emptying ws-url closes the socket and opens none', async () => {
    const { el } = await opened();
    el.removeAttribute('ws-url');
    const { detail } = await until<BricksWebSocketCloseDetail>(el, 'close');
    expect(detail.code).to.equal(1000);
    expect([el.state, el.socket]).to.deep.equal(['closed', null]);
    expect(network.dialed).to.have.length(1);
  });
});

describe('element: session', () => {
  /** An element with with-session, pointed at a mock server on the page's own origin. */
  function withSession(session: BricksWebSocketElement['session'], attributes: Record<string, string> = {}, url = sameOriginUrl()) {
    network.serve(url);
    return mount({ 'ws-url': url, 'with-session': true, 'max-retries': '0', ...attributes }, { props: { session } });
  }

  it('offers the session as the first subprotocol, the protocols after it, and keeps it out of the URL', async () => {
    const el = withSession('tok-1', { protocols: 'chat, v2' });
    await until(el, 'open');
    const socket = network.last();
    expect(socket.offered).to.deep.equal(['tok-1', 'chat', 'v2']);
    expect(socket.url).to.not.include('tok-1');
  });

  it('offers no session without with-session', async () => {
    const url = sameOriginUrl();
    network.serve(url);
    const el = mount({ 'ws-url': url, protocols: 'chat' }, { props: { session: 'tok-1' } });
    await until(el, 'open');
    expect(network.last().offered).to.deep.equal(['chat']);
  });

  it('fires error kind session and makes no connection attempt when with-session has no session', () => {
    const el = withSession(null);
    expect(errorKinds(el)).to.deep.equal(['session']);
    expect(network.dialed).to.have.length(0);
    expect(el.state).to.equal('closed');
  });

  it('fires error kind session for a session that is not a subprotocol token', () => {
    const el = withSession('abc/def==');
    expect(errorKinds(el)).to.deep.equal(['session']);
    expect(network.dialed).to.have.length(0);
  });

  it('awaits an async session before connecting', async () => {
    const el = withSession(async () => 'tok-async');
    await until(el, 'open');
    expect(network.last().offered).to.deep.equal(['tok-async']);
  });

  it('fires error kind session and makes no attempt when the session function throws or rejects', async () => {
    const thrower = withSession(() => {
      throw new Error('no session store');
    });
    expect(errorKinds(thrower)).to.deep.equal(['session']);
    const rejecter = withSession(() => Promise.reject(new Error('refresh failed')));
    const { detail } = await until<BricksWebSocketErrorDetail>(rejecter, 'error');
    expect(detail.kind).to.equal('session');
    expect((detail.error as Error).message).to.equal('refresh failed');
    expect(network.dialed).to.have.length(0);
  });

  it('reads a session function anew for every connection attempt', async () => {
    let reads = 0;
    const el = withSession(() => `tok-${++reads}`);
    await until(el, 'open');
    el.close();
    await until(el, 'close');
    el.connect();
    await until(el, 'open');
    expect(network.dialed.map((s) => s.offered[0])).to.deep.equal(['tok-1', 'tok-2']);
  });

  it('ignores a session that settles after ws-url changed, and connects only to the new URL', async () => {
    let release!: (session: string) => void;
    const late = new Promise<string>((resolve) => (release = resolve));
    let reads = 0;
    const first = sameOriginUrl();
    const second = sameOriginUrl();
    network.serve(second);
    const el = withSession(() => (++reads === 1 ? late : 'tok-new'), {}, first);
    expect(network.dialed).to.have.length(0); // waiting for the session
    el.setAttribute('ws-url', second);
    release('tok-old'); // settles in microtasks, long before the mock socket opens
    await until(el, 'open');
    expect(network.dialed.map((s) => [s.url, s.offered])).to.deep.equal([[second, ['tok-new']]]);
  });

  it('asks globalThis.bricks.app.get_session() when the session property is null', async () => {
    const global = globalThis as { bricks?: unknown };
    global.bricks = { app: { get_session: () => 'bricks-tok' } };
    try {
      const el = withSession(null);
      await until(el, 'open');
      expect(network.last().offered).to.deep.equal(['bricks-tok']);
    } finally {
      delete global.bricks;
    }
  });

  it('refuses to send the session to a foreign origin unless session-origins lists it', async () => {
    const foreign = mockUrl(); // ws://mock.test/…: not the page's origin
    const refused = withSession('tok', {}, foreign);
    expect(errorKinds(refused)).to.deep.equal(['session']);
    expect(errors(refused)[0].message).to.include('http://mock.test');
    expect(network.dialed).to.have.length(0);

    const listed = withSession('tok', { 'session-origins': 'https://other.test http://mock.test' }, mockUrl());
    await until(listed, 'open');
    expect(network.last().offered).to.deep.equal(['tok']);
  });
});

describe('element: reconnecting', () => {
  const FAST = { 'reconnect-delay': '20', 'reconnect-max-delay': '20' };

  /** A mock server that closes the first `times` connections with `code` as soon as they open. */
  function flaky(code: number, times = 1) {
    const url = mockUrl();
    const server = network.serve(url);
    let connections = 0;
    server.on('connection', (client) => {
      if (connections++ < times) client.close({ code, reason: 'flaky', wasClean: false });
    });
    return url;
  }

  it('after a close it did not ask for: close, then reconnecting {attempt, delay, code}, then open again', async () => {
    const el = mount({ 'ws-url': flaky(4001), ...FAST });
    const { detail } = await until<BricksWebSocketReconnectingDetail>(el, 'reconnecting');
    expect(detail.attempt).to.equal(1);
    expect(detail.code).to.equal(4001);
    expect(detail.delay).to.be.within(10, 20);
    expect(el.state).to.equal('reconnecting');
    expect(matching(el)).to.deep.equal(['reconnecting']);
    expect(recorded(el).map((r) => r.type)).to.deep.equal(['open', 'close', 'reconnecting']);
    await until(el, 'open');
    expect(network.dialed).to.have.length(2);
    expect(el.state).to.equal('open');
  });

  it('counts attempts from 1 again after each successful open', async () => {
    const el = mount({ 'ws-url': flaky(4001, 2), ...FAST });
    await until(el, 'open', () => network.dialed.length === 3);
    expect(details<BricksWebSocketReconnectingDetail>(el, 'reconnecting').map((d) => d.attempt)).to.deep.equal([1, 1]);
  });

  it('does not reconnect after a close code listed in stop-codes', async () => {
    const el = mount({ 'ws-url': flaky(4002), ...FAST, 'stop-codes': '4002 4003' });
    const { detail } = await until<BricksWebSocketCloseDetail>(el, 'close');
    expect(detail.code).to.equal(4002);
    expect([el.state, el.socket]).to.deep.equal(['closed', null]);
    expect(recorded(el, 'reconnecting')).to.deep.equal([]);
  });

  it('does not reconnect after 1000 or 1008 by default', async () => {
    for (const code of [1000, 1008]) {
      const el = mount({ 'ws-url': flaky(code), ...FAST });
      await until(el, 'close');
      expect(el.state, String(code)).to.equal('closed');
      expect(recorded(el, 'reconnecting'), String(code)).to.deep.equal([]);
    }
  });

  it('gives up after max-retries failed attempts in a row, with backoff, and fires a final close', async () => {
    const url = mockUrl();
    network.serve(url, { verifyClient: () => false });
    // mock-socket reports a refused handshake with code 1000, so take 1000 off the stop codes.
    const el = mount({ 'ws-url': url, 'max-retries': '2', 'stop-codes': '1008', 'reconnect-delay': '5', 'reconnect-max-delay': '8' });
    await until(el, 'close', () => el.state === 'closed');
    const retries = details<BricksWebSocketReconnectingDetail>(el, 'reconnecting');
    expect(retries.map((r) => r.attempt)).to.deep.equal([1, 2]);
    expect(retries[0].delay).to.be.within(2.5, 5);
    expect(retries[1].delay).to.be.within(4, 8);
    expect(network.dialed).to.have.length(3);
    expect(errorKinds(el)).to.deep.equal(['connection', 'connection', 'connection']);
    expect(recorded(el, 'close')).to.have.length(3);
    expect(el.socket).to.equal(null);
  });

  it('does not reconnect with max-retries 0', async () => {
    const el = mount({ 'ws-url': flaky(4001), ...FAST, 'max-retries': '0' });
    await until(el, 'close');
    expect(el.state).to.equal('closed');
    expect(recorded(el, 'reconnecting')).to.deep.equal([]);
  });

  it('connect() during the wait tries at once', async () => {
    const el = mount({ 'ws-url': flaky(4001), 'reconnect-delay': '60000' });
    await until(el, 'reconnecting');
    el.connect();
    expect(network.dialed).to.have.length(2);
    expect(el.state).to.equal('connecting');
    await until(el, 'open');
  });

  for (const [how, stop] of [
    ['close()', (el: BricksWebSocketElement) => el.close()],
    ['removal', async (el: BricksWebSocketElement) => {
      el.remove();
      // The removal takes effect at the end of the task, to tell a move from a removal.
      await settles(() => el.state === 'closed', 'the removal to close the element');
    }],
  ] as const) {
    it(`${how} during the wait cancels the retry: no socket, no attempt`, async () => {
      const spy = spyOnTimers();
      try {
        // A wait longer than the test: its timer fires only when the test calls it, after the stop
        // (a removal takes effect a task later, which a short retry timer could beat on a busy machine).
        const el = mount({ 'ws-url': flaky(4001), 'reconnect-delay': '60000', 'reconnect-max-delay': '60000' });
        const { detail } = await until<BricksWebSocketReconnectingDetail>(el, 'reconnecting');
        const retry = spy.timers.find((t) => t.delay === detail.delay);
        expect(retry, 'a timer for the retry').to.not.equal(undefined);
        await stop(el);
        expect([el.state, el.socket]).to.deep.equal(['closed', null]);
        // The retry timer must be cleared, or do nothing when it fires.
        if (!retry!.cleared) retry!.callback();
        expect(network.dialed).to.have.length(1);
        expect(el.state).to.equal('closed');
      } finally {
        spy.restore();
      }
    });
  }
});
