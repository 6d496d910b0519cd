// A page with resume that moved from instance A to instance B (through a proxy that cuts its
// connection and then sends it to B): what A's application still does with the client of the
// page's old socket reaches the page on B, as on one instance (README, Resume, "Clients"):
// `client.send()`, `join()` and `leave()`, and `client.request()` made before the move, which the
// page answers on B.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { ResumePeer, cuttingProxy } from '../server/resume-support.mjs';
import { instances, privateRedis } from './support.mjs';

const redis = privateRedis();

/**
 * Two instances, and a page connected to A through a proxy, in room `room`. Returns the page, the
 * client of its socket on A, and `move()`: cuts the page's socket and brings it back on B,
 * resolving with the client there once A has seen the old socket close.
 */
async function pageOnA(t) {
  const [a, b] = await instances(t, redis, 2);
  const proxy = await cuttingProxy(t, a.bricks.address().port);
  const page = new ResumePeer(proxy.url());
  t.after(() => page.stop());
  const [[old]] = await Promise.all([once(a.bricks, 'connection'), page.connect()]);
  await old.join('room');
  const away = async () => {
    const gone = once(a.bricks, 'disconnect');
    proxy.cut();
    await Promise.all([gone, once(page, 'close')]);
  };
  const back = async () => {
    proxy.target = b.bricks.address().port;
    const [[client], answer] = await Promise.all([once(b.bricks, 'connection'), page.connect()]);
    assert.equal(answer.recovered, true);
    return client;
  };
  return { a, b, proxy, page, old, away, back };
}

/** A reply from the page to the server's request `frame`, numbered as the page's next frame. */
function answer(page, frame, data) {
  const n = page.outbox.next;
  const text = JSON.stringify({ type: 'reply', id: frame.id, data, n });
  page.outbox.add(text);
  page.raw(text);
}

describe('a page that moved to another instance, and the client of its old socket', () => {
  test('client.send() on the old client after the move reaches the page on the new instance, once and in order', async (t) => {
    const { page, old, away, back } = await pageOnA(t);
    old.send('own', 1);
    await page.until((p) => p.of('').length === 1);
    await away();
    assert.equal(old.send('own', 2), true, 'while the page is away');
    const client = await back();
    await page.until((p) => p.of('').length === 2);
    assert.equal(old.send('own', 3), true, 'after the page came back on B');
    client.send('own', 4);
    old.send('own', 5);
    await page.until((p) => p.of('').length === 5);
    assert.deepEqual(page.of('').map((frame) => frame.n), [1, 2, 3, 4, 5]);
    // A's frames in the order A sent them; B's own may come between them (two processes).
    assert.deepEqual(page.of('').map((frame) => frame.data).filter((data) => data !== 4), [1, 2, 3, 5]);
    assert.equal(page.repeats, 0);
  });

  test('client.request() made on A before the move is answered by the page on B', async (t) => {
    const { page, old, away, back } = await pageOnA(t);
    const asked = old.request('question', 1);
    await page.until((p) => p.of('').length === 1);
    await away();
    await back();
    answer(page, page.of('')[0], 42);
    assert.equal(await asked, 42);
  });

  test('after a second move, to a third instance, the client on the first still reaches the page', async (t) => {
    const { proxy, page, old, away, back } = await pageOnA(t);
    const [c] = await instances(t, redis, 1);
    const asked = old.request('question', 1);
    await page.until((p) => p.of('').length === 1);
    await away();
    const onB = await back();
    const gone = once(page, 'close');
    proxy.cut();
    await gone;
    // B learns of the drop in its own time; C takes the stream over from it either way.
    proxy.target = c.bricks.address().port;
    const [[onC], answered] = await Promise.all([once(c.bricks, 'connection'), page.connect()]);
    assert.equal(answered.recovered, true);
    assert.notEqual(onC, onB);
    old.send('own', 2);
    await old.join('extra');
    await until(() => onC.rooms.has('extra'));
    c.bricks.to('extra').send('x', 1);
    answer(page, page.of('')[0], 'from C');
    assert.equal(await asked, 'from C');
    await page.until((p) => p.of('').length === 2 && p.of('extra').length === 1);
    assert.deepEqual(page.of('').map((frame) => [frame.data, frame.n]), [[1, 1], [2, 2]]);
  });

  test('client.request() on the old client once its socket has closed is refused, as on one instance', async (t) => {
    const { old, away } = await pageOnA(t);
    await away();
    await assert.rejects(old.request('later'), { name: 'NetworkError' });
  });

  test('when the instance the page moved to has gone too, send(), join() and leave() on the old client wait in Redis for the page', async (t) => {
    const { a, b, proxy, page, old, away, back } = await pageOnA(t);
    await away();
    await back();
    // B closes (1012): nobody holds the stream while the page is away.
    const closed = once(page, 'close');
    await b.bricks.close({ timeout: 0 });
    await closed;
    assert.equal(old.send('own', 1), true);
    await old.join('extra');
    await old.leave('room');
    a.bricks.to('extra').send('x', 1);
    a.bricks.to('room').send('r', 1);
    proxy.target = a.bricks.address().port;
    const [[client], answer] = await Promise.all([once(a.bricks, 'connection'), page.connect()]);
    assert.equal(answer.recovered, true);
    assert.deepEqual([...client.rooms], ['extra']);
    await page.until((p) => p.of('').length === 1 && p.of('extra').length === 1);
    assert.deepEqual(page.of('').map((frame) => [frame.data, frame.n]), [[1, 1]]);
    assert.deepEqual(page.of('room'), []);
    client.send('own', 2);
    await page.until((p) => p.of('').length === 2);
    assert.equal(page.of('')[1].n, 2);
  });

  test('join() and leave() on the old client after the move change the rooms of the page on B', async (t) => {
    const { a, b, page, old, away, back } = await pageOnA(t);
    await away();
    const client = await back();
    assert.deepEqual([...client.rooms], ['room']);
    await old.join('extra');
    await old.leave('room');
    await until(() => client.rooms.has('extra') && !client.rooms.has('room'));
    a.bricks.to('extra').send('x', 1);
    b.bricks.to('room').send('r', 1);
    a.bricks.to('extra').send('x', 2);
    await page.until((p) => p.of('extra').length === 2);
    assert.deepEqual(page.of('extra').map((frame) => frame.data), [1, 2]);
    assert.deepEqual(page.of('room'), [], 'out of the room it left');
  });

  test('a join, a leave and a frame that reach B while it answers the page\'s hello apply once it has', async (t) => {
    const { a, b, proxy, page, old, away } = await pageOnA(t);
    // A plain client of B: once it has a frame A broadcast after the join, B has read the join
    // too (one connection from Redis, in order).
    const { peer } = await b.connect();
    await away();
    const attach = b.adapter.attachStream.bind(b.adapter);
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    const found = new Promise((resolve) => {
      b.adapter.attachStream = async (member, request) => {
        const start = await attach(member, request);
        resolve();
        await gate;
        return start;
      };
    });
    proxy.target = b.bricks.address().port;
    const connected = Promise.all([once(b.bricks, 'connection'), page.connect()]);
    await found;
    await old.join('extra');
    await old.leave('room');
    old.send('own', 1);
    a.bricks.send('all', 1);
    assert.deepEqual(await peer.next(), { type: 'all', data: 1 });
    release();
    const [[client]] = await connected;
    await until(() => client.rooms.has('extra') && !client.rooms.has('room'));
    a.bricks.to('extra').send('x', 1);
    await page.until((p) => p.of('extra').length === 1 && p.of('').length === 1);
    assert.deepEqual(page.of('').map((frame) => [frame.data, frame.n]), [[1, 1]]);
  });

  test('join() and leave() on the old client while the page is away take effect when it comes back on another instance', async (t) => {
    const { a, page, old, away, back } = await pageOnA(t);
    await away();
    await old.join('extra');
    await old.leave('room');
    a.bricks.to('extra').send('x', 1);
    const client = await back();
    assert.deepEqual([...client.rooms], ['extra']);
    await page.until((p) => p.of('extra').length === 1);
    a.bricks.to('extra').send('x', 2);
    await page.until((p) => p.of('extra').length === 2);
    assert.deepEqual(page.of('extra').map((frame) => frame.data), [1, 2]);
  });
});

/** Resolves once `predicate()` holds (a client's rooms, which fire no event), looked at every few milliseconds. */
async function until(predicate) {
  while (!predicate()) await new Promise((resolve) => setTimeout(resolve, 5));
}
