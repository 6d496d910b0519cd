// In-page half of the benchmark. bench/run.mjs loads bench/page.html in Chromium and calls
// `window.bench.<measurement>(contender, ...)` once per contender per round; each call
// measures one contender once and returns plain numbers.

import './out/cdn/bricks-websocket.js';
import { PartySocket, ReconnectingWebSocket } from './out/alts.js';

// `npm run bench -- --try=DIR` also loads a scratch copy's build as <bricks-websocket-try>.
const tried = new URLSearchParams(location.search).has('try') ? await import('./out/try/cdn/bricks-websocket.js') : null;
if (tried) customElements.define('bricks-websocket-try', tried.BricksWebSocketElement);
const isElement = (contender) => contender.startsWith('element');

const gc = () => globalThis.gc?.();
const now = () => performance.now();
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

/** What every contender's `tick` handler does: read the data, count, stop the clock at n. */
function counter(n) {
  let count = 0;
  let sum = 0;
  let t0 = 0;
  let resolve;
  const done = new Promise((r) => (resolve = r));
  const onTick = (data) => {
    if (count === 0) t0 = now();
    sum += data.seq;
    if (++count === n) resolve({ ms: now() - t0, count, sum });
  };
  return { onTick, done };
}

const opened = (target) => new Promise((resolve, reject) => {
  target.addEventListener('open', resolve, { once: true });
  target.addEventListener('error', (e) => reject(new Error(`socket error: ${e.detail?.message ?? e.type}`)), { once: true });
});
const closed = (target) => new Promise((resolve) => target.addEventListener('close', resolve, { once: true }));

/**
 * `element-declarative(-try)`: three descendants show each `tick` frame's `seq` (README, "Without
 * a script"). `element-resume`: with `resume`, whose frames sent and not yet acknowledged count
 * toward `queue-limit`: the send row's 200,000 in one loop are all unacknowledged when it ends.
 */
function element(url, contender = 'element') {
  const el = document.createElement(contender.endsWith('-try') ? 'bricks-websocket-try' : 'bricks-websocket');
  el.wsUrl = url;
  if (contender === 'element-resume') {
    el.resume = true;
    el.queueLimit = Number.MAX_SAFE_INTEGER;
  }
  if (contender.startsWith('element-declarative')) {
    for (let i = 0; i < 3; i++) {
      const output = document.createElement('output');
      output.dataset.receive = 'tick';
      output.dataset.field = 'seq';
      el.append(output);
    }
  }
  return el;
}

/** Throws unless an `element-resume` contender's socket speaks resume: a row that silently measured without it would mislead. */
function assertResume(el, contender) {
  if (contender === 'element-resume' && el.protocol !== 'bricks.resume.1') throw new Error(`element-resume: the socket's subprotocol is "${el.protocol}", not bricks.resume.1`);
}

/** partysocket / reconnecting-websocket: the wrapper, then JSON.parse and an EventTarget dispatch. */
function viaWrapper(Socket, url, onTick) {
  const socket = new Socket(url, [], { maxRetries: 0, startClosed: false });
  const events = new EventTarget();
  events.addEventListener('tick', (e) => onTick(e.detail));
  socket.addEventListener('message', (e) => {
    const frame = JSON.parse(e.data);
    events.dispatchEvent(new CustomEvent(frame.type, { detail: frame.data }));
  });
  return socket;
}

// ── 1. receive ────────────────────────────────────────────────────────────

async function receive(contender, url, n) {
  gc();
  const { onTick, done } = counter(n);
  let stop;
  if (contender === 'raw') {
    const ws = new WebSocket(url);
    ws.onmessage = (e) => {
      const frame = JSON.parse(e.data);
      if (frame.type === 'tick') onTick(frame.data);
    };
    await opened(ws);
    ws.send('go');
    stop = async () => { const c = closed(ws); ws.close(); await c; };
  } else if (isElement(contender)) {
    const el = element(url, contender);
    el.addEventListener('tick', (e) => onTick(e.detail));
    const open = opened(el);
    document.body.append(el);
    await open;
    assertResume(el, contender);
    el.sendRaw('go');
    stop = async () => { const c = closed(el); el.remove(); await c; };
  } else {
    const socket = viaWrapper(contender === 'partysocket' ? PartySocket : ReconnectingWebSocket, url, onTick);
    await opened(socket);
    socket.send('go');
    stop = async () => { const c = closed(socket); socket.close(); await c; };
  }
  const result = await done;
  await stop();
  return result;
}

/**
 * `count` elements on one page, with `share` set to `mode` ('' for one socket each), each
 * counting `n` `tick` frames: one flood for the shared socket, one per element otherwise.
 * Timed from the first frame any of them sees to the last element's n-th.
 */
async function receiveShared(mode, url, n, count) {
  gc();
  let t0 = 0;
  let left = count;
  let resolve;
  const done = new Promise((r) => (resolve = r));
  const elements = Array.from({ length: count }, () => {
    const el = element(url);
    if (mode) el.share = mode;
    let seen = 0;
    el.addEventListener('tick', () => {
      if (t0 === 0) t0 = now();
      if (++seen === n && --left === 0) resolve(now() - t0);
    });
    return el;
  });
  const open = Promise.all(elements.map(opened));
  document.body.append(...elements);
  await open;
  // Shared, the first `go` starts the one flood; the server ignores the others.
  for (const el of elements) el.sendRaw('go');
  const ms = await done;
  const left2 = Promise.all(elements.map(closed));
  for (const el of elements) el.remove();
  await left2;
  return { ms, perElementFramesPerSecond: (n / ms) * 1000, eventsPerSecond: ((n * count) / ms) * 1000 };
}

// ── 2. dispatch without the network ───────────────────────────────────────

let frames = [];
function makeFrames(n) {
  if (frames.length !== n) {
    frames = Array.from({ length: n }, (_, i) =>
      `{"type":"tick","data":{"seq":${100000 + (i % 900000)},"at":1732550000000,"value":0.123456,"ok":true}}`);
  }
  return frames;
}

/** Stands in for the global WebSocket while the element dials, so frames can be handed to it directly. */
class FakeWebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  static last = null;
  constructor(url) {
    this.url = url;
    this.protocol = '';
    this.readyState = 0;
    this.binaryType = 'blob';
    this.bufferedAmount = 0;
    this.onopen = this.onmessage = this.onerror = this.onclose = null;
    FakeWebSocket.last = this;
  }
  send() {}
  close(code = 1000, reason = '') {
    this.readyState = 3;
    queueMicrotask(() => this.onclose?.({ code, reason, wasClean: true }));
  }
}

async function dispatch(contender, n) {
  const list = makeFrames(n);
  gc();
  const { onTick } = counter(n);
  if (contender === 'parse') {
    const t0 = now();
    for (let i = 0; i < n; i++) {
      const frame = JSON.parse(list[i]);
      if (frame.type === 'tick') onTick(frame.data);
    }
    return { ms: now() - t0 };
  }
  // What any DOM event per frame costs, whatever the library: a CustomEvent on a plain
  // EventTarget, and on an element in the document, as the element's contract requires.
  if (contender === 'event-target' || contender === 'node-event') {
    const target = contender === 'event-target' ? new EventTarget() : document.body.appendChild(document.createElement('div'));
    target.addEventListener('tick', (e) => onTick(e.detail));
    const t0 = now();
    for (let i = 0; i < n; i++) {
      const frame = JSON.parse(list[i]);
      target.dispatchEvent(new CustomEvent(frame.type, { detail: frame.data }));
    }
    const ms = now() - t0;
    if (contender === 'node-event') target.remove();
    return { ms };
  }
  const real = globalThis.WebSocket;
  globalThis.WebSocket = FakeWebSocket;
  try {
    const el = element('ws://127.0.0.1:9/fake', contender);
    el.addEventListener('tick', (e) => onTick(e.detail));
    document.body.append(el);
    const fake = FakeWebSocket.last;
    fake.readyState = 1;
    fake.onopen({ type: 'open' });
    const deliver = fake.onmessage;
    const t0 = now();
    for (let i = 0; i < n; i++) deliver({ data: list[i] });
    const ms = now() - t0;
    el.remove();
    await nextTask();
    return { ms };
  } finally {
    globalThis.WebSocket = real;
  }
}

// ── 3. send ───────────────────────────────────────────────────────────────

async function send(contender, url, n) {
  gc();
  let target;
  let sendOne;
  let stop;
  if (contender === 'raw') {
    const ws = new WebSocket(url);
    await opened(ws);
    target = ws;
    sendOne = (type, data) => ws.send(JSON.stringify({ type, data }));
    stop = async () => { const c = closed(ws); ws.close(); await c; };
  } else {
    const el = element(url, contender);
    // 200,000 frames in one synchronous loop put 16 MB in bufferedAmount. Under the default
    // 1 MiB buffer-limit only the first ~12,900 would go and 1,000 more wait; queue-limit
    // refuses the rest, as it should. A limit never reached keeps the check on every send (the
    // hot path the row is about) without holding a frame back.
    el.bufferLimit = Infinity;
    const open = opened(el);
    document.body.append(el);
    await open;
    assertResume(el, contender);
    target = el;
    sendOne = (type, data) => el.send(type, data);
    stop = async () => { const c = closed(el); el.remove(); await c; };
  }
  const done = new Promise((resolve) => {
    if (contender === 'raw') target.onmessage = (e) => resolve(JSON.parse(e.data).data);
    else target.addEventListener('done', (e) => resolve(e.detail), { once: true });
  });
  const t0 = now();
  for (let i = 0; i < n; i++) sendOne('tick', { seq: i, at: 1732550000000, value: 0.123456, ok: true });
  const loopMs = now() - t0;
  const server = await done;
  const ms = now() - t0;
  await stop();
  if (server.count !== n) throw new Error(`server counted ${server.count} of ${n}`);
  return { ms, loopMs, bytes: server.bytes };
}

// ── 4. base64 ─────────────────────────────────────────────────────────────

let audio = null;
function audioBuffer(bytes) {
  if (audio?.byteLength !== bytes) {
    audio = new Uint8Array(bytes);
    let x = 0x9e3779b9;
    for (let i = 0; i < bytes; i++) {
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      audio[i] = x & 255;
    }
  }
  return audio;
}

/**
 * Times `work`, and the longest gap between tasks meanwhile (a MessageChannel ping-pong, one
 * message in flight). The runner also reads the longest task from a Chrome trace; the probe's
 * wall-clock gap is kept as a cross-check.
 */
async function timed(work) {
  const channel = new MessageChannel();
  let last = now();
  let longest = 0;
  let running = true;
  channel.port1.onmessage = () => {
    const t = now();
    longest = Math.max(longest, t - last);
    last = t;
    if (running) channel.port2.postMessage(null);
  };
  channel.port2.postMessage(null);
  await nextTask();
  const t0 = now();
  await work();
  const ms = now() - t0;
  await nextTask();
  running = false;
  longest = Math.max(longest, now() - last);
  channel.port1.close();
  return { ms, probeGapMs: longest };
}

const envelope = (type, base64) => `{"type":"${type}","data":"${base64}"}`;

async function base64(contender, url, bytes) {
  const buffer = audioBuffer(bytes);
  if (contender === 'toBase64' && typeof Uint8Array.prototype.toBase64 !== 'function') return null;
  gc();
  let result;
  if (isElement(contender)) {
    const el = element(url, contender);
    const open = opened(el);
    document.body.append(el);
    await open;
    const done = new Promise((resolve) => el.addEventListener('done', (e) => resolve(e.detail), { once: true }));
    result = await timed(() => el.sendBase64Audio(buffer.buffer));
    result.server = await done;
    const c = closed(el);
    el.remove();
    await c;
  } else {
    const ws = new WebSocket(url);
    await opened(ws);
    const done = new Promise((resolve) => (ws.onmessage = (e) => resolve(JSON.parse(e.data).data)));
    result = await timed(async () => {
      if (contender === 'toBase64') {
        ws.send(envelope('base64audio', buffer.toBase64()));
      } else {
        const url = await new Promise((resolve, reject) => {
          const reader = new FileReader();
          reader.onload = () => resolve(reader.result);
          reader.onerror = () => reject(reader.error);
          reader.readAsDataURL(new Blob([buffer]));
        });
        ws.send(envelope('base64audio', url.slice(url.indexOf(',') + 1)));
      }
    });
    result.server = await done;
    const c = closed(ws);
    ws.close();
    await c;
  }
  return result;
}

// ── 5b. backpressure ──────────────────────────────────────────────────────

/**
 * `clips` calls of `sendBase64Audio` with a buffer of `bytes` to a server that reads slowly.
 * `limit-1MiB` and `limit-0` call in a row, as a recorder that does not listen would;
 * `limit-1MiB-drain` awaits each call and waits for `drain` while `backpressure` is set.
 * bufferedAmount is sampled every 5 ms and after each call; the runner samples the JS heap.
 */
async function backpressure(contender, url, clips, bytes) {
  const buffer = new Uint8Array(audioBuffer(bytes));
  gc();
  const el = element(url);
  if (contender === 'limit-0') el.bufferLimit = 0;
  const open = opened(el);
  document.body.append(el);
  await open;
  let peakBuffered = 0;
  let peakQueued = 0;
  const sample = () => {
    peakBuffered = Math.max(peakBuffered, el.bufferedAmount);
    peakQueued = Math.max(peakQueued, el.queued);
  };
  const sampler = setInterval(sample, 5);
  const done = new Promise((resolve) => el.addEventListener('done', (e) => resolve(e.detail), { once: true }));
  const drained = () => new Promise((resolve) => el.addEventListener('drain', resolve, { once: true }));
  const calls = [];
  const t0 = now();
  for (let i = 0; i < clips; i++) {
    if (contender === 'limit-1MiB-drain') {
      calls.push(await el.sendBase64Audio(buffer));
      sample();
      if (el.backpressure) await drained();
    } else {
      calls.push(el.sendBase64Audio(buffer));
      sample();
    }
  }
  const lastCall = now();
  const server = await done;
  const end = now();
  clearInterval(sampler);
  sample();
  const sent = (await Promise.all(calls)).filter(Boolean).length;
  const c = closed(el);
  el.remove();
  await c;
  if (sent !== clips || server.count !== clips) throw new Error(`backpressure ${contender}: ${sent} calls succeeded, the server counted ${server.count} of ${clips}`);
  return { lastCallToServerMs: end - lastCall, totalMs: end - t0, callsMs: lastCall - t0, peakBuffered, peakQueued, bytes: server.bytes };
}

// ── 6. memory ─────────────────────────────────────────────────────────────

/** `cycles` times: create, connect, receive the server's hello frame, remove. */
async function cycles(contender, url, count) {
  for (let i = 0; i < count; i++) {
    if (isElement(contender)) {
      const el = element(url, contender);
      const hello = new Promise((resolve) => el.addEventListener('hello', resolve, { once: true }));
      document.body.append(el);
      await hello;
      el.remove();
    } else {
      const ws = new WebSocket(url);
      await new Promise((resolve) => (ws.onmessage = resolve));
      ws.onmessage = null;
      ws.close(1000);
    }
  }
  await nextTask();
  return { count };
}

// ── 7. requests ───────────────────────────────────────────────────────────

/**
 * `count` requests on one open element, a quarter each answered, refused with an error reply,
 * timed out and aborted, in batches; returns what is left pending.
 */
async function requests(url, count) {
  const el = element(url);
  const open = opened(el);
  document.body.append(el);
  await open;
  const t0 = now();
  const outcomes = { resolved: 0, rejected: 0 };
  for (let i = 0; i < count; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(count, i + 500); j++) {
      const kind = j % 4;
      if (kind === 0) batch.push(el.request('ok', j));
      else if (kind === 1) batch.push(el.request('no', j));
      else if (kind === 2) batch.push(el.request('silent', j, { timeout: 1 }));
      else {
        const controller = new AbortController();
        batch.push(el.request('silent', j, { timeout: 0, signal: controller.signal }));
        queueMicrotask(() => controller.abort());
      }
    }
    for (const result of await Promise.allSettled(batch)) outcomes[result.status === 'fulfilled' ? 'resolved' : 'rejected']++;
  }
  const ms = now() - t0;
  const pending = el.pending;
  const left = closed(el);
  el.remove();
  await left;
  await nextTask();
  return { count, ms, pending, ...outcomes };
}

// ── 7. sharing ────────────────────────────────────────────────────────────

const shared = [];

/** `count` elements with `share` set to `mode` ('' for none), resolved once all are open. */
async function share(mode, url, count) {
  const elements = Array.from({ length: count }, () => {
    const el = element(url);
    if (mode) el.share = mode;
    return el;
  });
  shared.push(...elements);
  const open = Promise.all(elements.map(opened));
  document.body.append(...elements);
  await open;
  return { count };
}

/** Removes what `share` added. */
function unshare() {
  for (const el of shared.splice(0)) el.remove();
}

window.bench = {
  requests,
  receive,
  receiveShared,
  dispatch,
  send,
  base64,
  backpressure,
  cycles,
  share,
  unshare,
  hasToBase64: () => typeof Uint8Array.prototype.toBase64 === 'function',
};
window.benchReady = true;
