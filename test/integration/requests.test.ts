// request() and replies, both ways, against the real ws server. In echo mode the server
// answers `echo` with its data, `fail` with an error reply, `twice` with two replies and
// `ignore` never; any other frame with an id comes back as a request from the server.

import { expect } from '@open-wc/testing';
import { BricksWebSocketFrameEvent, ReplyError } from '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import type { BricksWebSocketErrorDetail } from '../../src/element/events.js';
import { useElements } from '../helpers/elements.js';
import { nextEvent, room, serverUntil, wsUrl } from '../helpers/server.js';

const { make, openElement } = useElements('req');

/** Resolves with how a promise ended: its value, or the error's name and the error. */
const outcome = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: Error) => ({ ok: false as const, name: error?.name, error }),
  );

/** The requests the server received, parsed. */
async function requestsOnServer(name: string, count: number) {
  const { received } = await serverUntil(name, (s) => s.received.length >= count, `${count} frames`);
  return received.map((frame) => JSON.parse(frame as string) as { type: string; data?: unknown; id?: string });
}

/** Sends a marker frame and waits until the server has it: everything sent before it has arrived. */
async function everythingArrived(element: BricksWebSocketElement, name: string) {
  const marker = `marker-${Math.random()}`;
  element.send('marker', marker);
  const { received } = await serverUntil(name, (s) => s.received.some((frame) => (frame as string).includes(marker)), 'the marker');
  return received.map((frame) => JSON.parse(frame as string) as { type: string; id?: string }).filter((frame) => frame.type !== 'marker');
}

const errorsOf = (element: BricksWebSocketElement) => {
  const kinds: BricksWebSocketErrorDetail[] = [];
  element.addEventListener('error', (event) => kinds.push(event.detail));
  return kinds;
};

describe('request(): replies', () => {
  it('resolves with the data of the reply, sends {type, data, id} and leaves nothing pending', async () => {
    const { element, name } = await openElement();
    const reply = element.request<{ n: number }>('echo', { n: 1 });
    expect(element.pending).to.equal(1);
    expect(await reply).to.deep.equal({ n: 1 });
    expect(element.pending).to.equal(0);
    const [frame] = await requestsOnServer(name, 1);
    expect(frame).to.have.keys(['type', 'data', 'id']);
    expect(frame.type).to.equal('echo');
    expect(frame.id).to.be.a('string').and.not.equal('');
  });

  it('rejects with a ReplyError carrying message, code and data for an error reply', async () => {
    const { element } = await openElement();
    const result = await outcome(element.request('fail', { why: 1 }));
    expect(result.ok).to.equal(false);
    const error = (result as { error: ReplyError }).error;
    expect(error).to.be.instanceOf(ReplyError);
    expect(error).to.be.instanceOf(Error);
    expect(error.name).to.equal('ReplyError');
    expect(error.message).to.equal('failed');
    expect(error.code).to.equal('fail');
    expect(error.data).to.deep.equal({ why: 1 });
    expect(element.pending).to.equal(0);
  });

  it('ignores a duplicate reply apart from its message event, and reports nothing', async () => {
    const { element } = await openElement();
    const errors = errorsOf(element);
    const messages: string[] = [];
    element.addEventListener('message', (event) => messages.push(event.detail.data as string));
    const replies: string[] = [];
    element.addEventListener('reply', () => replies.push('reply event'));
    expect(await element.request('twice')).to.equal(1);
    await element.request('echo', 'after'); // the second reply to `twice` arrived before this one
    expect(messages.filter((m) => m.includes('"data":2')).length, 'the duplicate still came as message').to.equal(1);
    expect(replies, 'reply frames are never dispatched as events').to.deep.equal([]);
    expect(errors).to.deep.equal([]);
  });

  it('reports a malformed reply as an error of kind frame', async () => {
    const { element, server } = await openElement();
    const errors = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(element, 'error');
    await server.send('{"type":"reply","data":1}');
    const { detail } = await errors;
    expect(detail.kind).to.equal('frame');
    expect(detail.message).to.include('reply');
    const both = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(element, 'error');
    await server.send('{"type":"reply","id":"x","data":1,"error":{"message":"m"}}');
    expect((await both).detail.kind).to.equal('frame');
  });

  it('gives every request a new id: across reconnects and across two elements', async () => {
    const a = await openElement();
    const b = await openElement();
    await Promise.all([a.element.request('echo', 1), a.element.request('echo', 2), b.element.request('echo', 3)]);
    const reopened = nextEvent(a.element, 'open');
    await a.server.drop();
    await reopened;
    await a.element.request('echo', 4);
    const ids = [...(await requestsOnServer(a.name, 3)), ...(await requestsOnServer(b.name, 1))].map((frame) => frame.id);
    expect(ids.length).to.equal(4);
    expect(new Set(ids).size, `ids ${ids.join(', ')}`).to.equal(4);
  });
});

describe('request(): timeouts', () => {
  it('rejects with a TimeoutError when no reply comes in time, and ignores a late reply', async () => {
    const { element, name, server } = await openElement();
    const errors = errorsOf(element);
    const result = await outcome(element.request('ignore', null, { timeout: 50 }));
    expect(result.ok ? 'resolved' : result.name).to.equal('TimeoutError');
    expect(element.pending).to.equal(0);
    const [{ id }] = await requestsOnServer(name, 1);
    const late = nextEvent(element, 'message');
    await server.send(JSON.stringify({ type: 'reply', id, data: 'late' }));
    await late;
    expect(errors, 'a late reply is not an error').to.deep.equal([]);
  });

  it('takes its default from request-timeout', async () => {
    const { element } = await openElement({ 'request-timeout': '40' });
    expect(element.requestTimeout).to.equal(40);
    const result = await outcome(element.request('ignore'));
    expect(result.ok ? 'resolved' : result.name).to.equal('TimeoutError');
  });

  it('counts time in the queue, and a request that times out there is never sent', async () => {
    const name = room('req');
    const element = make({ 'ws-url': wsUrl(name) });
    const result = await outcome(element.request('echo', 'stale', { timeout: 30 }));
    expect(result.ok ? 'resolved' : result.name).to.equal('TimeoutError');
    expect(element.queued).to.equal(0);
    document.body.append(element);
    await nextEvent(element, 'open');
    expect(await everythingArrived(element, name)).to.deep.equal([]);
  });

  it('with timeout 0 waits for as long as it takes', async () => {
    const { element, name, server } = await openElement({ 'request-timeout': '20' });
    const reply = element.request('ignore', null, { timeout: 0 });
    const [{ id }] = await requestsOnServer(name, 1);
    await new Promise((resolve) => setTimeout(resolve, 60)); // longer than request-timeout: the override holds
    expect(element.pending).to.equal(1);
    await server.send(JSON.stringify({ type: 'reply', id, data: 'finally' }));
    expect(await reply).to.equal('finally');
  });
});

describe('request(): abort', () => {
  it('already aborted: rejects with the reason and sends nothing', async () => {
    const { element, name } = await openElement();
    const reason = new Error('not wanted');
    const result = await outcome(element.request('echo', 1, { signal: AbortSignal.abort(reason) }));
    expect((result as { error: unknown }).error).to.equal(reason);
    expect(element.pending).to.equal(0);
    expect(await everythingArrived(element, name)).to.deep.equal([]);
  });

  it('aborted while queued: leaves the queue and is never sent', async () => {
    const name = room('req');
    const element = make({ 'ws-url': wsUrl(name) });
    const controller = new AbortController();
    const reply = outcome(element.request('echo', 1, { signal: controller.signal }));
    expect(element.queued).to.equal(1);
    controller.abort();
    const result = await reply;
    expect(result.ok ? 'resolved' : result.name).to.equal('AbortError');
    expect(element.queued).to.equal(0);
    document.body.append(element);
    await nextEvent(element, 'open');
    expect(await everythingArrived(element, name)).to.deep.equal([]);
  });

  it('aborted after sending: rejects with the reason, and the late reply is ignored', async () => {
    const { element, name, server } = await openElement();
    const controller = new AbortController();
    const reply = outcome(element.request('ignore', 1, { signal: controller.signal }));
    const [{ id }] = await requestsOnServer(name, 1);
    controller.abort('changed my mind');
    expect(await reply).to.deep.include({ ok: false });
    expect(((await reply) as { error: unknown }).error).to.equal('changed my mind');
    const late = nextEvent(element, 'message');
    await server.send(JSON.stringify({ type: 'reply', id, data: 'late' }));
    await late;
    expect(element.pending).to.equal(0);
  });
});

describe('request(): the connection', () => {
  it('a request in flight when the socket drops rejects with NetworkError and is never resent', async () => {
    const { element, name, server } = await openElement();
    const reply = outcome(element.request('ignore', 'once'));
    await requestsOnServer(name, 1);
    const reopened = nextEvent(element, 'open');
    await server.drop();
    const result = await reply;
    expect(result.ok ? 'resolved' : result.name).to.equal('NetworkError');
    await reopened;
    const frames = await everythingArrived(element, name);
    expect(frames.filter((frame) => frame.type === 'ignore').length, 'the server got it once').to.equal(1);
  });

  it('a request queued while reconnecting goes out on the next open and resolves', async () => {
    const { element, server } = await openElement({ 'reconnect-delay': '50' });
    const reconnecting = nextEvent(element, 'reconnecting');
    const dropped = server.drop();
    // Awaited before the drop's answer, which may come after the retry: this runs in the task
    // that fired reconnecting, before the retry's timer can.
    await reconnecting;
    const reply = element.request('echo', 'queued');
    expect([element.state, element.queued]).to.deep.equal(['reconnecting', 1]);
    await dropped;
    expect(await reply).to.equal('queued');
  });

  it('close() rejects every pending request, sent or queued, with AbortError', async () => {
    const { element } = await openElement();
    const sent = outcome(element.request('ignore'));
    element.close();
    const queued = outcome(element.request('echo'));
    expect((await sent).ok ? 'resolved' : (await sent as { name: string }).name).to.equal('AbortError');
    expect(element.queued, 'queued while closing').to.equal(1);
    element.close();
    expect((await queued).ok ? 'resolved' : (await queued as { name: string }).name).to.equal('AbortError');
    expect(element.queued).to.equal(0);
    expect(element.pending).to.equal(0);
  });

  it('removal rejects pending requests with AbortError; a move does not', async () => {
    const { element } = await openElement();
    const moved = element.request('echo', 'moved');
    const other = document.createElement('div');
    document.body.append(other);
    element.remove();
    other.append(element);
    expect(await moved).to.equal('moved');
    const removed = outcome(element.request('ignore'));
    element.remove();
    const result = await removed;
    expect(result.ok ? 'resolved' : result.name).to.equal('AbortError');
    other.remove();
  });

  it('a full queue rejects with QuotaExceededError and fires queue-full', async () => {
    const element = make({ 'queue-limit': '1' });
    const first = element.request('echo', 1);
    const error = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(element, 'error');
    const result = await outcome(element.request('echo', 2));
    expect(result.ok ? 'resolved' : result.name).to.equal('QuotaExceededError');
    expect((await error).detail.kind).to.equal('queue-full');
    expect(element.pending).to.equal(1);
    element.close();
    await first.catch(() => {});
    expect(element.pending).to.equal(0);
  });

  it('keeps call order with send() and the base64 methods', async () => {
    const name = room('req');
    const element = make({ 'ws-url': wsUrl(name) });
    element.sendText('one');
    const reply = element.request('echo', 'two');
    element.send('three', 3);
    document.body.append(element);
    await reply;
    const frames = await requestsOnServer(name, 3);
    expect(frames.map((frame) => frame.type)).to.deep.equal(['text', 'echo', 'three']);
  });
});

describe('request(): arguments', () => {
  it('throws a TypeError at once for a bad type, options, timeout or signal', () => {
    const element = make();
    const bad: [unknown, unknown?][] = [
      [''],
      [5],
      ['t', null],
      ['t', 'fast'],
      ['t', { timeout: -1 }],
      ['t', { timeout: Number.NaN }],
      ['t', { timeout: '10' }],
      ['t', { signal: {} }],
    ];
    for (const [type, options] of bad) {
      expect(() => element.request(type as string, 1, options as object), JSON.stringify([type, options])).to.throw(TypeError);
    }
    expect(element.pending).to.equal(0);
  });

  it('data JSON cannot write rejects and fires an error of kind send', async () => {
    const element = make();
    const error = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(element, 'error');
    const result = await outcome(element.request('t', { big: 1n }));
    expect(result.ok).to.equal(false);
    expect((await error).detail.kind).to.equal('send');
    expect(element.pending).to.equal(0);
    expect(element.queued).to.equal(0);
  });
});

describe('requests from the server', () => {
  it('dispatches them as BricksWebSocketFrameEvent with an id; reply() answers once', async () => {
    const { element, name, server } = await openElement();
    const asked = nextEvent<BricksWebSocketFrameEvent<{ q: number }>>(element, 'whoami');
    await server.send(JSON.stringify({ type: 'whoami', data: { q: 1 }, id: 'srv-1' }));
    const event = await asked;
    expect(event).to.be.instanceOf(CustomEvent);
    expect(event).to.be.instanceOf(BricksWebSocketFrameEvent);
    expect(event.id).to.equal('srv-1');
    expect(event.detail).to.deep.equal({ q: 1 });
    expect(event.reply({ name: 'ana' })).to.equal(true);
    expect(event.reply({ name: 'again' }), 'a second reply').to.equal(false);
    expect(event.replyError('too late'), 'an error after a reply').to.equal(false);
    const [reply] = await requestsOnServer(name, 1);
    expect(reply).to.deep.equal({ type: 'reply', id: 'srv-1', data: { name: 'ana' } });
    expect(await everythingArrived(element, name), 'exactly one reply').to.have.length(1);
  });

  it('a BricksWebSocketFrameEvent made by hand keeps its detail and has nothing to answer', () => {
    const data = { q: 2 };
    const event = new BricksWebSocketFrameEvent('made', data);
    expect(event).to.be.instanceOf(CustomEvent);
    expect(event.type).to.equal('made');
    expect(event.detail).to.equal(data);
    expect(event.id).to.equal(undefined);
    expect(event.reply(1)).to.equal(false);
    // As CustomEvent: no detail reads as null, a detail given as null or false stays so.
    expect([new BricksWebSocketFrameEvent('none', undefined).detail, new BricksWebSocketFrameEvent('n', null).detail, new BricksWebSocketFrameEvent('f', false).detail])
      .to.deep.equal([new CustomEvent('none').detail, null, false]);
  });

  it('replyError() sends the error form, also after an await', async () => {
    const { element, name, server } = await openElement();
    element.addEventListener('rename', async (event) => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      event.replyError('taken', { code: 'dup', data: { tried: event.detail } });
    });
    await server.send(JSON.stringify({ type: 'rename', data: 'bo', id: 'srv-2' }));
    const [reply] = await requestsOnServer(name, 1);
    expect(reply).to.deep.equal({ type: 'reply', id: 'srv-2', error: { message: 'taken', code: 'dup', data: { tried: 'bo' } } });
  });

  it('reply() with no data sends data null, a well-formed reply', async () => {
    const { element, name, server } = await openElement();
    element.addEventListener('ping-me', (event) => event.reply());
    await server.send(JSON.stringify({ type: 'ping-me', id: 'srv-3' }));
    const [reply] = await requestsOnServer(name, 1);
    expect(reply).to.deep.equal({ type: 'reply', id: 'srv-3', data: null });
  });

  it('a frame without id cannot be answered: reply() returns false and sends nothing', async () => {
    const { element, name, server } = await openElement();
    const told = nextEvent<BricksWebSocketFrameEvent>(element, 'news');
    await server.send(JSON.stringify({ type: 'news', data: 1 }));
    const event = await told;
    expect(event.id).to.equal(undefined);
    expect(event.reply('x')).to.equal(false);
    expect(event.replyError('x')).to.equal(false);
    expect(await everythingArrived(element, name)).to.deep.equal([]);
  });

  it('a reply whose data JSON cannot write fires an error of kind send and may be tried again', async () => {
    const { element, name, server } = await openElement();
    const asked = nextEvent<BricksWebSocketFrameEvent>(element, 'q');
    await server.send(JSON.stringify({ type: 'q', id: 'srv-4' }));
    const event = await asked;
    const error = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(element, 'error');
    expect(event.reply({ n: 1n })).to.equal(false);
    expect((await error).detail.kind).to.equal('send');
    expect(event.reply('fine')).to.equal(true);
    const [reply] = await requestsOnServer(name, 1);
    expect(reply).to.deep.equal({ type: 'reply', id: 'srv-4', data: 'fine' });
  });
});
