// resume, the page's half (issue 26), against `?mode=resume-fake` of the test server
// (test/fixture/resume-fake.mjs): a small server that speaks the protocol's resume section just
// enough, records the page frames it hands on, and can hold its acknowledgements, forget its
// streams, and publish numbered frames to the room's stream. The chaos tests against
// `bricks-websocket/server` come with the server's half.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { useContexts } from '../helpers/contexts.js';
import { useBlankFrames } from '../helpers/late-definition.js';
import { WAIT_MS, control, room, serverUntil, wsUrl, type ResumeRecords } from '../helpers/server.js';
import { EventLog, LIFECYCLE, dropIntoWait, mount } from '../resilience/support.js';

// Frames first: removing a frame ends its document, and with it its lock, channel and socket.
const { context } = useContexts();
const { blankFrame, define } = useBlankFrames();

const TYPES = [...LIFECYCLE, 'resumed', 'chat'];
/** Long enough that no retry comes by itself: the test calls connect() once it is ready. */
const WAIT = { 'reconnect-delay': String(WAIT_MS * 10), 'reconnect-max-delay': String(WAIT_MS * 10) };
const url = (name: string) => wsUrl(name, 'resume-fake');
const parse = (frames: readonly unknown[]) => frames.map((frame) => JSON.parse(frame as string));

/** Polls what the fake recorded until `condition` holds. */
async function streamsUntil(name: string, condition: (records: ResumeRecords) => boolean, what: string): Promise<ResumeRecords> {
  const deadline = performance.now() + WAIT_MS;
  for (;;) {
    const records = await control(name).streams();
    if (condition(records)) return records;
    if (performance.now() > deadline) throw new Error(`Timed out waiting for the fake server: ${what}; it handled ${records.handled.length} frames and saw ${records.hellos.length} hellos`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** An element with `resume` on a fresh resume-fake room, open, its events recorded. */
async function resuming(attributes: Record<string, string> = {}) {
  const name = room('resume');
  const { el, log } = await mount({ 'ws-url': url(name), resume: '', ...WAIT, ...attributes }, TYPES);
  await log.nth('open', 1);
  return { el, log, name, server: control(name) };
}

/** Drops the connection and, during the reconnect wait, runs `meanwhile`, then reconnects; resolves with the `resumed` detail. */
async function reconnect(el: BricksWebSocketElement, log: EventLog, name: string, meanwhile: () => Promise<unknown> = async () => {}) {
  const n = log.count('resumed') + 1;
  await dropIntoWait(log, name);
  await meanwhile();
  el.connect();
  return (await log.nth('resumed', n)).detail;
}

describe('resume: what goes on the wire', () => {
  it('offers bricks.resume.1 after the element\'s own subprotocols, and says hello first with token, seen and next', async () => {
    const { el, log, name } = await resuming({ protocols: 'chat' });
    el.send('a', 1);
    const stats = await serverUntil(name, (s) => s.received.length >= 2, 'the hello and one frame');
    expect(stats.attempts[0].protocols).to.deep.equal(['chat', 'bricks.resume.1']);
    const said = parse(stats.received) as [{ data: { stream: string } }, unknown];
    expect(said[0].data.stream, 'the page\'s name for its stream: 128 random bits, base64url').to.match(/^[A-Za-z0-9_-]{22}$/);
    expect(said).to.deep.equal([{ type: 'resumed', data: { token: null, stream: said[0].data.stream, seen: {}, next: 1 } }, { type: 'a', data: 1, n: 1 }]);
    expect(log.count('resumed'), 'a first socket is no reconnect').to.equal(0);
  });

  it('sendRaw() is outside resume: its frames go exactly as given, unnumbered', async () => {
    const { el, name } = await resuming();
    el.sendRaw('{"type":"raw","data":1}');
    el.sendRaw(new Uint8Array([1, 2, 3]));
    el.send('after', 2);
    const { received } = await serverUntil(name, (s) => s.received.length >= 4, 'four frames');
    expect(received.slice(1)).to.deep.equal(['{"type":"raw","data":1}', { binary: 'AQID' }, '{"type":"after","data":2,"n":1}']);
  });

  it('works with resume set before the element is defined, as an attribute or as a property', async () => {
    const { doc, win } = await blankFrame();
    const byAttribute = room('resume');
    const byProperty = room('resume');
    const first = doc.createElement('bricks-websocket');
    first.setAttribute('ws-url', url(byAttribute));
    first.setAttribute('resume', '');
    const second = doc.createElement('bricks-websocket') as HTMLElement & { resume: boolean };
    second.setAttribute('ws-url', url(byProperty));
    second.resume = true;
    doc.body.append(first, second);
    await define(doc, win);
    for (const name of [byAttribute, byProperty]) {
      const { received } = await serverUntil(name, (s) => s.received.length >= 1, 'the hello');
      expect(JSON.parse(received[0] as string).type).to.equal('resumed');
    }
    first.remove();
    second.remove();
  });
});

describe('resume: page to server', () => {
  it('sends the frames the server had not acknowledged again after a drop, and the server hands each on once', async () => {
    const { el, log, name, server } = await resuming();
    await server.resume({ acks: 'hold' });
    el.send('a', 1);
    el.send('b', 2);
    await streamsUntil(name, (r) => r.handled.length === 2, 'a and b handed on');
    expect(await reconnect(el, log, name)).to.deep.equal({ recovered: true, missed: 0, resent: 2 });
    el.send('c', 3);
    const records = await streamsUntil(name, (r) => r.handled.length === 3, 'c handed on');
    expect(parse(records.handled)).to.deep.equal([{ type: 'a', data: 1, n: 1 }, { type: 'b', data: 2, n: 2 }, { type: 'c', data: 3, n: 3 }]);
    expect(records.hellos[1]).to.deep.equal({ token: records.answers[0].token, seen: {}, next: 1 });
    // On the wire: the second hello, then a and b again, before anything new.
    const { received } = await control(name).stats();
    expect(parse(received).map((frame) => frame.n ?? frame.type)).to.deep.equal(['resumed', 1, 2, 'resumed', 1, 2, 3]);
  });

  it('counts frames the server has not acknowledged toward queue-limit; an acknowledgement makes room', async () => {
    const { el, log, name, server } = await resuming({ 'queue-limit': '3' });
    await server.resume({ acks: 'hold' });
    expect([el.send('a', 1), el.send('b', 2), el.send('c', 3)]).to.deep.equal([true, true, true]);
    expect(el.send('d', 4), 'three kept: nothing more may wait').to.equal(false);
    expect(log.of('error').map((e) => [e.detail.kind, e.detail.message.startsWith('Queue full (3 frames waiting behind buffer-limit or unacknowledged)')])).to.deep.equal([['queue-full', true]]);
    expect(el.queued).to.equal(0);
    await streamsUntil(name, (r) => r.handled.length === 3, 'three frames handed on');
    await server.resume({ acks: 'auto' });
    // The acknowledgement is on the wire before this frame.
    await server.resume({ publish: ['after the acknowledgement'] });
    await log.nth('chat', 1);
    expect(el.send('d', 4)).to.equal(true);
  });

  it('a request whose socket drops before the server read it is sent again and answered once, not rejected', async () => {
    const { el, log, name, server } = await resuming();
    // `lose`: the fake reads the next frame and does nothing with it, as if it had died on the way.
    await server.resume({ lose: 1 });
    const reply = el.request('echo', 'hi');
    await serverUntil(name, (s) => s.received.length === 2, 'the request lost on its way');
    expect(await reconnect(el, log, name)).to.deep.equal({ recovered: true, missed: 0, resent: 1 });
    expect(await reply).to.equal('hi');
    const records = await control(name).streams();
    expect(parse(records.handled).map((frame) => frame.type)).to.deep.equal(['echo']);
  });

  it('a reply lost with its socket comes back with the missed frames', async () => {
    const { el, log, name, server } = await resuming();
    await server.resume({ acks: 'hold' });
    // `lost`: the fake answers into its history only, as if the socket had died with the reply on it.
    const reply = el.request('lost', 7);
    await streamsUntil(name, (r) => r.handled.length === 1, 'the request handed on');
    expect(await reconnect(el, log, name)).to.deep.equal({ recovered: true, missed: 1, resent: 1 });
    expect(await reply).to.equal(7);
    expect((await control(name).streams()).handled.length, 'the request sent again was a repeat').to.equal(1);
  });

  it('a request under resume still times out counting from its call', async () => {
    const { el, log, name } = await resuming();
    const reply = el.request('ignore', null, { timeout: 1500 });
    const outcome = reply.then(() => 'resolved', (error: DOMException) => error.name);
    await dropIntoWait(log, name);
    expect(await outcome).to.equal('TimeoutError');
  });
});

describe('resume: server to page', () => {
  it('dispatches each server frame once: a repeat goes no further, and what was sent while away comes back in order', async () => {
    const { el, log, name, server } = await resuming();
    await server.resume({ publish: ['one', 'two'] });
    await log.nth('chat', 2);
    await server.send(JSON.stringify({ type: 'chat', data: 'two', n: 2, r: name }), JSON.stringify({ type: 'chat', data: 'one', n: 1, r: name }));
    const detail = await reconnect(el, log, name, () => server.resume({ publish: ['three', 'four'] }));
    expect(detail).to.deep.equal({ recovered: true, missed: 2, resent: 0 });
    await server.resume({ publish: ['five'] });
    await log.nth('chat', 5);
    expect(log.of('chat').map((e) => e.detail)).to.deep.equal(['one', 'two', 'three', 'four', 'five']);
    expect(log.count('message'), 'no message for a repeat or for resume\'s own frames').to.equal(5);
  });

  it('recovered: false when the server lost the stream: the positions start again with the new stream', async () => {
    const { el, log, name, server } = await resuming();
    await server.resume({ publish: ['one'] });
    await log.nth('chat', 1);
    expect(await reconnect(el, log, name, () => server.resume({ forget: true }))).to.deep.equal({ recovered: false, missed: 0, resent: 0 });
    // The restarted server numbers from 1 again: not a repeat for the page any more.
    await server.send(JSON.stringify({ type: 'chat', data: 'again', n: 1, r: name }));
    await log.nth('chat', 2);
    expect(await reconnect(el, log, name)).to.deep.equal({ recovered: true, missed: 0, resent: 0 });
    const records = await control(name).streams();
    expect(records.hellos.map((hello) => hello.token)).to.deep.equal([null, records.answers[0].token, records.answers[1].token]);
    expect(records.hellos[2].seen).to.deep.equal({ [name]: 1 });
  });

  it('after recovered: false, a request the server had taken and not answered fails with NetworkError; one still kept is sent again', async () => {
    const { el, log, name, server } = await resuming();
    await server.resume({ acks: 'hold' });
    const taken = el.request('ignore', 1).catch((error: DOMException) => error.name);
    await streamsUntil(name, (r) => r.handled.length === 1, 'the first request handed on');
    // Acknowledged at once, and waited for by a frame sent after the acknowledgement.
    await server.resume({ acks: 'auto' });
    await server.resume({ acks: 'hold', publish: ['after the acknowledgement'] });
    await log.nth('chat', 1);
    const kept = el.request('echo', 2);
    await streamsUntil(name, (r) => r.handled.length === 2, 'the second request handed on');
    expect(await reconnect(el, log, name, () => server.resume({ forget: true }))).to.deep.equal({ recovered: false, missed: 0, resent: 1 });
    expect(await taken).to.equal('NetworkError');
    expect(await kept).to.equal(2);
  });
});

describe('resume: shared connections', () => {
  it('share="page": one hello and one stream for every member; each member gets each frame once and a resumed after the reconnect', async () => {
    const name = room('resume');
    const first = await mount({ 'ws-url': url(name), resume: '', share: 'page', ...WAIT }, TYPES);
    const second = await mount({ 'ws-url': url(name), resume: '', share: 'page', ...WAIT }, TYPES);
    await Promise.all([first.log.nth('open', 1), second.log.nth('open', 1)]);
    await control(name).resume({ publish: ['one'] });
    await Promise.all([first.log.nth('chat', 1), second.log.nth('chat', 1)]);
    const both = Promise.all([first.log.nth('resumed', 1), second.log.nth('resumed', 1)]);
    await dropIntoWait(first.log, name);
    await control(name).resume({ publish: ['two'] });
    first.el.connect();
    expect((await both).map((e) => e.detail)).to.deep.equal([
      { recovered: true, missed: 1, resent: 0 },
      { recovered: true, missed: 1, resent: 0 },
    ]);
    await Promise.all([first.log.nth('chat', 2), second.log.nth('chat', 2)]);
    for (const { log } of [first, second]) expect(log.of('chat').map((e) => e.detail)).to.deep.equal(['one', 'two']);
    const records = await control(name).streams();
    expect(records.hellos.map((hello) => hello.token)).to.deep.equal([null, records.answers[0].token]);
  });

  it('share="tabs": when the holding tab goes, the next holder carries the stream on: kept frames go once, positions hold, each tab gets each frame once', async () => {
    const name = room('resume');
    const server = control(name);
    const doc = await context();
    const holderElement = doc.createElement('bricks-websocket') as BricksWebSocketElement;
    for (const [attribute, value] of Object.entries({ 'ws-url': url(name), resume: '', share: 'tabs', ...WAIT })) holderElement.setAttribute(attribute, value);
    const holder = new EventLog(holderElement, TYPES);
    doc.body.append(holderElement);
    await holder.nth('open', 1);
    const { el, log } = await mount({ 'ws-url': url(name), resume: '', share: 'tabs', ...WAIT }, TYPES);
    await log.nth('open', 1);
    // A third tab, after this one in line for the socket: it follows throughout.
    const otherDoc = await context();
    const otherElement = otherDoc.createElement('bricks-websocket') as BricksWebSocketElement;
    for (const [attribute, value] of Object.entries({ 'ws-url': url(name), resume: '', share: 'tabs', ...WAIT })) otherElement.setAttribute(attribute, value);
    const other = new EventLog(otherElement, TYPES);
    otherDoc.body.append(otherElement);
    await other.nth('open', 1);
    expect([holderElement.socket !== null, el.socket, otherElement.socket]).to.deep.equal([true, null, null]);

    await server.resume({ acks: 'hold' });
    holderElement.send('from-holder', 1);
    await streamsUntil(name, (r) => r.handled.length === 1, 'the holder\'s frame');
    el.send('from-here', 2);
    await streamsUntil(name, (r) => r.handled.length === 2, 'this tab\'s frame');
    await server.resume({ publish: ['one'] });
    await Promise.all([holder.nth('chat', 1), log.nth('chat', 1), other.nth('chat', 1)]);

    // The holder goes while the server refuses: this tab takes over, and waits to reconnect.
    await server.refuse(WAIT_MS * 10);
    const waiting = log.nth('reconnecting', 1);
    doc.defaultView!.frameElement!.remove();
    await waiting;
    await server.resume({ publish: ['two'] });
    await server.refuse(0);
    el.connect();
    const resumed = { recovered: true, missed: 1, resent: 2 };
    expect((await log.nth('resumed', 1)).detail).to.deep.equal(resumed);
    expect((await other.nth('resumed', 1)).detail, 'in the tab that follows').to.deep.equal(resumed);
    el.send('after', 3);
    await server.resume({ publish: ['three'] });
    await Promise.all([log.nth('chat', 3), other.nth('chat', 3)]);
    for (const tab of [log, other]) expect(tab.of('chat').map((e) => e.detail)).to.deep.equal(['one', 'two', 'three']);
    const records = await streamsUntil(name, (r) => r.handled.length === 3, 'the frame after the takeover');
    expect(parse(records.handled).map((frame) => [frame.type, frame.n])).to.deep.equal([['from-holder', 1], ['from-here', 2], ['after', 3]]);
    expect(records.hellos[1]).to.deep.equal({ token: records.answers[0].token, seen: { [name]: 1 }, next: 1 });
    expect(el.socket).to.be.instanceOf(WebSocket);
  });
});
