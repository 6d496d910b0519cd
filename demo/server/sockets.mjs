// The WebSocket endpoint, `/ws/<room>`: `?mode=room` (the default) is the demo's room (room.mjs);
// `?mode=echo` sends every frame back to its sender only, and answers the tests' requests;
// `?mode=resume-fake` speaks resume just enough for the element's tests (resume-fake.mjs). The
// handshake offers what the test controls set up for the room: refused, or held unanswered.

import { parseJson, parseRequestUrl } from './http.mjs';
import { announcePresence, askWhoami, displayName, roomMessage } from './room.mjs';
import { resumeMessage } from './resume-fake.mjs';
import { ROOM_NAME, deliver, isDeaf, isEnvelope, isRefusing, pauseReading, roomFor } from './rooms.mjs';

const WS_PATH = new RegExp(`^/ws/(${ROOM_NAME})$`);
const MODES = new Set(['room', 'echo', 'resume-fake']);

/** Accepts the first offered subprotocol, so handshakes that offer any succeed. */
export function handleProtocols(protocols) {
  const [first] = protocols;
  return first ?? false;
}

function offeredProtocols(req) {
  const header = req.headers['sec-websocket-protocol'];
  if (!header) return [];
  return header.split(',').map((p) => p.trim()).filter(Boolean);
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

export function handleUpgrade(state, req, socket, head) {
  socket.on('error', () => {}); // a reset during the handshake must not crash us
  const url = parseRequestUrl(req);
  if (!url) return rejectUpgrade(socket, 400, 'Malformed URL');
  const match = WS_PATH.exec(url.pathname);
  if (!match) return rejectUpgrade(socket, 404, 'WebSocket endpoint is /ws/<room>');
  const mode = url.searchParams.get('mode') ?? 'room';
  if (!MODES.has(mode)) return rejectUpgrade(socket, 400, `Unknown mode "${mode}"; use room, echo or resume-fake`);

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
  if (ws.mode === 'resume-fake') {
    if (!(ws.stream && answerPing(room, ws, envelope))) resumeMessage(room, ws, text, envelope);
    return;
  }
  if (answerPing(room, ws, envelope)) return;

  if (ws.mode === 'echo') {
    if (!answerTestRequest(room, ws, envelope)) deliver(room, ws, data, isBinary);
    return;
  }
  roomMessage(room, ws, data, isBinary, envelope);
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
