// Helpers for the server's tests: a server on a free port, and a page played by a `ws` client
// that reads frames in order. Every wait is for an event (a frame, an open, a close), never for time.
import { once } from 'node:events';
import WebSocket from 'ws';
import { createServer } from '../../dist/server/index.js';

export { WebSocket };

/** A server listening on a free loopback port, closed after the test by `t.after`. */
export async function start(t, options = {}) {
  const bricks = createServer({ port: 0, host: '127.0.0.1', ...options });
  t.after(() => bricks.close({ timeout: 0 }));
  await bricks.ready;
  const { port } = bricks.address();
  return { bricks, port, url: (path = '/ws') => `ws://127.0.0.1:${port}${path}` };
}

/** A page's side of one connection: frames arrive in a queue that `next()` reads in order. */
export class Peer {
  #frames = [];
  #waiting = [];
  #pings = 0;
  #ended = null;

  constructor(ws) {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      const frame = isBinary ? { binary: data } : JSON.parse(data.toString());
      const waiter = this.#waiting.shift();
      if (waiter) waiter.resolve(frame);
      else this.#frames.push(frame);
    });
    /** Resolves with `{ code, reason }` when the socket has closed. */
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        // A frame awaited from a closed socket will never come: say so instead of hanging.
        this.#ended = new Error(`the socket closed (${code}) before the frame awaited`);
        for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#ended);
        resolve({ code, reason: reason.toString() });
      }),
    );
    ws.on('error', () => {});
  }

  /** Opens a connection and waits for it; rejects with the HTTP status when the upgrade is refused. */
  static open(url, protocols = [], options = {}) {
    const ws = new WebSocket(url, protocols, options);
    const peer = new Peer(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(peer));
      ws.once('unexpected-response', (_request, response) => {
        response.resume();
        reject(Object.assign(new Error(`HTTP ${response.statusCode}`), { status: response.statusCode }));
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  /** The next frame the server sent (parsed JSON, or `{ binary }`). */
  next() {
    if (this.#frames.length > 0) return Promise.resolve(this.#frames.shift());
    if (this.#ended) return Promise.reject(this.#ended);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  /** Frames received and not yet read. */
  get unread() {
    return this.#frames.length;
  }

  send(frame) {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  /**
   * Waits until the server has read everything sent before: the heartbeat is answered in
   * order with the frames before it. Returns the frames that arrived meanwhile.
   */
  async sync() {
    const mark = `sync-${++this.#pings}`;
    this.send({ type: 'ping', data: mark });
    const before = [];
    for (;;) {
      const frame = await this.next();
      if (frame.type === 'pong' && frame.data === mark) return before;
      before.push(frame);
    }
  }

  close(code, reason) {
    this.ws.close(code, reason);
    return this.closed;
  }
}

/** Connects and waits for both sides: the page's `Peer` and the server's client object. */
export async function connect(bricks, url, protocols, options) {
  const [[client], peer] = await Promise.all([once(bricks, 'connection'), Peer.open(url, protocols, options)]);
  return { client, peer };
}
