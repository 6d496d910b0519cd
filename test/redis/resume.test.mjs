// Pages with resume on instances joined by the Redis adapter: a stream's state lives in Redis, so
// a page that comes back on another instance gets what it missed of its rooms, everyone's stream
// and its own, once; when Redis lost it (a flush), the page is told recovered: false.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { ResumePeer } from '../server/resume-support.mjs';
import { instances, privateRedis, redisClient } from './support.mjs';

const redis = privateRedis();

async function pair(t) {
  const nodes = await instances(t, redis, 2);
  for (const node of nodes) {
    node.bricks.on('connection', (client) => client.join('room'));
    node.bricks.handle('hi', (data, { client }) => client.send('back', data));
  }
  return nodes;
}

describe('resume with the Redis adapter', () => {
  test('a page that comes back on another instance gets what it missed of its room, everyone and its own stream, once', async (t) => {
    const [a, b] = await pair(t);
    const page = new ResumePeer(a.url);
    t.after(() => page.stop());
    const [[client], first] = await Promise.all([once(a.bricks, 'connection'), page.connect()]);
    assert.equal(first.recovered, true, 'a first socket has nothing to recover');
    b.bricks.to('room').send('r', 1);
    b.bricks.send('all', 2);
    page.send('hi', 3);
    await page.until((p) => p.frames.length === 3);
    assert.deepEqual(page.of('room').map((frame) => frame.data), [1]);
    assert.deepEqual(page.of('*').map((frame) => frame.data), [2]);
    assert.deepEqual(page.of('').map((frame) => [frame.data, frame.n]), [[3, 1]]);

    const gone = once(a.bricks, 'disconnect');
    page.ws.terminate();
    await Promise.all([once(page, 'close'), gone]);
    // While it is away: frames of its room, everyone's, and its own.
    for (let i = 0; i < 20; i++) b.bricks.to('room').send('r', 10 + i);
    a.bricks.send('all', 4);
    client.send('own', 5);
    const back = new ResumePeer(b.url);
    back.token = page.token;
    back.positions = page.positions;
    t.after(() => back.stop());
    const [, again] = await Promise.all([once(b.bricks, 'connection'), back.connect()]);
    assert.equal(again.recovered, true);
    assert.equal(again.token, page.token);
    await back.until((p) => p.frames.length === 22);
    assert.deepEqual(back.of('room').map((frame) => frame.data), Array.from({ length: 20 }, (_, i) => 10 + i));
    assert.deepEqual(back.of('*').map((frame) => frame.data), [4]);
    assert.deepEqual(back.of('').map((frame) => [frame.type, frame.data, frame.n]), [['own', 5, 2]]);
    a.bricks.to('room').send('r', 99);
    await back.until((p) => p.frames.length === 23);
    assert.equal(back.frames.at(-1).data, 99);
    assert.equal(back.repeats, 0);
  });

  test('after Redis is flushed, a page that comes back is told recovered: false, and live frames go on, none twice', async (t) => {
    const [a, b] = await pair(t);
    const page = new ResumePeer(a.url);
    t.after(() => page.stop());
    await Promise.all([once(a.bricks, 'connection'), page.connect()]);
    b.bricks.to('room').send('r', 1);
    await page.until((p) => p.frames.length === 1);
    const admin = await redisClient(t, redis);
    await admin.flushAll();
    b.bricks.to('room').send('r', 2);
    await page.until((p) => p.frames.length === 2);
    page.ws.terminate();
    await once(page, 'close');
    const back = new ResumePeer(b.url);
    back.token = page.token;
    back.positions = page.positions;
    t.after(() => back.stop());
    const [, again] = await Promise.all([once(b.bricks, 'connection'), back.connect()]);
    assert.equal(again.recovered, false);
    a.bricks.to('room').send('r', 3);
    await back.until((p) => p.frames.length === 1);
    assert.deepEqual(back.frames.map((frame) => frame.data), [3]);
    assert.deepEqual(page.frames.map((frame) => frame.data), [1, 2]);
    assert.equal(page.repeats + back.repeats, 0, 'nothing arrived twice');
  });

  test('after Redis restarts without its data, a page that comes back is told recovered: false, and live frames go on, none twice', async (t) => {
    const [a, b] = await pair(t);
    const page = new ResumePeer(a.url);
    t.after(() => page.stop());
    await Promise.all([once(a.bricks, 'connection'), page.connect()]);
    b.bricks.to('room').send('r', 1);
    await page.until((p) => p.frames.length === 1);
    const lost = [once(a.adapter, 'disconnected'), once(b.adapter, 'disconnected')];
    await redis.stop();
    await Promise.all(lost);
    const back = [once(a.adapter, 'connected'), once(b.adapter, 'connected')];
    await redis.start();
    await Promise.all(back);
    b.bricks.to('room').send('r', 2);
    await page.until((p) => p.frames.length === 2);
    page.ws.terminate();
    await once(page, 'close');
    const again = new ResumePeer(b.url);
    again.token = page.token;
    again.positions = page.positions;
    t.after(() => again.stop());
    const [, answer] = await Promise.all([once(b.bricks, 'connection'), again.connect()]);
    assert.equal(answer.recovered, false);
    a.bricks.to('room').send('r', 3);
    a.bricks.send('all', 4);
    await again.until((p) => p.frames.length === 2);
    assert.deepEqual(again.of('room').map((frame) => frame.data), [3], 'live frames go on (the connection listener joins the room)');
    assert.deepEqual(again.of('*').map((frame) => frame.data), [4]);
    assert.deepEqual(page.frames.map((frame) => frame.data), [1, 2]);
    assert.equal(page.repeats + again.repeats, 0, 'nothing arrived twice');
  });
});
