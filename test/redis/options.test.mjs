// redisAdapter()'s options, how the adapter ships, and the stream rules it keeps in Redis (pure).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { redisAdapter } from '../../dist/server/redis/index.js';
import { Backoff } from '../../dist/server/redis/backoff.js';
import { missedSince, parseEntry, streamKeys } from '../../dist/server/redis/streams.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));

describe('redisAdapter(options)', () => {
  test('a mistake is a TypeError that says what to pass', () => {
    const cases = [
      [null, /pass an object/],
      [{ host: 'x' }, /unknown option "host" \(known: url, client, prefix\)/],
      [{ url: 'http://x' }, /url must be a string such as "redis:\/\/127\.0\.0\.1:6379"/],
      [{ url: 6379 }, /url must be/],
      [{ client: {} }, /client must be a node-redis client/],
      [{ url: 'redis://x', client: { duplicate() {} } }, /pass url or client, not both/],
      [{ prefix: '' }, /prefix must be a non-empty string/],
    ];
    for (const [options, message] of cases) assert.throws(() => redisAdapter(options), (error) => error instanceof TypeError && message.test(error.message), String(message));
  });

  test('makes no connection before a server attaches it, and closes without one', async () => {
    const adapter = redisAdapter({ url: 'redis://127.0.0.1:1' });
    assert.equal(adapter.connected, false);
    await adapter.close();
  });
});

describe('reconnecting', () => {
  test('waits from 100 ms, doubling up to 5 s, each wait between three quarters of its step and the step; from the start again after a success', () => {
    const backoff = new Backoff();
    const ceilings = [100, 200, 400, 800, 1600, 3200, 5000, 5000];
    for (const ceiling of ceilings) {
      const wait = backoff.next();
      assert.ok(wait >= ceiling * 0.75 && wait <= ceiling, `${wait} within [${ceiling * 0.75}, ${ceiling}]`);
    }
    backoff.reset();
    assert.ok(backoff.next() <= 100);
  });
});

describe('how the adapter ships', () => {
  test('exported as bricks-websocket/server/redis; redis an optional peer dependency', async () => {
    assert.deepEqual(pkg.exports['./server/redis'], { types: './dist/server/redis/index.d.ts', default: './dist/server/redis/index.js' });
    assert.equal(pkg.dependencies.redis, undefined);
    assert.match(pkg.peerDependencies.redis, /^\^6\./);
    assert.deepEqual(pkg.peerDependenciesMeta.redis, { optional: true });
    assert.ok(pkg.devDependencies.redis);
    const stdout = await new Promise((resolve, reject) => {
      const code = `const m = await import('bricks-websocket/server/redis'); console.log(Object.keys(m).sort().join(' '))`;
      execFile(process.execPath, ['--input-type=module', '-e', code], { cwd: root }, (error, out) => (error ? reject(error) : resolve(out)));
    });
    assert.equal(stdout.trim(), 'RedisAdapter redisAdapter');
  });

  test('bricks-websocket/server itself loads nothing of Redis', () => {
    const index = readFileSync(`${root}dist/server/index.js`, 'utf8');
    assert.ok(!/redis/i.test(index));
  });
});

describe('streams in Redis', () => {
  test('keys and channels sit under the prefix, a room never colliding with everyone', () => {
    assert.deepEqual(streamKeys('p:', null), { channel: 'p:c:*', numbering: 'p:n:*', history: 'p:h:*' });
    assert.deepEqual(streamKeys('p:', '*'), { channel: 'p:c:r:*', numbering: 'p:n:r:*', history: 'p:h:r:*' });
  });

  test('an entry reads back with its number, time, origin and frame; anything else is null', () => {
    assert.deepEqual(parseEntry('1796525481340971 1796525481340 ab.1 {"type":"x","data":"a b"}'), {
      n: 1796525481340971,
      time: 1796525481340,
      origin: 'ab.1',
      text: '{"type":"x","data":"a b"}',
    });
    for (const raw of ['', 'hello', '0 1 o {}', 'x 1 o {}', '1 1 o']) assert.equal(parseEntry(raw), null, raw);
  });

  test('what a reader missed: the entries after its position, and whether the history shows a gap', () => {
    const entry = (n) => ({ n, time: 0, origin: 'o', text: String(n) });
    const numbering = { n: 105, start: 100 };
    const history = [102, 103, 104, 105].map(entry);
    assert.deepEqual(missedSince(103, numbering, history), { entries: [entry(104), entry(105)], gap: false });
    assert.deepEqual(missedSince(105, numbering, history), { entries: [], gap: false });
    assert.deepEqual(missedSince(100, numbering, history), { entries: history, gap: true }, 'frame 101 was trimmed');
    // A position from an earlier stream of that name (Redis lost it, or it expired): the new one from its start.
    assert.deepEqual(missedSince(40, { n: 102, start: 100 }, [100, 101, 102].map(entry)), { entries: [100, 101, 102].map(entry), gap: false });
    assert.deepEqual(missedSince(40, { n: 102, start: 100 }, [101, 102].map(entry)).gap, true);
    assert.deepEqual(missedSince(7, null, []), { entries: [], gap: false });
  });
});
