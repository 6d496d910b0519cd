// Edge cases of request()/replies and of properties set before the definition loads,
// used the way a demanding app would. Every test here failed when it was written; each
// names the defect it shows. Against the real ws server; echo mode answers `echo` with its
// data and `ignore` never, and control(name).send() pushes frames (requests) from the server.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketFrameEvent } from '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import type { BricksWebSocketErrorDetail } from '../../src/element/events.js';
import { useElements } from '../helpers/elements.js';
import { useBlankFrames } from '../helpers/late-definition.js';
import { control, nextEvent, room, serverUntil, wsUrl } from '../helpers/server.js';

const { make, openElement } = useElements('atk');

/** How a promise ended: `resolved`, or the error's name. */
const outcome = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ name: 'resolved', value }),
    (error: Error) => ({ name: error?.name, error }),
  );

/** Sends a marker and waits for it on the server: everything sent before it has arrived. */
async function framesOnServer(element: BricksWebSocketElement, name: string) {
  const marker = `marker-${Math.random()}`;
  element.send('marker', marker);
  const { received } = await serverUntil(name, (s) => s.received.some((frame) => (frame as string).includes(marker)), 'the marker');
  return received.map((frame) => JSON.parse(frame as string) as { type: string; id?: string; data?: unknown }).filter((frame) => frame.type !== 'marker');
}

/** Pushes a request from the server and resolves with the event it became. */
async function askFromServer(element: BricksWebSocketElement, name: string, id: string) {
  const asked = nextEvent<BricksWebSocketFrameEvent>(element, 'ask');
  await control(name).send(JSON.stringify({ type: 'ask', id, data: null }));
  return asked;
}

describe('edge cases: request() timeouts', () => {
  // setTimeout takes a 32-bit signed delay: Infinity becomes 0 and 2**31 wraps, so the timer fires at once.
  it('a timeout of Infinity or past 2**31 ms does not time out at once', async () => {
    const { element } = await openElement();
    const infinite = await outcome(element.request('echo', 'x', { timeout: Infinity }));
    const huge = await outcome(element.request('echo', 'y', { timeout: 2 ** 31 }));
    expect({ infinite: infinite.name, huge: huge.name }).to.deep.equal({ infinite: 'resolved', huge: 'resolved' });
  });

  it('request-timeout="Infinity" does not make every request time out at once', async () => {
    const { element } = await openElement({ 'request-timeout': 'Infinity' });
    expect((await outcome(element.request('echo', 'x'))).name).to.equal('resolved');
  });
});

describe('edge cases: answering the server', () => {
  it('reply() after the connection that asked has dropped and reconnected is not sent to the new connection', async () => {
    const { element, name, server } = await openElement({ 'reconnect-delay': '10' });
    // A server that numbers its requests per connection starts again at "1": a stale
    // reply would answer the new connection's request "1".
    const event = await askFromServer(element, name, '1');
    const reopened = nextEvent(element, 'open');
    await server.drop();
    await reopened;
    await server.reset();
    const returned = event.reply('stale');
    expect({ returned, frames: await framesOnServer(element, name) }).to.deep.equal({ returned: false, frames: [] });
  });

  it('reply() after the element was removed is not queued for a later connection', async () => {
    const { element, name } = await openElement();
    const event = await askFromServer(element, name, 'r');
    const closed = nextEvent(element, 'close');
    element.remove();
    await closed;
    expect(event.reply('after removal'), 'returned').to.equal(false);
    expect(element.queued, 'queued').to.equal(0);
  });

  it('reply() with a value JSON drops (a function) does not send a reply without data or error', async () => {
    const { element, name } = await openElement();
    const event = await askFromServer(element, name, 'f');
    const returned = event.reply(() => 1);
    const frames = await framesOnServer(element, name);
    if (returned) expect(frames[0], 'the reply the server got').to.have.property('data');
    else expect(frames).to.deep.equal([]);
  });

  it('replyError() with a code that cannot become a string throws before using up the one reply', async () => {
    const { element, name } = await openElement();
    const event = await askFromServer(element, name, 'c');
    expect(() => event.replyError('no', { code: Object.create(null) })).to.throw(TypeError);
    expect(event.replyError('no', { code: 'fixed' }), 'the corrected retry').to.equal(true);
    expect(await framesOnServer(element, name)).to.deep.equal([{ type: 'reply', id: 'c', error: { message: 'no', code: 'fixed' } }]);
  });

  it('the error for a malformed reply does not give the advice for plain frames', async () => {
    const { element, server } = await openElement();
    const error = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(element, 'error');
    await server.send('{"type":"reply","id":"a","data":1,"error":{"message":"m"}}');
    const { detail } = await error;
    expect(detail.kind).to.equal('frame');
    // The frame already is {"type", ...}; what the server author needs is the reply form.
    expect(detail.message).to.not.include('Send {"type", "data"} objects');
  });
});

describe('edge cases: request() arguments', () => {
  it('request("reply") throws a TypeError: its frame would be a reply to the server, never a request', () => {
    const element = make();
    let thrown: unknown;
    try {
      element.request('reply', { name: 'x' }).catch(() => {}); // when it does not throw, the cleanup's close() rejects it
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(TypeError);
    expect(element.queued).to.equal(0);
  });
});

describe('edge cases: moves', () => {
  it('remove, await, re-insert in the same task is a move (README: "in the same task"): requests and socket survive', async () => {
    const { element } = await openElement();
    const socket = element.socket;
    const pending = outcome(element.request('echo', 'moved'));
    const parent = element.parentNode!;
    element.remove();
    await null; // still the same task
    parent.append(element);
    expect((await pending).name).to.equal('resolved');
    expect(element.socket).to.equal(socket);
  });
});

describe('edge cases: before the definition loads', () => {
  const { blankFrame, define } = useBlankFrames();

  it('requestTimeout set before definition applies to request() on an upgraded, not yet inserted element', async () => {
    const { doc, win } = await blankFrame();
    const element = doc.createElement('bricks-websocket') as BricksWebSocketElement;
    element.requestTimeout = 1;
    await define(doc, win);
    win.customElements.upgrade(element);
    const first = outcome(element.request('ignore')); // before the first update
    const second = outcome(element.request('ignore')); // after it: the queue limit check took the update
    // Both used the 1 ms set before definition: each times out, whichever timer the engine runs first,
    // long before close() (which would end them with AbortError) could.
    const settled = await Promise.all([first, second]);
    const pending = element.pending;
    element.close();
    expect({ first: settled[0].name, second: settled[1].name, pending }).to.deep.equal({ first: 'TimeoutError', second: 'TimeoutError', pending: 0 });
    // The 1 ms, not the default: each says so.
    expect(settled.map((result) => (result as { error?: Error }).error?.message)).to.deep.equal(['No reply within 1 ms.', 'No reply within 1 ms.']);
  });

  it('properties set before definition read back after customElements.upgrade(), before any method call', async () => {
    const { doc, win } = await blankFrame();
    const element = doc.createElement('bricks-websocket') as BricksWebSocketElement;
    const url = wsUrl(room('atk'));
    Object.assign(element, { wsUrl: url, queueLimit: 3, requestTimeout: 5 });
    await define(doc, win);
    win.customElements.upgrade(element);
    expect({ wsUrl: element.wsUrl, queueLimit: element.queueLimit, requestTimeout: element.requestTimeout }).to.deep.equal({ wsUrl: url, queueLimit: 3, requestTimeout: 5 });
  });
});
