// The test controls, `/control/<room>/<action>`: a test makes the server misbehave (drop, refuse,
// stall, close, go silent, stop reading), sends frames, floods, and reads what the room received.
// See `controlActions` for the list. Answered for pages of this machine only.

import { WebSocket } from 'ws';
import { HttpError, parseJson, sendJson } from './http.mjs';
import { resumeControl, resumeRecords } from './resume-fake.mjs';
import { ROOM_NAME, deliver, freshRecords, roomFor, setPaused, setSilence, setStall } from './rooms.mjs';

const CONTROL_PATH = new RegExp(`^/control/(${ROOM_NAME})/([a-z]+)$`);
// Large enough for a `flood` frame or a batch of base64 frames, small enough
// that a runaway client cannot exhaust memory.
const MAX_BODY_BYTES = 64 * 1024 * 1024;
// Flood keeps at most this much queued per client before waiting for the
// socket to flush, so it measures the client and not our memory.
const FLOOD_HIGH_WATER_BYTES = 1024 * 1024;
// `digest` keeps this much of each frame: enough for a test's sequence number.
const DIGEST_HEAD_CHARS = 48;

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

  /** `?mode=resume-fake`: `{"acks": "hold" | "auto", "forget": true, "publish": [data, ...]}` (resume-fake.mjs). */
  resume: { method: 'POST', run: (room, body) => resumeControl(room, body) },

  /** `?mode=resume-fake`: the page frames it handed on, once each, and the hellos and answers. */
  streams: { method: 'GET', run: (room) => resumeRecords(room) },

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

/** A request under `/control/`: the CORS rule and its preflight, then the action. */
export async function handleControl(state, req, res, pathname) {
  res.cors = corsHeaders(req);
  if (res.cors === null) throw new HttpError(403, 'The control endpoints answer pages of this machine only');
  if (req.method === 'OPTIONS') {
    res.writeHead(204, res.cors);
    return res.end();
  }
  const match = CONTROL_PATH.exec(pathname);
  if (!match) throw new HttpError(404, 'Control endpoints are /control/<room>/<action>');
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
