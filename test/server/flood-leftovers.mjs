// Run by close.test.mjs in a process of its own: close() in the middle of a connection flood
// (pages completing their handshake, others waiting for authenticate, raw TCP connections that
// sent part of a request or nothing). Prints what the process still holds once every client
// socket has ended; the test also checks that the process exits by itself.
import { added } from './added-resources.mjs';
import { once } from 'node:events';
import net from 'node:net';
import WebSocket from 'ws';
import { createServer } from '../../dist/server/index.js';


let authenticated = 0;
const bricks = createServer({
  port: 0,
  host: '127.0.0.1',
  pingInterval: 1000,
  // Every other page waits a turn of the event loop, so some upgrades are pending at close().
  authenticate: () => (++authenticated % 2 ? null : new Promise((resolve) => setImmediate(() => resolve(null)))),
});
const errors = [];
bricks.on('error', (error) => errors.push(String(error)));
await bricks.ready;
const { port } = bricks.address();
let connections = 0;
bricks.on('connection', (client) => {
  connections++;
  client.join('lobby');
  client.request('hello', null, { timeout: 60_000 }).catch(() => {});
});

const ended = [];
/** Resolves when `emitter` closes, whether or not an error came first (events.once would reject on it). */
const closed = (emitter) => new Promise((resolve) => emitter.once('close', resolve));
const PAGES = 300;
let closing;
for (let i = 0; i < PAGES; i++) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  ws.on('error', () => {});
  ended.push(closed(ws));
  if (i % 25 === 0) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    ended.push(closed(socket));
    if (i % 50 === 0) socket.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n');
  }
  // A few pages a turn, so the flood is still arriving when close() is called.
  if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve));
  if (i === PAGES / 2) {
    await once(bricks, 'connection');
    closing = bricks.close({ timeout: 500 });
  }
}
await closing;
await Promise.all(ended);
for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
console.log(JSON.stringify({ resources: added(), connections, clients: bricks.stats().clients, errors }));
