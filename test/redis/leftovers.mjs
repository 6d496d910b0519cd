// Run by close.test.mjs in a process of its own, with the URL of a redis-server (or of a port
// where none listens): two instances with the Redis adapter, clients in rooms, frames on their
// way, then close(). Prints what the process still holds beyond what it held before.
import { added } from '../server/added-resources.mjs';
import { once } from 'node:events';
import { createServer } from '../../dist/server/index.js';
import { redisAdapter } from '../../dist/server/redis/index.js';
import { Peer } from '../server/support.mjs';


const [url, mode] = process.argv.slice(2);
const nodes = [];
for (let i = 0; i < 2; i++) {
  const adapter = redisAdapter({ url, prefix: `leftovers${process.pid}:` });
  const bricks = createServer({ port: 0, host: '127.0.0.1', adapter });
  const errors = [];
  bricks.on('error', (error) => errors.push(error.message));
  await bricks.ready;
  if (mode === 'up') await once(adapter, 'connected');
  else await new Promise((resolve) => bricks.once('error', resolve));
  nodes.push({ bricks, adapter, errors, url: `ws://127.0.0.1:${bricks.address().port}/ws` });
}
const peers = [];
for (const node of nodes) {
  // Not events.once(), which would reject at the adapter's next error report.
  const connected = new Promise((resolve) => node.bricks.once('connection', (client) => resolve([client])));
  peers.push(await Peer.open(node.url));
  const [client] = await connected;
  await client.join('room');
}
nodes[0].bricks.to('room').send('hello', 1);
if (mode === 'up') for (const peer of peers) await peer.next();
// Frames still on their way to Redis when close() starts.
for (let i = 0; i < 100; i++) nodes[1].bricks.to('room').send('more', i);
await Promise.all(nodes.map((node) => node.bricks.close({ timeout: 0 })));
await Promise.all(peers.map((peer) => peer.closed));
for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
console.log(JSON.stringify({ resources: added(), connected: nodes.map((node) => node.adapter.connected) }));
