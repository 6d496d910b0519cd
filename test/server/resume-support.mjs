// A page speaking resume (PROTOCOL.md, "Resume"), played by a `ws` client on the shared delivery
// rules (Outbox, Positions), and a proxy that cuts connections the way networks do: both sockets
// destroyed, no close frame. Every wait is for an event, never for time.
import { EventEmitter, once } from 'node:events';
import { createServer as createTcpServer, connect as tcpConnect } from 'node:net';
import WebSocket from 'ws';
import { Outbox, Positions } from '../../dist/protocol/resume.js';
import { RESUME_PROTOCOL } from '../../dist/protocol/resume-frames.js';

/**
 * A page with `resume`. `connect()` opens a socket, says the hello, sends the kept frames again
 * and resolves with the server's answer. With `reconnect: true` it comes back by itself after
 * any close but 1000 and 1008. It records what a test checks: the frames it took (each number of
 * each stream once), repeats it dropped, acknowledgements, answers and closes.
 */
export class ResumePeer extends EventEmitter {
  outbox = new Outbox();
  positions = new Positions();
  token = null;
  /** Application frames taken, in order: `{ type, data, n, r }`. */
  frames = [];
  /** Numbered frames that arrived again and were dropped. */
  repeats = 0;
  /** Frames without a number (besides resume's own): the pongs. */
  unnumbered = [];
  /** The `acked` of every acknowledgement (not the answers). */
  acks = [];
  answers = [];
  closes = [];
  /** Replies to this page's requests, by id, however many arrived. */
  replies = new Map();
  ws = null;
  #url;
  #protocols;
  #options;
  #requests = 0;
  #waiters = new Set();
  #stopped = false;

  constructor(url, { protocols = [], reconnect = false, ...options } = {}) {
    super();
    this.#url = url;
    this.#protocols = protocols;
    this.#options = options;
    this.reconnect = reconnect;
  }

  /** Opens a socket and resolves with the answer to its hello; rejects with `{ code }` if it closes first. */
  connect() {
    const ws = (this.ws = new WebSocket(this.#url, [...this.#protocols, RESUME_PROTOCOL], this.#options));
    let answered = false;
    const answer = new Promise((resolve, reject) => {
      ws.on('message', (data, isBinary) => {
        const frame = JSON.parse(data.toString());
        if (!answered) {
          answered = true;
          if (frame.type !== 'resumed' || typeof frame.data.token !== 'string') reject(new Error(`the first frame was not the answer: ${data}`));
          this.#answer(frame.data);
          resolve(frame.data);
        } else if (!isBinary) this.#take(frame);
        this.#check();
      });
      ws.on('close', (code, reason) => {
        this.closes.push(code);
        if (!answered) reject(Object.assign(new Error(`closed with ${code} before the answer`), { code, reason: reason.toString() }));
        this.emit('close', code);
        this.#check();
        if (this.reconnect && !this.#stopped && code !== 1000 && code !== 1008) setImmediate(() => this.connect().catch(() => {}));
      });
      ws.on('error', () => {});
    });
    ws.on('open', () => {
      const kept = this.outbox.kept;
      ws.send(JSON.stringify({ type: 'resumed', data: { token: this.token, seen: this.positions.toJSON(), next: kept[0]?.n ?? this.outbox.next } }));
      for (const { item } of kept) ws.send(item);
    });
    answer.catch(() => {});
    return answer;
  }

  /** Sends a numbered frame (kept until acknowledged); returns its number. */
  send(type, data) {
    const n = this.outbox.next;
    const text = JSON.stringify({ type, data, n });
    this.outbox.add(text);
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
    return n;
  }

  /** Sends a numbered request; its id. The reply is in `replies` (a list, to see any second one). */
  request(type, data) {
    const id = `p-${++this.#requests}`;
    const n = this.outbox.next;
    const text = JSON.stringify({ type, data, id, n });
    this.outbox.add(text);
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
    return id;
  }

  /** Sends text as it is, outside resume's numbering. */
  raw(text) {
    this.ws.send(text);
  }

  /** Resolves once `predicate(this)` holds, checked after every frame and close. */
  until(predicate) {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.add({ predicate, resolve }));
  }

  /** Frames taken of one stream ('' own, a room, '*'), in order. */
  of(stream) {
    return this.frames.filter((frame) => (frame.r ?? '') === stream);
  }

  /** Closes for good (1000), and does not come back. */
  stop() {
    this.#stopped = true;
    if (this.ws && this.ws.readyState !== WebSocket.CLOSED) {
      const closed = once(this.ws, 'close');
      this.ws.close(1000);
      return closed;
    }
    return Promise.resolve();
  }

  #answer(data) {
    this.answers.push(data);
    if (!data.recovered) this.positions.clear();
    this.token = data.token;
    this.outbox.acknowledge(data.acked);
    this.emit('resumed', data);
  }

  #take(frame) {
    if (frame.type === 'resumed') {
      this.acks.push(frame.data.acked);
      this.outbox.acknowledge(frame.data.acked);
      return;
    }
    if (frame.n === undefined) {
      this.unnumbered.push(frame);
      return;
    }
    if (!this.positions.take(frame.r ?? '', frame.n)) {
      this.repeats++;
      return;
    }
    this.frames.push(frame);
    if (frame.type === 'reply') {
      const list = this.replies.get(frame.id) ?? [];
      list.push(frame);
      this.replies.set(frame.id, list);
    }
  }

  #check() {
    for (const waiter of this.#waiters) {
      if (waiter.predicate(this)) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }
}

/**
 * A TCP proxy in front of the server. `cut()` destroys both sockets of every connection; with
 * `budget()`, each connection is cut by itself once the server has sent that many bytes through
 * it, mid-frame as likely as not, with whatever the page sent meanwhile still on its way. (A
 * budget on what the page sends would cut every connection during the page's resend of its kept
 * frames, before any answer could come back: no network cuts that way.) `hold()` makes every connection swallow what it gets, as a
 * network that died without telling anyone; `target` may change (a restarted server).
 */
export async function cuttingProxy(t, target, { budget } = {}) {
  const pairs = new Set();
  const proxy = {
    target,
    cuts: 0,
    budget,
    cut() {
      for (const pair of pairs) destroy(pair);
    },
    /** `'both'`, or `'down'` for what the server sends only. */
    hold(direction = 'both') {
      for (const pair of pairs) pair.held = direction;
    },
    get connections() {
      return pairs.size;
    },
  };
  const destroy = (pair) => {
    if (!pairs.delete(pair)) return;
    proxy.cuts++;
    pair.client.destroy();
    pair.upstream.destroy();
  };
  const server = createTcpServer((client) => {
    const upstream = tcpConnect(proxy.target, '127.0.0.1');
    const pair = { client, upstream, left: { up: Infinity, down: proxy.budget ? proxy.budget() : Infinity }, held: false };
    pairs.add(pair);
    const forward = (from, to, direction) => {
      from.on('data', (chunk) => {
        if (pair.held === 'both' || pair.held === direction || !pairs.has(pair)) return;
        if (chunk.length >= pair.left[direction]) {
          to.write(chunk.subarray(0, pair.left[direction]));
          destroy(pair);
          return;
        }
        pair.left[direction] -= chunk.length;
        to.write(chunk);
      });
      from.on('end', () => to.end());
      from.on('close', () => {
        pairs.delete(pair);
        to.destroy();
      });
      from.on('error', () => {});
    };
    forward(client, upstream, 'up');
    forward(upstream, client, 'down');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    proxy.cut();
    return new Promise((resolve) => server.close(resolve));
  });
  proxy.port = server.address().port;
  proxy.url = (path = '/ws') => `ws://127.0.0.1:${proxy.port}${path}`;
  return proxy;
}

/**
 * A resume socket of `user` on `url` that says `hello` and then sends `frames`, raw: it reads
 * frames only into `read`, so what the page has read (nothing, on a first socket cut before its
 * answer) is the test's choice.
 */
export async function rawResumeSocket(t, url, user, hello, frames) {
  const ws = new WebSocket(`${url}?user=${user}`, [RESUME_PROTOCOL]);
  const read = [];
  ws.on('message', (data) => read.push(JSON.parse(data.toString())));
  ws.on('error', () => {});
  t.after(() => ws.terminate());
  await once(ws, 'open');
  ws.send(JSON.stringify({ type: 'resumed', data: hello }));
  for (const frame of frames) ws.send(JSON.stringify(frame));
  return { ws, read };
}

/** Page frames `from`..`to` of `user`, numbered as their `i`, for a `chaos` handler. */
export const numbered = (from, to, user = 'ana') => Array.from({ length: to - from + 1 }, (_, k) => ({ type: 'chaos', data: { user, i: from + k }, n: from + k }));
