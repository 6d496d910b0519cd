// resume at its awkward moments, against `bricks-websocket/server` behind the cutting proxy of
// test/fixture/library-chaos.mjs: the holding tab going during a resume handshake or while the
// server waits for the page, a new stream (ws-url, resume turned on) with requests pending.
// resume-chaos.test.ts has the long random runs; this file has the edges.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import { useContexts } from '../helpers/contexts.js';
import { chaos, range, unexpected, until, useChaos } from '../helpers/library-chaos.js';
import { WAIT_MS, nextEvent, room, wsUrl } from '../helpers/server.js';

// Frames first: removing a frame ends its document, and with it its lock, channel and socket.
const { context } = useContexts();
const { instance, element } = useChaos('attack');

const outcome = (promise: Promise<unknown>) => promise.then((value) => ({ value }), (error: DOMException) => ({ error: error.name }));

describe('resume attacked: a new stream while requests are pending', () => {
  it('a new ws-url starts a new stream: a request the old one had taken fails with NetworkError, and its question can no longer be answered', async () => {
    const { url } = await instance();
    const { element: el, questions } = await element(`${url}?user=ana`, { resume: '', 'request-timeout': String(WAIT_MS * 2) });
    const asked = until(el, 'question', () => questions.length === 1, 'the question');
    const pending = outcome(el.request('ask', { type: 'question', data: 'colour?' }));
    await asked;

    const opened = nextEvent(el, 'open');
    el.wsUrl = `${url}?user=ana&again=1`;
    await opened;
    expect(await pending, 'the old stream went with its request').to.deep.equal({ error: 'NetworkError' });
    expect(questions[0].reply('blue'), 'a reply to the old stream').to.equal(false);
  });

  it('a new share starts a new stream: a request the old one had taken fails with NetworkError', async () => {
    const { url } = await instance();
    const { element: el, questions } = await element(`${url}?user=ana`, { resume: '', 'request-timeout': String(WAIT_MS * 2) });
    const asked = until(el, 'question', () => questions.length === 1, 'the question');
    const pending = outcome(el.request('ask', { type: 'question', data: 'colour?' }));
    await asked;

    const opened = nextEvent(el, 'open');
    el.share = 'page';
    await opened;
    expect(await pending).to.deep.equal({ error: 'NetworkError' });
    expect(questions[0].reply('blue')).to.equal(false);
  });

  it('resume turned on while connected: a request sent on the connection without resume fails with NetworkError when it drops, and its question can no longer be answered', async () => {
    const { id, url } = await instance();
    const { element: el, questions, resumed } = await element(`${url}?user=ana`, { 'request-timeout': String(WAIT_MS * 2) });
    const asked = until(el, 'question', () => questions.length === 1, 'the question');
    const pending = outcome(el.request('ask', { type: 'question', data: 'colour?' }));
    await asked;

    el.resume = true;
    const opened = nextEvent(el, 'open');
    await chaos('cut', { id });
    await opened;
    expect(await pending, 'sent without resume: never sent again').to.deep.equal({ error: 'NetworkError' });
    expect(questions[0].reply('blue'), 'a reply to the connection that closed').to.equal(false);
    // The new connection resumes from now on: its own first socket fires no resumed.
    expect(await el.request('chaos', { i: 1 })).to.equal(1);
    expect(resumed).to.deep.equal([]);
  });
});

describe('resume attacked: share="tabs", the holding tab goes at an awkward moment', () => {
  it('while the server waits for the page\'s answer: the next holder carries the question on, the page answers once, the request is answered once', async () => {
    const { url } = await instance();
    const doc = await context();
    const holder = await element(`${url}?user=ana`, { resume: '', share: 'tabs' }, doc);
    const here = await element(`${url}?user=ana`, { resume: '', share: 'tabs', 'request-timeout': String(WAIT_MS * 2) });
    expect([holder.element.socket !== null, here.element.socket]).to.deep.equal([true, null]);

    const asked = until(here.element, 'question', () => here.questions.length === 1, 'the question');
    const pending = outcome(here.element.request('ask', { type: 'question', data: 'colour?' }));
    await asked;
    doc.defaultView!.frameElement!.remove();
    await until(here.element, 'resumed', () => here.resumed.length === 1, 'the next holder resumed');
    expect(here.resumed[0]).to.include({ recovered: true });
    expect(here.questions[0].reply('blue'), 'the stream the question came on goes on').to.equal(true);
    expect(await pending).to.deep.equal({ value: { data: 'blue' } });
    expect(here.questions.length, 'the question once').to.equal(1);
    expect(unexpected(here.errors)).to.deep.equal([]);
  });

  it('during its resume handshake after a cut: every frame of both tabs handled once, in order, and every room frame once', async () => {
    const { id, url } = await instance();
    const doc = await context();
    // The holder goes right after it has said hello again and sent its kept frames, before the answer.
    const win = doc.defaultView as Window & typeof globalThis;
    const send = win.WebSocket.prototype.send;
    let hellos = 0;
    win.WebSocket.prototype.send = function (this: WebSocket, data: string) {
      send.call(this, data);
      if (typeof data === 'string' && data.startsWith('{"type":"resumed"') && ++hellos === 2) queueMicrotask(() => win.frameElement?.remove());
    };
    const holder = await element(`${url}?user=ana`, { resume: '', share: 'tabs' }, doc);
    const here = await element(`${url}?user=ana`, { resume: '', share: 'tabs' });
    await here.element.request('join', 'hall');

    for (let i = 0; i < 100; i++) {
      holder.element.send('chaos', { i });
      here.element.send('chaos', { i: 1000 + i });
    }
    const { cut } = await chaos<{ cut: number }>('shout', { id, room: 'hall', from: 0, count: 100, cutAfter: 50 });
    expect(cut).to.equal(1);
    await until(here.element, 'resumed', () => here.resumed.length >= 1 && here.element.socket !== null, 'this tab holding the socket, resumed');
    expect(hellos, 'the holder said hello again before it went').to.equal(2);
    expect(here.resumed.map((detail) => detail.recovered)).to.not.include(false);

    for (let i = 100; i < 150; i++) here.element.send('chaos', { i: 1000 + i });
    await chaos('shout', { id, room: 'hall', from: 100, count: 50 });
    const { handled } = await chaos<{ handled: number[] }>('handled', { id, count: 250 });
    await until(here.element, 'tick', () => here.ticks.length >= 150, '150 ticks');
    expect(here.ticks, 'each room frame once, in order').to.deep.equal(range(0, 150));
    expect(handled.filter((i) => i < 1000), "the old holder's frames once, in order").to.deep.equal(range(0, 100));
    expect(handled.filter((i) => i >= 1000), "this tab's frames once, in order").to.deep.equal(range(1000, 1150));
    expect(unexpected(here.errors)).to.deep.equal([]);
  });

  it('right after its first open, before any of its stream\'s changes reached the other tabs: the next holder starts a new stream and says recovered: false', async () => {
    const { url } = await instance();
    const doc = await context();
    // The holder's stream changes (its token first) reach no other tab: as when it goes before they do.
    const channel = (doc.defaultView as Window & typeof globalThis).BroadcastChannel.prototype;
    const post = channel.postMessage;
    channel.postMessage = function (this: BroadcastChannel, message: unknown) {
      if ((message as { t?: string } | null)?.t !== 'stream') post.call(this, message);
    };
    const holder = await element(`${url}?user=ana`, { resume: '', share: 'tabs' }, doc);
    const here = await element(`${url}?user=ana`, { resume: '', share: 'tabs' });
    expect(holder.element.socket).to.be.instanceOf(doc.defaultView!.WebSocket);

    doc.defaultView!.frameElement!.remove();
    await until(here.element, 'resumed', () => here.resumed.length === 1, 'the next holder resumed');
    expect(here.resumed, 'what the old stream had is not here').to.deep.equal([{ recovered: false, missed: 0, resent: 0 }]);
    expect(await here.element.request('chaos', { i: 1 })).to.equal(1);
  });

  it('with this tab\'s frames beyond queue-limit: those taken arrive once, in order, those refused never', async () => {
    const { id, url } = await instance();
    const doc = await context();
    const holder = await element(`${url}?user=ana`, { resume: '', share: 'tabs' }, doc);
    const here = await element(`${url}?user=ana`, { resume: '', share: 'tabs', 'queue-limit': '20' });
    expect(holder.element.socket).to.be.instanceOf(doc.defaultView!.WebSocket);

    const handover = until(here.element, 'resumed', () => here.resumed.length === 1, 'the next holder resumed');
    doc.defaultView!.frameElement!.remove();
    const taken: number[] = [];
    for (let i = 0; i < 60; i++) if (here.element.send('chaos', { i })) taken.push(i);
    await handover;
    expect(here.errors.filter((error) => error.startsWith('queue-full')).length, 'every frame refused said so').to.equal(60 - taken.length);
    // Numbered after every frame taken: a frame numbered twice would be handed on before it.
    here.element.queueLimit = 1000;
    expect(await here.element.request('chaos', { i: 60 })).to.equal(60);
    const { handled } = await chaos<{ handled: number[] }>('handled', { id, count: taken.length + 1 });
    expect(handled).to.deep.equal([...taken, 60]);
  });
});

describe('resume attacked: share="tabs", a takeover that does not recover', () => {
  /** Long enough that no retry comes by itself. */
  const WAIT = { 'reconnect-delay': String(WAIT_MS * 10), 'reconnect-max-delay': String(WAIT_MS * 10) };

  it('a request a third tab made during the takeover is sent on the new stream and answered, not failed with NetworkError', async () => {
    const { id, url } = await instance();
    const holderDoc = await context();
    const nextDoc = await context();
    // The holder waits after the restart's cut, so that it goes before it could reconnect itself.
    await element(`${url}?user=ana`, { resume: '', share: 'tabs', ...WAIT }, holderDoc);
    const next = await element(`${url}?user=ana`, { resume: '', share: 'tabs' }, nextDoc);
    const here = await element(`${url}?user=ana`, { resume: '', share: 'tabs', 'request-timeout': String(WAIT_MS * 2) });
    // Answered through the holder: every tab's copy has the stream's token.
    expect(await here.element.request('chaos', { i: -1 })).to.equal(-1);

    const reconnecting = nextEvent(here.element, 'reconnecting');
    await chaos('restart', { id });
    await reconnecting;
    holderDoc.defaultView!.frameElement!.remove();
    const pending = outcome(here.element.request('chaos', { i: 1 }));
    await until(here.element, 'resumed', () => here.resumed.length === 1, 'resumed after the takeover');
    expect(here.resumed[0]).to.include({ recovered: false });
    expect(next.element.socket, 'the second tab took over').to.be.instanceOf(nextDoc.defaultView!.WebSocket);
    expect(await pending, 'not yet taken by any server when the new stream began').to.deep.equal({ value: 1 });
    const { handled } = await chaos<{ handled: number[] }>('handled', { id, count: 1 });
    expect(handled.filter((i) => i >= 0)).to.deep.equal([1]);
  });
});

describe('resume attacked: share="tabs" with a server that does not speak resume', () => {
  it('a takeover is a reconnect like any other: the next holder opens without waiting, says recovered: false, and its frames go', async () => {
    // The test server's echo mode: it sends every frame back, the hello included, and knows nothing of resume.
    const url = wsUrl(room('attack'));
    const doc = await context();
    const holder = await element(url, { resume: '', share: 'tabs' }, doc);
    const here = await element(url, { resume: '', share: 'tabs' });
    const said: unknown[] = [];
    here.element.addEventListener('said', (event) => said.push((event as CustomEvent).detail));
    here.element.send('said', 1);
    await until(here.element, 'said', () => said.length === 1, 'the first echo');
    expect(holder.element.socket).to.be.instanceOf(doc.defaultView!.WebSocket);

    const handover = nextEvent(here.element, 'open');
    doc.defaultView!.frameElement!.remove();
    await handover;
    here.element.send('said', 2);
    await until(here.element, 'said', () => said.length === 2, 'the echo after the takeover');
    expect(said).to.deep.equal([1, 2]);
    expect(here.resumed, 'README: recovered: false after each reconnect').to.deep.equal([{ recovered: false, missed: 0, resent: 0 }]);
    expect(here.element.socket).to.be.instanceOf(WebSocket);
  });
});

describe('resume attacked: share="page", the server\'s request across a reconnect', () => {
  it('one member answered before the reconnect that recovered: another member\'s answer after it is refused, so the server gets one', async () => {
    const { id, url } = await instance();
    const first = await element(`${url}?user=ana`, { resume: '', share: 'page' });
    const second = await element(`${url}?user=ana`, { resume: '', share: 'page' });
    const asked = until(second.element, 'question', () => second.questions.length === 1, 'the question');
    const pending = first.element.request('ask', { type: 'question', data: 'colour?' });
    await asked;
    expect(first.questions[0].reply('blue')).to.equal(true);
    expect(await pending).to.deep.equal({ data: 'blue' });

    await chaos('cut', { id });
    await until(second.element, 'resumed', () => second.resumed.length === 1, 'resumed');
    expect(second.resumed[0].recovered).to.equal(true);
    expect(second.questions[0].reply('red'), 'README: on a page, the first member to answer sends it and reply() on the others returns false').to.equal(false);
  });
});
