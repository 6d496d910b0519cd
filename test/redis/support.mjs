// Helpers for the Redis adapter's tests: a private redis-server for the file (scripts/redis.mjs:
// a free port, a temporary directory, stopped when the file ends, whatever happens), and server
// instances sharing it. No mock of Redis: every instance talks to the real one.
import { after, before } from 'node:test';
import { once } from 'node:events';
import { createClient } from 'redis';
import { createServer } from '../../dist/server/index.js';
import { redisAdapter } from '../../dist/server/redis/index.js';
import { PrivateRedis } from '../../scripts/redis.mjs';
import { Peer } from '../server/support.mjs';

export { Peer };

/**
 * Connects and waits for both sides, as test/server's `connect()`, but without events.once(),
 * which would reject at an error the adapter reports meanwhile (Redis away).
 */
export async function connect(bricks, url) {
  const [client, peer] = await Promise.all([new Promise((resolve) => bricks.once('connection', resolve)), Peer.open(url)]);
  return { client, peer };
}

/** The file's redis-server, started before its tests and stopped after them. */
export function privateRedis() {
  const redis = new PrivateRedis();
  before(() => redis.start());
  after(() => redis.dispose());
  return redis;
}

/** Resolves once the adapter sends through Redis. */
export function connected(adapter) {
  return adapter.connected ? Promise.resolve() : once(adapter, 'connected');
}

/**
 * A server instance on a free port with a Redis adapter, connected, closed after the test.
 * Its `errors` collects what its `error` event reported.
 */
export async function instance(t, redis, { adapter: adapterOptions = {}, ...options } = {}) {
  const adapter = redisAdapter({ url: redis.url, prefix: `t${process.pid}:`, ...adapterOptions });
  const bricks = createServer({ port: 0, host: '127.0.0.1', adapter, ...options });
  const errors = [];
  bricks.on('error', (error) => errors.push(error));
  t.after(() => bricks.close({ timeout: 0 }));
  await Promise.all([bricks.ready, connected(adapter)]);
  const url = `ws://127.0.0.1:${bricks.address().port}/ws`;
  return { bricks, adapter, errors, url, connect: () => connect(bricks, url) };
}

/** Several instances on one Redis. */
export function instances(t, redis, count, options) {
  return Promise.all(Array.from({ length: count }, () => instance(t, redis, options)));
}

/** `count` frames from `peer`, in the order they came. */
export async function take(peer, count) {
  const frames = [];
  while (frames.length < count) frames.push(await peer.next());
  return frames;
}

/** A plain node-redis client of the test's own, closed after the test. */
export async function redisClient(t, redis, options = {}) {
  const client = createClient({ url: redis.url, ...options });
  client.on('error', () => {});
  await client.connect();
  t.after(() => client.isOpen && client.destroy());
  return client;
}

/** Resolves with the first error an instance reports whose message matches `pattern`. */
export function reported(node, pattern) {
  const found = node.errors.find((error) => pattern.test(error.message));
  if (found) return Promise.resolve(found);
  return new Promise((resolve) => {
    const listener = (error) => {
      if (!pattern.test(error.message)) return;
      node.bricks.off('error', listener);
      resolve(error);
    };
    node.bricks.on('error', listener);
  });
}
