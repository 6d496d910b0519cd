// Requests both ways, with every outcome: the page asks (handle()'s return value is the reply)
// and the server asks (client.request(), the element's request() mirrored).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { ReplyError } from '../../dist/server/index.js';
import { connect, start } from './support.mjs';

describe('the page asks: handle() answers requests', () => {
  test('the return value, or its promise’s, is the reply', async (t) => {
    const { bricks, url } = await start(t);
    bricks.handle('sum', (data) => data.a + data.b);
    bricks.handle('later', async (data) => ({ echoed: data }));
    bricks.handle('nothing', () => undefined);
    const { peer } = await connect(bricks, url());
    peer.send({ type: 'sum', data: { a: 1, b: 2 }, id: 'k-1' });
    assert.deepEqual(await peer.next(), { type: 'reply', id: 'k-1', data: 3 });
    peer.send({ type: 'later', data: [1], id: 'k-2' });
    assert.deepEqual(await peer.next(), { type: 'reply', id: 'k-2', data: { echoed: [1] } });
    peer.send({ type: 'nothing', id: 'k-3' });
    assert.deepEqual(await peer.next(), { type: 'reply', id: 'k-3', data: null }, 'a reply always has its data');
  });

  test('a ReplyError, thrown or rejected, is sent as the error form with its code and data', async (t) => {
    const { bricks, url } = await start(t);
    bricks.handle('rename', (name) => {
      throw new ReplyError(`${name} is taken`, { code: 'taken', data: { suggestion: `${name}2` } });
    });
    bricks.handle('stock', async () => Promise.reject(new ReplyError('out of stock')));
    const { peer } = await connect(bricks, url());
    peer.send({ type: 'rename', data: 'ana', id: 'r' });
    assert.deepEqual(await peer.next(), { type: 'reply', id: 'r', error: { message: 'ana is taken', code: 'taken', data: { suggestion: 'ana2' } } });
    peer.send({ type: 'stock', id: 's' });
    assert.deepEqual(await peer.next(), { type: 'reply', id: 's', error: { message: 'out of stock' } });
    assert.equal(bricks.listenerCount('error'), 0, 'a ReplyError is an answer, not an error to report');
  });

  test("any other exception is sent as 'Internal error' and reported, never its text", async (t) => {
    const { bricks, url } = await start(t);
    const errors = [];
    bricks.on('error', (error) => errors.push(error.message));
    bricks.handle('sync', () => {
      throw new TypeError('secret one');
    });
    bricks.handle('async', () => Promise.reject(new Error('secret two')));
    bricks.handle('thrown string', () => {
      throw 'a string';
    });
    const { peer } = await connect(bricks, url());
    for (const type of ['sync', 'async', 'thrown string']) {
      peer.send({ type, id: type });
      assert.deepEqual(await peer.next(), { type: 'reply', id: type, error: { message: 'Internal error', code: 'internal' } });
    }
    assert.deepEqual(errors, ['secret one', 'secret two', undefined]);
  });

  test('a return value JSON cannot write is an internal error, reported', async (t) => {
    const { bricks, url } = await start(t);
    const errors = [];
    bricks.on('error', (error) => errors.push(error.name));
    bricks.handle('big', () => 10n);
    const { peer } = await connect(bricks, url());
    peer.send({ type: 'big', id: 'b' });
    assert.deepEqual(await peer.next(), { type: 'reply', id: 'b', error: { message: 'Internal error', code: 'internal' } });
    assert.deepEqual(errors, ['TypeError']);
  });

  test('a request whose type has no handler gets unknown-type', async (t) => {
    const { bricks, url } = await start(t);
    const { peer } = await connect(bricks, url());
    peer.send({ type: 'history', data: { limit: 50 }, id: 'h' });
    assert.deepEqual(await peer.next(), { type: 'reply', id: 'h', error: { message: 'No handler for requests of type "history".', code: 'unknown-type' } });
    assert.equal(bricks.stats().dropped, 0, 'answered, so not dropped');
  });

  test('replies go out in the order handlers finish; each request gets exactly one', async (t) => {
    const { bricks, url } = await start(t);
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    bricks.handle('slow', async () => {
      await gate;
      return 'slow';
    });
    bricks.handle('fast', () => 'fast');
    const { peer } = await connect(bricks, url());
    peer.send({ type: 'slow', id: '1' });
    peer.send({ type: 'fast', id: '2' });
    assert.deepEqual(await peer.next(), { type: 'reply', id: '2', data: 'fast' });
    release();
    assert.deepEqual(await peer.next(), { type: 'reply', id: '1', data: 'slow' });
    assert.deepEqual(await peer.sync(), []);
  });

  test('a handler finishing after its client left sends nothing and breaks nothing', async (t) => {
    const { bricks, url } = await start(t);
    let release;
    const gate = new Promise((resolve) => (release = resolve));
    let finished;
    const done = new Promise((resolve) => (finished = resolve));
    bricks.handle('slow', async () => {
      await gate;
      setImmediate(finished);
      return 'late';
    });
    const { peer } = await connect(bricks, url());
    peer.send({ type: 'slow', id: '1' });
    await peer.sync();
    await Promise.all([peer.close(), once(bricks, 'disconnect')]);
    const sent = bricks.stats().framesOut;
    release();
    await done;
    assert.equal(bricks.stats().framesOut, sent);
  });
});

describe('the server asks: client.request()', () => {
  /** A page that answers each request with what `answer(frame)` gives (a reply body, or nothing). */
  function answering(peer, answer) {
    peer.ws.on('message', (text) => {
      const frame = JSON.parse(text);
      const body = frame.id && answer(frame);
      if (body) peer.ws.send(JSON.stringify({ type: 'reply', id: frame.id, ...body }));
    });
  }

  test('sends {type, data, id} and resolves with the reply’s data', async (t) => {
    const { bricks, url } = await start(t);
    const { client, peer } = await connect(bricks, url());
    const asked = peer.next();
    const answer = client.request('whoami', { why: 'test' });
    const frame = await asked;
    assert.equal(frame.type, 'whoami');
    assert.deepEqual(frame.data, { why: 'test' });
    assert.equal(typeof frame.id, 'string');
    peer.send({ type: 'reply', id: frame.id, data: { name: 'ana' } });
    assert.deepEqual(await answer, { name: 'ana' });
  });

  test('each request has its own id, and replies are matched by it in any order', async (t) => {
    const { bricks, url } = await start(t);
    const { client, peer } = await connect(bricks, url());
    const answers = [client.request('q', 1), client.request('q', 2), client.request('q', 3)];
    const frames = [await peer.next(), await peer.next(), await peer.next()];
    assert.equal(new Set(frames.map((frame) => frame.id)).size, 3);
    for (const frame of frames.reverse()) peer.send({ type: 'reply', id: frame.id, data: frame.data * 10 });
    assert.deepEqual(await Promise.all(answers), [10, 20, 30]);
  });

  test('an error reply rejects with a ReplyError carrying message, code and data', async (t) => {
    const { bricks, url } = await start(t);
    const { client, peer } = await connect(bricks, url());
    answering(peer, () => ({ error: { message: 'Not signed in', code: 'auth', data: { retry: false } } }));
    const error = await client.request('whoami').catch((error) => error);
    assert.ok(error instanceof ReplyError);
    assert.deepEqual([error.name, error.message, error.code, error.data], ['ReplyError', 'Not signed in', 'auth', { retry: false }]);
  });

  test('no reply within timeout rejects with a TimeoutError, and a late reply is dropped and counted', async (t) => {
    const { bricks, url } = await start(t);
    const { client, peer } = await connect(bricks, url());
    const error = await client.request('whoami', null, { timeout: 20 }).catch((error) => error);
    assert.equal(error.name, 'TimeoutError');
    assert.ok(error instanceof DOMException);
    const frame = await peer.next();
    peer.send({ type: 'reply', id: frame.id, data: 'late' });
    await peer.sync();
    assert.equal(bricks.stats().dropped, 1);
  });

  test('timeout 0 or Infinity waits for the reply', async (t) => {
    const { bricks, url } = await start(t);
    const { client, peer } = await connect(bricks, url());
    const answers = [client.request('a', null, { timeout: 0 }), client.request('b', null, { timeout: Infinity })];
    for (let i = 0; i < 2; i++) {
      const frame = await peer.next();
      peer.send({ type: 'reply', id: frame.id, data: frame.type });
    }
    assert.deepEqual(await Promise.all(answers), ['a', 'b']);
  });

  test('an aborted signal rejects with its reason: before the call nothing is sent, after it a late reply is ignored', async (t) => {
    const { bricks, url } = await start(t);
    const { client, peer } = await connect(bricks, url());
    const reason = new Error('user left');
    await assert.rejects(client.request('q', 0, { signal: AbortSignal.abort(reason) }), (error) => error === reason);
    const controller = new AbortController();
    const answer = client.request('q', 1, { signal: controller.signal });
    const frame = await peer.next();
    assert.equal(frame.data, 1, 'the request aborted before the call was never sent');
    controller.abort();
    assert.equal((await answer.catch((error) => error)).name, 'AbortError');
    peer.send({ type: 'reply', id: frame.id, data: 'late' });
    await peer.sync();
    assert.equal(bricks.stats().dropped, 1);
  });

  test('client.close() rejects the requests awaiting a reply with AbortError', async (t) => {
    const { bricks, url } = await start(t);
    const { client, peer } = await connect(bricks, url());
    const answer = client.request('q');
    await peer.next();
    client.close(4001, 'bye');
    const error = await answer.catch((error) => error);
    assert.equal(error.name, 'AbortError');
    assert.deepEqual(await peer.closed, { code: 4001, reason: 'bye' });
  });

  test('the connection lost rejects with NetworkError, and the request is never sent again', async (t) => {
    const { bricks, url } = await start(t);
    const { client, peer } = await connect(bricks, url());
    const answer = client.request('q');
    await peer.next();
    peer.ws.terminate();
    const error = await answer.catch((error) => error);
    assert.equal(error.name, 'NetworkError');
    await assert.rejects(client.request('q'), { name: 'NetworkError' });
    assert.equal(client.send('x', 1), false);
  });

  test('a forged reply, for another client’s request, settles nothing', async (t) => {
    const { bricks, url } = await start(t);
    const asked = await connect(bricks, url());
    const forger = await connect(bricks, url());
    const answer = asked.client.request('secret');
    const frame = await asked.peer.next();
    forger.peer.send({ type: 'reply', id: frame.id, data: 'forged' });
    await forger.peer.sync();
    assert.equal(bricks.stats().dropped, 1);
    asked.peer.send({ type: 'reply', id: frame.id, data: 'real' });
    assert.equal(await answer, 'real');
  });

  test('a second reply to one request is dropped and counted', async (t) => {
    const { bricks, url } = await start(t);
    const { client, peer } = await connect(bricks, url());
    const answer = client.request('q');
    const frame = await peer.next();
    peer.send({ type: 'reply', id: frame.id, data: 1 });
    peer.send({ type: 'reply', id: frame.id, data: 2 });
    await peer.sync();
    assert.equal(await answer, 1);
    assert.equal(bricks.stats().dropped, 1);
  });

  test('wrong arguments throw a TypeError at the call; data JSON cannot write rejects', async (t) => {
    const { bricks, url } = await start(t);
    const { client } = await connect(bricks, url());
    for (const [args, message] of [
      [['reply'], /answers/],
      [['open'], /own events/],
      [[''], /non-empty/],
      [['q', null, 5], /options must be an object/],
      [['q', null, { timeout: -1 }], /timeout/],
      [['q', null, { timeout: '5' }], /timeout/],
      [['q', null, { signal: {} }], /AbortSignal/],
    ]) {
      assert.throws(() => client.request(...args), { name: 'TypeError', message }, JSON.stringify(args));
    }
    await assert.rejects(client.request('q', 1n), TypeError);
  });
});
