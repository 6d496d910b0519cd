// HTTP helpers the server's jobs share: an error whose message goes back to the client, a JSON
// answer, and reading a request's URL or a JSON text without throwing.

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
