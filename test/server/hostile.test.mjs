// A hostile client, against the README's "For server authors" and PROTOCOL.md: floods of
// requests, of protocol pings and of fragments, a page the server stops reading, frames that
// are deep, huge or oddly named, bytes that are not UTF-8, handshakes with too much in them.
// Each either keeps the server's memory bounded or is refused, and the server carries on.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { connect, Peer, start } from './support.mjs';

/** Only for checking that nothing happens meanwhile: never a wait for something to happen. */
const quiet = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Handlers that run until the test lets them finish, counting how many run at once. */
function gate() {
  const waiting = [];
  const state = {
    running: 0,
    most: 0,
    calls: 0,
    /** Resolves when `n` calls are running at once. */
    until: (n) => new Promise((resolve) => waiting.push({ n, resolve })),
    handler: async (data) => {
      state.calls++;
      state.running++;
      state.most = Math.max(state.most, state.running);
      for (let i = waiting.length - 1; i >= 0; i--) if (state.running >= waiting[i].n) waiting.splice(i, 1)[0].resolve();
      await state.opened;
      state.running--;
      return data.n;
    },
  };
  state.opened = new Promise((resolve) => (state.open = resolve));
  return state;
}

/**
 * A WebSocket client written by hand on a raw TCP socket, for frames no library sends: it
 * handshakes, then writes masked frames as given and never reads unless told to.
 */
async function rawClient(port, path = '/ws') {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await once(socket, 'connect');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  const [head] = await once(socket, 'data');
  assert.match(head.toString(), /^HTTP\/1\.1 101 /);
  return socket;
}

/** One masked client frame (RFC 6455 5.2), with a zero mask so the payload goes as is. */
function frame(opcode, payload, fin = true) {
  const bytes = Buffer.from(payload);
  assert.ok(bytes.length < 126);
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | bytes.length, 0, 0, 0, 0]), bytes]);
}

describe('floods', () => {
  test('a client sending requests faster than its handlers finish is read no further than handlerLimit; every request is answered, in order', async (t) => {
    const limit = 4;
    const { bricks, url } = await start(t, { handlerLimit: limit });
    const slow = gate();
    bricks.handle('slow', slow.handler);
    const { peer } = await connect(bricks, url());
    // Frames of 16 KiB: one read of the socket (64 KiB) holds a few, and the server reads those it has.
    const pad = 'p'.repeat(16 * 1024);
    const sent = 200;
    for (let n = 0; n < sent; n++) peer.send({ type: 'slow', data: { n, pad }, id: `r${n}` });
    peer.send({ type: 'ping', data: 'after' });
    await slow.until(limit);
    await quiet(300);
    // Without the limit the server would have read all 3 MiB by now, each frame a handler call waiting.
    assert.ok(slow.calls < limit + 20, `${slow.calls} handler calls started for ${limit} allowed`);
    assert.ok(bricks.stats().framesIn < limit + 20, `${bricks.stats().framesIn} frames read`);
    assert.equal(peer.unread, 0, 'nothing answered while the handlers run, the pong included');

    slow.open();
    const frames = [];
    for (let n = 0; n <= sent; n++) frames.push(await peer.next());
    // Replies in the order sent; the pong, answered at once, may pass the last few still running.
    assert.deepEqual(frames.filter((f) => f.type === 'reply'), Array.from({ length: sent }, (_, n) => ({ type: 'reply', id: `r${n}`, data: n })));
    assert.deepEqual(frames.filter((f) => f.type !== 'reply'), [{ type: 'pong', data: 'after' }]);
    assert.equal(slow.calls, sent);
    assert.ok(slow.most < limit + 20, `at most ${slow.most} ran at once`);
    assert.equal(bricks.stats().clients, 1);
  });

  test('handlerLimit counts plain frames whose handler returns a promise, and each client on its own', async (t) => {
    const { bricks, url } = await start(t, { handlerLimit: 1 });
    const slow = gate();
    bricks.handle('slow', slow.handler);
    bricks.handle('fast', (data) => data);
    const busy = await connect(bricks, url());
    const other = await connect(bricks, url());
    busy.peer.send({ type: 'slow', data: { n: 0 } });
    await slow.until(1);
    busy.peer.send({ type: 'fast', data: 1, id: 'f' });
    // Another client is read and answered meanwhile.
    other.peer.send({ type: 'fast', data: 2, id: 'g' });
    assert.deepEqual(await other.peer.next(), { type: 'reply', id: 'g', data: 2 });
    await quiet(100);
    assert.equal(busy.peer.unread, 0, 'the busy client is not read until its handler finishes');
    slow.open();
    assert.deepEqual(await busy.peer.next(), { type: 'reply', id: 'f', data: 1 });
  });

  test('the ping sweep leaves alone a client the server does not read, which carries on once its handler finishes', async (t) => {
    const { bricks, url } = await start(t, { handlerLimit: 1, pingInterval: 50 });
    const slow = gate();
    bricks.handle('slow', slow.handler);
    const { client, peer } = await connect(bricks, url());
    peer.send({ type: 'slow', data: { n: 7 }, id: 's' });
    await slow.until(1);
    // Six intervals: its pongs wait unread, which is the server's doing, not a dead peer's.
    await quiet(300);
    assert.deepEqual([...bricks.clients], [client]);
    slow.open();
    assert.deepEqual(await peer.next(), { type: 'reply', id: 's', data: 7 });
    await peer.sync();
    assert.deepEqual([...bricks.clients], [client]);
  });

  // The timeout turns a server that never cuts it into a failure rather than a test that never ends.
  test('a client that floods protocol pings and reads nothing is cut, instead of pongs piling up for it', { timeout: 60_000 }, async (t) => {
    const { bricks, port } = await start(t);
    const [[client], socket] = await Promise.all([once(bricks, 'connection'), rawClient(port)]);
    socket.pause();
    const gone = once(bricks, 'disconnect');
    let ended = false;
    gone.then(() => (ended = true));
    const pings = Buffer.concat(Array.from({ length: 1000 }, () => frame(0x9, 'p'.repeat(125))));
    // 125-byte pings: up to 25 MiB, far more than the socket buffers of both sides hold.
    for (let i = 0; i < 200 && !ended; i++) {
      // Once cut, the socket fails (ECONNRESET): that is the end being waited for, not an error.
      if (!socket.write(pings)) await Promise.race([once(socket, 'drain').catch(() => {}), gone]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const [cut] = await gone;
    assert.equal(cut, client);
    socket.destroy();
  });

  test('a message in more fragments than the server keeps is refused with 1008; the server carries on', async (t) => {
    const { bricks, port, url } = await start(t);
    const seen = [];
    bricks.handle('*', (data) => seen.push(data));
    const [, socket] = await Promise.all([once(bricks, 'connection'), rawClient(port)]);
    const closes = [];
    socket.on('data', (bytes) => {
      // The server's close frame: 0x88, length, then the code.
      const at = bytes.indexOf(0x88);
      if (at !== -1 && bytes.length >= at + 4) closes.push(bytes.readUInt16BE(at + 2));
    });
    // `{"type":"x"}` split into 20,000 fragments, most of them a byte of spaces: 140 KB on the wire.
    const parts = [frame(0x1, '{', false), ...Array.from({ length: 20_000 }, () => frame(0x0, ' ', false)), frame(0x0, '"type":"x"}')];
    socket.write(Buffer.concat(parts));
    const [, code] = await once(bricks, 'disconnect');
    assert.equal(code, 1006, 'cut: it sends no close answer, reading nothing');
    assert.deepEqual(closes, [1008]);
    assert.deepEqual(seen, [], 'the message never reached a handler');
    socket.destroy();
    const other = await connect(bricks, url());
    await other.peer.sync();
  });
});

describe('odd frames', () => {
  test('deeply nested data reaches its handler; a reply JSON cannot write back is an internal error, and the server carries on', async (t) => {
    const { bricks, url } = await start(t);
    const errors = [];
    bricks.on('error', (error) => errors.push(error.name));
    let depth = 0;
    bricks.handle('deep', (data) => {
      for (let value = data; Array.isArray(value); value = value[0]) depth++;
      return data;
    });
    const { peer } = await connect(bricks, url());
    const n = 300_000;
    peer.send(`{"type":"deep","id":"d","data":${'['.repeat(n)}${']'.repeat(n)}}`);
    assert.deepEqual(await peer.next(), { type: 'reply', id: 'd', error: { message: 'Internal error', code: 'internal' } });
    assert.equal(depth, n);
    assert.deepEqual(errors, ['RangeError']);
    await peer.sync();
  });

  test('types named after Object.prototype, control characters, lone surrogates and 100,000 characters are types like any other', async (t) => {
    const { bricks, url } = await start(t);
    bricks.handle('*', (_data, { type }) => type.length);
    const { peer } = await connect(bricks, url());
    const types = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'ping ', '\u0000', '\ud800', '😀', 'a'.repeat(100_000)];
    for (const [i, type] of types.entries()) peer.send({ type, id: `t${i}` });
    for (const [i, type] of types.entries()) assert.deepEqual(await peer.next(), { type: 'reply', id: `t${i}`, data: type.length });
    assert.equal({}.polluted, undefined);
  });

  test('a request with an id of 500,000 characters is answered with that id', async (t) => {
    const { bricks, url } = await start(t);
    const { peer } = await connect(bricks, url());
    const id = 'i'.repeat(500_000);
    peer.send({ type: 'nobody', id });
    const reply = await peer.next();
    assert.equal(reply.id, id);
    assert.equal(reply.error.code, 'unknown-type');
  });

  test('a text frame that is not UTF-8 closes that client with 1007, counted; the others carry on', async (t) => {
    const { bricks, url } = await start(t);
    const seen = [];
    bricks.handle('*', (data) => seen.push(data));
    const bad = await connect(bricks, url());
    const other = await connect(bricks, url());
    // ws's client checks nothing it sends: the bytes C3 28 go out as they are.
    bad.peer.ws._socket.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28]));
    assert.equal((await bad.peer.closed).code, 1007);
    assert.deepEqual(seen, []);
    assert.equal(bricks.stats().dropped, 1);
    await other.peer.sync();
  });
});

describe('handshakes', () => {
  test('a request target that URL parsing would turn into the endpoint is not taken: the path is compared as sent', async (t) => {
    const { port } = await start(t);
    const statusOf = async (target) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', () => {});
      await once(socket, 'connect');
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
      const [head] = await once(socket, 'data');
      socket.destroy();
      return head.toString().split(' ')[1];
    };
    // A proxy that guards paths by prefix sees each of these as something other than /ws.
    for (const target of ['//evil.example/ws', '/public/../ws', '/public/%2e%2e/ws', '/public/%2E%2E/ws', '/public\\..\\ws', 'http://127.0.0.1/ws']) {
      assert.equal(await statusOf(target), '404', target);
    }
    assert.equal(await statusOf('/ws?room=a%20b'), '101');
  });

  test('a session too large for an HTTP header is refused with 431 before authenticate runs', async (t) => {
    let asked = 0;
    const { bricks, url } = await start(t, { authenticate: () => ++asked });
    await assert.rejects(Peer.open(url(), ['s'.repeat(20_000)]), { status: 431 });
    assert.equal(asked, 0);
    const { client } = await connect(bricks, url(), ['s'.repeat(10_000)]);
    assert.equal(client.user, 1, 'a large session that fits is the session');
  });

  test('a thousand subprotocols: the first is the session; a repeated one is refused with 400', async (t) => {
    const sessions = [];
    const { bricks, url } = await start(t, { authenticate: (_request, session) => sessions.push(session) });
    const protocols = Array.from({ length: 1000 }, (_, i) => `p${i}`);
    const { peer } = await connect(bricks, url(), protocols);
    assert.equal(peer.ws.protocol, 'p0');
    assert.deepEqual(sessions, ['p0']);
    await assert.rejects(Peer.open(url(), [], { headers: { 'Sec-WebSocket-Protocol': 'a, b, a' } }), { status: 400 });
    assert.deepEqual(sessions, ['p0']);
  });

  test("origins: 'null', a look-alike host, and the page's own origin written otherwise", async (t) => {
    const { bricks, port, url } = await start(t);
    for (const origin of ['null', `http://127.0.0.1.example.com:${port}`, `http://127.0.0.1:${port}@example.com`, 'file://']) {
      await assert.rejects(Peer.open(url(), [], { headers: { Origin: origin } }), { status: 403 }, origin);
    }
    for (const origin of [`HTTP://127.0.0.1:${port}`, `http://127.0.0.1:${port}/a/path`]) {
      const { peer } = await connect(bricks, url(), [], { headers: { Origin: origin } });
      await peer.close();
    }
    assert.equal(bricks.stats().refused, 4);
  });
});
