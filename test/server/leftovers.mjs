// Run by close.test.mjs in a process of its own: a server with every kind of resource in use
// (clients in rooms, a pending request each way, a page that stopped reading, an upgrade waiting
// for authenticate, a refused connection, the ping sweep), then close(). Prints what the process
// still holds; the test also checks that the process exits by itself.
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer, ReplyError } from '../../dist/server/index.js';
import { Peer } from './support.mjs';
import { ResumePeer } from './resume-support.mjs';

// What the process holds before the server exists (stdout's and stderr's pipes, once touched) is not the server's.
process.stdout.write('');
process.stderr.write('');
const before = process.getActiveResourcesInfo();
/** What the process holds beyond `before`. */
function added() {
  const left = [...before];
  return process.getActiveResourcesInfo().filter((resource) => {
    const index = left.indexOf(resource);
    if (index === -1) return true;
    left.splice(index, 1);
    return false;
  });
}

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
  authenticate: (_request, session) => {
    if (session === 'hang') return new Promise(() => {});
    if (session === 'refuse') throw new ReplyError('no');
    return { session };
  },
});
await bricks.ready;
const url = `ws://127.0.0.1:${bricks.address().port}/ws`;
bricks.handle('slow', () => new Promise(() => {}));
const clients = [];
bricks.on('connection', (client) => clients.push(client));

const reader = await Peer.open(url, ['a']);
const stopped = await Peer.open(url, ['b']);
await clients[0].join('lobby');
await clients[1].join('lobby');
const asked = clients[0].request('never answered', null, { timeout: 60_000 }).catch((error) => error.name);
reader.send({ type: 'slow', id: 'page asks' });
stopped.ws.pause();
bricks.to('lobby').send('big', 'x'.repeat(8 * 1024 * 1024));
const hanging = new Peer(new (await import('ws')).default(url, ['hang']));
const refused = await Peer.open(url, ['refuse']);
await reader.sync();
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
await Promise.all([reader.closed, stopped.closed, hanging.closed, refused.closed, silent.closed, resumerClosed]);
// Let closed handles finish closing.
for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
console.log(JSON.stringify({ before, resources: added(), request: await asked, streamRequest: await streamAsked, stats: bricks.stats() }));
