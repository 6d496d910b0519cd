// The demo's test controls (demo/server/controls.mjs), beside its rooms on bricks-websocket/server:
// what the page's *Drop connection* and *Refuse connections* buttons and the end-to-end test do.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { startServer } from '../../demo/server.mjs';

describe('demo server: test controls', () => {
  let server;
  const sockets = [];

  before(async () => {
    server = await startServer({ port: 0, clock: false });
  });

  after(async () => {
    for (const socket of sockets) socket.terminate();
    await server?.close();
  });

  const control = async (room, action, body) => {
    const response = await fetch(`http://127.0.0.1:${server.port}/control/${room}/${action}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
    return { status: response.status, body: await response.json() };
  };

  /** A socket to `room`; resolves once open, or with the HTTP status that refused it. */
  function connect(room) {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws/${room}`);
    sockets.push(socket);
    socket.on('error', () => {});
    return new Promise((resolve) => {
      socket.once('open', () => resolve({ socket }));
      socket.once('unexpected-response', (_request, response) => resolve({ status: response.statusCode }));
    });
  }

  test('drop cuts every connection of the room without a close frame (1006)', async () => {
    const { socket } = await connect('drop');
    const closed = once(socket, 'close');
    assert.deepEqual((await control('drop', 'drop', {})).body, { dropped: 1 });
    const [code] = await closed;
    assert.equal(code, 1006);
  });

  test('refuse answers the handshakes of that room, and only that room, with 503 until lifted', async () => {
    assert.deepEqual((await control('shut', 'refuse', { ms: 60_000 })).body, { refusing: true, status: 503 });
    assert.deepEqual(await connect('shut'), { status: 503 });
    assert.ok((await connect('open-room')).socket, 'another room still connects');
    assert.equal((await control('shut', 'stats')).body.refused, 1);
    assert.deepEqual((await control('shut', 'refuse', { ms: 0 })).body, { refusing: false, status: 503 });
    assert.ok((await connect('shut')).socket);
  });

  test('close closes every connection of the room with the code and reason given', async () => {
    const { socket } = await connect('close');
    const closed = once(socket, 'close');
    await control('close', 'close', { code: 4001, reason: 'for a test' });
    const [code, reason] = await closed;
    assert.deepEqual([code, reason.toString()], [4001, 'for a test']);
  });

  test('send delivers frames to the room; stats count connections and keep what was received; reset forgets', async () => {
    const { socket } = await connect('send');
    const frames = [];
    socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
    const until = (type) => new Promise((resolve) => socket.on('message', () => frames.some((frame) => frame.type === type) && resolve()));
    // The server reads a socket's frames in order: its pong says it has handled the cursor.
    const ponged = until('pong');
    socket.send(JSON.stringify({ type: 'cursor', data: 1 }));
    socket.send(JSON.stringify({ type: 'ping', data: 1 }));
    await ponged;
    const got = until('news');
    assert.deepEqual((await control('send', 'send', { frames: ['{"type":"news","data":{"n":1}}'] })).body, { clients: 1 });
    await got;
    assert.deepEqual(frames.find((frame) => frame.type === 'news'), { type: 'news', data: { n: 1 } });
    const stats = (await control('send', 'stats')).body;
    assert.deepEqual([stats.connections, stats.open, stats.received], [1, 1, ['{"type":"cursor","data":1}']]);
    await control('send', 'reset', {});
    assert.deepEqual((await control('send', 'stats')).body, { connections: 0, open: 1, refused: 0, received: [], whoami: [] });
  });

  test('turns bad input away with a 400 that says why', async () => {
    assert.equal((await control('bad', 'send', { frames: ['not json'] })).status, 400);
    assert.equal((await control('bad', 'close', { code: 1006 })).status, 400);
    assert.equal((await control('bad', 'refuse', { ms: 'soon' })).status, 400);
    const unknown = await control('bad', 'flood', {});
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.error, /use drop, refuse, close, send, stats, reset/);
  });
});
