// A stream's first socket that goes before its answer reached the page, with the Redis adapter
// (PROTOCOL.md, "Resume", the hello's `stream`): the page comes back on another instance with
// `token: null` and its own name for the stream, and the frames it sends again are not handled
// twice, since the name and the stream's handled position live in Redis.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { numbered, rawResumeSocket as socket } from '../server/resume-support.mjs';
import { instances, privateRedis } from './support.mjs';

const redis = privateRedis();

/** Two instances whose `chaos` handlers record, in one list, what they are handed. */
async function pair(t) {
  const handled = [];
  const waiters = new Set();
  const nodes = await instances(t, redis, 2, {
    authenticate: (request) => ({ user: new URL(request.url, 'http://localhost').searchParams.get('user') }),
  });
  for (const { bricks } of nodes) {
    bricks.handle('chaos', ({ user, i }) => {
      handled.push(`${user}${i}`);
      for (const waiter of [...waiters]) waiter();
    });
  }
  const until = (count) =>
    new Promise((resolve) => {
      const waiter = () => {
        if (handled.length < count) return;
        waiters.delete(waiter);
        resolve();
      };
      waiters.add(waiter);
      waiter();
    });
  return { nodes, handled, until };
}

/** Resolves with the first frame `read` gets that `predicate` accepts. */
async function reads({ ws, read }, predicate) {
  for (;;) {
    const found = read.find(predicate);
    if (found) return found;
    await once(ws, 'message');
  }
}

const answered = (frame) => frame.type === 'resumed' && typeof frame.data.token === 'string';

describe('resume with the Redis adapter: a first socket that goes before its answer reached the page', () => {
  test('the page comes back on another instance with no token: every frame handled once, recovered false, next after the old stream\'s; another user\'s same name changes nothing', async (t) => {
    const { nodes: [a, b], handled, until } = await pair(t);
    const id = 'cmVkaXMtZmlyc3Qtc29ja2V0';
    const first = await socket(t, a.url, 'ana', { token: null, stream: id, seen: {}, next: 1 }, numbered(1, 5));
    // Acknowledged: the handled position is on its way to Redis before this (the page never reads the token).
    await reads(first, (frame) => frame.type === 'resumed' && frame.data.acked === 5 && frame.data.token === undefined);
    const gone = once(a.bricks, 'disconnect');
    first.ws.terminate();
    await gone;

    const other = await socket(t, b.url, 'bob', { token: null, stream: id, seen: {}, next: 1 }, numbered(1, 1, 'bob'));
    const otherAnswer = await reads(other, answered);
    assert.deepEqual([otherAnswer.data.next, otherAnswer.data.recovered], [1, true]);
    await until(6);

    const second = await socket(t, b.url, 'ana', { token: null, stream: id, seen: {}, next: 1 }, numbered(1, 8));
    const { data } = await reads(second, answered);
    assert.equal(data.recovered, false, 'the first socket\'s server frames are not given back');
    assert.equal(data.next, 6);
    await until(9);
    assert.deepEqual(handled, ['ana1', 'ana2', 'ana3', 'ana4', 'ana5', 'bob1', 'ana6', 'ana7', 'ana8']);
    assert.deepEqual([...a.errors, ...b.errors], []);
  });

  test('a first socket another instance still holds open is closed with 1008 when the page comes back here', async (t) => {
    const { nodes: [a, b], handled, until } = await pair(t);
    const id = 'c3RpbGwtb3Blbi1lbHNld2hlcmU';
    const first = await socket(t, a.url, 'ana', { token: null, stream: id, seen: {}, next: 1 }, numbered(1, 3));
    await reads(first, (frame) => frame.type === 'resumed' && frame.data.acked === 3 && frame.data.token === undefined);
    const closed = once(first.ws, 'close');
    const second = await socket(t, b.url, 'ana', { token: null, stream: id, seen: {}, next: 1 }, numbered(1, 4));
    assert.equal((await reads(second, answered)).data.next, 4);
    const [code] = await closed;
    assert.equal(code, 1008);
    await until(4);
    assert.deepEqual(handled, ['ana1', 'ana2', 'ana3', 'ana4']);
  });
});
