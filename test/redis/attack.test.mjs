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
