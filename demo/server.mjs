// The development and test server for <bricks-websocket>.
//
// One module serves both `npm start` (the demo) and the browser tests. This file wires the jobs,
// each in its own file under server/:
//   - server/static.mjs: static files from the `demo/` and `dist/` folders of `root` (the repo
//     root by default) and nothing else: no dotfiles, nothing outside those folders; `/`
//     redirects to `/demo/`;
//   - server/sockets.mjs: a WebSocket endpoint at `/ws/<room>` (`?mode=room`, the default, is
//     the demo's room, server/room.mjs: chat, history, rename, whoami, presence, clock, tabs;
//     `?mode=echo` sends every frame back to its sender only);
//   - server/controls.mjs: HTTP control endpoints at `/control/<room>/<action>` that let a test
//     make the server misbehave (drop, refuse, stall, close, go silent, stop reading) and
//     inspect what it received;
//   - server/rooms.mjs: what the server keeps per room, which they share; server/http.mjs: the
//     HTTP helpers they share.
//
// Run `node demo/server.mjs` (PORT and HOST env, default 8080 on 127.0.0.1),
// or import `startServer`.

import { createServer } from 'node:http';
import { realpath } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { handleControl } from './server/controls.mjs';
import { HttpError, parseRequestUrl, sendJson } from './server/http.mjs';
import { tickClock } from './server/room.mjs';
import { setStall } from './server/rooms.mjs';
import { handleProtocols, handleUpgrade } from './server/sockets.mjs';
import { serveStatic } from './server/static.mjs';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const CLOCK_INTERVAL_MS = 1000;

async function handleRequest(state, req, res) {
  const url = parseRequestUrl(req);
  if (!url) throw new HttpError(400, 'Malformed URL');
  if (url.pathname.startsWith('/control/')) return handleControl(state, req, res, url.pathname);
  return serveStatic(state.root, req, res, url.pathname);
}

function respondWithError(res, error) {
  const status = error instanceof HttpError ? error.status : 500;
  if (!(error instanceof HttpError)) console.error('[server]', error);
  if (res.headersSent) return res.destroy();
  sendJson(res, status, { error: error.message });
}

/**
 * Starts the server. Resolves once it listens.
 *
 * The default host is 127.0.0.1 rather than `localhost`: Node would bind only
 * one of localhost's addresses, while browsers resolve `localhost` to both
 * ::1 and 127.0.0.1 and fall back from one to the other, so both
 * ws://localhost:PORT and ws://127.0.0.1:PORT reach this server.
 *
 * @param {{port?: number, host?: string, root?: string, clock?: boolean}} [options]
 * @returns {Promise<{port: number, url: string, httpServer: import('node:http').Server, close(): Promise<void>}>}
 */
export async function startServer({ port = 0, host = '127.0.0.1', root = REPO_ROOT, clock = true } = {}) {
  const state = {
    root: await realpath(path.resolve(root)),
    rooms: new Map(),
    wss: new WebSocketServer({ noServer: true, handleProtocols, clientTracking: true }),
  };

  const httpServer = createServer((req, res) => {
    handleRequest(state, req, res).catch((error) => respondWithError(res, error));
  });
  httpServer.on('upgrade', (req, socket, head) => handleUpgrade(state, req, socket, head));
  httpServer.on('clientError', (_error, socket) => socket.destroy());

  const clockTimer = clock ? setInterval(() => tickClock(state), CLOCK_INTERVAL_MS) : undefined;
  clockTimer?.unref();

  httpServer.listen(port, host);
  await once(httpServer, 'listening');
  const actualPort = httpServer.address().port;

  return {
    port: actualPort,
    url: `http://localhost:${actualPort}/`,
    httpServer,
    async close() {
      clearInterval(clockTimer);
      for (const ws of state.wss.clients) ws.terminate();
      // Held handshakes are no longer the HTTP server's, so it would wait for them forever.
      for (const room of state.rooms.values()) setStall(room, false);
      const closed = new Promise((resolve) => httpServer.close(() => resolve()));
      httpServer.closeAllConnections();
      await closed;
      await new Promise((resolve) => state.wss.close(() => resolve()));
    },
  };
}

async function main() {
  const host = process.env.HOST || undefined;
  const server = await startServer({ port: Number(process.env.PORT || 8080), host });
  console.log(`bricks-websocket demo: ${server.url}demo/`);
  console.log(`WebSocket rooms:       ws://localhost:${server.port}/ws/<room>`);
  if (host && !isLoopback(host)) {
    for (const address of networkAddresses()) console.log(`From another device:   http://${address}:${server.port}/demo/`);
    console.log(
      `Listening on ${host}: anyone who can reach this machine can open the demo, join any room, read /control/<room>/stats (every frame sent)\n` +
        'and use the control endpoints (drop, refuse, close, silence, send, flood, reset), as the demo\'s own buttons do. Only demo/ and dist/ are served.',
    );
  }
  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping`);
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function isLoopback(host) {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** This machine's IPv4 addresses other than loopback, to type on a phone. */
function networkAddresses() {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((entry) => entry && entry.family === 'IPv4' && !entry.internal)
    .map((entry) => entry.address);
}

const isMain = process.argv[1] && (await realpath(process.argv[1]).catch(() => '')) === fileURLToPath(import.meta.url);
if (isMain) {
  main().catch((error) => {
    console.error(error.message);
    process.exit(1);
  });
}
