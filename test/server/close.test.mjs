// close(): stops accepting, closes every client with 1012 (the element reconnects), waits for
// their buffers to drain up to a timeout, and leaves no socket, timer or listener behind.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createServer } from '../../dist/server/index.js';
import { connect, Peer, start } from './support.mjs';

describe('close()', () => {
  test('closes every client with 1012 "restart" by default, each with its disconnect event', async (t) => {
    const { bricks, url } = await start(t);
    const a = await connect(bricks, url());
    const b = await connect(bricks, url());
    const disconnects = [];
    bricks.on('disconnect', (client, code, reason) => disconnects.push([client.id, code, reason]));
    await bricks.close();
    assert.deepEqual(await a.peer.closed, { code: 1012, reason: 'restart' });
    assert.deepEqual(await b.peer.closed, { code: 1012, reason: 'restart' });
    assert.deepEqual(disconnects.sort(), [
      [a.client.id, 1012, 'restart'],
      [b.client.id, 1012, 'restart'],
    ].sort());
    assert.equal(bricks.stats().clients, 0);
  });

  test('the code and reason given; a second call gives the same promise', async (t) => {
    const { bricks, url } = await start(t);
    const { peer } = await connect(bricks, url());
    const closing = bricks.close({ code: 1001, reason: 'going away' });
    assert.equal(bricks.close(), closing);
    await closing;
    assert.deepEqual(await peer.closed, { code: 1001, reason: 'going away' });
  });

  test('a wrong code, reason or timeout is a TypeError, and nothing closes', async (t) => {
    const { bricks, url } = await start(t);
    const { peer } = await connect(bricks, url());
    assert.throws(() => bricks.close({ code: 1005 }), TypeError);
    assert.throws(() => bricks.close({ reason: 'x'.repeat(124) }), TypeError);
    assert.throws(() => bricks.close({ timeout: -1 }), TypeError);
    await peer.sync();
  });

  test('what was sent before close() reaches a client that reads, before the close', async (t) => {
    // A limit above the 8 MiB frame, so the frame after it is not taken for a slow client.
    const { bricks, url } = await start(t, { sendLimit: 64 * 1024 * 1024 });
    const { client, peer } = await connect(bricks, url());
    const big = 'x'.repeat(8 * 1024 * 1024);
    client.send('big', big);
    client.send('after', 1);
    await bricks.close();
    assert.equal((await peer.next()).data.length, big.length);
    assert.deepEqual(await peer.next(), { type: 'after', data: 1 });
    assert.equal((await peer.closed).code, 1012);
  });

  test('a client that does not take its frames within timeout is cut', async (t) => {
    const { bricks, url } = await start(t);
    const { client, peer } = await connect(bricks, url());
    peer.ws.pause();
    client.send('big', 'x'.repeat(8 * 1024 * 1024));
    const gone = once(bricks, 'disconnect');
    await bricks.close({ timeout: 50 });
    const [, code] = await gone;
    assert.equal(code, 1006, 'cut without a close handshake');
    peer.ws.resume();
    await peer.closed;
  });

  test('while closing, a new connection is refused with 503; the clients get 1012 and come back elsewhere', async (t) => {
    const server = createHttpServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    t.after(() => server.close());
    const bricks = createServer({ server });
    const url = `ws://127.0.0.1:${server.address().port}/ws`;
    const { client, peer } = await connect(bricks, url);
    // A page that does not read keeps close() waiting for it.
    peer.ws.pause();
    client.send('big', 'x'.repeat(8 * 1024 * 1024));
    const closing = bricks.close({ timeout: 60_000 });
    await assert.rejects(Peer.open(url), { status: 503 });
    peer.ws.resume();
    await closing;
    assert.equal((await peer.closed).code, 1012);
  });

  test('a request the server asked rejects with AbortError; a handler finishing late sends nothing', async (t) => {
    const { bricks, url } = await start(t);
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    bricks.handle('slow', () => gate);
    const { client, peer } = await connect(bricks, url());
    const asked = client.request('q').catch((error) => error);
    peer.send({ type: 'slow', id: 's' });
    await peer.sync();
    await bricks.close();
    assert.equal((await asked).name, 'AbortError');
    const sent = bricks.stats().framesOut;
    release('late');
    await gate;
    assert.equal(bricks.stats().framesOut, sent);
  });

  for (const mode of ['port', 'attached']) {
    test(`leaves no socket, timer or listener behind (${mode}): the process exits by itself`, async () => {
      const script = fileURLToPath(new URL('./leftovers.mjs', import.meta.url));
      const { stdout, stderr } = await new Promise((resolve, reject) => {
        execFile(process.execPath, [script, mode], { timeout: 60_000 }, (error, stdout, stderr) => (error ? reject(Object.assign(error, { stdout, stderr })) : resolve({ stdout, stderr })));
      });
      assert.equal(stderr, '');
      const { resources, request, streamRequest, stats } = JSON.parse(stdout);
      assert.deepEqual(resources, []);
      assert.equal(request, 'AbortError');
      assert.equal(streamRequest, 'AbortError', 'a resume stream\'s request too');
      assert.equal(stats.clients, 0);
      assert.equal(stats.refused, 1);
    });
  }
});
