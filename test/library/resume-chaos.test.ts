// resume against `bricks-websocket/server`, the library, through a proxy that cuts connections
// abruptly (both sockets destroyed, no close frame): test/fixture/library-chaos.mjs gives each
// test its own instance and proxy, and the control endpoints the test drives the cuts with.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketResumedDetail } from '../../src/element/events.js';
import type { BricksWebSocketFrameEvent } from '../../src/frames/frame-event.js';
import { useContexts } from '../helpers/contexts.js';
import { chaos, range, unexpected, until, useChaos } from '../helpers/library-chaos.js';
import { WAIT_MS, nextEvent } from '../helpers/server.js';

// Frames first: removing a frame ends its document, and with it its lock, channel and socket.
const { context } = useContexts();
const { instance, element } = useChaos('chaos');

/** A small seeded generator, so that a failing run can be repeated with its seed. */
function random(seed: number) {
  let state = seed >>> 0 || 1;
  return (below: number) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % below;
  };
}

/** An element with `resume` on `url`, in `doc`, open; records its ticks, resumed details and errors. */
const resuming = (url: string, attributes: Record<string, string> = {}, doc: Document = document) => element(url, { resume: '', ...attributes }, doc);

/** From now on, the stream changes `doc`'s tab makes reach no other tab: as when it goes just after numbering frames. */
function silenceStream(doc: Document): void {
  const channel = (doc.defaultView as Window & typeof globalThis).BroadcastChannel.prototype;
  const post = channel.postMessage;
  channel.postMessage = function (this: BroadcastChannel, message: unknown) {
    if ((message as { t?: string } | null)?.t !== 'stream') post.call(this, message);
  };
}

describe('resume against the library: connections cut at random', () => {
  it('carries 5,000 page frames and requests and 5,000 room frames across 25 cuts, each once and in order', async () => {
    const seed = Date.now() % 1_000_000;
    const next = random(seed);
    const FRAMES = 5000;
    const ROUNDS = 25;
    const { id, url } = await instance();
    const { element, ticks, resumed, errors } = await resuming(`${url}?user=ana`, { 'request-timeout': String(WAIT_MS * 6) });
    await element.request('join', 'hall');

    // Each pair of rounds sends 200 ± d frames each way, so the totals are exactly FRAMES.
    const sizes = (spread: number) => {
      const out: number[] = [];
      for (let round = 0; round < ROUNDS - 1; round += 2) {
        const d = next(spread);
        out.push(200 + d, 200 - d);
      }
      out.push(FRAMES - out.reduce((a, b) => a + b, 0));
      return out;
    };
    const pageSizes = sizes(150);
    const roomSizes = sizes(150);
    const requests: Promise<number>[] = [];
    const asked: number[] = [];
    let sent = 0;
    let shouted = 0;
    let cuts = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < pageSizes[round]; k++, sent++) {
        if (next(4) === 0) {
          asked.push(sent);
          requests.push(element.request('chaos', { i: sent }) as Promise<number>);
        } else expect(element.send('chaos', { i: sent }), `frame ${sent} taken`).to.equal(true);
      }
      const resumedBefore = resumed.length;
      const count = roomSizes[round];
      // Cut while the room's frames are being written, at a random one of them (or before or after all).
      const { cut } = await chaos<{ cut: number }>('shout', { id, room: 'hall', from: shouted, count, cutAfter: next(count + 1) });
      shouted += count;
      expect(cut, `round ${round} (seed ${seed}): the element's connection was cut`).to.equal(1);
      cuts += cut;
      await until(element, 'resumed', () => resumed.length > resumedBefore, `resumed after cut ${round + 1} (seed ${seed})`);
    }

    const { handled } = await chaos<{ handled: number[] }>('handled', { id, count: FRAMES });
    await until(element, 'tick', () => ticks.length >= FRAMES, `${FRAMES} ticks (have ${ticks.length}, seed ${seed})`);
    const answers = await Promise.all(requests);

    expect(cuts).to.equal(ROUNDS);
    expect(handled, `the server's handler saw every page frame once, in order (seed ${seed})`).to.deep.equal(range(0, FRAMES));
    expect(ticks, `the page's listener saw every room frame once, in order (seed ${seed})`).to.deep.equal(range(0, FRAMES));
    expect(answers, 'every request answered with its own frame').to.deep.equal(asked);
    expect(resumed.length).to.equal(ROUNDS);
    expect(resumed.filter((detail) => !detail.recovered), `every resumed recovered (seed ${seed})`).to.deep.equal([]);
    // The cuts did lose frames on the way: the room's frames after each cut came from the history.
    expect(resumed.reduce((sum, detail) => sum + detail.missed, 0)).to.be.greaterThan(0);
    // A cut is a failed connection to the browser, and some engines say so; nothing else may fail.
    expect(unexpected(errors), 'no other error').to.deep.equal([]);
    expect(element.state).to.equal('open');
  });
});

/** Long enough that no retry comes by itself: the test calls connect() once it is ready. */
const WAIT = { 'reconnect-delay': String(WAIT_MS * 10), 'reconnect-max-delay': String(WAIT_MS * 10) };

describe('resume against the library: when the history cannot cover the gap', () => {
  it('says recovered: false after more frames than history.size, doubles nothing, and the live frames after arrive', async () => {
    const { id, url } = await instance({ size: 10 });
    const { element, ticks } = await resuming(`${url}?user=ana`, WAIT);
    await element.request('join', 'hall');
    await chaos('shout', { id, room: 'hall', from: 0, count: 5 });
    await until(element, 'tick', () => ticks.length === 5, 'the first five ticks');

    const reconnecting = nextEvent(element, 'reconnecting');
    await chaos('cut', { id });
    await reconnecting;
    await chaos('shout', { id, room: 'hall', from: 5, count: 20 });
    const resumed = nextEvent<CustomEvent<BricksWebSocketResumedDetail>>(element, 'resumed');
    element.connect();
    expect((await resumed).detail.recovered).to.equal(false);

    await chaos('shout', { id, room: 'hall', from: 25, count: 3 });
    await until(element, 'tick', () => ticks.length === 8, 'the live ticks');
    expect(ticks).to.deep.equal([0, 1, 2, 3, 4, 25, 26, 27]);
  });

  it('says recovered: false after a gap longer than history.ttl, and a new stream in no room starts', async () => {
    const { id, url } = await instance({ ttl: 200 });
    const { element, ticks } = await resuming(`${url}?user=ana`, WAIT);
    await element.request('join', 'hall');
    await chaos('shout', { id, room: 'hall', from: 0, count: 3 });
    await until(element, 'tick', () => ticks.length === 3, 'the first ticks');

    const reconnecting = nextEvent(element, 'reconnecting');
    await chaos('cut', { id });
    await reconnecting;
    await chaos('shout', { id, room: 'hall', from: 3, count: 2 });
    await chaos('gone', { id });
    const resumed = nextEvent<CustomEvent<BricksWebSocketResumedDetail>>(element, 'resumed');
    element.connect();
    expect((await resumed).detail).to.include({ recovered: false });

    // The stream is new and in no room: the page joins again, as the README says it should.
    await element.request('join', 'hall');
    await chaos('shout', { id, room: 'hall', from: 5, count: 2 });
    await until(element, 'tick', () => ticks.length === 5, 'the live ticks');
    expect(ticks).to.deep.equal([0, 1, 2, 5, 6]);
  });

  it('says recovered: false after the server restarts without shared state, and carries on with the new one', async () => {
    const { id, url } = await instance();
    const { element, ticks } = await resuming(`${url}?user=ana`);
    await element.request('join', 'hall');
    await chaos('shout', { id, room: 'hall', from: 0, count: 3 });
    await until(element, 'tick', () => ticks.length === 3, 'the first ticks');

    const resumed = nextEvent<CustomEvent<BricksWebSocketResumedDetail>>(element, 'resumed');
    await chaos('restart', { id });
    expect((await resumed).detail).to.include({ recovered: false });
    await element.request('join', 'hall');
    element.send('chaos', { i: 0 });
    await chaos('shout', { id, room: 'hall', from: 3, count: 2 });
    await until(element, 'tick', () => ticks.length === 5, 'the live ticks');
    expect(ticks).to.deep.equal([0, 1, 2, 3, 4]);
    expect((await chaos<{ handled: number[] }>('handled', { id, count: 1 })).handled).to.deep.equal([0]);
  });
});

describe('resume against the library: authenticate', () => {
  it('stops the element when authenticate refuses it on a reconnect, with 1008 and no retry', async () => {
    const { id, url } = await instance();
    const { element } = await resuming(`${url}?user=bob`);
    await chaos('refuse', { id, user: 'bob' });
    const closes: { code: number; reason: string }[] = [];
    element.addEventListener('close', (event) => closes.push((event as CustomEvent<{ code: number; reason: string }>).detail));
    await chaos('cut', { id });
    await until(element, 'close', () => closes.some((detail) => detail.code === 1008), 'the close with 1008');
    const refused = closes.find((detail) => detail.code === 1008)!;
    expect([refused.code, refused.reason]).to.deep.equal([1008, 'Not signed in']);
    expect(element.state).to.equal('closed');
  });
});

describe('resume against the library: the server asks, the page answers after a reconnect', () => {
  it('takes a reply made after a reconnect that recovered, and the server gets it once', async () => {
    const { id, url } = await instance();
    const { element, resumed } = await resuming(`${url}?user=ana`);
    const asked = nextEvent<BricksWebSocketFrameEvent<string>>(element, 'question');
    const outcome = element.request('ask', { type: 'question', data: 'colour?' });
    const question = await asked;
    await chaos('cut', { id });
    await until(element, 'resumed', () => resumed.length === 1, 'resumed');
    expect(resumed[0].recovered).to.equal(true);
    expect(question.reply('blue'), 'the stream the question came on goes on').to.equal(true);
    expect(question.reply('red'), 'a second reply').to.equal(false);
    expect(await outcome).to.deep.equal({ data: 'blue' });
  });

  it('refuses a reply after a reconnect that did not recover: the question went with the old stream', async () => {
    const { id, url } = await instance();
    const { element, resumed } = await resuming(`${url}?user=ana`, { 'request-timeout': '0' });
    const asked = nextEvent<BricksWebSocketFrameEvent<string>>(element, 'question');
    void element.request('ask', { type: 'question', data: 'colour?' }).catch(() => {});
    const question = await asked;
    await chaos('restart', { id });
    await until(element, 'resumed', () => resumed.length === 1, 'resumed');
    expect(resumed[0].recovered).to.equal(false);
    expect(question.reply('blue')).to.equal(false);
  });
});

describe('resume against the library: share="tabs"', () => {
  it('the holding tab is cut mid-stream and then goes: the next holder resumes, nothing lost or doubled', async () => {
    const { id, url } = await instance();
    const doc = await context();
    // The holder waits after the cut, so that it goes before it could reconnect itself.
    const holder = await resuming(`${url}?user=ana`, { share: 'tabs', ...WAIT }, doc);
    const here = await resuming(`${url}?user=ana`, { share: 'tabs' });
    expect([holder.element.socket !== null, here.element.socket]).to.deep.equal([true, null]);
    await here.element.request('join', 'hall');

    for (let i = 0; i < 100; i++) {
      holder.element.send('chaos', { i });
      here.element.send('chaos', { i: 1000 + i });
    }
    const reconnecting = nextEvent(here.element, 'reconnecting');
    const { cut } = await chaos<{ cut: number }>('shout', { id, room: 'hall', from: 0, count: 200, cutAfter: 100 });
    expect(cut).to.equal(1);
    await reconnecting;
    doc.defaultView!.frameElement!.remove();
    await until(here.element, 'resumed', () => here.resumed.length === 1, 'the next holder resumed');
    expect(here.resumed[0].recovered).to.equal(true);
    expect(here.element.socket).to.be.instanceOf(WebSocket);

    for (let i = 100; i < 150; i++) here.element.send('chaos', { i: 1000 + i });
    await chaos('shout', { id, room: 'hall', from: 200, count: 50 });
    const { handled } = await chaos<{ handled: number[] }>('handled', { id, count: 250 });
    await until(here.element, 'tick', () => here.ticks.length >= 250, '250 ticks');
    expect(here.ticks, 'each room frame once, in order').to.deep.equal(range(0, 250));
    expect(handled.filter((i) => i < 1000), "the old holder's frames once, in order").to.deep.equal(range(0, 100));
    expect(handled.filter((i) => i >= 1000), "this tab's frames once, in order").to.deep.equal(range(1000, 1150));
  });
});

describe('resume against the library: share="tabs", a holder whose last changes never reached the other tabs', () => {
  it('the next holder numbers on from the server\'s next: every frame handled once, in order', async () => {
    const { id, url } = await instance();
    const doc = await context();
    const holder = await resuming(`${url}?user=ana`, { share: 'tabs' }, doc);
    const here = await resuming(`${url}?user=ana`, { share: 'tabs' });
    expect([holder.element.socket !== null, here.element.socket]).to.deep.equal([true, null]);
    // Answered through the holder: every tab's copy has the stream's token and this frame's number.
    expect(await here.element.request('chaos', { i: -1 })).to.equal(-1);

    silenceStream(doc);
    for (let i = 0; i < 5; i++) holder.element.send('chaos', { i });
    await chaos('handled', { id, count: 6 });
    doc.defaultView!.frameElement!.remove();
    // Made during the takeover: it waits for the server's answer, then goes once.
    const asked = here.element.request('chaos', { i: 5 });
    await until(here.element, 'resumed', () => here.resumed.length === 1, 'the next holder resumed');
    expect(here.resumed[0].recovered).to.equal(true);
    expect(here.element.socket).to.be.instanceOf(WebSocket);

    for (let i = 6; i < 10; i++) here.element.send('chaos', { i });
    expect(await here.element.request('chaos', { i: 10 })).to.equal(10);
    expect(await asked).to.equal(5);
    const { handled } = await chaos<{ handled: number[] }>('handled', { id, count: 12 });
    expect(handled, 'every frame once, in order').to.deep.equal(range(-1, 11));
    expect(here.errors).to.deep.equal([]);
  });

  it('with a server restart meanwhile: recovered false, and the next holder\'s frames are handled once, in order, on the new stream', async () => {
    const { id, url } = await instance();
    const doc = await context();
    // The holder waits after the restart's cut, so that it goes before it could reconnect itself.
    const holder = await resuming(`${url}?user=ana`, { share: 'tabs', ...WAIT }, doc);
    const here = await resuming(`${url}?user=ana`, { share: 'tabs' });
    expect(await here.element.request('chaos', { i: -1 })).to.equal(-1);

    silenceStream(doc);
    for (let i = 0; i < 5; i++) holder.element.send('chaos', { i });
    await chaos('handled', { id, count: 6 });
    await chaos('restart', { id });
    doc.defaultView!.frameElement!.remove();
    await until(here.element, 'resumed', () => here.resumed.length === 1, 'the next holder resumed');
    expect(here.resumed[0].recovered).to.equal(false);

    for (let i = 5; i < 10; i++) here.element.send('chaos', { i });
    expect(await here.element.request('chaos', { i: 10 })).to.equal(10);
    const { handled } = await chaos<{ handled: number[] }>('handled', { id, count: 6 });
    expect(handled.filter((i) => i >= 0), 'the next holder\'s frames once, in order; none of the old holder\'s again').to.deep.equal(range(5, 11));
    // A restart without shared state hands on again what this tab's copy still kept (README: frames handled twice): at most the first request.
    expect(['', '-1']).to.include(handled.filter((i) => i < 0).join());
  });
});

describe('resume against the library: a first socket that goes before its answer', () => {
  it('a single element\'s first socket cut before the answer arrived: each frame handled once, recovered false, a request the old stream took fails with NetworkError', async () => {
    const { id, url } = await instance();
    await chaos('hold', { id });
    const { element, resumed, errors } = await resuming(`${url}?user=ana`);
    for (let i = 0; i < 3; i++) element.send('chaos', { i });
    const taken = element.request('chaos', { i: 3 }).then(
      () => 'answered',
      (error: Error) => error.name,
    );
    element.send('chaos', { i: 4 });
    await chaos('handled', { id, count: 5 });
    await chaos('cut', { id });
    await until(element, 'resumed', () => resumed.length === 1, 'resumed after the cut');
    expect(resumed[0].recovered, 'the first socket\'s server frames are lost').to.equal(false);
    expect(await taken, 'its answer went with the old stream').to.equal('NetworkError');

    for (let i = 5; i < 8; i++) element.send('chaos', { i });
    expect(await element.request('chaos', { i: 8 })).to.equal(8);
    const { handled } = await chaos<{ handled: number[] }>('handled', { id, count: 9 });
    expect(handled, 'every frame once, in order').to.deep.equal(range(0, 9));
    expect(unexpected(errors)).to.deep.equal([]);
  });

  it('share="tabs": the holder goes before its first answer reached the other tab: its frames and the next holder\'s are each handled once', async () => {
    const { id, url } = await instance();
    const doc = await context();
    await chaos('hold', { id });
    const holder = await resuming(`${url}?user=ana`, { share: 'tabs' }, doc);
    const here = await resuming(`${url}?user=ana`, { share: 'tabs' });
    expect([holder.element.socket !== null, here.element.socket]).to.deep.equal([true, null]);
    for (let i = 0; i < 3; i++) holder.element.send('chaos', { i });
    // Handed to the holder, which numbers and sends them.
    for (let i = 3; i < 5; i++) here.element.send('chaos', { i });
    await chaos('handled', { id, count: 5 });
    doc.defaultView!.frameElement!.remove();
    await until(here.element, 'resumed', () => here.resumed.length === 1, 'the next holder resumed');
    expect(here.resumed[0].recovered).to.equal(false);
    expect(here.element.socket).to.be.instanceOf(WebSocket);

    for (let i = 5; i < 8; i++) here.element.send('chaos', { i });
    expect(await here.element.request('chaos', { i: 8 })).to.equal(8);
    const { handled } = await chaos<{ handled: number[] }>('handled', { id, count: 9 });
    expect(handled, 'every frame once, in order').to.deep.equal(range(0, 9));
    expect(unexpected(here.errors)).to.deep.equal([]);
  });

  it('share="tabs": the holder goes before its first answer, and its numbered frames never reached the other tab: the next holder numbers on from the server\'s next, none lost', async () => {
    const { id, url } = await instance();
    const doc = await context();
    await chaos('hold', { id });
    const holder = await resuming(`${url}?user=ana`, { share: 'tabs' }, doc);
    // This tab's copy has the stream's name, no token, and none of the frames the holder numbers next.
    const here = await resuming(`${url}?user=ana`, { share: 'tabs' });
    silenceStream(doc);
    for (let i = 0; i < 3; i++) holder.element.send('chaos', { i });
    await chaos('handled', { id, count: 3 });
    doc.defaultView!.frameElement!.remove();
    // Made during the takeover: they wait for the server's answer, then are numbered from its next.
    for (let i = 3; i < 6; i++) here.element.send('chaos', { i });
    await until(here.element, 'resumed', () => here.resumed.length === 1, 'the next holder resumed');
    expect(here.resumed[0].recovered).to.equal(false);
    expect(await here.element.request('chaos', { i: 6 })).to.equal(6);
    const { handled } = await chaos<{ handled: number[] }>('handled', { id, count: 7 });
    expect(handled, 'every frame once, in order').to.deep.equal(range(0, 7));
    expect(unexpected(here.errors)).to.deep.equal([]);
  });
});
