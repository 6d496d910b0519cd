// Slow clients: a page that stops reading is closed with 1013 once sendLimit bytes wait for it,
// instead of growing the server's memory, while the others keep receiving.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, start } from './support.mjs';

/** Lets the event loop run once, so sockets of this process read and write. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Counts the frames a page receives without keeping them. */
function counter(ws) {
  const counts = { frames: 0, last: null };
  ws.on('message', (data) => {
    counts.frames++;
    if (data.length < 100) counts.last = JSON.parse(data);
  });
  return counts;
}

/**
 * Broadcasts `chunk` to `room` a few frames per turn of the event loop (so readers read) until
 * `done()`; fails past `max` bytes rather than looping forever.
 */
async function flood(bricks, room, chunk, done, max = 256 * 1024 * 1024) {
  let sent = 0;
  while (!done()) {
    for (let i = 0; i < 4; i++) bricks.to(room).send('bulk', chunk);
    sent += 4;
    assert.ok(sent * chunk.length < max, `no slow close after ${sent} frames`);
    await turn();
  }
  return sent;
}

describe('slow clients', () => {
  test('a client that stops reading is closed with 1013 at the default 4 MiB; the others keep receiving', async (t) => {
    const { bricks, url } = await start(t);
    const slow = await connect(bricks, url());
    const fast = await connect(bricks, url());
    await slow.client.join('room');
    await fast.client.join('room');
    const fastCount = counter(fast.peer.ws);
    const asked = slow.client.request('q').catch((error) => error);
    // The page stops reading: its system buffers fill, then the server's send buffer for it.
    slow.peer.ws.pause();
    const sent = await flood(bricks, 'room', 'x'.repeat(64 * 1024), () => bricks.stats().slowCloses > 0);
    assert.equal(bricks.stats().slowCloses, 1);
    assert.equal(slow.client.send('more', 1), false, 'a slow client takes nothing more');
    assert.equal((await asked).name, 'NetworkError');

    bricks.to('room').send('marker', 'after');
    while (fastCount.last?.type !== 'marker') await once(fast.peer.ws, 'message');
    assert.equal(fastCount.frames, sent + 1, 'the fast client got every frame, the one after the slow close included');

    // Reading again, the slow page gets what was buffered and then the 1013, and so reconnects.
    const gone = once(bricks, 'disconnect');
    slow.peer.ws.resume();
    assert.equal((await slow.peer.closed).code, 1013);
    const [client, code] = await gone;
    assert.deepEqual([client, code], [slow.client, 1013]);
    assert.deepEqual([...bricks.clients], [fast.client]);
  });

  test('sendLimit sets the limit; one frame larger than it still goes to a client that has read everything', async (t) => {
    const { bricks, url } = await start(t, { sendLimit: 16 * 1024 });
    const { client, peer } = await connect(bricks, url());
    const big = 'y'.repeat(256 * 1024);
    assert.equal(client.send('big', big), true);
    assert.equal((await peer.next()).data.length, big.length);
    await client.join('room');
    peer.ws.pause();
    await flood(bricks, 'room', 'z'.repeat(8 * 1024), () => bricks.stats().slowCloses > 0);
    peer.ws.resume();
    assert.equal((await peer.closed).code, 1013);
  });
});
