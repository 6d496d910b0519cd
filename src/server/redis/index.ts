/**
 * `bricks-websocket/server/redis`: the Redis adapter, for running several server instances as
 * one. Built on node-redis (the `redis` package), an optional peer dependency: applications that
 * never import this module install nothing for it.
 */
import { connectionFactory, describeTarget, type RedisClientLike } from './link.js';
import { RedisAdapter } from './redis-adapter.js';

export interface RedisAdapterOptions {
  /** Where Redis is, as node-redis reads it (`redis://[[user]:password@]host[:port][/db]`, `rediss://` for TLS). Default `redis://localhost:6379`. */
  url?: string;
  /** A node-redis client the application already has: the adapter makes its own connections from it with `duplicate()`, and never uses or closes the client itself. */
  client?: RedisClientLike;
  /** Put before every key and channel the adapter uses. Default `'bricks:'`. */
  prefix?: string;
}

const KNOWN = new Set(['url', 'client', 'prefix']);

function fail(message: string): never {
  throw new TypeError(`redisAdapter(options): ${message}`);
}

/** An adapter that spreads rooms and broadcasts over every server instance connected to the same Redis. */
export function redisAdapter(options: RedisAdapterOptions = {}): RedisAdapter {
  if (options === null || typeof options !== 'object') fail('pass an object, such as { url: "redis://127.0.0.1:6379" }.');
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) fail(`unknown option "${key}" (known: ${[...KNOWN].join(', ')}).`);
  const { url, client, prefix = 'bricks:' } = options;
  if (url !== undefined && client !== undefined) fail('pass url or client, not both: the client already says where Redis is.');
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) fail('url must be a string such as "redis://127.0.0.1:6379".');
  if (client !== undefined && (client === null || typeof client !== 'object' || typeof client.duplicate !== 'function')) fail('client must be a node-redis client (from createClient() of the "redis" package).');
  if (typeof prefix !== 'string' || prefix === '') fail('prefix must be a non-empty string, such as "bricks:".');
  return new RedisAdapter({ connect: connectionFactory(url, client), target: describeTarget(url, client), prefix, history: { size: 1000, ttl: 120_000 } });
}

export { RedisAdapter } from './redis-adapter.js';
export type { RedisClientLike } from './link.js';
