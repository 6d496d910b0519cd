// close(): the adapter leaves no Redis connection, subscription or timer behind, whether Redis
// is there or not, and never closes a client the application passed in.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/redis.mjs';
import { instance, privateRedis, redisClient } from './support.mjs';

const redis = privateRedis();
const script = fileURLToPath(new URL('./leftovers.mjs', import.meta.url));

function leftovers(url, mode) {
  return new Promise((resolve, reject) => {
    // The process must also end by itself: nothing of the adapter keeps it alive.
    execFile(process.execPath, [script, url, mode], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
  });
}

describe('close()', () => {
  test('bricks.close() leaves no connection, subscription or timer of the adapter behind, and the process ends', async (t) => {
    const watcher = await redisClient(t, redis);
    const before = (await watcher.clientList()).length;
    const result = await leftovers(redis.url, 'up');
    assert.deepEqual(result, { resources: [], connected: [false, false] });
    assert.equal((await watcher.clientList()).length, before, 'no connection left in Redis');
  });

  test('closing while Redis is unreachable (a retry waiting) leaves nothing behind either', async () => {
    const result = await leftovers(`redis://127.0.0.1:${await freePort()}`, 'down');
    assert.deepEqual(result, { resources: [], connected: [false, false] });
  });

  test("a client the application passed in stays open and unused; the adapter's own connections close", async (t) => {
    const mine = await redisClient(t, redis, { name: 'app' });
    const node = await instance(t, redis, { adapter: { url: undefined, client: mine } });
    const named = async () => (await mine.clientList()).filter((entry) => entry.name === 'app').length;
    assert.equal(await named(), 3, "the application's client and the adapter's two duplicates");
    await node.bricks.close();
    assert.equal(mine.isOpen, true);
    assert.equal(await mine.ping(), 'PONG');
    assert.equal(await named(), 1);
  });

  test("the adapter's own close() (without a server) is enough too, and can be called twice", async (t) => {
    const watcher = await redisClient(t, redis);
    const before = (await watcher.clientList()).length;
    const node = await instance(t, redis);
    assert.equal((await watcher.clientList()).length, before + 2);
    await node.adapter.close();
    await node.adapter.close();
    assert.equal((await watcher.clientList()).length, before);
  });
});
