/**
 * The HTTP side of a connection, before there is a WebSocket: which upgrade requests are ours
 * (`path`), which pages may connect (`origins`), the session the element offers as its first
 * subprotocol, and refusing with an HTTP status. Pure functions of the request, except
 * `refuse()`, which answers on the raw socket.
 */
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** `path`: the exact path, or a test of the request's URL (so `/ws/<room>` routes work). */
export type PathOption = string | ((url: URL) => boolean);

/** `origins`: `'*'` for any page, or the allowed `Origin` values such as `'https://example.com'`. */
export type OriginsOption = '*' | readonly string[];

/**
 * The request's URL; its host is a placeholder, only the path and query are the client's. Null
 * when the target is not a path (`http://…`) or when URL parsing would change its path
 * (`/a/../ws`, `/a/%2e%2e/ws`, `/a\ws`, raw UTF-8): a browser sends a path as URLs write it, and
 * a rewritten path would be matched as another path than the one a proxy in front of the server
 * saw and let through. `//host/ws` is the path `//host/ws`, not a host.
 */
export function requestUrl(request: IncomingMessage): URL | null {
  const target = request.url ?? '';
  if (!target.startsWith('/')) return null;
  let url: URL;
  try {
    // Appended, not resolved against a base: "//host/ws" stays a path.
    url = new URL(`http://localhost${target}`);
  } catch {
    return null;
  }
  const query = target.indexOf('?');
  return url.pathname === (query === -1 ? target : target.slice(0, query)) ? url : null;
}

export function pathMatches(path: PathOption, url: URL): boolean {
  return typeof path === 'string' ? url.pathname === path : path(url) === true;
}

/** `https://Example.com:443` and `https://example.com` are one origin: compare them as URLs make them. */
export function normalizeOrigin(origin: string): string | null {
  try {
    const url = new URL(origin);
    return url.origin === 'null' ? null : url.origin;
  } catch {
    return null;
  }
}

/**
 * Whether the page that opened this connection may. A browser always sends `Origin` with a
 * WebSocket handshake, so a request without one is not a page's (a server, a script): allowed, as
 * the same-origin rule protects pages, not servers. By default a page may connect when its host
 * is the host it connects to, which is what a page and its own server have in common behind any
 * proxy that keeps the `Host` header.
 */
export function originAllowed(request: IncomingMessage, origins: '*' | ReadonlySet<string> | undefined): boolean {
  const origin = request.headers.origin;
  if (origin === undefined || origins === '*') return true;
  const normalized = normalizeOrigin(origin);
  if (normalized === null) return false;
  if (origins) return origins.has(normalized);
  const host = request.headers.host;
  if (host === undefined) return false;
  try {
    return new URL(normalized).host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}

/** A subprotocol is an RFC 7230 token (RFC 6455 section 4.1). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The subprotocols offered, in order: the element puts its session first. `null` when the header
 * is malformed (ws would refuse it with 400 too), so `authenticate` never sees garbage.
 */
export function offeredProtocols(request: IncomingMessage): string[] | null {
  const header = request.headers['sec-websocket-protocol'];
  if (header === undefined) return [];
  const protocols = header.split(',').map((protocol) => protocol.trim());
  return protocols.every((protocol) => TOKEN.test(protocol)) && new Set(protocols).size === protocols.length ? protocols : null;
}

/** Answers an upgrade request with an HTTP error and closes its socket. */
export function refuse(socket: Duplex, status: number): void {
  socket.on('error', () => socket.destroy());
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const text = STATUS_CODES[status] ?? 'Error';
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

/** `text` cut to at most `bytes` bytes of UTF-8, never inside a character: a close reason has 123. */
export function truncateUtf8(text: string, bytes: number): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  let end = Math.min(text.length, bytes);
  while (end > 0 && Buffer.byteLength(text.slice(0, end)) > bytes) end--;
  // Do not leave half of a surrogate pair.
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
  return text.slice(0, end);
}
