// A page's own frames when the instance that numbered one has not written it to Redis yet as the
// page moves (README, Resume: "every frame arrives exactly once and in order"; the Redis adapter,
// "a page's own frames reach it once Redis has them"). The instance's link to Redis goes through
// a proxy that holds what it sends, so the write lands exactly when the test lets it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createTcpServer, connect as tcpConnect } from 'node:net';
import { ResumePeer, cuttingProxy } from '../server/resume-support.mjs';
import { instance, privateRedis } from './support.mjs';

const redis = privateRedis();

/**
 * A TCP proxy in front of the private Redis. `hold()` keeps what the instance sends to Redis (on
 * every connection) instead of passing it on, or with `answers: true` what Redis answers;
 * `held()` resolves once something is kept; `release()` passes it all, in order, and stops
 * holding; `drop()` cuts every connection, what is kept never arriving (the instance loses Redis
 * with its writes in flight, as if it were killed).
 */
async function redisProxy(t, { answers = false } = {}) {
  const pairs = new Set();
  let holding = false;
  let kept = () => {};
  const server = createTcpServer((client) => {
    const upstream = tcpConnect(redis.port, '127.0.0.1');
    const pair = { client, upstream, held: [] };
    pairs.add(pair);
    const [from, to] = answers ? [upstream, client] : [client, upstream];
    pair.to = to;
    from.on('data', (chunk) => {
      if (!holding) return to.write(chunk);
      pair.held.push(chunk);
      kept();
    });
    to.on('data', (chunk) => from.write(chunk));
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
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    for (const pair of pairs) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    return new Promise((resolve) => server.close(resolve));
  });
  return {
    url: `redis://127.0.0.1:${server.address().port}`,
    hold() {
      holding = true;
    },
    held() {
      if ([...pairs].some((pair) => pair.held.length > 0)) return Promise.resolve();
      return new Promise((resolve) => (kept = resolve));
    },
    release() {
      holding = false;
      for (const pair of pairs) for (const chunk of pair.held.splice(0)) pair.to.write(chunk);
    },
    drop() {
      holding = false;
      for (const pair of pairs) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
    },
  };
}

/** Resolves the first time `adapter.appendOwn()` is called, with its frame's data. */
function appended(adapter) {
  const append = adapter.appendOwn.bind(adapter);
  return new Promise((resolve) => {
    adapter.appendOwn = (token, text) => {
      adapter.appendOwn = append;
      const frame = append(token, text);
      resolve(JSON.parse(text).data);
      return frame;
    };
  });
}

/** A page with resume behind a proxy that can cut it and send it to another instance. */
async function page(t, target) {
  const proxy = await cuttingProxy(t, target.bricks.address().port);
  const peer = new ResumePeer(proxy.url());
  t.after(() => peer.stop());
  const [[client]] = await Promise.all([once(target.bricks, 'connection'), peer.connect()]);
  /** Cuts the page's socket; resolves once `from` has seen it close. */
  const away = async (from) => {
    const gone = once(from.bricks, 'disconnect');
    proxy.cut();
    await Promise.all([gone, once(peer, 'close')]);
  };
  /** Brings the page back on `to`; resolves with its client there and the answer to its hello. */
  const back = async (to) => {
    proxy.target = to.bricks.address().port;
    const [[client], answer] = await Promise.all([once(to.bricks, 'connection'), peer.connect()]);
    return { client, recovered: answer.recovered };
  };
  return { proxy, peer, client, away, back };
}

/** The page's own frames, as [data, n], in the order they came. */
const own = (peer) => peer.of('').map((frame) => [frame.data, frame.n]);

describe('own frames numbered on an instance whose write to Redis is late when the page moves', () => {
  test('a frame reaches the page only once Redis has it: moved to B meanwhile, the page resumes with nothing lost and gets the frame once, from B', { timeout: 20_000 }, async (t) => {
    const link = await redisProxy(t);
    const a = await instance(t, redis, { adapter: { url: link.url } });
    const b = await instance(t, redis);
    const { peer, client: old, away, back } = await page(t, a);
    old.send('own', 1);
    await peer.until((p) => p.of('').length === 1);
    // A numbers frame 2; its write to Redis waits in the proxy.
    link.hold();
    assert.equal(old.send('own', 2), true);
    await link.held();
    await away(a);
    assert.deepEqual(own(peer), [[1, 1]], 'the page got frame 2 before Redis had it');
    const { client, recovered } = await back(b);
    // B took the stream with Redis' count (1), the page's too; now A's write reaches Redis, finds
    // B holding the stream, and A passes the frame on.
    link.release();
    assert.equal(old.send('own', 3), true);
    await peer.until((p) => p.of('').some((frame) => frame.data === 3));
    client.send('own', 4);
    await peer.until((p) => p.of('').some((frame) => frame.data === 4));
    assert.deepEqual(
      { recovered, frames: own(peer), repeats: peer.repeats },
      {
        recovered: true,
        frames: [
          [1, 1],
          [2, 2],
          [3, 3],
          [4, 4],
        ],
        repeats: 0,
      },
    );
  });

  test('a frame A numbered but the page did not get before it moved to B, written to Redis after B took the stream, reaches it on B once', { timeout: 20_000 }, async (t) => {
    const link = await redisProxy(t);
    const a = await instance(t, redis, { adapter: { url: link.url } });
    const b = await instance(t, redis);
    const { proxy, peer, client: old, away, back } = await page(t, a);
    old.send('own', 1);
    await peer.until((p) => p.of('').length === 1);
    link.hold();
    // Frame 2 leaves A but never reaches the page.
    proxy.hold('down');
    assert.equal(old.send('own', 2), true);
    await link.held();
    await away(a);
    const { client, recovered } = await back(b);
    link.release();
    assert.equal(old.send('own', 3), true);
    await peer.until((p) => p.of('').some((frame) => frame.data === 3));
    client.send('own', 4);
    await peer.until((p) => p.of('').some((frame) => frame.data === 4));
    assert.deepEqual({ recovered, frames: own(peer), repeats: peer.repeats }, { recovered: true, frames: [[1, 1], [2, 2], [3, 3], [4, 4]], repeats: 0 });
  });

  test('a frame whose write reached Redis but whose answer reached A after the page moved to B comes from B, once, among what the page missed', { timeout: 20_000 }, async (t) => {
    const link = await redisProxy(t, { answers: true });
    const a = await instance(t, redis, { adapter: { url: link.url } });
    const b = await instance(t, redis);
    const { peer, client: old, away, back } = await page(t, a);
    old.send('own', 1);
    await peer.until((p) => p.of('').length === 1);
    link.hold();
    assert.equal(old.send('own', 2), true);
    await link.held();
    await away(a);
    assert.deepEqual(own(peer), [[1, 1]], 'the page got frame 2 before A heard that Redis had it');
    const { client, recovered } = await back(b);
    await peer.until((p) => p.of('').length === 2);
    link.release();
    assert.equal(old.send('own', 3), true);
    await peer.until((p) => p.of('').some((frame) => frame.data === 3));
    client.send('own', 4);
    await peer.until((p) => p.of('').some((frame) => frame.data === 4));
    assert.deepEqual({ recovered, frames: own(peer), repeats: peer.repeats }, { recovered: true, frames: [[1, 1], [2, 2], [3, 3], [4, 4]], repeats: 0 });
  });

  test('an instance that dies with a write in flight sent the page nothing Redis lacks: the page resumes on B with nothing lost', { timeout: 20_000 }, async (t) => {
    const link = await redisProxy(t);
    const a = await instance(t, redis, { adapter: { url: link.url } });
    const b = await instance(t, redis);
    const { peer, client: old, away, back } = await page(t, a);
    old.send('own', 1);
    await peer.until((p) => p.of('').length === 1);
    link.hold();
    assert.equal(old.send('own', 2), true);
    await link.held();
    // A's socket to the page and its writes to Redis end together, as when it is killed.
    await away(a);
    link.drop();
    const { client, recovered } = await back(b);
    client.send('own', 3);
    await peer.until((p) => p.of('').some((frame) => frame.data === 3));
    assert.deepEqual({ recovered, frames: own(peer) }, { recovered: true, frames: [[1, 1], [3, 2]] });
  });

  test('a frame whose write fails because Redis is lost still reaches the page, before the frames sent after it', { timeout: 20_000 }, async (t) => {
    const link = await redisProxy(t);
    const a = await instance(t, redis, { adapter: { url: link.url } });
    const { peer, client: old } = await page(t, a);
    old.send('own', 1);
    await peer.until((p) => p.of('').length === 1);
    link.hold();
    assert.equal(old.send('own', 2), true);
    await link.held();
    const lost = once(a.adapter, 'disconnected');
    link.drop();
    await lost;
    // Numbered while frame 2 may still wait for its failure to be known.
    assert.equal(old.send('own', 3), true);
    await peer.until((p) => p.of('').length === 3);
    assert.deepEqual(own(peer), [
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  test('a request whose frame waited for Redis is answered', { timeout: 20_000 }, async (t) => {
    const link = await redisProxy(t);
    const a = await instance(t, redis, { adapter: { url: link.url } });
    const { peer, client: old } = await page(t, a);
    link.hold();
    const answer = old.request('ask', 1, { timeout: 0 });
    await link.held();
    link.release();
    await peer.until((p) => p.of('').length === 1);
    const [question] = peer.of('');
    assert.deepEqual([question.type, question.n], ['ask', 1]);
    const n = peer.outbox.next;
    const reply = JSON.stringify({ type: 'reply', id: question.id, data: 'yes', n });
    peer.outbox.add(reply);
    peer.raw(reply);
    assert.equal(await answer, 'yes');
  });
});

describe('own frames passed to an instance while it is taking the stream over', () => {
  test("a frame the page's older client on B sends while B's take of the stream is on its way to Redis is numbered on B once, after Redis' count", { timeout: 20_000 }, async (t) => {
    const link = await redisProxy(t);
    const a = await instance(t, redis);
    const b = await instance(t, redis, { adapter: { url: link.url } });
    const { peer, client: onB, away, back } = await page(t, b);
    onB.send('own', 1);
    await peer.until((p) => p.of('').length === 1);
    await away(b);
    const { client: onA } = await back(a);
    onA.send('own', 2);
    await peer.until((p) => p.of('').length === 2);
    await away(a);
    // B's take of the stream waits in the proxy; the client of the page's first socket, on B, sends.
    link.hold();
    const returning = back(b);
    await link.held();
    assert.equal(onB.send('own', 3), true);
    link.release();
    const { client, recovered } = await returning;
    client.send('own', 4);
    await peer.until((p) => p.of('').some((frame) => frame.data === 4));
    await away(b);
    const again = await back(a);
    again.client.send('own', 5);
    await peer.until((p) => p.of('').some((frame) => frame.data === 5));
    assert.deepEqual(
      { recovered, frames: own(peer), repeats: peer.repeats, recoveredAfter: again.recovered },
      { recovered: true, frames: [[1, 1], [2, 2], [3, 3], [4, 4], [5, 5]], repeats: 0, recoveredAfter: true },
    );
  });
});
