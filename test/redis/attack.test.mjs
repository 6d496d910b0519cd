// The Redis adapter pushed where a demanding application pushes it: rooms joined and left in
// quick succession, an instance that takes pages before its first link to Redis is up, Redis
// going away and coming back under load, a client of the application's own, two applications
// on one Redis, and a page that moves between instances again and again.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createTcpServer, connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createServer } from '../../dist/server/index.js';
import { redisAdapter } from '../../dist/server/redis/index.js';
import { ResumePeer, cuttingProxy } from '../server/resume-support.mjs';
import { connect, connected, instance, instances, privateRedis, redisClient, reported, take } from './support.mjs';

const redis = privateRedis();
const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A TCP proxy in front of the private Redis. `hold()` keeps what Redis answers (on every
 * connection) instead of passing it on; `releaseBefore(text)` passes on what was kept up to the
 * answer in which `text` appears, and keeps holding; `release()` passes everything and stops
 * holding. `holds(text)` waits for such an answer. `open: false` keeps new connections waiting until `open()`.
 */
async function redisProxy(t, { open = true } = {}) {
  const pairs = new Set();
  const waiting = [];
  let holding = false;
  const waiters = new Set();
  const pipe = (client) => {
    const upstream = tcpConnect(redis.port, '127.0.0.1');
    const pair = { client, upstream, held: [] };
    pairs.add(pair);
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      if (!holding) client.write(chunk);
      else {
        pair.held.push(chunk);
        for (const waiter of waiters) waiter();
      }
    });
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ]) {
      from.on('error', () => {});
      from.on('close', () => {
        pairs.delete(pair);
        to.destroy();
      });
    }
  };
  const server = createTcpServer((client) => {
    if (proxy.opened) pipe(client);
    else waiting.push(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const proxy = {
    opened: open,
    url: `redis://127.0.0.1:${server.address().port}`,
    /** Resolves once an answer Redis sent holds `text`, kept by `hold()`. */
    holds(text) {
      return new Promise((resolve) => {
        const check = () => {
          if (![...pairs].some((pair) => Buffer.concat(pair.held).includes(`\r\n${text}\r\n`))) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    /** Lets connections made so far (and later ones) through to Redis. */
    open() {
      proxy.opened = true;
      for (const client of waiting.splice(0)) pipe(client);
    },
    hold() {
      holding = true;
    },
    releaseBefore(text) {
      for (const pair of pairs) {
        const kept = Buffer.concat(pair.held);
        const at = kept.indexOf(`\r\n${text}\r\n`);
        // The answer that holds it begins with its header line (`*3` or `>3`), before its length.
        const start = at < 0 ? kept.length : kept.lastIndexOf('\r\n', kept.lastIndexOf('\r\n', at - 1) - 1) + 2;
        pair.client.write(kept.subarray(0, start));
        pair.held = [kept.subarray(start)];
      }
    },
    release() {
      holding = false;
      for (const pair of pairs) for (const chunk of pair.held.splice(0)) pair.client.write(chunk);
    },
  };
  t.after(() => {
    for (const client of waiting) client.destroy();
    for (const pair of pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    return new Promise((resolve) => server.close(resolve));
  });
  return proxy;
}

/** Runs `code` (an ES module body; `root` is the package's folder) in a process of its own; resolves with its last line of output, parsed. */
function inChild(code, timeout = 30_000) {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, ['--input-type=module', '-e', code, root], { timeout }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
    child.stdin.end();
  });
}

describe('rooms joined and left in quick succession', () => {
  test('join, leave before Redis confirmed the join, then join again: the instance stays subscribed and frames from others arrive', async (t) => {
    const proxy = await redisProxy(t);
    const a = await instance(t, redis, { adapter: { url: proxy.url } });
    const b = await instance(t, redis);
    const x = await a.connect();
    // Redis' answers to A wait in the proxy: A's subscribe to the room is not confirmed when it leaves.
    proxy.hold();
    const first = x.client.join('room');
    const left = x.client.leave('room');
    // Only the subscribe's answer reaches A, not what answers the unsubscribe.
    await proxy.holds('subscribe');
    proxy.releaseBefore('unsubscribe');
    await first;
    const again = x.client.join('room');
    proxy.release();
    await Promise.all([left, again]);
    const admin = await redisClient(t, redis);
    const [, subscribers] = await admin.sendCommand(['PUBSUB', 'NUMSUB', `t${process.pid}:c:r:room`]);
    assert.equal(subscribers, 1, 'A is subscribed to the room');
    // B's frame to the room, then one to everyone: in this order on B's one connection to Redis.
    b.bricks.to('room').send('room', 1);
    b.bricks.send('everyone', 2);
    assert.deepEqual(await take(x.peer, 2), [
      { type: 'room', data: 1 },
      { type: 'everyone', data: 2 },
    ]);
  });

  test('a client that joins, leaves and joins a room again, 100 times over, gets every frame sent to it after each join', async (t) => {
    const [a, b] = await instances(t, redis, 2);
    const x = await a.connect();
    for (let i = 0; i < 100; i++) {
      const room = `room${i}`;
      const first = x.client.join(room);
      if (i % 2) await first;
      const left = x.client.leave(room);
      for (let k = 0; k < i % 3; k++) await new Promise((resolve) => setImmediate(resolve));
      await Promise.all([x.client.join(room), left, first]);
      b.bricks.to(room).send('room', i);
      b.bricks.send('everyone', i);
      assert.deepEqual(await take(x.peer, 2), [
        { type: 'room', data: i },
        { type: 'everyone', data: i },
      ]);
    }
  });

  test('a leave racing frames from another instance: once leave() was called and the client synced, nothing more reaches it', async (t) => {
    const [a, b] = await instances(t, redis, 2);
    const x = await a.connect();
    const y = await a.connect();
    await x.client.join('room');
    await y.client.join('room');
    for (let i = 0; i < 50; i++) b.bricks.to('room').send('n', i);
    // Some of B's frames are on their way when x leaves.
    await x.client.leave('room');
    await x.peer.sync();
    b.bricks.to('room').send('end', 0);
    assert.deepEqual((await take(y.peer, 51)).map((frame) => frame.data), [...Array(50).keys(), 0]);
    assert.deepEqual(await x.peer.sync(), [], 'nothing after leave()');
    assert.equal(a.bricks.stats().rooms, 1);
  });
});

describe('an instance that takes pages before its first link to Redis is up', () => {
  test('its broadcasts reach the other instances, and its joins resolve once subscribed', async (t) => {
    const a = await instance(t, redis);
    const pa = await a.connect();
    await pa.client.join('room');
    // B's connections to Redis wait in the proxy: B is still making its first link.
    const proxy = await redisProxy(t, { open: false });
    const adapter = redisAdapter({ url: proxy.url, prefix: `t${process.pid}:` });
    const b = createServer({ port: 0, host: '127.0.0.1', adapter });
    b.on('error', () => {});
    t.after(() => b.close({ timeout: 0 }));
    await b.ready;
    const pb = await connect(b, `ws://127.0.0.1:${b.address().port}/ws`);
    let joined = false;
    const join = pb.client.join('room').then(() => (joined = true));
    b.to('room').send('early', 1);
    // B has read everything the page sent; Redis has not answered it yet.
    await pb.peer.sync();
    assert.equal(adapter.connected, false);
    assert.equal(joined, false, 'join() waits for the link');
    proxy.open();
    await connected(adapter);
    await join;
    assert.equal(joined, true);
    a.bricks.to('room').send('later', 2);
    assert.deepEqual(await take(pb.peer, 2), [
      { type: 'early', data: 1 },
      { type: 'later', data: 2 },
    ]);
    assert.deepEqual(await pa.peer.next(), { type: 'early', data: 1 }, "B's frame reached A's client");
  });

  test('when that first try fails, what it held goes to its own clients, in order', async (t) => {
    // A port that takes connections and drops them: each try fails, with no Redis there.
    const server = createTcpServer((socket) => socket.destroy());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => new Promise((resolve) => server.close(resolve)));
    const adapter = redisAdapter({ url: `redis://127.0.0.1:${server.address().port}` });
    const bricks = createServer({ port: 0, host: '127.0.0.1', adapter });
    bricks.on('error', () => {});
    const failed = new Promise((resolve) => bricks.once('error', resolve));
    t.after(() => bricks.close({ timeout: 0 }));
    await bricks.ready;
    const { client, peer } = await connect(bricks, `ws://127.0.0.1:${bricks.address().port}/ws`);
    await client.join('room');
    for (let i = 0; i < 3; i++) bricks.to('room').send('n', i);
    assert.match((await failed).message, /^Redis adapter: could not connect to Redis/);
    bricks.send('after', 3);
    assert.deepEqual(await take(peer, 4), [
      { type: 'n', data: 0 },
      { type: 'n', data: 1 },
      { type: 'n', data: 2 },
      { type: 'after', data: 3 },
    ]);
  });
});

describe('errors nobody listens to', () => {
  test("the adapter's tries at reaching Redis are printed once, not once per try", async (t) => {
    let tries = 0;
    let fourth;
    const fourthTry = new Promise((resolve) => (fourth = resolve));
    // Each try opens two connections; this port drops them.
    const server = createTcpServer((socket) => {
      socket.destroy();
      if (++tries === 7) fourth();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => new Promise((resolve) => server.close(resolve)));
    const printed = [];
    t.mock.method(console, 'error', (...args) => printed.push(args.map(String).join(' ')));
    const bricks = createServer({ port: 0, host: '127.0.0.1', adapter: redisAdapter({ url: `redis://127.0.0.1:${server.address().port}` }) });
    t.after(() => bricks.close({ timeout: 0 }));
    // The fourth try has begun: the first three failed and were reported.
    await fourthTry;
    assert.equal(printed.length, 1, printed.join('\n'));
    assert.match(printed[0], /Redis adapter: could not connect to Redis/);
  });
});

describe("the application's own client", () => {
  test('through Redis restarting: the adapter reconnects with new duplicates, and close() leaves only the application\'s client, open', async (t) => {
    const mine = await redisClient(t, redis, { name: 'app-own' });
    const node = await instance(t, redis, { adapter: { url: undefined, client: mine } });
    const named = async (client) => (await client.clientList()).filter((entry) => entry.name === 'app-own').length;
    assert.equal(await named(mine), 3);
    const { client, peer } = await node.connect();
    await client.join('room');
    const down = once(node.adapter, 'disconnected');
    await redis.stop();
    await down;
    const up = once(node.adapter, 'connected');
    await redis.start();
    await up;
    // The application's client reconnects on its own (node-redis' default).
    while (!mine.isReady) await once(mine, 'ready');
    assert.equal(await named(mine), 3, "the application's client and two new duplicates");
    node.bricks.to('room').send('back', 1);
    assert.deepEqual(await peer.next(), { type: 'back', data: 1 });
    await node.bricks.close();
    assert.equal(mine.isOpen, true);
    assert.equal(await mine.ping(), 'PONG');
    assert.equal(await named(mine), 1);
  });
});

describe('Redis going away under load', () => {
  test('SHUTDOWN NOSAVE and a restart on the same port while frames keep going: local delivery never stops, one loss reported, none per frame, and the instances rejoin', async (t) => {
    const [a, b] = await instances(t, redis, 2);
    const pa = await a.connect();
    const pb = await b.connect();
    for (const { client } of [pa, pb]) await client.join('room');
    const admin = await redisClient(t, redis);
    const lost = once(a.adapter, 'disconnected');
    let sent = 0;
    const send = () => a.bricks.to('room').send('n', sent++);
    for (let i = 0; i < 200; i++) send();
    await admin.sendCommand(['SHUTDOWN', 'NOSAVE']).catch(() => {});
    for (let i = 0; i < 200; i++) send();
    await lost;
    for (let i = 0; i < 200; i++) send();
    // Every frame A sent reaches A's client, once, whatever Redis did meanwhile (those on their
    // way when it went may come after later ones: README).
    assert.deepEqual((await take(pa.peer, sent)).map((frame) => frame.data).sort((x, y) => x - y), [...Array(sent).keys()]);
    await reported(a, /still cannot reach Redis/);
    const back = [once(a.adapter, 'connected'), once(b.adapter, 'connected')];
    // Redis has exited; its watchdog still waits to be told.
    await redis.stop();
    await redis.start();
    await Promise.all(back);
    const messages = a.errors.map((error) => error.message);
    assert.equal(messages.filter((message) => /lost the connection/.test(message)).length, 1, messages.join('\n'));
    assert.deepEqual(messages.filter((message) => !/lost the connection|still cannot reach/.test(message)), [], 'no report per frame');
    // Cross-instance delivery is back, both ways.
    b.bricks.to('room').send('from b', 1);
    a.bricks.to('room').send('from a', 2);
    for (const peer of [pa.peer, pb.peer]) {
      const got = [];
      while (got.length < 2) {
        const frame = await peer.next();
        if (frame.type !== 'n') got.push(frame.type);
      }
      assert.deepEqual(got.sort(), ['from a', 'from b']);
    }
  });

  test('bricks.close() while Redis is down after having been up resolves, and the process ends with nothing left', async () => {
    const result = await inChild(`
      const root = process.argv[1];
      const { added } = await import(root + 'test/server/added-resources.mjs');
      const { once } = await import('node:events');
      const { createServer } = await import(root + 'dist/server/index.js');
      const { redisAdapter } = await import(root + 'dist/server/redis/index.js');
      const { PrivateRedis } = await import(root + 'scripts/redis.mjs');
      const redis = new PrivateRedis();
      await redis.start();
      const adapter = redisAdapter({ url: redis.url });
      const bricks = createServer({ port: 0, host: '127.0.0.1', adapter });
      bricks.on('error', () => {});
      await bricks.ready;
      await once(adapter, 'connected');
      const down = once(adapter, 'disconnected');
      await redis.stop();
      await down;
      for (let i = 0; i < 10; i++) bricks.send('n', i);
      await bricks.close({ timeout: 0 });
      await redis.dispose();
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      console.log(JSON.stringify({ resources: added(), connected: adapter.connected }));
    `);
    assert.deepEqual(result, { resources: [], connected: false });
  });
});

describe('several applications and busy rooms on one Redis', () => {
  test('two applications with different prefixes see none of each other\'s frames, rooms or streams', async (t) => {
    const one = await instances(t, redis, 2, { adapter: { prefix: `one${process.pid}:` } });
    const two = await instances(t, redis, 2, { adapter: { prefix: `two${process.pid}:` } });
    const pages = [];
    for (const node of [...one, ...two]) {
      const pair = await node.connect();
      await pair.client.join('room');
      pages.push(pair);
    }
    one[0].bricks.to('room').send('one', 1);
    two[0].bricks.to('room').send('two', 1);
    one[1].bricks.send('one', 2);
    two[1].bricks.send('two', 2);
    for (const [index, { peer }] of pages.entries()) {
      const mine = index < 2 ? 'one' : 'two';
      assert.deepEqual((await take(peer, 2)).map((frame) => frame.type), [mine, mine]);
      assert.deepEqual(await peer.sync(), []);
    }
    // A page of application one presenting its token to application two starts afresh there.
    const page = new ResumePeer(one[0].url);
    t.after(() => page.stop());
    await page.connect();
    const gone = once(one[0].bricks, 'disconnect');
    page.ws.terminate();
    await gone;
    const stranger = new ResumePeer(two[0].url);
    stranger.token = page.token;
    t.after(() => stranger.stop());
    const answer = await stranger.connect();
    assert.equal(answer.recovered, false);
    assert.notEqual(answer.token, page.token);
  });

  test('3 instances with resume pages, all publishing to one room at once: every page gets one order, numbered without a gap', async (t) => {
    const nodes = await instances(t, redis, 3);
    const pages = [];
    for (const node of nodes) {
      for (let i = 0; i < 2; i++) {
        const page = new ResumePeer(node.url);
        t.after(() => page.stop());
        const [[client]] = await Promise.all([once(node.bricks, 'connection'), page.connect()]);
        await client.join('room');
        pages.push(page);
      }
    }
    const per = 100;
    for (let i = 0; i < per; i++) nodes.forEach((node, from) => node.bricks.to('room').send('m', { from, i }));
    await Promise.all(pages.map((page) => page.until((p) => p.of('room').length === per * 3)));
    const order = pages[0].of('room').map((frame) => `${frame.data.from}:${frame.data.i}:${frame.n}`);
    for (const page of pages) {
      assert.deepEqual(page.of('room').map((frame) => `${frame.data.from}:${frame.data.i}:${frame.n}`), order);
      assert.equal(page.repeats, 0);
    }
    const numbers = pages[0].of('room').map((frame) => frame.n);
    assert.deepEqual(numbers, numbers.map((_, index) => numbers[0] + index), 'consecutive numbers');
  });
});

describe('a page moving back and forth', () => {
  test('A→B→A→B… six times while both send to its room and the clients of its older sockets send to it: everything once, in order', async (t) => {
    const [a, b] = await instances(t, redis, 2);
    const joined = new Map();
    for (const node of [a, b]) node.bricks.on('connection', (client) => joined.set(client, client.join('room')));
    const proxy = await cuttingProxy(t, a.bricks.address().port);
    const page = new ResumePeer(proxy.url());
    t.after(() => page.stop());
    const [[first]] = await Promise.all([once(a.bricks, 'connection'), page.connect()]);
    // The room's frames count for the page from its join on: the ticker starts once it is in.
    await joined.get(first);
    const clients = [first];
    let sent = 0;
    const ticker = setInterval(() => {
      a.bricks.to('room').send('r', sent++);
      b.bricks.to('room').send('r', sent++);
    }, 2);
    t.after(() => clearInterval(ticker));
    const own = [];
    for (let move = 0; move < 6; move++) {
      // Every client the page ever had, on either instance, sends it a frame.
      for (const [index, client] of clients.entries()) {
        assert.equal(client.send('own', `${move}.${index}`), true);
        own.push(`${move}.${index}`);
      }
      proxy.cut();
      await once(page, 'close');
      const node = move % 2 === 0 ? b : a;
      proxy.target = node.bricks.address().port;
      const [[client], answer] = await Promise.all([once(node.bricks, 'connection'), page.connect()]);
      assert.equal(answer.recovered, true, `move ${move}`);
      clients.push(client);
    }
    clearInterval(ticker);
    a.bricks.to('room').send('end', 0);
    await page.until((p) => p.of('room').some((frame) => frame.type === 'end') && p.of('').length === own.length);
    assert.deepEqual(page.of('room').filter((frame) => frame.type === 'r').map((frame) => frame.data).sort((x, y) => x - y), [...Array(sent).keys()]);
    assert.deepEqual(page.of('').map((frame) => frame.n), own.map((_, index) => index + 1));
    // The frames of each client reach the page in the order it sent them.
    for (let index = 0; index < clients.length; index++) {
      const of = (list) => list.filter((data) => data.endsWith(`.${index}`));
      assert.deepEqual(of(page.of('').map((frame) => frame.data)), of(own));
    }
    assert.equal(page.repeats, 0);
  });
});
