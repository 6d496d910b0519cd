// Rooms and broadcasts: join/leave, to(room).send(), send() to everyone, encoded once per
// broadcast, through the adapter interface (the server never asks which adapter it has); and
// the client object's own calls.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { memoryAdapter } from '../../dist/server/memory-adapter.js';
import { connect, start } from './support.mjs';

describe('rooms', () => {
  test('to(room).send() reaches the members of the room only, the sender included', async (t) => {
    const { bricks, url } = await start(t);
    bricks.handle('say', (text, { client }) => {
      for (const room of client.rooms) bricks.to(room).send('said', { from: client.id, text });
    });
    const ana = await connect(bricks, url());
    const bob = await connect(bricks, url());
    const eve = await connect(bricks, url());
    await ana.client.join('lobby');
    await bob.client.join('lobby');
    await eve.client.join('kitchen');
    ana.peer.send({ type: 'say', data: 'hi' });
    const said = { type: 'said', data: { from: ana.client.id, text: 'hi' } };
    assert.deepEqual(await ana.peer.next(), said);
    assert.deepEqual(await bob.peer.next(), said);
    assert.deepEqual(await eve.peer.sync(), [], 'not in the room, nothing');
  });

  test('rooms is the set of rooms joined; leave() takes the client out; joining twice is one membership', async (t) => {
    const { bricks, url } = await start(t);
    const { client, peer } = await connect(bricks, url());
    await client.join('a');
    await client.join('b');
    await client.join('a');
    assert.deepEqual([...client.rooms], ['a', 'b']);
    assert.equal(bricks.stats().rooms, 2);
    await client.leave('a');
    await client.leave('never joined');
    assert.deepEqual([...client.rooms], ['b']);
    assert.equal(bricks.stats().rooms, 1, 'an empty room is forgotten');
    bricks.to('a').send('x', 1);
    bricks.to('b').send('y', 2);
    assert.deepEqual(await peer.next(), { type: 'y', data: 2 });
  });

  test('a client that disconnects leaves its rooms; its rooms still say where it was', async (t) => {
    const { bricks, url } = await start(t);
    const { client, peer } = await connect(bricks, url());
    await client.join('lobby');
    const gone = once(bricks, 'disconnect');
    await peer.close(1000);
    const [who, code, reason] = await gone;
    assert.equal(who, client);
    assert.deepEqual([code, reason], [1000, '']);
    assert.deepEqual([...client.rooms], ['lobby']);
    assert.deepEqual(bricks.stats(), { ...bricks.stats(), clients: 0, rooms: 0 });
    await client.join('kitchen');
    assert.equal(bricks.stats().rooms, 0, 'a join after the end changes nothing');
  });

  test('send() reaches every client', async (t) => {
    const { bricks, url } = await start(t);
    const peers = [];
    for (let i = 0; i < 3; i++) peers.push((await connect(bricks, url())).peer);
    bricks.send('clock', 123);
    for (const peer of peers) assert.deepEqual(await peer.next(), { type: 'clock', data: 123 });
    assert.equal(bricks.stats().framesOut, 3);
  });

  test('a broadcast is encoded once and the same bytes go to every member', async (t) => {
    const calls = [];
    const adapter = memoryAdapter();
    const spy = {
      ...Object.fromEntries(['attach', 'add', 'remove', 'join', 'leave', 'roomCount', 'close'].map((name) => [name, (...args) => adapter[name](...args)])),
      broadcast(room, frame) {
        const delivered = [];
        calls.push({ room, frame, delivered });
        // Each member gets the very object the server made.
        adapter.broadcast(room, new Proxy(frame, { get: (target, key) => (key === 'bytes' && delivered.push(target.bytes), target[key]) }));
      },
    };
    const { bricks, url } = await start(t, { adapter: spy });
    const members = [];
    for (let i = 0; i < 3; i++) {
      const member = await connect(bricks, url());
      await member.client.join('room');
      members.push(member);
    }
    bricks.to('room').send('chat', { text: 'héllo' });
    for (const { peer } of members) assert.deepEqual(await peer.next(), { type: 'chat', data: { text: 'héllo' } });
    assert.equal(calls.length, 1);
    const [{ room, frame, delivered }] = calls;
    assert.equal(room, 'room');
    assert.equal(frame.text, '{"type":"chat","data":{"text":"héllo"}}');
    assert.deepEqual(Buffer.from(frame.bytes).toString(), frame.text);
    assert.equal(delivered.length, 3);
    assert.ok(delivered.every((bytes) => bytes === frame.bytes), 'one buffer for all three');
  });

  test('the server works through any adapter object: joins, leaves, broadcasts and close all go through it', async (t) => {
    const log = [];
    const adapter = memoryAdapter();
    const recorded = Object.fromEntries(
      ['attach', 'add', 'remove', 'join', 'leave', 'broadcast', 'roomCount', 'close'].map((name) => [
        name,
        (...args) => {
          if (name !== 'roomCount') log.push([name, ...args.filter((arg) => typeof arg === 'string' || arg === null)]);
          return adapter[name](...args);
        },
      ]),
    );
    const { bricks, url } = await start(t, { adapter: recorded });
    const { client, peer } = await connect(bricks, url());
    await client.join('r');
    bricks.to('r').send('a', 1);
    bricks.send('b', 2);
    await client.leave('r');
    await peer.next();
    await peer.next();
    await Promise.all([peer.close(), once(bricks, 'disconnect')]);
    await bricks.close();
    assert.deepEqual(log, [['attach'], ['add'], ['join', 'r'], ['broadcast', 'r'], ['broadcast', null], ['leave', 'r'], ['remove'], ['close']]);
  });

  test('room and type are checked', async (t) => {
    const { bricks, url } = await start(t);
    const { client } = await connect(bricks, url());
    assert.throws(() => bricks.to(''), { name: 'TypeError', message: /room/ });
    assert.throws(() => bricks.to('r').send('reply', 1), { name: 'TypeError', message: /answers/ });
    assert.throws(() => bricks.send('close', 1), { name: 'TypeError', message: /own events/ });
    await assert.rejects(client.join(''), { name: 'TypeError' });
    await assert.rejects(client.leave(5), { name: 'TypeError' });
  });
});

describe('the client object', () => {
  test('id is unique; clients is the set of connected clients', async (t) => {
    const { bricks, url } = await start(t);
    const a = await connect(bricks, url());
    const b = await connect(bricks, url());
    assert.equal(typeof a.client.id, 'string');
    assert.notEqual(a.client.id, b.client.id);
    assert.deepEqual([...bricks.clients], [a.client, b.client]);
    await Promise.all([a.peer.close(), once(bricks, 'disconnect')]);
    assert.deepEqual([...bricks.clients], [b.client]);
  });

  test('send() sends one frame and says true; after the client left, false', async (t) => {
    const { bricks, url } = await start(t);
    const { client, peer } = await connect(bricks, url());
    assert.equal(client.send('hello', { a: 1 }), true);
    assert.equal(client.send('bare'), true);
    assert.deepEqual(await peer.next(), { type: 'hello', data: { a: 1 } });
    assert.deepEqual(await peer.next(), { type: 'bare', data: null });
    await Promise.all([peer.close(), once(bricks, 'disconnect')]);
    assert.equal(client.send('hello', 1), false);
  });

  test('send() refuses reserved types and data JSON cannot write', async (t) => {
    const { bricks, url } = await start(t);
    const { client } = await connect(bricks, url());
    assert.throws(() => client.send('reply', 1), TypeError);
    assert.throws(() => client.send('error', 1), TypeError);
    assert.throws(() => client.send('x', 1n), TypeError);
  });

  test('close() closes with 1000 by default (the element does not reconnect), or the code given', async (t) => {
    const { bricks, url } = await start(t);
    const a = await connect(bricks, url());
    a.client.close();
    assert.deepEqual(await a.peer.closed, { code: 1000, reason: '' });
    const b = await connect(bricks, url());
    b.client.close(1013, 'come back later');
    assert.deepEqual(await b.peer.closed, { code: 1013, reason: 'come back later' });
    const c = await connect(bricks, url());
    assert.throws(() => c.client.close(1006), { name: 'TypeError', message: /close code/ });
    assert.throws(() => c.client.close(1000, 'x'.repeat(124)), { name: 'TypeError', message: /123 bytes/ });
    assert.equal(c.client.send('still', 'open'), true);
  });
});
