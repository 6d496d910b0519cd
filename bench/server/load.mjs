// A load generator, in its own process (started by bench/server/measure.mjs, one or more per
// contender): it holds some of the clients, counts the broadcasts they receive and each frame's
// latency, and runs request round trips. Clients are `ws` WebSockets, speaking the element's
// frames (`ws`), the same with resume (`ws-resume`), or socket.io-client sockets for socket.io's
// server. For the catch-up row it reconnects them all after the server dropped their sockets.
//
// A `ws-resume` client speaks what an element with `resume` does, as far as receiving goes
// (PROTOCOL.md, "Resume"): it offers `bricks.resume.1`, says its hello first on every socket
// (its token, the last number it has of each stream, `next` 1 since it sends no numbered frame),
// keeps the answer's token, and drops a frame whose number it already has. It makes no requests.

import { WebSocket } from 'ws';
import { io } from 'socket.io-client';
import { monotonicMs, serve } from './ipc.mjs';

// How many handshakes are in flight at once: a burst of thousands overflows the listen backlog.
const CONNECTING_AT_ONCE = 64;
const REQUEST_TEXT = 'a request of about the size of a chat line, echoed back as it is';
const RESUME_PROTOCOL = 'bricks.resume.1';

/** @type {Client[]} */
let clients = [];
// Broadcasts: how many of this process's clients got each one, the last one all got, and who waits.
const counts = new Map();
let complete = 0;
let waiting = [];
let latencies = [];
let outOfOrder = 0;

function received({ seq, sent }) {
  latencies.push(monotonicMs() - sent);
  if (seq <= complete) outOfOrder++;
  const n = (counts.get(seq) ?? 0) + 1;
  if (n < clients.length) return void counts.set(seq, n);
  counts.delete(seq);
  complete = Math.max(complete, seq);
  waiting = waiting.filter((w) => (w.seq <= complete ? w.resolve() : true));
}

/** One client of any kind: `request(data)` resolves with the echoed data. */
class Client {
  #pending = new Map();
  #nextId = 0;
  #socket;
  #kind;
  #url;
  // Under resume: the stream's token and the last number of each stream this client has.
  #token = null;
  #seen = {};
  /** Frames of broadcasts received since the last reconnect, and whether that reconnect recovered. */
  ticks = 0;
  recovered = true;

  static open(kind, url) {
    const client = new Client(kind, url);
    return client.#dial().then(() => client);
  }

  constructor(kind, url) {
    this.#kind = kind;
    this.#url = url;
  }

  /** Opens a socket (again, after a drop); resolves when it is open, under resume when the hello is answered. */
  #dial() {
    return new Promise((opened, failed) => {
      if (this.#kind === 'socket.io') {
        // forceNew: one connection per client (io() shares a connection per URL by default).
        // WebSocket only: no long-polling handshake first, as deployments at this scale run it.
        const socket = io(this.#url, { transports: ['websocket'], forceNew: true, reconnection: false });
        this.#socket = socket;
        socket.on('connect', opened);
        socket.on('connect_error', failed);
        socket.on('tick', received);
        return;
      }
      const resume = this.#kind === 'ws-resume';
      const ws = new WebSocket(this.#url, resume ? [RESUME_PROTOCOL] : []);
      this.#socket = ws;
      ws.on('error', failed);
      if (resume) ws.on('open', () => ws.send(JSON.stringify({ type: 'resumed', data: { token: this.#token, seen: this.#seen, next: 1 } })));
      else ws.on('open', opened);
      ws.on('message', (raw) => {
        const frame = JSON.parse(raw);
        if (frame.type === 'resumed') {
          if (!('token' in frame.data)) return;
          this.#token = frame.data.token;
          this.recovered = frame.data.recovered;
          if (!frame.data.recovered) this.#seen = {};
          opened();
          return;
        }
        if (resume && typeof frame.n === 'number') {
          const stream = frame.r ?? '';
          if (frame.n <= (this.#seen[stream] ?? 0)) return;
          this.#seen[stream] = frame.n;
        }
        if (frame.type === 'tick') {
          this.ticks++;
          received(frame.data);
        } else if (frame.type === 'reply') this.#settle(frame.id, frame.data);
      });
    });
  }

  /** A new socket for this client, after the server dropped the last: with its token under resume. */
  reconnect() {
    this.ticks = 0;
    return this.#dial();
  }

  /** Resolves once this client's socket is closed (the server dropped it). */
  closed() {
    if (this.#kind === 'socket.io') return this.#socket.connected ? new Promise((resolve) => this.#socket.once('disconnect', resolve)) : Promise.resolve();
    if (this.#socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.#socket.once('close', resolve));
  }

  request(data) {
    if (this.#kind === 'socket.io') return this.#socket.emitWithAck('echo', data);
    if (this.#kind === 'ws-resume') throw new Error('ws-resume clients make no requests in this bench');
    const id = String(this.#nextId++);
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#socket.send(JSON.stringify({ type: 'echo', data, id }));
    });
  }

  #settle(id, data) {
    const resolve = this.#pending.get(id);
    this.#pending.delete(id);
    resolve?.(data);
  }

  close() {
    if (this.#kind === 'socket.io') {
      this.#socket.disconnect();
      return Promise.resolve();
    }
    if (this.#socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.#socket.once('close', resolve);
      this.#socket.close();
    });
  }
}

/** Runs `open(i)` for i in 0…count − 1, CONNECTING_AT_ONCE at a time. */
async function throttled(count, open) {
  let next = 0;
  const opener = async () => {
    while (next < count) await open(next++);
  };
  await Promise.all(Array.from({ length: Math.min(CONNECTING_AT_ONCE, count) }, opener));
}

serve({
  /** Opens `count` more clients to `url`. */
  async connect({ kind, url, count }) {
    await throttled(count, async () => clients.push(await Client.open(kind, url)));
    return clients.length;
  },

  /** Resolves when the server has dropped every client's socket. */
  dropped: () => Promise.all(clients.map((c) => c.closed())).then(() => null),

  /** Reconnects every client, as many at once as connect() does; resolves when all are open again. */
  async reconnect() {
    await throttled(clients.length, (i) => clients[i].reconnect());
    return null;
  },

  /** Broadcast frames per client since its reconnect, fewest and most, and reconnects that did not recover. */
  caughtUp() {
    const ticks = clients.map((c) => c.ticks);
    return { fewest: Math.min(...ticks), most: Math.max(...ticks), unrecovered: clients.filter((c) => !c.recovered).length };
  },

  cpu: () => process.cpuUsage(),

  /** Resolves when every client here has received broadcast `seq`. */
  until: ({ seq }) => (seq <= complete ? null : new Promise((resolve) => waiting.push({ seq, resolve }))),

  /** The latency of every frame received since the last call, in ms, and how many came out of order. */
  latencies() {
    const out = { latencies: Float64Array.from(latencies), outOfOrder };
    latencies = [];
    outOfOrder = 0;
    return out;
  },

  /** `total` round trips, spread over the clients here, each client with one request in flight. */
  async requests({ total }) {
    let next = 0;
    const times = new Float64Array(total);
    const start = monotonicMs();
    await Promise.all(clients.map(async (client) => {
      for (let i = next++; i < total; i = next++) {
        const t0 = monotonicMs();
        const data = await client.request({ n: i, text: REQUEST_TEXT });
        times[i] = monotonicMs() - t0;
        if (data?.n !== i) throw new Error(`request ${i} answered with ${JSON.stringify(data)}`);
      }
    }));
    return { ms: monotonicMs() - start, latencies: times };
  },

  async closeAll() {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    counts.clear();
  },
});
