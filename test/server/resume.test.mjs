// resume, the server's half (PROTOCOL.md, "Resume"): a page played by ResumePeer (resume-support.mjs)
// through a proxy that cuts connections abruptly. Every frame once and in order both ways, the
// limits of the history, tokens bound to their user, requests answered once, slow clients, the
// batching of acknowledgements, and nothing extra for pages without resume.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { ReplyError } from '../../dist/server/index.js';
import { Outbox } from '../../dist/protocol/resume.js';
import { connect, Peer, start } from './support.mjs';
import { cuttingProxy, ResumePeer } from './resume-support.mjs';

/** A page with resume, stopped after the test. */
function page(t, url, options) {
  const peer = new ResumePeer(url, options);
  t.after(() => peer.stop());
  return peer;
}

/** Resolves once `Date.now()` is past `ms` from `since`: the history's clock, which only time moves. */
async function past(since, ms) {
  while (Date.now() - since <= ms) await new Promise((resolve) => setTimeout(resolve, Math.max(1, ms - (Date.now() - since) + 1)));
}

/** A server whose `join` request puts the client in a room; handlers' calls go to `seen`. */
async function server(t, options = {}) {
  const started = await start(t, options);
  const seen = new EventEmitter();
  started.bricks.handle('join', async (room, { client }) => {
    await client.join(room);
    return room;
  });
  started.bricks.handle('up', (data) => void seen.emit('up', data));
  return { ...started, seen };
}

/** Collects every `up` the server's handler sees. */
function collect(seen) {
  const got = [];
  seen.on('up', (data) => got.push(data));
  return got;
}

describe('resume', () => {
  test('the first socket: an answer before anything else, a token of 128 bits or more, numbered frames on every stream', async (t) => {
    const { bricks, url } = await server(t);
    const p = page(t, url());
    const [[client], answer] = await Promise.all([once(bricks, 'connection'), p.connect()]);
    assert.equal(answer.recovered, true);
    assert.equal(answer.missed, 0);
    assert.equal(answer.acked, 0);
    assert.match(answer.token, /^[A-Za-z0-9_-]{22,}$/);
    const joined = p.request('join', 'lobby');
    await p.until(() => p.replies.has(joined));
    client.send('own', 1);
    bricks.to('lobby').send('room', 1);
    bricks.send('all', 1);
    await p.until(() => p.frames.length === 4);
    assert.deepEqual(p.frames, [
      { type: 'reply', id: joined, data: 'lobby', n: 1 },
      { type: 'own', data: 1, n: 2 },
      { type: 'room', data: 1, n: 1, r: 'lobby' },
      { type: 'all', data: 1, n: 1, r: '*' },
    ]);
    assert.equal(bricks.stats().streams, 1);
  });

  test('after a drop, frames missed both ways arrive once and in order, and the client keeps its rooms', async (t) => {
    const { bricks, port, seen } = await server(t);
    const got = collect(seen);
    const proxy = await cuttingProxy(t, port);
    const p = page(t, proxy.url());
    const [[client]] = await Promise.all([once(bricks, 'connection'), p.connect()]);
    p.request('join', 'lobby');
    p.send('up', 1);
    await p.until(() => p.outbox.kept.length === 0 && p.frames.length === 1);
    client.send('own', 1);
    bricks.to('lobby').send('room', 1);
    bricks.send('all', 1);
    await p.until(() => p.frames.length === 4);

    // The network dies without a word: what both sides send now goes nowhere.
    proxy.hold();
    p.send('up', 2);
    p.send('up', 3);
    client.send('own', 2);
    bricks.to('lobby').send('room', 2);
    bricks.send('all', 2);
    const gone = once(bricks, 'disconnect');
    proxy.cut();
    await gone;
    assert.equal(client.send('own', 3), true, 'kept for the page, through the client object of the socket that died');
    bricks.to('lobby').send('room', 3);

    const [[again], answer] = await Promise.all([once(bricks, 'connection'), p.connect()]);
    assert.deepEqual(answer, { token: p.token, recovered: true, missed: 5, acked: 2, next: 3 });
    assert.notEqual(again, client);
    assert.deepEqual([...again.rooms], ['lobby']);
    await p.until(() => p.outbox.kept.length === 0 && p.frames.length === 9);
    assert.deepEqual(got, [1, 2, 3]);
    assert.deepEqual(p.of('').slice(1).map((f) => f.data), [1, 2, 3]);
    assert.deepEqual(p.of('lobby').map((f) => f.data), [1, 2, 3]);
    assert.deepEqual(p.of('*').map((f) => f.data), [1, 2]);
    assert.equal(p.repeats, 0);
    bricks.to('lobby').send('room', 4);
    await p.until(() => p.of('lobby').length === 4);
  });

  test('exactly once and in order both ways, with requests, through at least 20 abrupt cuts', { timeout: 180_000 }, async (t) => {
    const N = 5000;
    const { bricks, port, seen } = await server(t, { history: { size: 100_000 } });
    const got = collect(seen);
    seen.on('up', (i) => bricks.to('r').send('down', i));
    const runs = new Map();
    // Requests finish out of order (some wait a few turns): acknowledgements cover only what every
    // earlier frame has finished, across the cuts too.
    bricks.handle('ask', async (i, { id }) => {
      runs.set(id, (runs.get(id) ?? 0) + 1);
      for (let turn = 0; turn < i % 4; turn++) await new Promise((resolve) => setImmediate(resolve));
      return i * 2;
    });
    // A fixed seed: a failure replays.
    let seed = 26;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const proxy = await cuttingProxy(t, port, { budget: () => 2000 + Math.floor(random() * 6000) });
    const p = page(t, proxy.url(), { reconnect: true });
    await p.connect();
    const joined = p.request('join', 'r');
    await p.until(() => p.replies.has(joined));
    const asks = [];
    for (let i = 0; i < N; i++) {
      if (i % 10 === 5) asks.push(p.request('ask', i));
      p.send('up', i);
    }
    await p.until(() => p.of('r').length === N && asks.every((id) => p.replies.has(id)) && p.outbox.kept.length === 0);
    assert.ok(proxy.cuts >= 20, `${proxy.cuts} cuts`);
    assert.deepEqual(got, [...Array(N).keys()], 'the handler saw every page frame once, in order');
    assert.deepEqual(p.of('r').map((f) => f.data), [...Array(N).keys()], 'the page saw every room frame once, in order');
    assert.deepEqual([...runs.values()].every((count) => count === 1) && runs.size, asks.length);
    for (const [k, id] of asks.entries()) assert.deepEqual(p.replies.get(id).map((f) => f.data), [(k * 10 + 5) * 2]);
    assert.equal(p.repeats, 0, 'the server sent no frame twice');
    assert.ok(p.answers.length > 20);
    assert.ok(p.answers.every((answer) => answer.recovered), 'every resume recovered');
  });

  test('a gap longer than history.ttl: recovered false, a new stream, nothing doubled, live frames after', async (t) => {
    const ttl = 200;
    const { bricks, port } = await server(t, { history: { ttl } });
    bricks.on('connection', (client) => client.join('room'));
    const proxy = await cuttingProxy(t, port);
    const p = page(t, proxy.url());
    await Promise.all([once(bricks, 'connection'), p.connect()]);
    bricks.to('room').send('room', 1);
    await p.until(() => p.frames.length === 1);
    const gone = once(bricks, 'disconnect');
    proxy.cut();
    await gone;
    const left = Date.now();
    bricks.to('room').send('room', 2);
    const first = p.token;
    await past(left, ttl);
    const [[client], answer] = await Promise.all([once(bricks, 'connection'), p.connect()]);
    assert.equal(answer.recovered, false);
    assert.equal(answer.missed, 0);
    assert.notEqual(answer.token, first, 'the old stream is gone');
    await client.join('room');
    bricks.to('room').send('room', 3);
    await p.until(() => p.frames.length === 2);
    assert.deepEqual(p.frames.map((f) => f.data), [1, 3]);
    assert.equal(p.repeats, 0);
  });

  test('more frames missed than history.size: recovered false, the stream and its rooms go on, live frames after', async (t) => {
    const { bricks, port } = await server(t, { history: { size: 5 } });
    const proxy = await cuttingProxy(t, port);
    const p = page(t, proxy.url());
    await p.connect();
    const joined = p.request('join', 'room');
    bricks.send('all', 0);
    await p.until(() => p.replies.has(joined) && p.frames.length === 2);
    bricks.to('room').send('room', 0);
    await p.until(() => p.frames.length === 3);
    const gone = once(bricks, 'disconnect');
    proxy.cut();
    await gone;
    for (let i = 1; i <= 6; i++) bricks.to('room').send('room', i);
    const first = p.token;
    const answer = await p.connect();
    assert.deepEqual(answer, { token: first, recovered: false, missed: 0, acked: 1, next: 2 });
    bricks.to('room').send('room', 'live');
    bricks.send('all', 'live');
    await p.until(() => p.frames.length === 5);
    assert.deepEqual(p.of('room').map((f) => f.data), [0, 'live']);
    assert.deepEqual(p.of('*').map((f) => f.data), [0, 'live']);
    assert.equal(p.repeats, 0);
  });

  test('a server restarted without shared state: recovered false, and the page\'s kept frames are handled by the new one', async (t) => {
    const a = await server(t);
    const proxy = await cuttingProxy(t, a.port);
    const p = page(t, proxy.url());
    await p.connect();
    p.send('up', 1);
    await p.until(() => p.outbox.kept.length === 0);
    proxy.hold();
    p.send('up', 2);
    proxy.cut();
    await a.bricks.close();
    const b = await server(t);
    const got = collect(b.seen);
    proxy.target = b.port;
    const answer = await p.connect();
    assert.equal(answer.recovered, false);
    assert.notEqual(answer.token, p.answers[0].token);
    await p.until(() => p.outbox.kept.length === 0);
    assert.deepEqual(got, [2]);
    b.bricks.send('all', 'live');
    await p.until(() => p.frames.length === 1);
    assert.deepEqual(p.frames, [{ type: 'all', data: 'live', n: 1, r: '*' }]);
  });

  test('a forged token, or another user\'s, gets recovered false and none of the stream\'s frames; its owner still resumes', async (t) => {
    let calls = 0;
    const { bricks, port } = await server(t, {
      authenticate: (_request, session) => {
        calls++;
        return { name: session };
      },
    });
    bricks.handle('echo', (data) => data);
    const proxy = await cuttingProxy(t, port);
    const ana = page(t, proxy.url(), { protocols: ['ana'] });
    const [[client]] = await Promise.all([once(bricks, 'connection'), ana.connect()]);
    assert.deepEqual(client.user, { name: 'ana' }, 'the session is the first subprotocol that is not resume\'s');
    client.send('secret', 1);
    await ana.until(() => ana.frames.length === 1);
    const gone = once(bricks, 'disconnect');
    proxy.cut();
    await gone;
    client.send('secret', 2);
    const stolen = ana.token;

    for (const [who, token] of [['bob', stolen], ['ana', 'AAAAAAAAAAAAAAAAAAAAAA']]) {
      const other = page(t, proxy.url(), { protocols: [who] });
      other.token = token;
      other.positions.take('', 0);
      const answer = await other.connect();
      assert.equal(answer.recovered, false, `${who} with ${token}`);
      assert.equal(answer.missed, 0);
      assert.notEqual(answer.token, stolen);
      const echo = other.request('echo', 'x');
      await other.until(() => other.replies.has(echo));
      assert.deepEqual(other.frames.map((f) => f.type), ['reply'], 'none of the stream\'s frames');
      await other.stop();
    }
    const answer = await ana.connect();
    assert.deepEqual(answer, { token: stolen, recovered: true, missed: 1, acked: 0, next: 1 });
    await ana.until(() => ana.frames.length === 2);
    assert.deepEqual(ana.frames.map((f) => f.data), [1, 2]);
    assert.equal(calls, 4, 'authenticate ran on every socket');
  });

  test('a newer socket of the stream takes it over; the older one, given up on, is closed with 1008', async (t) => {
    const { bricks, url } = await server(t);
    const old = page(t, url());
    const [[client]] = await Promise.all([once(bricks, 'connection'), old.connect()]);
    client.send('own', 1);
    await old.until(() => old.frames.length === 1);
    // The page gave up on `old` (a connection it believes dead) and comes back on a new socket.
    const fresh = page(t, url());
    fresh.token = old.token;
    fresh.positions.take('', 1);
    const closed = once(old, 'close');
    const answer = await fresh.connect();
    assert.deepEqual(answer, { token: old.token, recovered: true, missed: 0, acked: 0, next: 1 });
    assert.deepEqual(await closed, [1008]);
    client.send('own', 2);
    await fresh.until(() => fresh.frames.length === 1);
    assert.deepEqual(fresh.frames, [{ type: 'own', data: 2, n: 2 }]);
    assert.deepEqual(old.frames.map((f) => f.data), [1]);
  });

  test('authenticate refusing on a reconnect closes with 1008, and the page stops', async (t) => {
    let allow = true;
    const { bricks, port } = await server(t, {
      authenticate: () => {
        if (!allow) throw new ReplyError('signed out');
        return { id: 1 };
      },
    });
    const proxy = await cuttingProxy(t, port);
    const p = page(t, proxy.url(), { reconnect: true });
    await p.connect();
    allow = false;
    const closed = once(p, 'close');
    proxy.cut();
    assert.deepEqual(await closed, [1006]);
    const refused = once(p, 'close');
    assert.deepEqual(await refused, [1008]);
    assert.equal(p.answers.length, 1, 'no answer after the refusal');
    assert.equal(bricks.stats().refused, 1);
  });

  test("the answer's next is the number the server hands on next, above acked while a handler runs: a page that lost count numbers from it", async (t) => {
    const { bricks, url, seen } = await server(t);
    const got = collect(seen);
    const started = new EventEmitter();
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    bricks.handle('slow', async () => {
      started.emit('run');
      await gate;
    });
    const a = page(t, url());
    assert.equal((await a.connect()).next, 1, "a new stream starts from the hello's next");
    a.send('up', 1);
    a.send('up', 2);
    const running = once(started, 'run');
    a.send('slow', null);
    await running;

    // Another tab's copy of the stream, current only up to frame 1: its counter says 2.
    const b = page(t, url());
    b.token = a.token;
    b.outbox = new Outbox(2);
    const displaced = once(a.ws, 'close');
    const answer = await b.connect();
    assert.deepEqual([(await displaced)[0], answer.recovered, answer.acked, answer.next], [1008, true, 2, 4]);
    // Numbered from the stale counter, a frame is a repeat and is dropped: the gap the answer closes.
    b.raw(JSON.stringify({ type: 'up', data: 'stale', n: 2 }));
    b.outbox = new Outbox(answer.next);
    b.send('up', 3);
    release();
    await b.until(() => b.outbox.kept.length === 0);
    assert.deepEqual(got, [1, 2, 3]);

    // On a later socket the next is again one more than the last handed on.
    const gone = once(bricks, 'disconnect');
    b.ws.terminate();
    await gone;
    assert.equal((await b.connect()).next, 5);
  });

  test('a request sent again after a reconnect is answered once: the handler still running, or its reply lost', async (t) => {
    const { bricks, port } = await server(t);
    const started = new EventEmitter();
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    let runs = 0;
    bricks.handle('slow', async () => {
      runs++;
      started.emit('run');
      await gate;
      return 'slow done';
    });
    bricks.handle('fast', () => {
      runs++;
      started.emit('run');
      return 'fast done';
    });
    const proxy = await cuttingProxy(t, port);
    const p = page(t, proxy.url());
    await p.connect();

    const running = once(started, 'run');
    const slow = p.request('slow');
    await running;
    let gone = once(bricks, 'disconnect');
    proxy.cut();
    await gone;
    let answer = await p.connect();
    assert.deepEqual([answer.acked, answer.next], [0, 2], 'not handled yet, but handed on: the page sends it again, and the server drops it');
    release();
    await p.until(() => p.replies.has(slow) && p.outbox.kept.length === 0);

    const ran = once(started, 'run');
    proxy.hold('down');
    const fast = p.request('fast');
    await ran;
    gone = once(bricks, 'disconnect');
    proxy.cut();
    await gone;
    answer = await p.connect();
    assert.deepEqual([answer.acked, answer.missed], [2, 1], 'handled, and its reply is among the missed frames');
    await p.until(() => p.replies.has(fast));
    const last = p.request('slow');
    await p.until(() => p.replies.has(last));
    assert.equal(runs, 3);
    assert.deepEqual([slow, fast, last].map((id) => p.replies.get(id).map((f) => f.data)), [['slow done'], ['fast done'], ['slow done']]);
  });

  test('a slow client closed at sendLimit resumes from the history: delay, not data', { timeout: 120_000 }, async (t) => {
    const { bricks, url } = await server(t, { sendLimit: 64 * 1024, history: { size: 10_000 } });
    const p = page(t, url(), { reconnect: true });
    const [[client]] = await Promise.all([once(bricks, 'connection'), p.connect()]);
    const asked = client.request('question', null, { timeout: 0 });
    await p.until(() => p.frames.length === 1);
    p.ws.pause();
    const chunk = 'x'.repeat(16 * 1024);
    let sent = 0;
    while (bricks.stats().slowCloses === 0) {
      for (let i = 0; i < 4; i++) client.send('bulk', { i: sent++, chunk });
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(sent < 5000, 'no slow close');
    }
    p.ws.resume();
    await p.until(() => p.answers.length === 2 && p.of('').filter((f) => f.type === 'bulk').length === sent);
    assert.equal(p.answers[1].recovered, true);
    assert.deepEqual(p.of('').filter((f) => f.type === 'bulk').map((f) => f.data.i), [...Array(sent).keys()]);
    assert.deepEqual(p.closes, [1013]);
    // The server's request outlived the slow close: the page answers it on its new socket.
    p.send('reply-later', null);
    const question = p.frames[0];
    assert.equal(question.type, 'question');
    const n = p.outbox.next;
    p.outbox.add(JSON.stringify({ type: 'reply', id: question.id, data: 42, n }));
    p.raw(JSON.stringify({ type: 'reply', id: question.id, data: 42, n }));
    assert.equal(await asked, 42);
  });

  test('acknowledgements come in batches of 32, and the rest 20 ms later', async (t) => {
    const { bricks, url } = await server(t);
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    let arrived = 0;
    bricks.handle('batch', async () => {
      if (++arrived === 100) release();
      await gate;
    });
    const p = page(t, url());
    await p.connect();
    for (let i = 0; i < 100; i++) p.send('batch', i);
    await p.until(() => p.outbox.kept.length === 0);
    assert.deepEqual(p.acks, [32, 64, 96, 100]);
  });

  test('protocol errors close with 1002: a first frame that is no hello, a number that skips', async (t) => {
    const { url } = await server(t);
    const noHello = await Peer.open(url(), ['bricks.resume.1']);
    noHello.send({ type: 'chat', data: 1 });
    assert.equal((await noHello.closed).code, 1002);
    const p = page(t, url());
    await p.connect();
    const closed = once(p, 'close');
    p.raw(JSON.stringify({ type: 'up', data: 1, n: 5 }));
    assert.deepEqual(await closed, [1002]);
  });

  test('the heartbeat, binary frames and bad numbers stay outside the numbering', async (t) => {
    const { bricks, url, seen } = await server(t, { binary: true });
    const got = collect(seen);
    const binary = [];
    bricks.handle('*', (data, { type }) => void (type === null && binary.push(data.length)));
    const p = page(t, url());
    await p.connect();
    p.raw(JSON.stringify({ type: 'ping', data: 7 }));
    await p.until(() => p.unnumbered.length === 1);
    assert.deepEqual(p.unnumbered, [{ type: 'pong', data: 7 }], 'the pong of an unnumbered ping carries no number');
    p.send('ping', 8);
    await p.until(() => p.unnumbered.length === 2 && p.outbox.kept.length === 0);
    assert.deepEqual(p.unnumbered[1], { type: 'pong', data: 8 }, 'a numbered ping is handled in its turn, answered outside the numbering');
    const dropped = bricks.stats().dropped;
    for (const n of [0, -1, 1.5, '2', null]) p.raw(JSON.stringify({ type: 'up', data: 'bad', n }));
    p.raw(JSON.stringify({ type: 'resumed', data: { token: null, seen: {}, next: 1 } }));
    p.ws.send(Buffer.from([1, 2, 3]));
    p.send('up', 'good');
    await p.until(() => p.outbox.kept.length === 0);
    assert.deepEqual(got, ['good']);
    assert.deepEqual(binary, [3]);
    assert.equal(bricks.stats().dropped, dropped + 6, 'five bad numbers and a second hello');
    assert.equal(p.closes.length, 0);
  });

  test('a fuzz of 3,000 frames, numbered or not, good or bad: each new number is handled once, in order, and the server stays up', async (t) => {
    const { bricks, url, seen } = await server(t);
    const got = collect(seen);
    const p = page(t, url());
    await p.connect();
    let seed = 7;
    const random = (n) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const junk = ['', 'x', '[]', 'null', '{"type":""}', '{"type":5}', '{"type":"reply","id":"nobody","data":1}', '{"type":"open"}', '{"__proto__":{"type":"up"}}'];
    const expected = [];
    for (let i = 0; i < 3000; i++) {
      const kind = random(5);
      if (kind === 0) p.raw(junk[random(junk.length)]);
      else if (kind === 1 && p.outbox.next > 1) {
        // A repeat of a number already sent, as after a reconnect.
        p.raw(JSON.stringify({ type: 'up', data: 'repeat', n: 1 + random(p.outbox.next - 1) }));
      } else if (kind === 2) p.raw(JSON.stringify({ type: 'up', data: 'unnumbered' }));
      else {
        p.send('up', i);
        expected.push(i);
      }
    }
    await p.until(() => p.outbox.kept.length === 0);
    assert.deepEqual(got.filter((data) => data !== 'unnumbered'), expected);
    assert.equal(p.closes.length, 0);
    assert.equal(bricks.stats().clients, 1);
  });

  test('a page without resume gets plain frames and nothing more, and costs no stream', async (t) => {
    const { bricks, url } = await server(t);
    const plain = await connect(bricks, url());
    await plain.client.join('room');
    bricks.to('room').send('room', 1);
    bricks.send('all', 1);
    plain.client.send('own', 1);
    assert.deepEqual(await plain.peer.sync(), [
      { type: 'room', data: 1 },
      { type: 'all', data: 1 },
      { type: 'own', data: 1 },
    ]);
    assert.equal(bricks.stats().streams, 0);
    // A resume page in the same room gets its frames numbered; the plain one still plain.
    const p = page(t, url());
    await p.connect();
    const joined = p.request('join', 'room');
    await p.until(() => p.replies.has(joined));
    bricks.to('room').send('room', 2);
    await p.until(() => p.of('room').length === 1);
    assert.deepEqual(await plain.peer.sync(), [{ type: 'room', data: 2 }]);
    plain.peer.send({ type: 'resumed', data: { token: null, seen: {}, next: 1 } });
    assert.deepEqual(await plain.peer.sync(), [], 'a resumed frame from a plain page is dropped');
  });

  test('a stream whose page went is forgotten after history.ttl, with its rooms\' history', async (t) => {
    const { bricks, url } = await server(t, { history: { ttl: 100 } });
    const p = page(t, url());
    await p.connect();
    const joined = p.request('join', 'room');
    await p.until(() => p.replies.has(joined));
    assert.equal(bricks.stats().streams, 1);
    await p.stop();
    while (bricks.stats().streams > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(bricks.stats().streams, 0);
  });

  test('the history option is checked', async () => {
    const { createServer } = await import('../../dist/server/index.js');
    for (const history of [null, 5, { size: 0 }, { ttl: -1 }, { size: 1.5 }, { limit: 3 }]) {
      assert.throws(() => createServer({ port: 0, history }), TypeError, JSON.stringify(history));
    }
  });
});
