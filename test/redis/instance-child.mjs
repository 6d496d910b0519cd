// A server instance on the Redis adapter in a process of its own, for tests that kill it with
// SIGKILL: a page's `join` frame puts it in `room` (and says `joined`); each `up` frame is written to LOG with appendFileSync before the
// handler returns (so what it handled survives the kill), as `<instance> <page> <i>`.
// Keeps 10,000 frames of each stream (the tests send 5,000 to a room while its pages are away).
// Tells its parent `{ port }` once it listens and reaches Redis.
import { appendFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from '../../dist/server/index.js';
import { redisAdapter } from '../../dist/server/redis/index.js';

const { REDIS_URL, PREFIX, PORT = '0', NAME = 'A', LOG } = process.env;
const adapter = redisAdapter({ url: REDIS_URL, prefix: PREFIX });
const bricks = createServer({ port: Number(PORT), host: '127.0.0.1', adapter, history: { size: 10_000, ttl: 120_000 } });
bricks.on('error', () => {});
bricks.handle('join', async (room, { client }) => {
  await client.join(room);
  client.send('joined', room);
});
bricks.handle('up', (data) => {
  appendFileSync(LOG, `${NAME} ${data.p} ${data.i}\n`);
});
await bricks.ready;
if (!adapter.connected) await once(adapter, 'connected');
process.send({ port: bricks.address().port });
