// HTTP helpers the demo server's jobs share, and the browser tests' raw server (test/fixture/)
// with it: an error whose message goes back to the client, a JSON answer, reading a request's URL
// or a JSON text without throwing, and the HTTP side of the control endpoints.

/** An error whose message is safe to send back to the client with `status`. */
export class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function sendJson(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { ...res.cors, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}

/**
 * The request's URL, or null when it cannot be parsed. A path is taken as a path even when it
 * starts with `//`, which `new URL(path, base)` would read as a host.
 */
export function parseRequestUrl(req) {
  const raw = req.url ?? '/';
  try {
    return raw.startsWith('/') ? new URL(`http://localhost${raw}`) : new URL(raw);
  } catch {
    return null;
  }
}

export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Answers an upgrade request with an HTTP error on its raw socket, then hangs up. */
export function rejectUpgrade(socket, status, message) {
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

// ── The control endpoints, `/control/<room>/<action>` ──
// The demo's (server/controls.mjs) and the browser tests' raw server's (test/fixture/) share the
// HTTP side: who may call them, the route, the method, and the JSON body.

/** What a room name may be, in `/ws/<room>` and `/control/<room>/<action>`. */
export const ROOM_NAME = '[A-Za-z0-9_-]+';

const CONTROL_PATH = new RegExp(`^/control/(${ROOM_NAME})/([a-z]+)$`);
// Large enough for a batch of base64 frames, small enough that a runaway client cannot exhaust memory.
const MAX_BODY_BYTES = 64 * 1024 * 1024;

const CORS_HEADERS = {
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
  // Chromium's Private/Local Network Access preflights ask for this before a
  // page may talk to a loopback server.
  'Access-Control-Allow-Private-Network': 'true',
  'Access-Control-Max-Age': '600',
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

/**
 * Answers a request under `/control/`: the CORS rule and its preflight, then
 * `actions[action].run(room(name), body)`, whose JSON-able result is the answer. An action is
 * `{ method: 'GET' | 'POST', run }`.
 */
export async function serveControl(req, res, pathname, actions, room) {
  res.cors = corsHeaders(req);
  if (res.cors === null) throw new HttpError(403, 'The control endpoints answer pages of this machine only');
  if (req.method === 'OPTIONS') {
    res.writeHead(204, res.cors);
    return res.end();
  }
  const match = CONTROL_PATH.exec(pathname);
  if (!match) throw new HttpError(404, 'Control endpoints are /control/<room>/<action>');
  const [, roomName, actionName] = match;
  const action = Object.hasOwn(actions, actionName) ? actions[actionName] : undefined;
  if (!action) throw new HttpError(404, `Unknown control action "${actionName}"; use ${Object.keys(actions).join(', ')}`);
  if (req.method !== action.method) throw new HttpError(405, `${actionName} expects ${action.method}`);
  const body = action.method === 'POST' ? await readJsonBody(req) : {};
  const result = await action.run(room(roomName), body);
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

/** `value` as a number, or undefined when absent; a 400 for anything else. */
export function optionalNumber(value, name) {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new HttpError(400, `${name} must be a number`);
  return value;
}

// RFC 6455 §7.4: 1004-1006 and 1015 are reserved and never appear on the wire.
export function isSendableCloseCode(code) {
  return Number.isInteger(code) && ((code >= 1000 && code <= 1014 && ![1004, 1005, 1006].includes(code)) || (code >= 3000 && code <= 4999));
}
