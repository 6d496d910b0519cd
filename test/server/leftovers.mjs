// Run by close.test.mjs in a process of its own: a server with every kind of resource in use
// (clients in rooms, a pending request each way, a page that stopped reading, a page the server
// stopped reading at handlerLimit, an upgrade waiting for authenticate, a refused connection, the
// ping sweep, and with port, TCP connections that sent half a request or none), then close(). Prints what the process
// still holds; the test also checks that the process exits by itself.
import { added } from './added-resources.mjs';
import { once } from 'node:events';
import net from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { createServer, ReplyError } from '../../dist/server/index.js';
import { Peer } from './support.mjs';
import { ResumePeer } from './resume-support.mjs';


const attached = process.argv[2] === 'attached';
const http = attached ? createHttpServer() : undefined;
if (http) {
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
}
const bricks = createServer({
  ...(http ? { server: http } : { port: 0, host: '127.0.0.1' }),
  // Running, but never due before close(): on a loaded machine a due sweep would drop the page that
  // stopped reading, or a page whose pong is late, before close() could end them.
  pingInterval: 60_000,
  // Above the 8 MiB frame below: the page that stops reading is still connected at close().
  sendLimit: 64 * 1024 * 1024,
  handlerLimit: 2,
  authenticate: (_request, session) => {
    if (session === 'hang') return new Promise(() => {});
    if (session === 'refuse') throw new ReplyError('no');
    return { session };
  },
});
await bricks.ready;
const url = `ws://127.0.0.1:${bricks.address().port}/ws`;
let slowCalls = 0;
let slowRunning;
const threeSlow = new Promise((resolve) => (slowRunning = resolve));
bricks.handle('slow', () => {
  if (++slowCalls === 3) slowRunning();
  return new Promise(() => {});
});
const clients = [];
bricks.on('connection', (client) => clients.push(client));

const reader = await Peer.open(url, ['a']);
const stopped = await Peer.open(url, ['b']);
const busy = await Peer.open(url, ['c']);
await clients[0].join('lobby');
await clients[1].join('lobby');
const asked = clients[0].request('never answered', null, { timeout: 60_000 }).catch((error) => error.name);
reader.send({ type: 'slow', id: 'page asks' });
// Three handler calls that never finish: the server stops reading this page at two.
for (let i = 0; i < 3; i++) busy.send({ type: 'slow', id: `busy ${i}` });
stopped.ws.pause();
bricks.to('lobby').send('big', 'x'.repeat(8 * 1024 * 1024));
const hanging = new Peer(new (await import('ws')).default(url, ['hang']));
const refused = await Peer.open(url, ['refuse']);
// Our own HTTP server's: a connection that sent half a request, and one that sent nothing.
const raw = attached ? [] : [net.connect(bricks.address().port, '127.0.0.1'), net.connect(bricks.address().port, '127.0.0.1')];
for (const socket of raw) {
  socket.on('error', () => {});
  await once(socket, 'connect');
}
raw[0]?.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n');
await reader.sync();
// The reader's and at least two of the busy page's: the busy page is not read any more.
await threeSlow;
// Resume: a page whose handler never ends and the server's request to it, a stream whose page
// went (the sweep that forgets it), a socket that never says its hello (its timer).
const resumer = new ResumePeer(url, { protocols: ['c'] });
await resumer.connect();
const resumerClosed = once(resumer, 'close');
const streamAsked = clients.at(-1).request('never answered either', null, { timeout: 0 }).catch((error) => error.name);
resumer.request('slow');
const parked = new ResumePeer(url, { protocols: ['d'] });
await parked.connect();
const left = once(bricks, 'disconnect');
await parked.stop();
await left;
const silent = await Peer.open(url, ['bricks.resume.1']);
await resumer.until(() => resumer.outbox.kept.length === 1 && resumer.frames.length === 1);

await bricks.close({ timeout: 200 });
// The page that stopped reading learns of the end once it reads again.
stopped.ws.resume();
if (http) {
  http.close();
}
await Promise.all([reader.closed, stopped.closed, busy.closed, hanging.closed, refused.closed, silent.closed, resumerClosed, ...raw.map((socket) => once(socket, 'close'))]);
// Let closed handles finish closing.
for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
console.log(JSON.stringify({ resources: added(), request: await asked, streamRequest: await streamAsked, stats: bricks.stats() }));
