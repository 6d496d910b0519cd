// When Redis goes away: each instance keeps serving its own clients, reports what failed in a
// sentence, tries again with backoff, and rejoins the others once Redis is back; an instance
// whose own link breaks while Redis stays up gets what it missed from Redis' history.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { instance, instances, privateRedis, redisClient, reported, take } from './support.mjs';

const redis = privateRedis();

describe('Redis unreachable', () => {
  test('down for 10 s: local delivery and requests go on, errors say what failed, and the instances rejoin when it returns', async (t) => {
    const [a, b] = await instances(t, redis, 2);
    const pa = await a.connect();
    const pb = await b.connect();
    for (const { client } of [pa, pb]) await client.join('room');
    a.bricks.handle('echo', (data) => data);
    a.bricks.to('room').send('before', 0);
    for (const { peer } of [pa, pb]) assert.deepEqual(await peer.next(), { type: 'before', data: 0 });

    const lost = [reported(a, /lost the connection/), reported(b, /lost the connection/)];
    const disconnected = [once(a.adapter, 'disconnected'), once(b.adapter, 'disconnected')];
    await redis.stop();
    await Promise.all(disconnected);
    for (const error of await Promise.all(lost)) {
      assert.match(error.message, new RegExp(`^Redis adapter: lost the connection to Redis at redis://127\\.0\\.0\\.1:${redis.port} \\(.+\\); until it is back, frames sent on this instance reach only its own clients and frames from other instances do not arrive\\. Reconnecting in \\d+ ms\\.$`));
    }
    assert.equal(a.adapter.connected, false);

    // Ten seconds without Redis, a frame every 200 ms on each instance.
    const end = Date.now() + 10_000;
    let sent = 0;
    while (Date.now() < end) {
      a.bricks.to('room').send('a', sent);
      b.bricks.send('b', sent);
      assert.deepEqual(await pa.peer.next(), { type: 'a', data: sent });
      assert.deepEqual(await pb.peer.next(), { type: 'b', data: sent });
      sent++;
      await sleep(200);
    }
    pa.peer.send({ type: 'echo', data: 'still here', id: 'e1' });
    assert.deepEqual(await pa.peer.next(), { type: 'reply', id: 'e1', data: 'still here' });
    // Each instance's frames stayed with it.
    assert.deepEqual(await pa.peer.sync(), []);
    assert.deepEqual(await pb.peer.sync(), []);
    // It kept trying, and said so each time.
    assert.ok(a.errors.some((error) => /^Redis adapter: still cannot reach Redis at .+; this instance's frames reach only its own clients until it does\. Trying again in \d+ ms\.$/.test(error.message)));

    const back = [once(a.adapter, 'connected'), once(b.adapter, 'connected')];
    await redis.start();
    await Promise.all(back);
    assert.equal(a.adapter.connected, true);
    b.bricks.to('room').send('after', 1);
    a.bricks.send('everyone', 2);
    for (const { peer } of [pa, pb]) {
      const frames = await take(peer, 2);
      assert.deepEqual(frames.sort((x, y) => x.type.localeCompare(y.type)), [{ type: 'after', data: 1 }, { type: 'everyone', data: 2 }]);
      assert.deepEqual(await peer.sync(), []);
    }
  });

  test("an instance whose own link breaks while Redis stays up gets the frames it missed from Redis' history, once and in order", async (t) => {
    // The application's own client: the adapter duplicates it (with its name, which lets the
    // test find the adapter's connections) and never touches the original.
    const mine = await redisClient(t, redis, { name: 'instance-a' });
    const a = await instance(t, redis, { adapter: { url: undefined, client: mine } });
    const b = await instance(t, redis);
    const pa = await a.connect();
    await pa.client.join('room');
    for (let i = 0; i < 10; i++) b.bricks.to('room').send('n', i);
    assert.deepEqual((await take(pa.peer, 10)).map((frame) => frame.data), [...Array(10).keys()]);

    const ownId = await mine.clientId();
    const list = await mine.clientList();
    const theirs = list.filter((entry) => entry.name === 'instance-a' && Number(entry.id) !== ownId);
    assert.equal(theirs.length, 2, 'one connection for commands, one for pub/sub');
    const disconnected = once(a.adapter, 'disconnected');
    for (const entry of theirs) await mine.sendCommand(['CLIENT', 'KILL', 'ID', String(entry.id)]);
    await disconnected;
    for (let i = 10; i < 60; i++) b.bricks.to('room').send('n', i);
    await once(a.adapter, 'connected');
    assert.deepEqual((await take(pa.peer, 50)).map((frame) => frame.data), [...Array(50).keys()].map((i) => i + 10));
    assert.deepEqual(await pa.peer.sync(), []);
    assert.equal(mine.isOpen, true, "the application's client is untouched");
  });
});
