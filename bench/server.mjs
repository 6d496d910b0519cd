// The benchmark's own server: static files under bench/ and three WebSocket endpoints.
//
// Why not the tests' raw server (test/fixture/server.mjs): its `flood` calls `ws.send` once per
// frame (frame encoding and a write syscall each, on the same two cores the browser needs), and
// every frame it receives is kept in `room.received` for the tests to inspect; 200,000-frame
// send runs would fill its memory and add GC pauses to the numbers. Here the server's share of
// the work is as close to nothing as it can be, so the numbers describe the browser side.
//
//   /ws/flood?n=N     after the client's first frame, writes N `tick` envelopes, pre-encoded
//                     as WebSocket frames in 1,000-frame batches straight to the TCP socket
//   /ws/sink?expect=N counts frames; at the N-th answers {"type":"done","data":{count,bytes}}
//                     &rate=B reads at most B bytes a second from the TCP socket: a slow peer
//   /ws/hello         sends {"type":"hello","data":1} on connect
//   GET /stats        {"open": sockets the server still holds open}
//
// A socket that offers `bricks.resume.1` (an element with `resume`) gets the least of resume
// that flood and sink need (PROTOCOL.md, "Resume"): its hello is answered as a new stream that
// recovered, flood numbers its frames on the page's own stream (built before the first is
// written, so numbering costs the flood nothing), and sink acknowledges as bricks-websocket/server
// does, once 32 frames wait or 20 ms after the first; the element's own resume code does the rest.

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const BATCH_FRAMES = 1000;
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.map': 'application/json' };

/** The envelope the server floods; fixed length, so a batch can be cut at any frame. */
export const tickFrame = (seq) =>
  `{"type":"tick","data":{"seq":${100000 + seq},"at":1732550000000,"value":0.123456,"ok":true}}`;

/** An unmasked, final server-to-client text frame (RFC 6455 5.2). */
function wsTextFrame(text) {
  const payload = Buffer.from(text);
  const n = payload.length;
  const header = n < 126 ? Buffer.from([0x81, n]) : Buffer.from([0x81, 126, n >> 8, n & 255]);
  if (n > 0xffff) throw new Error('flood frames must be under 64 KiB');
  return Buffer.concat([header, payload]);
}

const FRAMES = Array.from({ length: BATCH_FRAMES }, (_, i) => wsTextFrame(tickFrame(i)));
const FRAME_BYTES = FRAMES[0].length;
const BATCH = Buffer.concat(FRAMES);

const RESUME_PROTOCOL = 'bricks.resume.1';
const RESUMED = JSON.stringify({ type: 'resumed', data: { token: 'bench-stream-token-0000', recovered: true, missed: 0, acked: 0 } });
const ACK_EVERY = 32;
const ACK_AFTER_MS = 20;
/** A server frame `text` numbered `n` on the page's own stream. */
const numbered = (text, n) => `${text.slice(0, -1)},"n":${n}}`;

/** The resume flood's batches, the b-th numbering frames b * 1,000 + 1 on; made once, kept. */
const numberedBatches = [];
function numberedFlood(n) {
  for (let b = numberedBatches.length; b * BATCH_FRAMES < n; b++) {
    numberedBatches.push(Buffer.concat(Array.from({ length: BATCH_FRAMES }, (_, i) => wsTextFrame(numbered(tickFrame(i), b * BATCH_FRAMES + i + 1)))));
  }
  return numberedBatches;
}

/** Resolves on 'drain' or 'close', and leaves no listener behind (events.once would, per race). */
const drained = (socket) => new Promise((resolve) => {
  const done = () => {
    socket.off('drain', done);
    socket.off('close', done);
    resolve();
  };
  socket.on('drain', done);
  socket.on('close', done);
});

/**
 * Reads `socket` at about `bytesPerSecond`: after each chunk, pauses until the bytes read so far
 * are due at that rate. The client's send buffer fills as a slow server's would.
 */
function throttle(socket, bytesPerSecond) {
  const started = Date.now();
  let read = 0;
  let timer;
  socket.on('data', (chunk) => {
    read += chunk.length;
    const wait = started + (read / bytesPerSecond) * 1000 - Date.now();
    if (wait <= 0 || timer) return;
    socket.pause();
    timer = setTimeout(() => {
      timer = undefined;
      socket.resume();
    }, wait);
  });
  socket.once('close', () => clearTimeout(timer));
}

async function flood(ws, n, resume) {
  // ws has no public raw write; its own sender is idle here (the client sent one frame and waits).
  const socket = ws._socket;
  const batches = resume ? numberedFlood(n) : null;
  let left = n;
  for (let b = 0; left > 0 && ws.readyState === ws.OPEN; b++) {
    const k = Math.min(left, BATCH_FRAMES);
    const batch = batches ? batches[b] : BATCH;
    // Numbered frames differ in length: a cut batch is cut at its k-th frame's end.
    const ok = socket.write(k === BATCH_FRAMES ? batch : batch.subarray(0, batches ? frameEnd(batch, k) : k * FRAME_BYTES));
    left -= k;
    if (!ok) await drained(socket);
  }
}

/** Where the k-th frame of a batch of short unmasked frames ends. */
function frameEnd(batch, k) {
  let at = 0;
  for (let i = 0; i < k; i++) at += batch[at + 1] < 126 ? 2 + batch[at + 1] : 4 + batch.readUInt16BE(at + 2);
  return at;
}

/**
 * Counts the page's frames; under resume acknowledges them (`acked`: the hello's `next` − 1 +
 * frames counted) and numbers the server's `done`.
 */
function sink(ws, expect, next, resume) {
  let count = 0;
  let bytes = 0;
  let acked = 0;
  let timer;
  const ack = () => {
    clearTimeout(timer);
    timer = undefined;
    acked = count;
    ws.send(JSON.stringify({ type: 'resumed', data: { acked: next - 1 + count } }));
  };
  ws.once('close', () => clearTimeout(timer));
  return (data) => {
    bytes += data.length;
    count++;
    if (resume) {
      if (count - acked >= ACK_EVERY) ack();
      else timer ??= setTimeout(ack, ACK_AFTER_MS);
    }
    if (count === expect) {
      const done = JSON.stringify({ type: 'done', data: { count, bytes } });
      ws.send(resume ? numbered(done, 1) : done);
    }
  };
}

function onConnection(ws, url) {
  ws.on('error', () => {});
  if (ws.protocol === RESUME_PROTOCOL) {
    // The hello first: answered, then the route sees the frames after it.
    ws.once('message', (data) => {
      const next = Number(JSON.parse(data.toString()).data?.next ?? 1);
      ws.send(RESUMED);
      route(ws, url, { resume: true, next });
    });
  } else {
    route(ws, url, { resume: false, next: 1 });
  }
}

function route(ws, url, { resume, next }) {
  const endpoint = url.pathname;
  if (endpoint === '/ws/flood') {
    const n = Number(url.searchParams.get('n'));
    ws.once('message', () => flood(ws, n, resume));
  } else if (endpoint === '/ws/sink') {
    const expect = Number(url.searchParams.get('expect'));
    const rate = Number(url.searchParams.get('rate'));
    if (rate > 0) throttle(ws._socket, rate);
    ws.on('message', sink(ws, expect, next, resume));
  } else if (endpoint === '/ws/answer') {
    // Requests: `ok` is answered with its data, `no` with an error reply, anything else never.
    ws.on('message', (data) => {
      const { type, id, data: value } = JSON.parse(data.toString());
      if (type === 'ok') ws.send(JSON.stringify({ type: 'reply', id, data: value }));
      else if (type === 'no') ws.send(JSON.stringify({ type: 'reply', id, error: { message: 'no', code: 'no' } }));
    });
  } else if (endpoint === '/ws/hello') {
    ws.send('{"type":"hello","data":1}');
  } else {
    ws.close(4404, 'unknown route');
  }
}

async function serveStatic(req, res) {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/stats') return undefined;
  const file = path.join(BENCH_DIR, path.normalize(decodeURIComponent(url.pathname)).replace(/^[/\\]*bench[/\\]/, ''));
  const info = file.startsWith(BENCH_DIR) ? await stat(file).catch(() => null) : null;
  if (!info?.isFile()) {
    res.writeHead(404).end();
    return undefined;
  }
  res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store' });
  createReadStream(file).pipe(res);
  return undefined;
}

/** Starts the server on 127.0.0.1 and a free port. */
export async function startBenchServer() {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const http = createServer((req, res) => {
    if (req.url === '/stats') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ open: wss.clients.size }));
      return;
    }
    serveStatic(req, res).catch(() => res.destroy());
  });
  http.on('upgrade', (req, socket, head) => {
    socket.on('error', () => {});
    const url = new URL(req.url, 'http://localhost');
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, url));
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address();
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    wsBase: `ws://127.0.0.1:${port}/ws`,
    openSockets: () => wss.clients.size,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
