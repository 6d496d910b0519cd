// `npm run demo:cluster`: the library's Redis adapter at work. Starts a private redis-server
// (scripts/redis.mjs), two instances of demo/cluster/instance.mjs on two ports, and a small
// proxy on one port that spreads connections over the instances that are up (round robin; a
// connection to an instance that is down goes to the next). Open
// http://127.0.0.1:8090/demo/cluster.html in two tabs: each says which instance it is on; chat
// and ticks reach every page through Redis; "Restart this instance" restarts the one the page is
// on, and the page comes back through the proxy on the other. Ctrl-C stops everything.
//
// PORT (default 8090) is the proxy's; the instances take the two ports after it. PORT=0 takes
// three free ports (the cluster test does).

import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { freePort, PrivateRedis } from '../scripts/redis.mjs';

const HOST = '127.0.0.1';
const PORT = Number(process.env.PORT ?? 8090);
const ports = PORT === 0 ? [await freePort(), await freePort()] : [PORT + 1, PORT + 2];
const INSTANCE = fileURLToPath(new URL('./cluster/instance.mjs', import.meta.url));

let redis;
try {
  redis = await new PrivateRedis().start();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
console.log(`Redis on ${redis.url}`);

let stopping = false;
const instances = ['A', 'B'].map((name, index) => ({ name, port: ports[index], child: null }));

function run(instance) {
  const child = spawn(process.execPath, [INSTANCE], {
    env: { ...process.env, NAME: instance.name, PORT: String(instance.port), HOST, REDIS_URL: redis.url },
    stdio: 'inherit',
  });
  instance.child = child;
  child.on('exit', (code, signal) => {
    instance.child = null;
    if (stopping) return;
    console.log(`[${instance.name}] exited (${signal ?? code}); starting it again`);
    run(instance);
  });
}
instances.forEach(run);

// The proxy: bytes both ways, so HTTP and WebSocket alike; one TCP connection stays with one instance.
let next = 0;
const proxy = createServer((socket) => {
  socket.on('error', () => {});
  const tryFrom = (tries) => {
    if (tries === instances.length) return socket.destroy();
    const instance = instances[next++ % instances.length];
    const upstream = connect(instance.port, HOST);
    upstream.once('error', () => {
      if (upstream.readyState === 'closed' && !upstream.bytesRead && !upstream.bytesWritten) tryFrom(tries + 1);
      else socket.destroy();
    });
    upstream.once('connect', () => {
      upstream.on('error', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
      upstream.on('close', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
    });
  };
  tryFrom(0);
});
proxy.listen(PORT, HOST, () => {
  const { port } = proxy.address();
  console.log(`Cluster demo: http://${HOST}:${port}/demo/cluster.html (instances A on ${ports[0]}, B on ${ports[1]})`);
});

async function stop() {
  if (stopping) return;
  stopping = true;
  proxy.close();
  for (const { child } of instances) child?.kill('SIGTERM');
  await Promise.all(instances.map(({ child }) => child && new Promise((resolve) => child.once('exit', resolve))));
  await redis.dispose();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
