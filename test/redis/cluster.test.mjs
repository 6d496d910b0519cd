// Several server instances as one through the Redis adapter, on a real redis-server: broadcasts
// from any instance reach every client once, in one order per room; rooms are kept apart;
// requests work both ways on every instance.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { instances, privateRedis, redisClient, take } from './support.mjs';

const redis = privateRedis();

/** Clients on every instance, each in `room` when given. */
async function clientsOn(nodes, perInstance, room) {
  const all = [];
  for (const node of nodes) {
    for (let i = 0; i < perInstance; i++) {
      const pair = await node.connect();
      if (room) await pair.client.join(room);
      all.push({ ...pair, node });
    }
  }
  return all;
}

describe('broadcasts across instances', () => {
  for (const count of [2, 3]) {
    test(`${count} instances: frames to a room sent from every instance at once reach each member once, all in one order`, async (t) => {
      const nodes = await instances(t, redis, count);
      const members = await clientsOn(nodes, 2, 'lobby');
      const perSender = 150;
      // Every instance sends at the same time, interleaved: only Redis orders them.
      for (let i = 0; i < perSender; i++) {
        nodes.forEach((node, from) => node.bricks.to('lobby').send('chat', { from, i }));
      }
      const total = perSender * count;
      const orders = await Promise.all(members.map(({ peer }) => take(peer, total)));
      const first = orders[0].map((frame) => `${frame.data.from}:${frame.data.i}`);
      assert.equal(new Set(first).size, total, 'each frame once');
      for (const order of orders) assert.deepEqual(order.map((frame) => `${frame.data.from}:${frame.data.i}`), first);
      // Each sender's own frames keep the order it sent them in.
      for (let from = 0; from < count; from++) {
        assert.deepEqual(orders[0].filter((frame) => frame.data.from === from).map((frame) => frame.data.i), [...Array(perSender).keys()]);
      }
      for (const { peer } of members) assert.deepEqual(await peer.sync(), [], 'nothing more');
    });
  }

  test('send() reaches every client of every instance once; a room reaches only its members', async (t) => {
    const nodes = await instances(t, redis, 3);
    const members = await clientsOn(nodes, 1, 'red');
    const others = await clientsOn(nodes, 1);
    nodes[2].bricks.send('all', 1);
    nodes[0].bricks.to('red').send('red', 2);
    nodes[1].bricks.send('all', 3);
    for (const { peer } of members) {
      const frames = await take(peer, 3);
      // One order for everyone's stream; the room's is its own.
      assert.deepEqual(frames.filter((frame) => frame.type === 'all').map((frame) => frame.data), [1, 3]);
      assert.deepEqual(frames.filter((frame) => frame.type === 'red').map((frame) => frame.data), [2]);
    }
    for (const { peer } of others) {
      assert.deepEqual(await take(peer, 2), [{ type: 'all', data: 1 }, { type: 'all', data: 3 }]);
      assert.deepEqual(await peer.sync(), []);
    }
  });

  test('join() resolves once every instance reaches the client; leave() and a disconnect take it out everywhere', async (t) => {
    const [a, b] = await instances(t, redis, 2);
    const x = await a.connect();
    const y = await a.connect();
    await x.client.join('blue');
    b.bricks.to('blue').send('one', 1);
    assert.deepEqual(await x.peer.next(), { type: 'one', data: 1 });
    await x.client.leave('blue');
    await y.client.join('blue');
    b.bricks.to('blue').send('two', 2);
    assert.deepEqual(await y.peer.next(), { type: 'two', data: 2 });
    assert.deepEqual(await x.peer.sync(), [], 'left');
    assert.equal(a.bricks.stats().rooms, 1);
    const gone = new Promise((resolve) => a.bricks.once('disconnect', resolve));
    await y.peer.close();
    await gone;
    assert.equal(a.bricks.stats().rooms, 0);
  });

  test('each instance numbers nothing itself: frames sent to an empty instance still reach the others', async (t) => {
    const [a, b] = await instances(t, redis, 2);
    const { peer } = await b.connect();
    for (let i = 0; i < 20; i++) a.bricks.send('n', i);
    assert.deepEqual((await take(peer, 20)).map((frame) => frame.data), [...Array(20).keys()]);
  });
});

describe('Redis losing its data', () => {
  test('flushed mid-stream (keys and scripts): frames go on in one order, none lost or doubled', async (t) => {
    const nodes = await instances(t, redis, 2);
    const members = await clientsOn(nodes, 1, 'room');
    const admin = await redisClient(t, redis);
    for (let i = 0; i < 50; i++) nodes[i % 2].bricks.to('room').send('n', i);
    const before = await Promise.all(members.map(({ peer }) => take(peer, 50)));
    await admin.sendCommand(['FLUSHALL']);
    await admin.sendCommand(['SCRIPT', 'FLUSH']);
    // The numbering starts again above the old numbers, and the script is sent again.
    for (let i = 50; i < 100; i++) nodes[i % 2].bricks.to('room').send('n', i);
    const after = await Promise.all(members.map(({ peer }) => take(peer, 50)));
    const orders = members.map((_, index) => [...before[index], ...after[index]].map((frame) => frame.data));
    assert.deepEqual(orders[0].slice(50).sort((a, b) => a - b), [...Array(50).keys()].map((i) => i + 50));
    assert.deepEqual(orders[1], orders[0]);
    for (const { peer } of members) assert.deepEqual(await peer.sync(), []);
    for (const node of nodes) assert.deepEqual(node.errors, []);
  });
});

describe('requests across instances', () => {
  test("a page's request is answered by its own instance, whose handler reaches pages on the other", async (t) => {
    const [a, b] = await instances(t, redis, 2);
    const asker = await a.connect();
    const listener = await b.connect();
    await listener.client.join('news');
    a.bricks.handle('publish', (data) => {
      a.bricks.to('news').send('story', data);
      return { ok: true };
    });
    asker.peer.send({ type: 'publish', data: 'hello', id: 'r1' });
    assert.deepEqual(await asker.peer.next(), { type: 'reply', id: 'r1', data: { ok: true } });
    assert.deepEqual(await listener.peer.next(), { type: 'story', data: 'hello' });
  });

  test('client.request() on each instance reaches its page and resolves with the reply; ids never collide', async (t) => {
    const nodes = await instances(t, redis, 2);
    const pairs = await Promise.all(nodes.map((node) => node.connect()));
    assert.notEqual(pairs[0].client.id, pairs[1].client.id);
    const asked = pairs.map(({ client }, index) => client.request('name', { index }));
    const ids = [];
    for (const [index, { peer }] of pairs.entries()) {
      const frame = await peer.next();
      assert.equal(frame.type, 'name');
      assert.deepEqual(frame.data, { index });
      ids.push(frame.id);
      peer.send({ type: 'reply', id: frame.id, data: `page ${index}` });
    }
    assert.notEqual(ids[0], ids[1]);
    assert.deepEqual(await Promise.all(asked), ['page 0', 'page 1']);
  });

  test("a handler on one instance asks its page, then tells a room spread over both", async (t) => {
    const [a, b] = await instances(t, redis, 2);
    const voter = await b.connect();
    const watchers = [await a.connect(), await b.connect()];
    for (const { client } of watchers) await client.join('votes');
    b.bricks.handle('vote', async (_data, { client }) => {
      const choice = await client.request('confirm');
      b.bricks.to('votes').send('voted', choice);
      return choice;
    });
    voter.peer.send({ type: 'vote', id: 'v1' });
    const confirm = await voter.peer.next();
    assert.equal(confirm.type, 'confirm');
    voter.peer.send({ type: 'reply', id: confirm.id, data: 'yes' });
    assert.deepEqual(await voter.peer.next(), { type: 'reply', id: 'v1', data: 'yes' });
    for (const { peer } of watchers) assert.deepEqual(await peer.next(), { type: 'voted', data: 'yes' });
  });
});
