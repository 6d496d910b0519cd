// The demo's server (`npm start`), on `bricks-websocket/server` (the build in dist/server).
//
// It wires three jobs, each in its own file under server/:
//   - server/static.mjs: static files from the `demo/` and `dist/` folders of `root` (the repo
//     root by default) and nothing else: no dotfiles, nothing outside those folders; `/`
//     redirects to `/demo/`;
//   - server/room.mjs: the demo itself, as `handle()` calls on the library at `/ws/<room>`:
//     chat, history, rename, whoami, presence, clock, tabs; each room is a `join()`;
//   - server/controls.mjs: the test controls at `/control/<room>/<action>` (drop, refuse,
//     close, send, stats, reset), which the page's buttons and the end-to-end test use;
// and server/http.mjs has the HTTP helpers they share. The browser tests run against another
// server, test/fixture/, which misbehaves byte for byte as this one never should.
//
// Run `node demo/server.mjs` (PORT and HOST env, default 8080 on 127.0.0.1),
// or import `startServer`.

import { createServer as createHttpServer } from 'node:http';
import { realpath } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from '../dist/server/index.js';
import { controls, isRefusing, refuseUpgrade, stopRefusing } from './server/controls.mjs';
import { HttpError, ROOM_NAME, parseRequestUrl, rejectUpgrade, sendJson } from './server/http.mjs';
import { roomFor, serveRooms } from './server/room.mjs';
import { serveStatic } from './server/static.mjs';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const WS_PATH = new RegExp(`^/ws/(${ROOM_NAME})$`);
// Clips are base64 in JSON: a few seconds of camera video is megabytes. The library's defaults
// (1 MiB in, 4 MiB waiting per client) suit chat; these suit the demo's clips.
const MAX_PAYLOAD = 32 * 1024 * 1024;
const SEND_LIMIT = 64 * 1024 * 1024;

/** An upgrade request's URL as the library reads it for `path`, so both see the same room. */
function upgradeUrl(req) {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return new URL('http://localhost/');
  }
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
 * @returns {Promise<{port: number, url: string, httpServer: import('node:http').Server, bricks: import('../dist/server/index.js').BricksServer, close(): Promise<void>}>}
 */
export async function startServer({ port = 0, host = '127.0.0.1', root = REPO_ROOT, clock = true } = {}) {
  const servedRoot = await realpath(path.resolve(root));
  const rooms = new Map();
  const roomName = (url) => WS_PATH.exec(url.pathname)?.[1];

  const httpServer = createHttpServer((req, res) => {
    const url = parseRequestUrl(req);
    const answer = !url
      ? Promise.reject(new HttpError(400, 'Malformed URL'))
      : url.pathname.startsWith('/control/')
        ? control(req, res, url.pathname)
        : serveStatic(servedRoot, req, res, url.pathname);
    answer.catch((error) => respondWithError(res, error));
  });
  httpServer.on('clientError', (_error, socket) => socket.destroy());

  const bricks = createServer({
    server: httpServer,
    // `/ws/<room>`, unless the test controls refuse the room: then the upgrade is left to the listener below.
    path: (url) => {
      const name = roomName(url);
      return name !== undefined && !isRefusing(rooms.get(name));
    },
    maxPayload: MAX_PAYLOAD,
    sendLimit: SEND_LIMIT,
  });
  // What the library's `path` did not take: a refused room's handshake, or no endpoint at all.
  httpServer.on('upgrade', (req, socket) => {
    socket.on('error', () => {}); // a reset during the handshake must not crash us
    const name = roomName(upgradeUrl(req));
    if (name === undefined) return rejectUpgrade(socket, 404, 'The WebSocket endpoint is /ws/<room>');
    const room = rooms.get(name);
    if (isRefusing(room)) refuseUpgrade(room, socket);
  });
  const roomsServed = serveRooms(bricks, rooms, roomName, { clock });
  const control = controls(bricks, rooms, roomFor);

  httpServer.listen(port, host);
  await once(httpServer, 'listening');
  const actualPort = httpServer.address().port;

  return {
    port: actualPort,
    url: `http://localhost:${actualPort}/`,
    httpServer,
    bricks,
    async close() {
      roomsServed.stop();
      stopRefusing(rooms);
      // Before the HTTP server's own close, which would wait for the upgraded sockets too.
      await bricks.close({ timeout: 1000 });
      const closed = new Promise((resolve) => httpServer.close(() => resolve()));
      httpServer.closeAllConnections();
      await closed;
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
      `Listening on ${host}: anyone who can reach this machine can open the demo, join any room, read /control/<room>/stats (the last frames sent)\n` +
        'and use the control endpoints (drop, refuse, close, send, reset), as the demo\'s own buttons do. Only demo/ and dist/ are served.',
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
