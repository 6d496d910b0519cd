// What a client sends and what reaches handlers: handle() and its context, handle('*'), the
// heartbeat, and every kind of bad input, none of which crashes the server or reaches a handler.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { ReplyError } from '../../dist/server/index.js';
import { connect, Peer, start } from './support.mjs';

describe('handlers', () => {
  test('handle(type) gets the data and { client, type, id }; a plain frame has no id', async (t) => {
    const { bricks, url } = await start(t);
    const seen = [];
    bricks.handle('chat', (data, context) => seen.push([data, context]));
    const { client, peer } = await connect(bricks, url());
    peer.send({ type: 'chat', data: { text: 'hi' } });
    peer.send({ type: 'chat' });
    await peer.sync();
    assert.deepEqual(seen, [
      [{ text: 'hi' }, { client, type: 'chat', id: undefined }],
      [null, { client, type: 'chat', id: undefined }],
    ]);
  });

  test("handle('*') takes every type without a handler of its own", async (t) => {
    const { bricks, url } = await start(t);
    const seen = [];
    bricks.handle('chat', () => seen.push('chat handler'));
    bricks.handle('*', (data, { type, id }) => seen.push([type, data, id]));
    const { peer } = await connect(bricks, url());
    peer.send({ type: 'chat', data: 1 });
    peer.send({ type: 'cursor', data: { x: 1 } });
    peer.send({ type: 'other', data: 2, id: 'q1' });
    const replies = await peer.sync();
    assert.deepEqual(seen, ['chat handler', ['cursor', { x: 1 }, undefined], ['other', 2, 'q1']]);
    assert.deepEqual(replies, [{ type: 'reply', id: 'q1', data: 3 }], "the '*' handler's return value answers the request");
  });

  test('handle() refuses reserved types, the heartbeat type, a second handler and a handler that is not a function', async (t) => {
    const { bricks } = await start(t);
    bricks.handle('chat', () => {});
    bricks.handle('*', () => {});
    for (const [type, handler, message] of [
      ['reply', () => {}, /answers/],
      ['open', () => {}, /own events/],
      ['', () => {}, /non-empty/],
      ['ping', () => {}, /heartbeatType/],
      ['chat', () => {}, /has a handler already/],
      ['*', () => {}, /already/],
      ['x', 'not a function', /must be a function/],
    ]) {
      assert.throws(() => bricks.handle(type, handler), { name: 'TypeError', message }, type);
    }
    assert.equal(bricks.handle('x', () => {}), bricks, 'handle() returns the server, for chaining');
  });

  test('a plain frame without a handler is dropped and counted', async (t) => {
    const { bricks, url } = await start(t);
    const { peer } = await connect(bricks, url());
    peer.send({ type: 'nobody', data: 1 });
    assert.deepEqual(await peer.sync(), []);
    assert.equal(bricks.stats().dropped, 1);
  });

  test('frames of one client reach handlers in the order sent', async (t) => {
    const { bricks, url } = await start(t);
    const seen = [];
    bricks.handle('n', (data) => seen.push(data));
    const { peer } = await connect(bricks, url());
    for (let i = 0; i < 500; i++) peer.send({ type: 'n', data: i });
    await peer.sync();
    assert.deepEqual(seen, Array.from({ length: 500 }, (_, i) => i));
  });
});

describe('the heartbeat', () => {
  test("the element's ping is answered with a pong carrying its data, and reaches no handler", async (t) => {
    const { bricks, url } = await start(t);
    const seen = [];
    bricks.handle('*', (_data, { type }) => seen.push(type));
    const { peer } = await connect(bricks, url());
    peer.send({ type: 'ping', data: 1712345678901 });
    assert.deepEqual(await peer.next(), { type: 'pong', data: 1712345678901 });
    peer.send({ type: 'ping' });
    assert.deepEqual(await peer.next(), { type: 'pong', data: null });
    assert.deepEqual(seen, []);
  });

  test('heartbeatType names another type; null turns the answer off', async (t) => {
    const custom = await start(t, { heartbeatType: 'hb' });
    const { peer } = await connect(custom.bricks, custom.url());
    peer.send({ type: 'hb', data: 7 });
    assert.deepEqual(await peer.next(), { type: 'pong', data: 7 });

    const off = await start(t, { heartbeatType: null });
    const seen = [];
    off.bricks.handle('ping', (data) => seen.push(data));
    off.bricks.handle('done', () => 'done');
    const second = await connect(off.bricks, off.url());
    second.peer.send({ type: 'ping', data: 1 });
    second.peer.send({ type: 'done', id: 'd' });
    assert.deepEqual(await second.peer.next(), { type: 'reply', id: 'd', data: 'done' });
    assert.deepEqual(seen, [1], 'with the heartbeat off, ping is a type like any other');
  });

  test('a connection that answers no protocol ping is dropped within two intervals', async (t) => {
    const { bricks, url } = await start(t, { pingInterval: 50 });
    // autoPong: false plays a peer whose network died: nothing comes back.
    const dead = await connect(bricks, url(), [], { autoPong: false });
    // Listening before the next connect: on a busy machine the dead peer may go while it runs.
    const gone = once(bricks, 'disconnect');
    const alive = await connect(bricks, url());
    const [client, code] = await gone;
    assert.equal(client, dead.client);
    assert.equal(code, 1006);
    assert.deepEqual([...bricks.clients], [alive.client], 'a peer that answers pings stays');
    await alive.peer.sync();
  });

  test('a server busy for longer than pingInterval keeps the peers whose pongs came meanwhile', async (t) => {
    const { bricks, url } = await start(t, { pingInterval: 50 });
    // Each call holds the event loop for more than two intervals, as a slow synchronous handler would.
    bricks.handle('work', () => {
      const end = performance.now() + 120;
      while (performance.now() < end);
      return null;
    });
    const idle = await connect(bricks, url());
    const worker = await connect(bricks, url());
    for (let i = 0; i < 10; i++) {
      worker.peer.send({ type: 'work', id: `w${i}` });
      assert.deepEqual(await worker.peer.next(), { type: 'reply', id: `w${i}`, data: null });
    }
    assert.deepEqual([...bricks.clients], [idle.client, worker.client], 'the idle peer answered every ping; the busy server read the pongs late');
  });
});

describe('bad input', () => {
  const BAD = [
    ['non-JSON text', 'hello'],
    ['empty text', ''],
    ['JSON that is not an object', '[1,2,3]'],
    ['a JSON string', '"chat"'],
    ['JSON null', 'null'],
    ['a missing type', '{"data":1}'],
    ['an empty type', '{"type":"","data":1}'],
    ['a type that is not a string', '{"type":5}'],
    ['an id that is not a string', '{"type":"chat","data":1,"id":5}'],
    ['an id that is null', '{"type":"chat","id":null}'],
    ["a type of the element's own events", '{"type":"open","data":1}'],
    ['a reply for an id this server never asked', '{"type":"reply","id":"forged","data":1}'],
    ['a reply without an id', '{"type":"reply","data":1}'],
    ['a reply with both data and error', '{"type":"reply","id":"x","data":1,"error":{"message":"m"}}'],
    ['a reply whose error has no message', '{"type":"reply","id":"x","error":{}}'],
    ['a prototype-polluting key', '{"__proto__":{"type":"chat"}}'],
  ];

  for (const [what, text] of BAD) {
    test(`${what} is dropped and counted, and reaches no handler`, async (t) => {
      const { bricks, url } = await start(t);
      const seen = [];
      bricks.handle('chat', (data) => seen.push(data));
      bricks.handle('*', (data) => seen.push(data));
      const { peer } = await connect(bricks, url());
      peer.send(text);
      assert.deepEqual(await peer.sync(), [], 'no answer');
      assert.deepEqual(seen, []);
      assert.equal(bricks.stats().dropped, 1);
      assert.equal(bricks.stats().clients, 1, 'the client stays connected');
      assert.equal({}.type, undefined);
    });
  }

  test('a request of a reserved type is answered with unknown-type, never handled', async (t) => {
    const { bricks, url } = await start(t);
    const seen = [];
    bricks.handle('*', (data) => seen.push(data));
    const { peer } = await connect(bricks, url());
    peer.send({ type: 'close', data: 1, id: 'c1' });
    assert.deepEqual(await peer.next(), { type: 'reply', id: 'c1', error: { message: '"close" is a reserved type, which no handler can take.', code: 'unknown-type' } });
    assert.deepEqual(seen, []);
  });

  test('a binary frame is dropped and counted without binary: true', async (t) => {
    const { bricks, url } = await start(t);
    const seen = [];
    bricks.handle('*', (data) => seen.push(data));
    const { peer } = await connect(bricks, url());
    peer.send(Buffer.from([1, 2, 3]));
    await peer.sync();
    assert.deepEqual(seen, []);
    assert.equal(bricks.stats().dropped, 1);
  });

  test("with binary: true, a binary frame reaches handle('*') with type null", async (t) => {
    const { bricks, url } = await start(t, { binary: true });
    const seen = [];
    bricks.handle('bytes', () => seen.push('typed handler'));
    bricks.handle('*', (data, { client, type, id }) => seen.push([Buffer.isBuffer(data), [...data], type, id, client !== undefined]));
    const { peer } = await connect(bricks, url());
    peer.send(Buffer.from([1, 2, 3]));
    await peer.sync();
    assert.deepEqual(seen, [[true, [1, 2, 3], null, undefined, true]]);
    assert.equal(bricks.stats().dropped, 0);
  });

  test('with binary: true but no * handler, a binary frame is dropped and counted', async (t) => {
    const { bricks, url } = await start(t, { binary: true });
    const { peer } = await connect(bricks, url());
    peer.send(Buffer.from([1]));
    await peer.sync();
    assert.equal(bricks.stats().dropped, 1);
  });

  test('a frame over maxPayload closes that client with 1009; others carry on', async (t) => {
    const { bricks, url } = await start(t, { maxPayload: 1024 });
    const seen = [];
    bricks.handle('big', (data) => seen.push(data.length));
    const big = await connect(bricks, url());
    const other = await connect(bricks, url());
    big.peer.send({ type: 'big', data: 'x'.repeat(1000) });
    await big.peer.sync();
    big.peer.send({ type: 'big', data: 'x'.repeat(1100) });
    assert.equal((await big.peer.closed).code, 1009);
    assert.deepEqual(seen, [1000]);
    assert.equal(bricks.stats().dropped, 1);
    await other.peer.sync();
  });

  test('the default maxPayload is 1 MiB', async (t) => {
    const { bricks, url } = await start(t);
    let length = 0;
    bricks.handle('big', (data) => (length = data.length));
    const { peer } = await connect(bricks, url());
    const envelope = '{"type":"big","data":""}'.length;
    peer.send({ type: 'big', data: 'x'.repeat(1024 * 1024 - envelope) });
    await peer.sync();
    assert.equal(length, 1024 * 1024 - envelope);
    peer.send({ type: 'big', data: 'x'.repeat(1024 * 1024) });
    assert.equal((await peer.closed).code, 1009);
  });
});

describe('errors', () => {
  test("a handler's exception goes to the error event with its client; the client gets only 'Internal error'", async (t) => {
    const { bricks, url } = await start(t);
    const errors = [];
    bricks.on('error', (error, client) => errors.push([error.message, client]));
    bricks.handle('plain', () => {
      throw new Error('disk on fire');
    });
    bricks.handle('ask', async () => {
      throw new Error('db password hunter2');
    });
    const { client, peer } = await connect(bricks, url());
    peer.send({ type: 'plain' });
    peer.send({ type: 'ask', id: 'a' });
    assert.deepEqual(await peer.next(), { type: 'reply', id: 'a', error: { message: 'Internal error', code: 'internal' } });
    assert.deepEqual(errors, [
      ['disk on fire', client],
      ['db password hunter2', client],
    ]);
  });

  test('with no error listener, each cause is printed once and the server carries on', async (t) => {
    const { bricks, url } = await start(t);
    bricks.handle('fail', (data) => {
      throw new Error(`cause ${data}`);
    });
    const printed = [];
    t.mock.method(console, 'error', (...args) => printed.push(args.map(String).join(' ')));
    const { peer } = await connect(bricks, url());
    for (const cause of [1, 1, 2, 1, 2]) peer.send({ type: 'fail', data: cause });
    await peer.sync();
    assert.equal(printed.length, 2);
    assert.match(printed[0], /cause 1/);
    assert.match(printed[1], /cause 2/);
    assert.match(printed[0], /add an "error" listener/);
  });

  test('an async connection listener that rejects is reported as an error, not an unhandled rejection', async (t) => {
    const { bricks, url } = await start(t);
    bricks.on('connection', async () => {
      throw new Error('join failed');
    });
    const reported = once(bricks, 'error');
    const { client } = await connect(bricks, url());
    const [error, about] = await reported;
    assert.equal(error.message, 'join failed');
    assert.equal(about, client);
  });

  test('a connection or disconnect listener that throws is reported; the connection goes on', async (t) => {
    const { bricks, url } = await start(t);
    const errors = [];
    bricks.on('error', (error) => errors.push(error.message));
    bricks.on('connection', () => {
      throw new Error('in connection');
    });
    bricks.on('disconnect', () => {
      throw new Error('in disconnect');
    });
    // A throwing listener stops the listeners after it, as EventEmitter does; Peer.open alone, then.
    const peer = await Peer.open(url());
    await peer.sync();
    const gone = new Promise((resolve) => bricks.prependListener('disconnect', resolve));
    await Promise.all([peer.close(), gone]);
    assert.deepEqual(errors, ['in connection', 'in disconnect']);
  });

  test('an error listener that throws is printed instead, and the server carries on', async (t) => {
    const { bricks, url } = await start(t);
    bricks.on('error', () => {
      throw new Error('listener broke');
    });
    bricks.handle('fail', () => {
      throw new Error('first');
    });
    const printed = [];
    t.mock.method(console, 'error', (...args) => printed.push(args.map(String).join(' ')));
    const { peer } = await connect(bricks, url());
    peer.send({ type: 'fail' });
    await peer.sync();
    assert.equal(printed.length, 1);
    assert.match(printed[0], /listener broke/);
  });
  test('a handler that throws what cannot become a string, or a ReplyError whose code cannot, is reported and answered; the server carries on', async (t) => {
    const { bricks, url } = await start(t);
    const unprintable = { toString: () => { throw new Error('no string for you'); } };
    bricks.handle('bare', () => {
      throw Object.create(null);
    });
    bricks.handle('code', () => {
      throw new ReplyError('no', { code: unprintable });
    });
    bricks.handle('later', async () => {
      throw new ReplyError('no', { code: unprintable });
    });
    const printed = [];
    t.mock.method(console, 'error', (...args) => printed.push(args.length));
    const { peer } = await connect(bricks, url());
    for (const type of ['bare', 'code', 'later']) {
      peer.send({ type, id: type });
      assert.deepEqual(await peer.next(), { type: 'reply', id: type, error: { message: 'Internal error', code: 'internal' } });
    }
    // Printed once each: the bare object, and the code's failure (one cause for both handlers).
    assert.equal(printed.length, 2);
    assert.equal(bricks.stats().clients, 1);
  });
});
