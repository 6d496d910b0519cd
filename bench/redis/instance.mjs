// One server instance for bench/redis/measure.mjs, in a process of its own (forked, driven over IPC):
// bricks-websocket/server with the in-memory or the Redis adapter, or socket.io alone or with
// @socket.io/redis-adapter, on the same Redis. Told `publish`, it sends `count` frames to every
// client (`send()` / `io.emit()`), `rate` a second or all at once, each carrying the time it was
// sent (performance.timeOrigin + performance.now(), comparable across processes of one machine).
import { createServer as createHttpServer } from 'node:http';
import { once } from 'node:events';
import { createClient } from 'redis';

const { KIND, ADAPTER, REDIS_URL, PREFIX } = process.env;
const now = () => performance.timeOrigin + performance.now();
const http = createHttpServer();
let publish;
let close;
let clientCount;

if (KIND === 'bricks') {
  const { createServer } = await import('bricks-websocket/server');
  let adapter;
  if (ADAPTER === 'redis') {
    const { redisAdapter } = await import('bricks-websocket/server/redis');
    adapter = redisAdapter({ url: REDIS_URL, prefix: PREFIX });
  }
  const bricks = createServer({ server: http, path: '/ws', pingInterval: 0, sendLimit: 64 * 1024 * 1024, ...(adapter ? { adapter } : {}) });
  bricks.on('error', (error) => console.error(`[bench instance] ${error.message}`));
  if (adapter) await once(adapter, 'connected');
  publish = (i) => bricks.send('tick', { i, t: now() });
  clientCount = () => bricks.clients.size;
  close = () => bricks.close({ timeout: 1000 });
} else {
  const { Server } = await import('socket.io');
  const io = new Server(http, { transports: ['websocket'], serveClient: false, perMessageDeflate: false });
  const clients = [];
  if (ADAPTER === 'redis') {
    const { createAdapter } = await import('@socket.io/redis-adapter');
    // No command timeout, as the bricks adapter: under load node-redis' default 5 s would fail its publishes.
    const pub = createClient({ url: REDIS_URL, commandOptions: { timeout: 0 } });
    const sub = pub.duplicate();
    for (const client of [pub, sub]) client.on('error', (error) => console.error(`[bench instance] ${error.message}`));
    await Promise.all([pub.connect(), sub.connect()]);
    clients.push(pub, sub);
    io.adapter(createAdapter(pub, sub, { key: PREFIX }));
  }
  publish = (i) => io.emit('tick', { i, t: now() });
  clientCount = () => io.engine.clientsCount;
  close = async () => {
    io.disconnectSockets(true);
    await new Promise((resolve) => io.close(() => resolve()));
    await Promise.all(clients.map((client) => client.close()));
  };
}

http.listen(0, '127.0.0.1', () => process.send({ ready: http.address().port }));
// The bench ended, however it ended: this instance ends with it.
process.on('disconnect', () => process.exit(0));

process.on('message', async (message) => {
  if (message.clients) return process.send({ clients: clientCount() });
  if (message.publish) {
    const { count, rate } = message.publish;
    if (!rate) {
      for (let i = 0; i < count; i++) publish(i);
    } else {
      const start = performance.now();
      for (let i = 0; i < count; i++) {
        const due = start + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        publish(i);
      }
    }
    return process.send({ published: count });
  }
  if (message.close) {
    await close();
    process.send({ closed: true });
    process.disconnect();
  }
});
