// resume, the server's half, when a stream's first socket goes before its answer reached the page
// (PROTOCOL.md, "Resume", the hello's `stream`): the page never learnt the token, says `token:
// null` again with its own name for the stream, and sends again the frames it still keeps. Raw
// `ws` clients play the page, so that what it reads (nothing, on its first socket) is the test's
// choice. Every wait is for an event, never for time.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { numbered, rawResumeSocket as socket } from './resume-support.mjs';
import { start } from './support.mjs';

const ID = 'Qm9vay1vZi1zdHJlYW1zIQ';

/** A server whose `chaos` handler records what it is handed; `until(count)` waits for that many. */
async function recording(t) {
  const handled = [];
  const waiters = new Set();
  const { bricks, url } = await start(t, {
    authenticate: (request) => ({ user: new URL(request.url, 'http://localhost').searchParams.get('user') }),
  });
  bricks.handle('chaos', ({ user, i }) => {
    handled.push(`${user}${i}`);
    for (const waiter of [...waiters]) waiter();
  });
  const until = (count) =>
    handled.length >= count
      ? Promise.resolve()
      : new Promise((resolve) => {
          const waiter = () => {
            if (handled.length < count) return;
            waiters.delete(waiter);
            resolve();
          };
          waiters.add(waiter);
        });
  return { bricks, url: url(), handled, until };
}

/** The first frame a socket reads, the answer to its hello. */
async function answer(ws, read) {
  while (read.length === 0) await once(ws, 'message');
  return read[0].data;
}

describe('resume: a first socket that goes before its answer reached the page', () => {
  test('the next socket with the same stream name and no token: every frame handled once, recovered false, next after the old stream\'s', async (t) => {
    const { bricks, url, handled, until } = await recording(t);
    const first = await socket(t, url, 'ana', { token: null, stream: ID, seen: {}, next: 1 }, numbered(1, 5));
    await until(5);
    // Cut before the page read anything: it never learnt the token.
    const gone = once(bricks, 'disconnect');
    first.ws.terminate();
    await gone;

    const second = await socket(t, url, 'ana', { token: null, stream: ID, seen: {}, next: 1 }, numbered(1, 8));
    const reply = await answer(second.ws, second.read);
    assert.equal(reply.recovered, false, 'the first socket\'s server frames are not given back');
    assert.equal(reply.next, 6);
    assert.equal(reply.acked, 5);
    assert.notEqual(reply.token, undefined);
    await until(8);
    assert.deepEqual(handled, ['ana1', 'ana2', 'ana3', 'ana4', 'ana5', 'ana6', 'ana7', 'ana8']);
  });

  test('another user\'s hello with the same stream name starts from its own next, and the first user still continues', async (t) => {
    const { bricks, url, handled, until } = await recording(t);
    const first = await socket(t, url, 'ana', { token: null, stream: ID, seen: {}, next: 1 }, numbered(1, 5));
    await until(5);
    const gone = once(bricks, 'disconnect');
    first.ws.terminate();
    await gone;

    const other = await socket(t, url, 'bob', { token: null, stream: ID, seen: {}, next: 1 }, numbered(1, 2, 'bob'));
    const otherReply = await answer(other.ws, other.read);
    assert.equal(otherReply.next, 1);
    assert.equal(otherReply.recovered, true, 'a first socket like any other');
    await until(7);

    const second = await socket(t, url, 'ana', { token: null, stream: ID, seen: {}, next: 1 }, numbered(1, 6));
    const reply = await answer(second.ws, second.read);
    assert.equal(reply.next, 6);
    await until(8);
    assert.deepEqual(handled, ['ana1', 'ana2', 'ana3', 'ana4', 'ana5', 'bob1', 'bob2', 'ana6']);
  });

  test('a stream name never seen, or one whose token has resumed it since, starts from the hello\'s own next', async (t) => {
    const { bricks, url, handled, until } = await recording(t);
    const first = await socket(t, url, 'ana', { token: null, stream: ID, seen: {}, next: 1 }, numbered(1, 2));
    const { token } = await answer(first.ws, first.read);
    await until(2);
    let gone = once(bricks, 'disconnect');
    first.ws.terminate();
    await gone;
    // The page learnt the token and resumed with it: its name continues nothing any more.
    const resumed = await socket(t, url, 'ana', { token, stream: ID, seen: {}, next: 3 }, numbered(3, 3));
    assert.equal((await answer(resumed.ws, resumed.read)).recovered, true);
    await until(3);
    gone = once(bricks, 'disconnect');
    resumed.ws.terminate();
    await gone;

    const again = await socket(t, url, 'ana', { token: null, stream: ID, seen: {}, next: 1 }, []);
    assert.equal((await answer(again.ws, again.read)).next, 1);
    const unknown = await socket(t, url, 'ana', { token: null, stream: 'bmV2ZXItc2Vlbi1iZWZvcmUh', seen: {}, next: 1 }, []);
    assert.equal((await answer(unknown.ws, unknown.read)).next, 1);
    assert.deepEqual(handled, ['ana1', 'ana2', 'ana3']);
  });

  test('a first socket the server still holds open is closed with 1008 when the next one continues its stream; nothing is handled twice', async (t) => {
    const { bricks, url, handled, until } = await recording(t);
    const first = await socket(t, url, 'ana', { token: null, stream: ID, seen: {}, next: 1 }, numbered(1, 3));
    await until(3);
    const closed = once(first.ws, 'close');
    const second = await socket(t, url, 'ana', { token: null, stream: ID, seen: {}, next: 1 }, numbered(1, 4));
    assert.equal((await answer(second.ws, second.read)).next, 4);
    const [code] = await closed;
    assert.equal(code, 1008);
    await until(4);
    assert.deepEqual(handled, ['ana1', 'ana2', 'ana3', 'ana4']);
  });

  test('a hello whose stream is not a string closes with 1002', async (t) => {
    const { url } = await recording(t);
    const bad = await socket(t, url, 'ana', { token: null, stream: 7, seen: {}, next: 1 }, []);
    const [code] = await once(bad.ws, 'close');
    assert.equal(code, 1002);
  });
});
