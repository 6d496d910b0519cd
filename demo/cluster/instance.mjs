// One instance of the cluster demo (`npm run demo:cluster`, demo/cluster.mjs starts two): the
// demo's static files and a bricks-websocket server at /ws on the Redis adapter. A chat for
// everyone, a tick from each instance every two seconds (so a page sees both instances reach it
// wherever it is connected), `whoami`, and `restart`, which closes this instance with 1012 and
// exits; demo/cluster.mjs starts it again on the same port.
//
//   NAME=A PORT=8091 REDIS_URL=redis://127.0.0.1:6379 node demo/cluster/instance.mjs

import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createServer } from '../../dist/server/index.js';
import { redisAdapter } from '../../dist/server/redis/index.js';
import { HttpError, parseRequestUrl, sendJson } from '../server/http.mjs';
import { serveStatic } from '../server/static.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const { NAME = 'A', PORT = '8091', HOST = '127.0.0.1', REDIS_URL } = process.env;
const TICK_MS = 2000;

const http = createHttpServer((req, res) => {
  const url = parseRequestUrl(req);
  serveStatic(ROOT, req, res, url?.pathname ?? '/').catch((error) => {
    if (res.headersSent) return res.destroy();
    sendJson(res, error instanceof HttpError ? error.status : 500, { error: error.message });
  });
});

const adapter = redisAdapter({ url: REDIS_URL, prefix: 'bricks-demo:' });
// The proxy passes bytes as they are, Host included: the default origin check holds.
const bricks = createServer({ server: http, path: '/ws', adapter });
bricks.on('error', (error) => console.error(`[${NAME}] ${error.message}`));
adapter.on('connected', () => console.log(`[${NAME}] connected to Redis`));

bricks.on('connection', (client) => client.send('hello', { instance: NAME }));
bricks.handle('chat', (text, { client }) => {
  if (typeof text !== 'string' || text === '' || text.length > 500) return;
  bricks.send('chat', { text, instance: NAME, client: client.id });
});
bricks.handle('whoami', () => ({ instance: NAME, port: Number(PORT), clients: bricks.clients.size }));
bricks.handle('restart', () => {
  console.log(`[${NAME}] restarting, as a page asked`);
  // After the reply has gone: every page of this instance reconnects (1012), through the proxy, to the other.
  // It stops listening first, so the proxy sends new connections to the other instance.
  setImmediate(() => {
    http.close();
    bricks.close({ code: 1012, reason: 'restart' }).then(() => process.exit(0));
  });
  return { instance: NAME };
});

let tick = 0;
const ticker = setInterval(() => bricks.send('tick', { instance: NAME, tick: ++tick }), TICK_MS);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    clearInterval(ticker);
    bricks.close({ code: 1001, reason: 'going away', timeout: 1000 }).then(() => process.exit(0));
  });
}

// Pages are let in once Redis is reached, so the first chat of a page reaches every instance.
await once(adapter, 'connected');
http.listen(Number(PORT), HOST, () => console.log(`[${NAME}] listening on http://${HOST}:${PORT}`));
