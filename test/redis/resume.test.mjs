// Pages with resume on instances joined by the Redis adapter. Resume does not outlive a socket
// with this adapter yet: frames of rooms and everyone carry Redis' numbers, and a page that comes
// back, on the same instance or another, is told recovered: false and starts a new stream, rather
// than miss frames without knowing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { ResumePeer } from '../server/resume-support.mjs';
import { instances, privateRedis } from './support.mjs';

const redis = privateRedis();

describe('resume with the Redis adapter', () => {
  test('room and everyone frames reach a resume page numbered in their stream; own frames too; coming back says recovered: false', async (t) => {
    const [a, b] = await instances(t, redis, 2);
    for (const node of [a, b]) {
      node.bricks.on('connection', (client) => client.join('room'));
      node.bricks.handle('hi', (data, { client }) => client.send('back', data));
    }
    const page = new ResumePeer(a.url);
    t.after(() => page.stop());
    const [, first] = await Promise.all([once(a.bricks, 'connection'), page.connect()]);
    assert.equal(first.recovered, true, 'a first socket has nothing to recover');
    b.bricks.to('room').send('r', 1);
    b.bricks.send('all', 2);
    page.send('hi', 3);
    await page.until((p) => p.frames.length === 3);
    const room = page.of('room');
    const all = page.of('*');
    assert.deepEqual(room.map((frame) => frame.data), [1]);
    assert.deepEqual(all.map((frame) => frame.data), [2]);
    assert.deepEqual(page.of('').map((frame) => [frame.data, frame.n]), [[3, 1]]);
    assert.ok(Number.isSafeInteger(room[0].n) && Number.isSafeInteger(all[0].n));

    // Back on the other instance: not recovered, a new stream, and live frames go on.
    page.ws.terminate();
    await once(page, 'close');
    const back = new ResumePeer(b.url);
    back.token = page.token;
    t.after(() => back.stop());
    const [, again] = await Promise.all([once(b.bricks, 'connection'), back.connect()]);
    assert.equal(again.recovered, false);
    assert.notEqual(again.token, page.token);
    a.bricks.to('room').send('r', 4);
    await back.until((p) => p.frames.length === 1);
    assert.deepEqual(back.frames.map((frame) => [frame.data, frame.r]), [[4, 'room']]);
    assert.ok(back.frames[0].n > room[0].n, "the room's numbers go on");
  });
});
