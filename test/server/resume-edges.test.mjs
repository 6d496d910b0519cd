// resume, the server's half, against what a hostile client and a demanding application do (PROTOCOL.md,
// "Resume"; the README's "For server authors"): sockets the page gave up on, an adapter that
// takes its time, the application changing rooms while the page is away, users JSON cannot tell
// apart, bad hellos and numbers. Every wait is for an event, never for time.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { memoryAdapter } from '../../dist/server/memory-adapter.js';
import { Peer, start } from './support.mjs';
import { cuttingProxy, ResumePeer } from './resume-support.mjs';

/** A page with resume, stopped after the test. */
function page(t, url, options) {
  const peer = new ResumePeer(url, options);
  t.after(() => peer.stop());
  return peer;
}

/** Drops the page's connection abruptly and waits until the server has seen it go. */
async function drop(bricks, proxy) {
  const gone = once(bricks, 'disconnect');
  proxy.cut();
  await gone;
}

/**
 * The in-memory adapter, with an `attachStream` that waits for `release()` once `slow` is set,
 * as an adapter over shared state does while it reads: `entered` fires when a hello reaches it.
 */
function slowAdapter() {
  const inner = memoryAdapter();
  const adapter = new EventEmitter();
  for (const name of ['attach', 'add', 'remove', 'join', 'leave', 'broadcast', 'appendOwn', 'handled', 'reply', 'roomCount', 'streamCount', 'close']) {
    adapter[name] = inner[name].bind(inner);
  }
  adapter.slow = false;
  adapter.attachStream = async (member, request) => {
    const found = await inner.attachStream(member, request);
    if (adapter.slow) {
      const released = new Promise((resolve) => (adapter.release = resolve));
      adapter.emit('entered');
      await released;
    }
    return found;
  };
  return adapter;
}

describe('resume at its edges', () => {
  test('a frame read on a socket the page gave up on waits for the socket that took over, whose client the handler gets', async (t) => {
    const { bricks, port, url } = await start(t, { binary: true });
    const read = new EventEmitter();
    const runs = [];
    bricks.handle('join', async (room, { client }) => {
      runs.push(client);
      await client.join(room);
      return [...client.rooms];
    });
    bricks.handle('*', (_data, { type }) => void (type === null && read.emit('binary')));
    const proxy = await cuttingProxy(t, port);
    const old = page(t, proxy.url());
    await old.connect();
    // The page gives up on `old` (nothing reaches it any more) and resumes on a new socket.
    proxy.hold('down');
    const fresh = page(t, url());
    fresh.token = old.token;
    const [[client]] = await Promise.all([once(bricks, 'connection'), fresh.connect()]);
    // A frame it sent on `old` before giving up reaches the server late, on the socket now closing.
    const binary = once(read, 'binary');
    old.raw(JSON.stringify({ type: 'join', data: 'lobby', id: 'j', n: 1 }));
    old.ws.send(Buffer.from([1]));
    await binary;
    assert.equal(runs.length, 0, 'not handed on from the socket given up on');
    // The page sends it again, as it does every frame not acknowledged.
    fresh.raw(JSON.stringify({ type: 'join', data: 'lobby', id: 'j', n: 1 }));
    await fresh.until(() => fresh.replies.has('j'));
    assert.deepEqual(runs, [client]);
    assert.deepEqual(fresh.replies.get('j').map((f) => f.data), [['lobby']]);
    bricks.to('lobby').send('room', 1);
    await fresh.until(() => fresh.of('lobby').length === 1);
  });

  test('a frame sent to the client while its hello waits for a slow adapter reaches the page once, in order', async (t) => {
    const adapter = slowAdapter();
    const { bricks, port } = await start(t, { adapter });
    const proxy = await cuttingProxy(t, port);
    const p = page(t, proxy.url());
    const [[client]] = await Promise.all([once(bricks, 'connection'), p.connect()]);
    client.send('own', 1);
    await p.until(() => p.frames.length === 1);
    await drop(bricks, proxy);
    client.send('own', 2);
    adapter.slow = true;
    const entered = once(adapter, 'entered');
    const answered = p.connect();
    await entered;
    // The adapter has collected what the page missed; the stream is not attached yet.
    assert.equal(client.send('own', 3), true);
    adapter.release();
    const answer = await answered;
    assert.deepEqual([answer.recovered, answer.missed], [true, 1]);
    client.send('own', 4);
    await p.until(() => p.frames.length === 4);
    assert.deepEqual(p.frames.map((f) => [f.data, f.n]), [[1, 1], [2, 2], [3, 3], [4, 4]]);
    assert.equal(p.repeats, 0);
  });

  test('a frame of another user\'s stream sent while a forged hello waits for the adapter does not reach the forger', async (t) => {
    const adapter = slowAdapter();
    const { bricks, port, url } = await start(t, { adapter, authenticate: (_request, session) => ({ name: session }) });
    const proxy = await cuttingProxy(t, port);
    const ana = page(t, proxy.url(), { protocols: ['ana'] });
    const [[client]] = await Promise.all([once(bricks, 'connection'), ana.connect()]);
    await drop(bricks, proxy);
    adapter.slow = true;
    const bob = page(t, url(), { protocols: ['bob'] });
    bob.token = ana.token;
    const entered = once(adapter, 'entered');
    const answered = bob.connect();
    await entered;
    client.send('secret', 1);
    adapter.release();
    const answer = await answered;
    assert.equal(answer.recovered, false);
    bricks.send('all', 'mark');
    await bob.until(() => bob.frames.length === 1);
    assert.deepEqual(bob.frames.map((f) => f.type), ['all']);
    adapter.slow = false;
    const back = await ana.connect();
    assert.equal(back.recovered, true);
    await ana.until(() => ana.of('').length === 1);
    assert.deepEqual(ana.of('').map((f) => f.data), [1], 'its owner still gets it');
  });

  test('leave() and join() on the client of a socket that dropped change the rooms its page comes back in', async (t) => {
    const { bricks, port } = await start(t);
    bricks.on('connection', (client) => client.rooms.size === 0 && client.join('lobby'));
    const proxy = await cuttingProxy(t, port);
    const p = page(t, proxy.url());
    const [[client]] = await Promise.all([once(bricks, 'connection'), p.connect()]);
    bricks.to('lobby').send('lobby', 1);
    await p.until(() => p.frames.length === 1);
    await drop(bricks, proxy);
    // The application takes the user out of the lobby, and puts it in the stage, while it is away.
    await client.leave('lobby');
    await client.join('stage');
    bricks.to('lobby').send('lobby', 2);
    bricks.to('stage').send('stage', 1);
    const [[again], answer] = await Promise.all([once(bricks, 'connection'), p.connect()]);
    assert.equal(answer.recovered, true);
    assert.deepEqual([...again.rooms], ['stage']);
    bricks.to('lobby').send('lobby', 3);
    bricks.to('stage').send('stage', 2);
    again.send('own', 'mark');
    await p.until(() => p.of('').length === 1);
    assert.deepEqual(p.of('lobby').map((f) => f.data), [1]);
    assert.deepEqual(p.of('stage').map((f) => f.data), [1, 2]);
    // Through the old client object once the page is back: the change is the new client's.
    await client.leave('stage');
    assert.deepEqual([...again.rooms], []);
    bricks.to('stage').send('stage', 3);
    again.send('own', 'mark 2');
    await p.until(() => p.of('').length === 2);
    assert.deepEqual(p.of('stage').map((f) => f.data), [1, 2]);
  });

  test('users JSON cannot tell apart (a Map, a class with private fields) bind no stream: another one\'s token gets nothing', async (t) => {
    class User {
      #name;
      constructor(name) {
        this.#name = name;
      }
    }
    for (const make of [(name) => new Map([['name', name]]), (name) => new User(name), (name) => ({ id: name === 'ana' ? NaN : Infinity })]) {
      const { bricks, url } = await start(t, { authenticate: (_request, session) => make(session) });
      const errors = [];
      bricks.on('error', (error) => errors.push(error));
      const ana = page(t, url(), { protocols: ['ana'] });
      // Not `once()`, which rejects at the `error` event this connection brings.
      const connected = new Promise((resolve) => bricks.once('connection', resolve));
      const [client] = await Promise.all([connected, ana.connect()]);
      client.send('secret', 1);
      await ana.until(() => ana.frames.length === 1);
      const left = once(bricks, 'disconnect');
      await ana.stop();
      await left;
      const bob = page(t, url(), { protocols: ['bob'] });
      bob.token = ana.token;
      const answer = await bob.connect();
      assert.equal(answer.recovered, false);
      assert.notEqual(answer.token, ana.token);
      assert.equal(answer.missed, 0);
      assert.equal(errors.length, 2);
      assert.match(errors[0].message, /cannot resume.*plain data/);
    }
  });

  test('hellos with bad members close with 1002; the server stays up and a good hello still resumes', async (t) => {
    const { bricks, url } = await start(t);
    const good = page(t, url());
    const [[client]] = await Promise.all([once(bricks, 'connection'), good.connect()]);
    const hello = (data) => JSON.stringify({ type: 'resumed', data: { token: null, seen: {}, next: 1, ...data } });
    const bad = [
      hello({ seen: { '': -1 } }),
      hello({ seen: { '': 1.5 } }),
      hello({ seen: { '': 2 ** 53 } }),
      hello({ seen: { lobby: '3' } }),
      hello({ seen: [] }),
      hello({ seen: null }),
      hello({ next: 0 }),
      hello({ next: -1 }),
      hello({ next: 1.5 }),
      hello({ next: 2 ** 53 }),
      hello({ next: '1' }),
      hello({ token: 5 }),
      hello({ token: '' }),
      hello({ token: 'x'.repeat(100_000) }),
      hello({ token: {} }),
      '{"type":"resumed","data":null}',
      '{"type":"resumed"}',
      '[]',
    ];
    for (const text of bad) {
      const peer = await Peer.open(url(), ['bricks.resume.1']);
      peer.send(text);
      assert.equal((await peer.closed).code, 1002, text.slice(0, 80));
    }
    // Odd but well-formed: unknown streams, `__proto__`, positions far ahead, a token never given.
    const seen = JSON.parse('{"__proto__": 3, "constructor": 1, "": 99999, "*": 7}');
    for (let i = 0; i < 10_000; i++) seen[`room${i}`] = i;
    const odd = await Peer.open(url(), ['bricks.resume.1']);
    odd.send(JSON.stringify({ type: 'resumed', data: { token: good.token, seen, next: 1 } }));
    const answer = await odd.next();
    assert.equal(answer.data.recovered, false, 'positions the stream never gave');
    assert.equal(answer.data.token, good.token, 'the same user\'s stream goes on');
    const forged = await Peer.open(url(), ['bricks.resume.1']);
    forged.send(JSON.stringify({ type: 'resumed', data: { token: 'A'.repeat(200), seen: {}, next: 2 ** 40 } }));
    const fresh = await forged.next();
    assert.deepEqual([fresh.data.recovered, fresh.data.acked], [false, 2 ** 40 - 1]);
    assert.equal(typeof client.id, 'string');
    assert.ok(bricks.stats().clients >= 2);
  });

  test('numbered frames that skip ahead close with 1002; backwards, fractional and huge numbers are dropped; the stream goes on', async (t) => {
    const { bricks, url } = await start(t);
    const got = [];
    bricks.handle('up', (data) => void got.push(data));
    const p = page(t, url(), { reconnect: true });
    await p.connect();
    p.send('up', 1);
    p.send('up', 2);
    await p.until(() => p.outbox.kept.length === 0);
    for (const n of [1, 2, 0.5, 2.5, -3, 2 ** 53, 1e308, Number.MAX_SAFE_INTEGER + 2]) p.raw(`{"type":"up","data":"bad","n":${n}}`);
    p.send('up', 3);
    await p.until(() => p.outbox.kept.length === 0);
    assert.deepEqual(got, [1, 2, 3]);
    assert.equal(p.closes.length, 0);
    const closed = once(p, 'close');
    p.raw(JSON.stringify({ type: 'up', data: 'skip', n: Number.MAX_SAFE_INTEGER }));
    assert.deepEqual(await closed, [1002]);
    await p.until(() => p.answers.length === 2);
    p.send('up', 4);
    await p.until(() => p.outbox.kept.length === 0);
    assert.deepEqual(got, [1, 2, 3, 4]);
    assert.equal(p.answers[1].recovered, true);
  });
});

describe('resume at its edges, more', () => {
  test('two sockets present the same token at once: the later takes the stream, the earlier is closed, nothing is doubled', async (t) => {
    const { bricks, port, url } = await start(t);
    const got = [];
    bricks.handle('up', (data) => void got.push(data));
    bricks.on('connection', (client) => client.rooms.size === 0 && client.join('lobby'));
    const proxy = await cuttingProxy(t, port);
    const first = page(t, proxy.url());
    const [[client]] = await Promise.all([once(bricks, 'connection'), first.connect()]);
    first.send('up', 1);
    first.send('up', 2);
    bricks.to('lobby').send('room', 1);
    client.send('own', 1);
    await first.until(() => first.frames.length === 2 && first.outbox.kept.length === 0);
    await drop(bricks, proxy);
    bricks.to('lobby').send('room', 2);
    client.send('own', 2);
    // Two copies of the page's state say their hellos together, each resending frame 3.
    const copies = [page(t, url()), page(t, url())];
    for (const copy of copies) {
      copy.token = first.token;
      copy.positions.take('', 1);
      copy.positions.take('lobby', 1);
      copy.outbox = new (first.outbox.constructor)(3);
      copy.send('up', 3);
    }
    await Promise.allSettled(copies.map((copy) => copy.connect()));
    await Promise.race(copies.map((copy) => copy.until(() => copy.closes.length > 0)));
    const [gone, survivor] = copies[0].closes.length > 0 ? copies : [copies[1], copies[0]];
    assert.deepEqual(gone.closes, [1008]);
    assert.deepEqual(survivor.closes, []);
    await survivor.until(() => survivor.outbox.kept.length === 0 && survivor.of('').length === 1 && survivor.of('lobby').length === 1);
    bricks.to('lobby').send('room', 3);
    await survivor.until(() => survivor.of('lobby').length === 2);
    assert.deepEqual(got, [1, 2, 3], 'frame 3 handled once');
    assert.deepEqual(survivor.frames.map((f) => [f.r ?? '', f.data]), [['', 2], ['lobby', 2], ['lobby', 3]]);
    assert.equal(survivor.repeats, 0);
  });

  test('frames to a room joined in the connection listener, and to everyone, sent while the page is away: given back once', async (t) => {
    const { bricks, port } = await start(t);
    bricks.on('connection', (client) => {
      if (client.rooms.size === 0) void client.join('lobby');
    });
    const proxy = await cuttingProxy(t, port);
    const p = page(t, proxy.url());
    const [[client]] = await Promise.all([once(bricks, 'connection'), p.connect()]);
    bricks.to('lobby').send('room', 1);
    await p.until(() => p.frames.length === 1);
    await drop(bricks, proxy);
    bricks.to('lobby').send('room', 2);
    bricks.send('all', 1);
    client.send('own', 1);
    const answer = await p.connect();
    assert.deepEqual([answer.recovered, answer.missed], [true, 3]);
    await p.until(() => p.frames.length === 4);
    // Frames of different streams have no order between them.
    assert.deepEqual(['', 'lobby', '*'].map((r) => p.of(r).map((f) => f.data)), [[1], [1, 2], [1]]);
    assert.equal(p.repeats, 0);
  });

  test('history.size 1: one frame missed recovers, two do not; the live ones follow', async (t) => {
    const { bricks, port } = await start(t, { history: { size: 1 } });
    const proxy = await cuttingProxy(t, port);
    const p = page(t, proxy.url());
    const [[client]] = await Promise.all([once(bricks, 'connection'), p.connect()]);
    await drop(bricks, proxy);
    client.send('own', 1);
    assert.equal((await p.connect()).recovered, true);
    await p.until(() => p.frames.length === 1);
    await drop(bricks, proxy);
    client.send('own', 2);
    client.send('own', 3);
    const answer = await p.connect();
    assert.deepEqual([answer.recovered, answer.missed], [false, 0]);
    client.send('own', 4);
    await p.until(() => p.frames.length === 2);
    assert.deepEqual(p.frames.map((f) => f.data), [1, 4]);
  });

  test('close() while a hello waits for the adapter: nothing reaches the adapter after its own close()', async (t) => {
    const adapter = slowAdapter();
    const calls = [];
    let closed = false;
    const { remove, close } = adapter;
    adapter.remove = (member) => {
      if (closed) calls.push('remove');
      return remove(member);
    };
    adapter.close = () => {
      closed = true;
      // The adapter answers the hello only now, as one over shared state may when it is closed.
      adapter.release();
      return close();
    };
    const { bricks, url } = await start(t, { adapter });
    adapter.slow = true;
    const p = page(t, url());
    const entered = once(adapter, 'entered');
    p.connect().catch(() => {});
    await entered;
    const closing = bricks.close({ timeout: 0 });
    await once(p, 'close');
    await closing;
    // What the hello does once the adapter answers runs in promise jobs, all done by the next turn.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(calls, []);
    assert.equal(bricks.stats().streams, 0);
  });

  test('20,000 frames handled behind one slow handler: acknowledged up to the slow one, then all of them', async (t) => {
    const { bricks, url } = await start(t);
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    const started = new EventEmitter();
    bricks.handle('slow', async () => {
      started.emit('run');
      await gate;
    });
    let count = 0;
    bricks.handle('up', () => void count++);
    const p = page(t, url());
    await p.connect();
    const running = once(started, 'run');
    p.send('slow', null);
    await running;
    for (let i = 0; i < 20_000; i++) p.send('up', i);
    // The heartbeat is answered in order after the frames before it: every `up` has been handled.
    p.raw(JSON.stringify({ type: 'ping', data: 'all read' }));
    await p.until(() => p.unnumbered.length === 1);
    assert.equal(count, 20_000);
    assert.deepEqual(p.acks, [], 'nothing acknowledged while frame 1 runs');
    release();
    await p.until(() => p.outbox.kept.length === 0);
    assert.equal(p.acks.at(-1), 20_001);
  });

  test('history.ttl longer than a timer can wait is refused at start-up, with the longest it can be', async () => {
    const { createServer } = await import('../../dist/server/index.js');
    assert.throws(() => createServer({ port: 0, history: { ttl: 2 ** 31 } }), /history\.ttl must be at most 2147483647 milliseconds/);
    for (const history of [{ size: Infinity }, { size: NaN }, { ttl: '1000' }, { size: -0.5 }, { ttl: 0 }]) {
      assert.throws(() => createServer({ port: 0, history }), TypeError, JSON.stringify(history));
    }
  });

  test('handlers that throw or reject under resume: each frame runs once, its error reply comes once, across a drop before the acknowledgement', async (t) => {
    const { bricks, port } = await start(t);
    const errors = [];
    bricks.on('error', (error) => errors.push(error.message));
    const runs = [];
    bricks.handle('throws', (data) => {
      runs.push(data);
      throw new Error(`thrown ${data}`);
    });
    bricks.handle('rejects', async (data) => {
      runs.push(data);
      throw new Error(`rejected ${data}`);
    });
    const proxy = await cuttingProxy(t, port);
    const p = page(t, proxy.url());
    await p.connect();
    // What the server sends is lost from here: the page sees no reply and no acknowledgement.
    proxy.hold('down');
    const ids = [p.request('throws', 1), p.request('rejects', 2)];
    p.send('throws', 3);
    p.send('rejects', 4);
    p.raw(JSON.stringify({ type: 'ping', data: 'read' }));
    while (runs.length < 4) await once(bricks, 'error');
    await drop(bricks, proxy);
    const answer = await p.connect();
    assert.equal(answer.acked, 4);
    await p.until(() => ids.every((id) => p.replies.has(id)) && p.outbox.kept.length === 0);
    assert.deepEqual(runs, [1, 2, 3, 4]);
    assert.deepEqual(ids.map((id) => p.replies.get(id).map((f) => f.error)), [[{ message: 'Internal error', code: 'internal' }], [{ message: 'Internal error', code: 'internal' }]]);
    assert.deepEqual(errors.sort(), ['rejected 2', 'rejected 4', 'thrown 1', 'thrown 3']);
  });

  test('a request to a page that comes back with recovered false: one the page never got fails at once with NetworkError, one it got is still answered', async (t) => {
    const { bricks, port } = await start(t, { history: { size: 2 } });
    const proxy = await cuttingProxy(t, port);
    const p = page(t, proxy.url());
    const [[client]] = await Promise.all([once(bricks, 'connection'), p.connect()]);
    const seen = client.request('seen', null, { timeout: 0 });
    await p.until(() => p.frames.length === 1);
    // Asked as the network dies: the page never gets it, and the history lets it go.
    proxy.hold('down');
    const lost = client.request('lost', null, { timeout: 0 }).catch((error) => error);
    await drop(bricks, proxy);
    for (let i = 0; i < 3; i++) client.send('own', i);
    const [[again], answer] = await Promise.all([once(bricks, 'connection'), p.connect()]);
    assert.equal(answer.recovered, false);
    const error = await lost;
    assert.equal(error.name, 'NetworkError');
    assert.match(error.message, /history/);
    again.send('own', 'live');
    await p.until(() => p.frames.length === 2);
    // The page answers the request it got before the drop.
    const reply = JSON.stringify({ type: 'reply', id: p.frames[0].id, data: 'answered', n: p.outbox.next });
    p.outbox.add(reply);
    p.raw(reply);
    assert.equal(await seen, 'answered');
  });
});
