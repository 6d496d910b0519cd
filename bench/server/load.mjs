// A load generator, in its own process (started by bench/server/measure.mjs, one or more per
// contender): it holds some of the clients, counts the broadcasts they receive and each frame's
// latency, and runs request round trips. Clients are `ws` WebSockets, speaking the element's
// frames, or socket.io-client sockets for socket.io's server.

import { WebSocket } from 'ws';
import { io } from 'socket.io-client';
import { monotonicMs, serve } from './ipc.mjs';

// How many handshakes are in flight at once: a burst of thousands overflows the listen backlog.
const CONNECTING_AT_ONCE = 64;
const REQUEST_TEXT = 'a request of about the size of a chat line, echoed back as it is';

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

/** One client of either kind: `request(data)` resolves with the echoed data. */
class Client {
  #pending = new Map();
  #nextId = 0;
  #socket;
  #kind;

  static open(kind, url) {
    return new Promise((resolve, reject) => {
      const client = new Client(kind, url, () => resolve(client), reject);
    });
  }

  constructor(kind, url, opened, failed) {
    this.#kind = kind;
    if (kind === 'ws') {
      const ws = new WebSocket(url);
      this.#socket = ws;
      ws.on('open', opened);
      ws.on('error', failed);
      ws.on('message', (raw) => {
        const frame = JSON.parse(raw);
        if (frame.type === 'tick') received(frame.data);
        else if (frame.type === 'reply') this.#settle(frame.id, frame.data);
      });
    } else {
      // forceNew: one connection per client (io() shares a connection per URL by default).
      // WebSocket only: no long-polling handshake first, as deployments at this scale run it.
      const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
      this.#socket = socket;
      socket.on('connect', opened);
      socket.on('connect_error', failed);
      socket.on('tick', received);
    }
  }

  request(data) {
    if (this.#kind === 'socket.io') return this.#socket.emitWithAck('echo', data);
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

serve({
  /** Opens `count` more clients to `url`. */
  async connect({ kind, url, count }) {
    let next = 0;
    const opener = async () => {
      while (next < count) {
        next++;
        clients.push(await Client.open(kind, url));
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONNECTING_AT_ONCE, count) }, opener));
    return clients.length;
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
