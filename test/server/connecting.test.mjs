// Who may connect and how: listening or attached, the path, origins, the session in the
// subprotocol, authenticate, and the options checked at start-up.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer, ReplyError } from '../../dist/server/index.js';
import { connect, Peer, start, WebSocket } from './support.mjs';

/** An http server on a free port, closed after the test. */
async function httpServer(t, handler = (_request, response) => response.end('app')) {
  const server = createHttpServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  // Not awaited: an http server's close() waits for upgraded sockets too, which bricks.close() ends.
  t.after(() => {
    server.close();
    server.closeAllConnections();
  });
  return server;
}

function get(port, path) {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk)).on('end', () => resolve({ status: response.statusCode, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('listening and attaching', () => {
  test('with port, ready resolves once it listens and address() gives the port', async (t) => {
    const { bricks, port } = await start(t);
    assert.equal(typeof port, 'number');
    assert.ok(port > 0);
    const { peer } = await connect(bricks, `ws://127.0.0.1:${port}/ws`);
    await peer.sync();
  });

  test('with port, a plain HTTP request gets 426 and an upgrade on another path 404', async (t) => {
    const { port, url } = await start(t);
    assert.deepEqual(await get(port, '/ws'), { status: 426, body: 'Upgrade Required' });
    await assert.rejects(Peer.open(url('/elsewhere')), { status: 404 });
  });

  test('ready rejects when the port is taken, and the failure is reported, not thrown', async (t) => {
    const taken = await httpServer(t);
    const bricks = createServer({ port: taken.address().port, host: '127.0.0.1' });
    const [error] = await once(bricks, 'error');
    assert.equal(error.code, 'EADDRINUSE');
    await assert.rejects(bricks.ready, { code: 'EADDRINUSE' });
    await bricks.close();
  });

  test('attached to a server: ready at once, the upgrade taken only on path, the app keeps its requests', async (t) => {
    const server = await httpServer(t);
    const bricks = createServer({ server, path: '/live' });
    t.after(() => bricks.close({ timeout: 0 }));
    await bricks.ready;
    const { port } = server.address();
    assert.equal(bricks.address().port, port);
    assert.deepEqual(await get(port, '/live'), { status: 200, body: 'app' });
    const { peer } = await connect(bricks, `ws://127.0.0.1:${port}/live`);
    await peer.sync();
    await assert.rejects(Peer.open(`ws://127.0.0.1:${port}/ws`), { status: 404 });
  });

  test('attached beside another upgrade listener, upgrades on other paths are left to it', async (t) => {
    const server = await httpServer(t);
    const bricks = createServer({ server });
    t.after(() => bricks.close({ timeout: 0 }));
    const theirs = [];
    server.on('upgrade', (request, socket) => {
      if (request.url !== '/other') return;
      theirs.push(request.url);
      socket.end('HTTP/1.1 418 I\'m a teapot\r\nContent-Length: 0\r\n\r\n');
    });
    const { port } = server.address();
    await assert.rejects(Peer.open(`ws://127.0.0.1:${port}/other`), { status: 418 });
    assert.deepEqual(theirs, ['/other']);
    const { peer } = await connect(bricks, `ws://127.0.0.1:${port}/ws`);
    await peer.sync();
  });

  test('close() of an attached server leaves the http server listening, without its upgrade listener', async (t) => {
    const server = await httpServer(t);
    const bricks = createServer({ server });
    assert.equal(server.listenerCount('upgrade'), 1);
    await bricks.close();
    assert.equal(server.listenerCount('upgrade'), 0);
    assert.deepEqual(await get(server.address().port, '/'), { status: 200, body: 'app' });
  });

  test('path as a function of the request URL: /ws/<room> routes, the request passed to connection', async (t) => {
    const { bricks, url } = await start(t, { path: (u) => /^\/ws\/[a-z]+$/.test(u.pathname) });
    bricks.on('connection', (client, request) => client.join(request.url.split('/')[2].split('?')[0]));
    const { client, peer } = await connect(bricks, url('/ws/lobby?name=ana'));
    await peer.sync();
    assert.deepEqual([...client.rooms], ['lobby']);
    await assert.rejects(Peer.open(url('/ws/')), { status: 404 });
    await assert.rejects(Peer.open(url('/ws')), { status: 404 });
  });

  test('a path function that throws refuses the upgrade and reports the error', async (t) => {
    const { bricks, url } = await start(t, {
      path: () => {
        throw new Error('route table broken');
      },
    });
    const errors = [];
    bricks.on('error', (error) => errors.push(error.message));
    await assert.rejects(Peer.open(url()), { status: 404 });
    assert.deepEqual(errors, ['route table broken']);
  });
});

describe('origins', () => {
  test('by default, a page of the host connected to is let in, another refused with 403 before the upgrade', async (t) => {
    const { bricks, port, url } = await start(t);
    const { peer } = await connect(bricks, url(), [], { origin: `http://127.0.0.1:${port}` });
    await peer.sync();
    await assert.rejects(Peer.open(url(), [], { origin: 'https://evil.example' }), { status: 403 });
    await assert.rejects(Peer.open(url(), [], { origin: `http://127.0.0.1:${port + 1}` }), { status: 403 });
    await assert.rejects(Peer.open(url(), [], { origin: 'null' }), { status: 403 });
    assert.equal(bricks.stats().refused, 3);
    assert.equal(bricks.stats().clients, 1);
  });

  test('a client without Origin (not a page) is let in', async (t) => {
    const { bricks, url } = await start(t, { origins: ['https://app.example'] });
    const { peer } = await connect(bricks, url());
    await peer.sync();
  });

  test('a list of origins lets in exactly those, compared as origins', async (t) => {
    const { bricks, url } = await start(t, { origins: ['https://App.example:443', 'http://localhost:3000'] });
    const { peer } = await connect(bricks, url(), [], { origin: 'https://app.example' });
    await peer.sync();
    const second = await connect(bricks, url(), [], { origin: 'http://localhost:3000' });
    await second.peer.sync();
    await assert.rejects(Peer.open(url(), [], { origin: 'http://app.example' }), { status: 403 });
    await assert.rejects(Peer.open(url(), [], { origin: `http://127.0.0.1` }), { status: 403 });
  });

  test("'*' lets in any page", async (t) => {
    const { bricks, url } = await start(t, { origins: '*' });
    const { peer } = await connect(bricks, url(), [], { origin: 'https://anywhere.example' });
    await peer.sync();
  });
});

describe('the session and authenticate', () => {
  test('the first subprotocol offered is the session, and the server answers with it so browsers accept', async (t) => {
    const seen = [];
    const { bricks, url } = await start(t, {
      authenticate: (request, session) => {
        seen.push([request.url, session]);
        return { name: 'ana' };
      },
    });
    const { client, peer } = await connect(bricks, url('/ws?x=1'), ['c2Vzc2lvbg', 'chat.v1']);
    assert.equal(peer.ws.protocol, 'c2Vzc2lvbg');
    assert.deepEqual(client.user, { name: 'ana' });
    const bare = await connect(bricks, url());
    assert.equal(bare.peer.ws.protocol, '');
    assert.deepEqual(seen, [['/ws?x=1', 'c2Vzc2lvbg'], ['/ws', null]]);
  });

  test('without authenticate, user is null and the first protocol is still chosen', async (t) => {
    const { bricks, url } = await start(t);
    const { client, peer } = await connect(bricks, url(), ['chat.v1', 'chat.v2']);
    assert.equal(client.user, null);
    assert.equal(peer.ws.protocol, 'chat.v1');
  });

  test("authenticate's promise gives client.user", async (t) => {
    const { bricks, url } = await start(t, { authenticate: async (_request, session) => ({ token: session }) });
    const { client } = await connect(bricks, url(), ['abc']);
    assert.deepEqual(client.user, { token: 'abc' });
  });

  test('a refusal closes with 1008 after the upgrade (the element stops retrying), with a ReplyError message as the reason', async (t) => {
    const { bricks, url } = await start(t, {
      authenticate: (_request, session) => {
        if (session === 'expired') throw new ReplyError('Session expired', { code: 'auth' });
        return Promise.reject(new Error('db password is hunter2'));
      },
    });
    let connections = 0;
    bricks.on('connection', () => connections++);
    const expired = await Peer.open(url(), ['expired']);
    assert.equal(expired.ws.protocol, 'expired', 'the upgrade is answered with the session, or the browser would report 1006 and retry');
    assert.deepEqual(await expired.closed, { code: 1008, reason: 'Session expired' });
    const broken = await Peer.open(url(), ['other']);
    assert.deepEqual(await broken.closed, { code: 1008, reason: '' }, "another error's text never reaches the client");
    assert.equal(connections, 0);
    assert.equal(bricks.stats().refused, 2);
    assert.equal(bricks.stats().clients, 0);
  });

  test('a refusal reason longer than a close frame allows is cut at 123 bytes, never inside a character', async (t) => {
    const { url } = await start(t, {
      authenticate: () => {
        throw new ReplyError('é'.repeat(100));
      },
    });
    const peer = await Peer.open(url());
    const { code, reason } = await peer.closed;
    assert.equal(code, 1008);
    assert.equal(reason, 'é'.repeat(61));
  });

  test("a ReplyError whose message was replaced by something that cannot become a string refuses without a reason, reported", async (t) => {
    const { bricks, url } = await start(t, {
      authenticate: () => {
        const error = new ReplyError('no');
        error.message = Object.create(null);
        throw error;
      },
    });
    const reported = once(bricks, 'error');
    const peer = await Peer.open(url());
    assert.deepEqual(await peer.closed, { code: 1008, reason: '' });
    const [error] = await reported;
    assert.equal(error.name, 'TypeError');
    assert.equal(bricks.stats().refused, 1);
  });

  test('a malformed subprotocol header is refused with 400 before authenticate runs', async (t) => {
    let calls = 0;
    const { port } = await start(t, { authenticate: () => calls++ });
    const status = await new Promise((resolve, reject) => {
      httpRequest({
        host: '127.0.0.1',
        port,
        path: '/ws',
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'a b, c' },
      })
        .on('response', (response) => resolve(response.statusCode))
        .on('error', reject)
        .end();
    });
    assert.equal(status, 400);
    assert.equal(calls, 0);
  });

  test('a page that leaves while authenticate runs is let go, and the server carries on', async (t) => {
    let release;
    const asked = new Promise((resolve) => {
      release = resolve;
    });
    let answer;
    const gate = new Promise((resolve) => (answer = resolve));
    const { bricks, url } = await start(t, {
      authenticate: () => {
        release();
        return gate;
      },
    });
    const leaving = new Peer(new WebSocket(url()));
    await asked;
    leaving.ws.terminate();
    await leaving.closed;
    answer({ name: 'late' });
    const peer = await Peer.open(url());
    await peer.sync();
    // Whether the server saw the first page leave before the answer is a race of the network:
    // either it never connected, or it is disconnected as soon as its socket's end arrives.
    while (bricks.clients.size > 1) await once(bricks, 'disconnect');
    assert.deepEqual([...bricks.clients].map((client) => client.user), [{ name: 'late' }]);
  });
});

describe('options checked at start-up', () => {
  for (const [options, message] of [
    [{}, /either server .* or port/],
    [{ port: 0, server: createHttpServer() }, /either server .* or port/],
    [{ port: -1 }, /port must be/],
    [{ port: 0, path: 'ws' }, /path must be/],
    [{ port: 0, origins: 'https://a.example' }, /origins must be/],
    [{ port: 0, origins: ['not an origin'] }, /is not an origin/],
    [{ port: 0, authenticate: 'yes' }, /authenticate must be a function/],
    [{ port: 0, maxPayload: 0 }, /maxPayload must be/],
    [{ port: 0, sendLimit: 1.5 }, /sendLimit must be/],
    [{ port: 0, handlerLimit: 0 }, /handlerLimit must be a whole number of handler calls, 1 or more/],
    [{ port: 0, heartbeatType: 'reply' }, /heartbeatType/],
    [{ port: 0, heartbeatType: '' }, /heartbeatType/],
    [{ port: 0, pingInterval: -1 }, /pingInterval/],
    [{ port: 0, binary: 'yes' }, /binary must be/],
    [{ port: 0, maxpayload: 10 }, /unknown option "maxpayload"/],
    [{ port: 0, host: 3 }, /host/],
  ]) {
    test(`${JSON.stringify(options, (_key, value) => (typeof value === 'object' && value?.listen ? 'http.Server' : value))} is a TypeError`, () => {
      assert.throws(() => createServer(options), { name: 'TypeError', message: message });
    });
  }
});
