// The development and test server for <bricks-websocket>.
//
// One module serves both `npm start` (the demo) and the browser tests:
//   - static files from the `demo/` and `dist/` folders of `root` (the repo root
//     by default) and nothing else: no dotfiles, nothing outside those folders;
//     `/` redirects to `/demo/`;
//   - a WebSocket endpoint at `/ws/<room>` (`?mode=room`, the default, is a
//     room; `?mode=echo` sends every frame back to its sender only);
//   - HTTP control endpoints at `/control/<room>/<action>` that let a test make
//     the server misbehave (drop, refuse, stall, close, go silent, stop reading)
//     and inspect what it received. See `controlActions` below for the list.
//
// Room frames (`?name=<display name>` names the client; without one its id,
// "c1", "c2", ..., stands for it):
//   - `text`, `base64audio` and `base64video` go to everyone in the room, the
//     sender included, byte for byte, so a `text` frame's data stays the string
//     the page sent and a single tab sees its own messages;
//   - immediately before a relayed `text`, everyone gets
//       {"type":"chat","data":{"from":name,"at":<server Date.now()>,"text":data}}
//     and before a relayed clip
//       {"type":"clip","data":{"from":name,"at":<server Date.now()>,"kind":"base64audio"}}
//     for pages that show who said what;
//   - any other frame goes to the other clients only, byte for byte;
//   - `presence` frames on every join and leave, and {"type":"clock","data":ms}
//     every second;
//   - `tab-hello` and `tab-bye` (data: a tab id) say which browser tabs a
//     connection serves (with `share="tabs"` one connection serves several); they are
//     not relayed, and the connection gets
//       {"type":"you","data":{"id":"c1","name":name,"tabs":<how many>}}
//     whenever its count of tabs changes.
//
// Run `node demo/server.mjs` (PORT and HOST env, default 8080 on 127.0.0.1),
// or import `startServer`.

import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, WebSocket } from 'ws';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const ROOM_NAME = '[A-Za-z0-9_-]+';
const WS_PATH = new RegExp(`^/ws/(${ROOM_NAME})$`);
const CONTROL_PATH = new RegExp(`^/control/(${ROOM_NAME})/([a-z]+)$`);
const MODES = new Set(['room', 'echo']);
// Frames of these types go to the whole room, the sender included (see the top).
const SEED_TYPES = new Set(['text', 'base64audio', 'base64video']);
// The only folders of `root` served over HTTP: the demo pages and the build they load.
const SERVED_FOLDERS = new Set(['demo', 'dist']);
const MAX_NAME_LENGTH = 40;
/** How many `chat` messages a room keeps for the `history` request. */
const HISTORY_LENGTH = 50;
// A tab id is the client's word, so it is checked and a connection keeps only so many:
// a client that says hello forever costs a bounded set, and the count stays plausible.
const TAB_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_TABS_PER_CONNECTION = 32;

const CLOCK_INTERVAL_MS = 1000;
// Large enough for a `flood` frame or a batch of base64 frames, small enough
// that a runaway client cannot exhaust memory.
const MAX_BODY_BYTES = 64 * 1024 * 1024;
// Flood keeps at most this much queued per client before waiting for the
// socket to flush, so it measures the client and not our memory.
const FLOOD_HIGH_WATER_BYTES = 1024 * 1024;
// `digest` keeps this much of each frame: enough for a test's sequence number.
const DIGEST_HEAD_CHARS = 48;

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.webm': 'video/webm',
  '.mp4': 'video/mp4',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/**
 * The control endpoints answer pages of this server and of any port of this machine (the test
 * runner serves its pages from another port), never another site: a page elsewhere must not
 * read what a room said or drop it. A request without `Origin` is not from a page of another site.
 */
function corsHeaders(req) {
  const origin = req.headers.origin;
  if (origin === undefined) return {};
  let hostname;
  try {
    ({ hostname } = new URL(origin));
  } catch {
    return null;
  }
  const local = hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname) || origin === `http://${req.headers.host}`;
  return local ? { ...CORS_HEADERS, 'Access-Control-Allow-Origin': origin, Vary: 'Origin' } : null;
}

const CORS_HEADERS = {
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
  // Chromium's Private/Local Network Access preflights ask for this before a
  // page may talk to a loopback server.
  'Access-Control-Allow-Private-Network': 'true',
  'Access-Control-Max-Age': '600',
};

/** An error whose message is safe to send back to the client with `status`. */
class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// ---------------------------------------------------------------------------
// Rooms

function createRoom(name) {
  return {
    name,
    clients: new Set(),
    nextClientId: 1,
    nextRequestId: 1,
    history: [],
    ...freshRecords(),
    refuseUntil: 0,
    refuseStatus: 503,
    stalling: false,
    // Raw sockets whose handshake is being held unanswered by `stall`.
    stalled: new Set(),
    silent: false,
    paused: false,
  };
}

function freshRecords() {
  return { connections: 0, refused: 0, attempts: [], received: [] };
}

function roomFor(rooms, name) {
  let room = rooms.get(name);
  if (!room) {
    room = createRoom(name);
    rooms.set(name, room);
  }
  return room;
}

function isRefusing(room) {
  return room.refuseUntil > Date.now();
}

/** Sends unless the room is silenced: a silent server says nothing at all. */
function deliver(room, ws, data, binary = false) {
  if (room.silent || ws.readyState !== WebSocket.OPEN) return false;
  ws.send(data, { binary });
  return true;
}

/** While on, handshakes get no answer at all; turning it off hangs up on those held. */
function setStall(room, on) {
  room.stalling = on;
  if (on) return;
  for (const socket of room.stalled) socket.destroy();
  room.stalled.clear();
}

function setSilence(room, on) {
  room.silent = on;
  for (const ws of room.clients) pauseReading(ws, isDeaf(room));
}

function setPaused(room, on) {
  room.paused = on;
  for (const ws of room.clients) pauseReading(ws, isDeaf(room));
}

/** Silence and pause both stop reading; reading resumes when neither is on. */
function isDeaf(room) {
  return room.silent || room.paused;
}

// Pausing the TCP socket (rather than ignoring messages) means the server
// truly stops reading: protocol pings go unanswered and the client's send
// buffer fills, exactly like a hung peer.
function pauseReading(ws, paused) {
  const socket = ws._socket;
  if (!socket) return;
  if (paused) socket.pause();
  else socket.resume();
}

function presenceFrame(room, event, id, departedName) {
  const members = [...room.clients].filter((ws) => ws.mode === 'room');
  const clients = members.map((ws) => ws.id);
  const people = members.map((ws) => ({ id: ws.id, name: ws.name, colour: ws.colour ?? null }));
  const name = people.find((person) => person.id === id)?.name ?? departedName;
  return JSON.stringify({ type: 'presence', data: { event, id, name, clients, count: clients.length, people } });
}

function announcePresence(room, event, id, departedName = null) {
  const frame = presenceFrame(room, event, id, departedName);
  for (const ws of room.clients) {
    if (ws.mode === 'room') deliver(room, ws, frame);
  }
}

// ---------------------------------------------------------------------------
// WebSocket connections

/** Accepts the first offered subprotocol, so handshakes that offer any succeed. */
function handleProtocols(protocols) {
  const [first] = protocols;
  return first ?? false;
}

function offeredProtocols(req) {
  const header = req.headers['sec-websocket-protocol'];
  if (!header) return [];
  return header.split(',').map((p) => p.trim()).filter(Boolean);
}

/**
 * The request's URL, or null when it cannot be parsed. A path is taken as a path even when it
 * starts with `//`, which `new URL(path, base)` would read as a host.
 */
function parseRequestUrl(req) {
  const raw = req.url ?? '/';
  try {
    return raw.startsWith('/') ? new URL(`http://localhost${raw}`) : new URL(raw);
  } catch {
    return null;
  }
}

function requestUrl(req, scheme) {
  return `${scheme}://${req.headers.host ?? 'localhost'}${req.url}`;
}

/** Writes a complete HTTP response on a raw socket, then hangs up. */
function rejectUpgrade(socket, status, message) {
  const body = `${message}\n`;
  const reason = httpStatusText(status);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      '\r\n' +
      body,
  );
  // end() flushes the response first; destroy afterwards so a client that
  // ignores `Connection: close` cannot keep the socket.
  socket.once('finish', () => socket.destroy());
  setTimeout(() => socket.destroy(), 1000).unref();
}

function httpStatusText(status) {
  const texts = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };
  return texts[status] ?? 'Error';
}

function handleUpgrade(state, req, socket, head) {
  socket.on('error', () => {}); // a reset during the handshake must not crash us
  const url = parseRequestUrl(req);
  if (!url) return rejectUpgrade(socket, 400, 'Malformed URL');
  const match = WS_PATH.exec(url.pathname);
  if (!match) return rejectUpgrade(socket, 404, 'WebSocket endpoint is /ws/<room>');
  const mode = url.searchParams.get('mode') ?? 'room';
  if (!MODES.has(mode)) return rejectUpgrade(socket, 400, `Unknown mode "${mode}"; use room or echo`);

  const room = roomFor(state.rooms, match[1]);
  const attempt = { t: Date.now(), protocols: offeredProtocols(req), protocol: null, url: requestUrl(req, 'ws'), refused: false, stalled: false };
  room.attempts.push(attempt);

  if (room.stalling) {
    // Like a hung server or proxy: the TCP connection is accepted and the request read, and
    // nothing is ever written back. The client gives up, or `stall` off hangs up.
    attempt.stalled = true;
    room.stalled.add(socket);
    socket.on('close', () => room.stalled.delete(socket));
    // Read (and drop) whatever comes, or the client's hang-up goes unnoticed; the HTTP
    // server allows half-open sockets, so hang up in turn.
    socket.on('end', () => socket.destroy());
    socket.resume();
    return;
  }

  if (isRefusing(room)) {
    attempt.refused = true;
    room.refused += 1;
    return rejectUpgrade(socket, room.refuseStatus, 'Refused by /control/refuse');
  }

  state.wss.handleUpgrade(req, socket, head, (ws) => {
    attempt.protocol = ws.protocol || null;
    ws.name = displayName(url.searchParams.get('name'));
    onConnection(state, room, ws, mode);
  });
}

function onConnection(state, room, ws, mode) {
  ws.id = `c${room.nextClientId++}`;
  ws.mode = mode;
  // The tabs behind this connection, from `tab-hello`/`tab-bye`; gone with the connection.
  ws.tabs = new Set();
  room.connections += 1;
  room.clients.add(ws);
  if (isDeaf(room)) pauseReading(ws, true);

  ws.on('error', () => {}); // errors are followed by 'close', which cleans up
  ws.on('message', (data, isBinary) => onMessage(room, ws, data, isBinary));
  ws.on('close', () => {
    room.clients.delete(ws);
    if (mode === 'room') announcePresence(room, 'leave', ws.id, ws.name);
  });

  if (mode === 'room') {
    announcePresence(room, 'join', ws.id);
    askWhoami(room, ws);
  }
}

function onMessage(room, ws, data, isBinary) {
  // Decoded and parsed once: media frames are megabytes of base64.
  const text = isBinary ? null : data.toString();
  room.received.push(isBinary ? { binary: data.toString('base64') } : text);
  const envelope = isBinary ? undefined : parseJson(text);
  if (answerPing(room, ws, envelope)) return;

  if (ws.mode === 'echo') {
    if (!answerTestRequest(room, ws, envelope)) deliver(room, ws, data, isBinary);
    return;
  }
  if (trackTab(room, ws, envelope)) return;
  if (answerRoomRequest(room, ws, envelope)) return;
  const seed = isEnvelope(envelope) && SEED_TYPES.has(envelope.type);
  const announcement = seed ? announce(room, ws, envelope) : null;
  for (const member of room.clients) {
    if (member.mode !== 'room' || (member === ws && !seed)) continue;
    if (announcement) deliver(room, member, announcement);
    deliver(room, member, data, isBinary);
  }
}

/** The `chat` or `clip` frame that goes before a relayed seed frame: who sent it, and when. */
function announce(room, ws, envelope) {
  const from = ws.name ?? ws.id;
  const at = Date.now();
  if (envelope.type !== 'text') return JSON.stringify({ type: 'clip', data: { from, at, kind: envelope.type } });
  const chat = { from, at, text: envelope.data };
  room.history.push(chat);
  if (room.history.length > HISTORY_LENGTH) room.history.shift();
  return JSON.stringify({ type: 'chat', data: chat });
}

// ── Tabs behind a connection: `tab-hello` and `tab-bye`, answered with `you` ──

/**
 * Counts the tabs a connection serves from their own hello and goodbye. Never relayed. An id
 * that is not a short token, or a hello past the cap, is ignored: the count is what the server
 * saw, bounded, never a number a client claims.
 */
function trackTab(room, ws, envelope) {
  if (!isEnvelope(envelope) || (envelope.type !== 'tab-hello' && envelope.type !== 'tab-bye')) return false;
  const id = envelope.data;
  if (typeof id !== 'string' || !TAB_ID.test(id)) return true;
  const before = ws.tabs.size;
  if (envelope.type === 'tab-bye') ws.tabs.delete(id);
  else if (ws.tabs.size < MAX_TABS_PER_CONNECTION) ws.tabs.add(id);
  if (ws.tabs.size !== before) tellYou(room, ws);
  return true;
}

/** What this connection is to the server: its id, its name, and how many tabs it serves. */
function tellYou(room, ws) {
  deliver(room, ws, JSON.stringify({ type: 'you', data: { id: ws.id, name: ws.name ?? ws.id, tabs: ws.tabs.size } }));
}

// ── Conversations in room mode: requests with an `id`, answered with `reply` frames ──

/**
 * The page's requests: `history` (the room's last messages) and `rename` (refused when the name
 * is taken). Any other request gets an error reply; a `reply` frame answers our `whoami`.
 * Neither is relayed to the room.
 */
function answerRoomRequest(room, ws, envelope) {
  if (!isEnvelope(envelope)) return false;
  if (envelope.type === 'reply') {
    takeWhoami(room, ws, envelope);
    return true;
  }
  if (typeof envelope.id !== 'string') return false;
  const answer = (body) => deliver(room, ws, JSON.stringify({ type: 'reply', id: envelope.id, ...body }));
  if (envelope.type === 'history') {
    answer({ data: room.history });
  } else if (envelope.type === 'rename') {
    const error = rename(room, ws, envelope.data);
    answer(error ? { error } : { data: { name: ws.name } });
  } else {
    answer({ error: { message: `This server answers "history" and "rename", not "${envelope.type}".`, code: 'unknown' } });
  }
  return true;
}

/** Renames `ws`; returns the error body when the name is empty or another member of the room has it. */
function rename(room, ws, wanted, tell = true) {
  const name = typeof wanted === 'string' ? displayName(wanted) : null;
  if (name === null) return { message: 'A name needs at least one visible character.', code: 'invalid' };
  const key = name.toLowerCase();
  const taken = [...room.clients].some((other) => other !== ws && other.mode === 'room' && other.name?.toLowerCase() === key);
  if (taken) return { message: `"${name}" is taken in this room; pick another.`, code: 'taken', data: { name } };
  if (ws.name !== name) {
    ws.name = name;
    if (tell) announcePresence(room, 'rename', ws.id);
  }
  return null;
}

/** The server's own request to each new member: who are you? Answered with `{name, colour}`. */
function askWhoami(room, ws) {
  ws.whoami = `srv-${room.nextRequestId++}`;
  deliver(room, ws, JSON.stringify({ type: 'whoami', id: ws.whoami, data: null }));
}

function takeWhoami(room, ws, reply) {
  if (reply.id !== ws.whoami || !reply.data || typeof reply.data !== 'object') return;
  ws.whoami = null;
  const { name, colour } = reply.data;
  if (typeof colour === 'string' && /^#[0-9a-f]{6}$/i.test(colour)) ws.colour = colour;
  // A name someone else took meanwhile keeps the one from the URL.
  rename(room, ws, name, false);
  announcePresence(room, 'update', ws.id);
}

/** `?name=` trimmed and capped; null when absent or blank. */
function displayName(value) {
  const name = [...(value ?? '').trim()].slice(0, MAX_NAME_LENGTH).join('').trim();
  return name === '' ? null : name;
}

/**
 * Requests in echo mode, for the tests: `echo` is answered with its data, `fail` with an error
 * reply, `twice` with two replies, `ignore` never; `reply` frames are only recorded. Any other
 * request is echoed, so it comes back as a request from the server.
 */
function answerTestRequest(room, ws, envelope) {
  if (!isEnvelope(envelope)) return false;
  if (envelope.type === 'reply') return true;
  if (typeof envelope.id !== 'string') return false;
  const { id, data } = envelope;
  const answer = (body) => deliver(room, ws, JSON.stringify({ type: 'reply', id, ...body }));
  switch (envelope.type) {
    case 'echo':
      answer({ data: data ?? null });
      return true;
    case 'fail':
      answer({ error: { message: 'failed', code: 'fail', data: data ?? null } });
      return true;
    case 'twice':
      answer({ data: 1 });
      answer({ data: 2 });
      return true;
    case 'ignore':
      return true;
    default:
      return false;
  }
}

/** Application heartbeat: `{type:"ping",data:X}` → `{type:"pong",data:X}`. */
function answerPing(room, ws, envelope) {
  if (!isEnvelope(envelope) || envelope.type !== 'ping') return false;
  deliver(room, ws, JSON.stringify({ type: 'pong', data: envelope.data }));
  return true;
}

function isEnvelope(value) {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && typeof value.type === 'string';
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function tickClock(state) {
  const frame = JSON.stringify({ type: 'clock', data: Date.now() });
  for (const room of state.rooms.values()) {
    for (const ws of room.clients) {
      if (ws.mode === 'room') deliver(room, ws, frame);
    }
  }
}

// ---------------------------------------------------------------------------
// Control endpoints: each takes (room, body) and returns a JSON-able result.

const controlActions = {
  /** Abrupt loss: no close frame, the browser reports code 1006. */
  drop: { method: 'POST', run: (room) => ({ dropped: eachClient(room, (ws) => ws.terminate()) }) },

  refuse: {
    method: 'POST',
    run: (room, body) => {
      const ms = optionalNumber(body.ms, 'ms') ?? 0;
      const status = optionalNumber(body.status, 'status') ?? 503;
      if (!Number.isInteger(status) || status < 400 || status > 599) throw new HttpError(400, 'status must be an HTTP error status (400-599)');
      room.refuseUntil = ms > 0 ? Date.now() + ms : 0;
      room.refuseStatus = status;
      return { refusing: ms > 0, until: room.refuseUntil, status };
    },
  },

  /** Handshakes get no answer until `{"on": false}`, which hangs up on the ones held. */
  stall: {
    method: 'POST',
    run: (room, body) => {
      if (typeof body.on !== 'boolean') throw new HttpError(400, 'body must be {"on": true|false}');
      setStall(room, body.on);
      return { stalling: room.stalling, held: room.stalled.size };
    },
  },

  close: {
    method: 'POST',
    run: (room, body) => {
      const code = optionalNumber(body.code, 'code') ?? 1000;
      if (!isSendableCloseCode(code)) throw new HttpError(400, `code ${code} cannot be sent in a close frame; use 1000-1003, 1007-1014 or 3000-4999`);
      const reason = body.reason === undefined ? '' : String(body.reason);
      if (Buffer.byteLength(reason) > 123) throw new HttpError(400, 'reason must be at most 123 bytes of UTF-8');
      return { closed: eachClient(room, (ws) => ws.close(code, reason)) };
    },
  },

  silence: {
    method: 'POST',
    run: (room, body) => {
      if (typeof body.on !== 'boolean') throw new HttpError(400, 'body must be {"on": true|false}');
      setSilence(room, body.on);
      return { silent: room.silent, clients: room.clients.size };
    },
  },

  /** Stops reading (the client's send buffer fills) while still sending: a slow or stuck reader. */
  pause: {
    method: 'POST',
    run: (room, body) => {
      if (typeof body.on !== 'boolean') throw new HttpError(400, 'body must be {"on": true|false}');
      setPaused(room, body.on);
      return { paused: room.paused, clients: room.clients.size };
    },
  },

  send: {
    method: 'POST',
    run: (room, body) => {
      const frames = parseFrames(body.frames);
      let clients = 0;
      for (const ws of room.clients) {
        if (ws.readyState !== WebSocket.OPEN) continue;
        for (const frame of frames) deliver(room, ws, frame.data, frame.binary);
        clients += 1;
      }
      return { clients };
    },
  },

  flood: {
    method: 'POST',
    run: async (room, body) => {
      const count = optionalNumber(body.count, 'count') ?? 0;
      if (!Number.isInteger(count) || count < 0) throw new HttpError(400, 'count must be a non-negative integer');
      if (typeof body.frame !== 'string') throw new HttpError(400, 'frame must be a string');
      const started = Date.now();
      const targets = [...room.clients].filter((ws) => ws.readyState === WebSocket.OPEN);
      const sent = await Promise.all(targets.map((ws) => flood(room, ws, body.frame, count)));
      return { clients: targets.length, sent, ms: Date.now() - started };
    },
  },

  stats: {
    method: 'GET',
    run: (room) => ({
      connections: room.connections,
      open: [...room.clients].filter((ws) => ws.readyState === WebSocket.OPEN).length,
      refused: room.refused,
      held: room.stalled.size,
      attempts: room.attempts,
      received: room.received,
    }),
  },

  /** `stats.received` cut short: each frame's first characters and its length, for tests that send megabytes. */
  digest: {
    method: 'GET',
    run: (room) => ({
      open: [...room.clients].filter((ws) => ws.readyState === WebSocket.OPEN).length,
      received: room.received.map((frame) =>
        typeof frame === 'string' ? { head: frame.slice(0, DIGEST_HEAD_CHARS), length: frame.length } : { head: '', length: Buffer.byteLength(frame.binary, 'base64'), binary: true },
      ),
    }),
  },

  reset: {
    method: 'POST',
    run: (room) => {
      Object.assign(room, freshRecords());
      room.refuseUntil = 0;
      room.refuseStatus = 503;
      setStall(room, false);
      room.paused = false;
      setSilence(room, false);
      return { reset: true };
    },
  },
};

function eachClient(room, fn) {
  const clients = [...room.clients];
  clients.forEach(fn);
  return clients.length;
}

// RFC 6455 §7.4: 1004-1006 and 1015 are reserved and never appear on the wire.
function isSendableCloseCode(code) {
  return Number.isInteger(code) && ((code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999));
}

function optionalNumber(value, name) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new HttpError(400, `${name} must be a number`);
  return value;
}

function parseFrames(frames) {
  if (!Array.isArray(frames)) throw new HttpError(400, 'body must be {"frames": [string | {"binary": base64}, ...]}');
  return frames.map((frame, i) => {
    if (typeof frame === 'string') return { data: frame, binary: false };
    if (frame && typeof frame.binary === 'string') return { data: Buffer.from(frame.binary, 'base64'), binary: true };
    throw new HttpError(400, `frames[${i}] must be a string or {"binary": base64}`);
  });
}

/** Sends `frame` `count` times, waiting for the socket to flush whenever the queue is high. */
async function flood(room, ws, frame, count) {
  let sent = 0;
  try {
    while (sent < count && !room.silent && ws.readyState === WebSocket.OPEN) {
      if (ws.bufferedAmount < FLOOD_HIGH_WATER_BYTES) {
        ws.send(frame);
      } else {
        // The callback runs once this frame reached the kernel: that is our drain.
        await new Promise((resolve, reject) => ws.send(frame, (error) => (error ? reject(error) : resolve())));
      }
      sent += 1;
    }
  } catch {
    // The client went away mid-flood; report how far we got.
  }
  return sent;
}

async function handleControl(state, req, res, match) {
  const [, roomName, actionName] = match;
  const action = Object.hasOwn(controlActions, actionName) ? controlActions[actionName] : undefined;
  if (!action) throw new HttpError(404, `Unknown control action "${actionName}"; use ${Object.keys(controlActions).join(', ')}`);
  if (req.method !== action.method) throw new HttpError(405, `${actionName} expects ${action.method}`);
  const body = action.method === 'POST' ? await readJsonBody(req) : {};
  const result = await action.run(roomFor(state.rooms, roomName), body);
  sendJson(res, 200, result);
}

async function readJsonBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  const body = parseJson(text);
  if (body === undefined) throw new HttpError(400, 'body is not valid JSON');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'body must be a JSON object');
  return body;
}

function sendJson(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...res.cors, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

// ---------------------------------------------------------------------------
// Static files

async function serveStatic(root, req, res, pathname) {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'static files accept GET and HEAD');
  if (pathname === '/') return redirect(res, '/demo/');

  const filePath = await resolveServed(root, pathname);
  const info = filePath && (await stat(filePath).catch(() => null));
  if (!info) throw new HttpError(404, `Not found: ${pathname}`);
  if (info.isDirectory()) {
    if (!pathname.endsWith('/')) return redirect(res, `${pathname}/`);
    return serveStatic(root, req, res, `${pathname}index.html`);
  }

  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Cache-Control': 'no-store',
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(filePath).on('error', () => res.destroy()).pipe(res);
}

/**
 * Maps a URL path to a file in one of the served folders, or null: the rest of the
 * repository (sources, `.git`, `node_modules`) is never served, whoever asks. Judged on the
 * decoded path, so `..%2f` is a `..` like any other; a dot segment or a dotfile anywhere,
 * a backslash, or a symlink that leads out of its folder is not found either.
 */
async function resolveServed(root, pathname) {
  let decoded;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    throw new HttpError(400, 'Malformed URL');
  }
  if (decoded.includes('\0')) throw new HttpError(400, 'Malformed URL');
  const [first, ...rest] = decoded.split('/').slice(1);
  if (!SERVED_FOLDERS.has(first) || decoded.includes('\\') || rest.some((segment) => segment.startsWith('.'))) return null;
  const folder = await realpath(path.join(root, first)).catch(() => null);
  if (!folder) return null;
  const real = await realpath(path.join(folder, ...rest)).catch(() => null);
  return real && (real === folder || real.startsWith(folder + path.sep)) ? real : null;
}

function redirect(res, location) {
  res.writeHead(302, { Location: location, 'Content-Length': 0 });
  res.end();
}

// ---------------------------------------------------------------------------
// HTTP entry point

async function handleRequest(state, req, res) {
  const url = parseRequestUrl(req);
  if (!url) throw new HttpError(400, 'Malformed URL');
  const control = CONTROL_PATH.exec(url.pathname);
  if (url.pathname.startsWith('/control/')) {
    res.cors = corsHeaders(req);
    if (res.cors === null) throw new HttpError(403, 'The control endpoints answer pages of this machine only');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, res.cors);
      return res.end();
    }
    if (!control) throw new HttpError(404, 'Control endpoints are /control/<room>/<action>');
    return handleControl(state, req, res, control);
  }
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
