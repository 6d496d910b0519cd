/**
 * `createServer()`'s options: their types, their defaults, and the checks that turn a mistake
 * (a typo, a wrong type) into a `TypeError` at start-up instead of a server that quietly does
 * something else.
 */
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { typeProblem } from '../protocol/frames.js';
import { DEFAULT_HISTORY, type HistoryLimits } from '../protocol/resume.js';
import type { Adapter } from './adapter.js';
import { memoryAdapter } from './memory-adapter.js';
import { normalizeOrigin, type OriginsOption, type PathOption } from './upgrade.js';

export interface ServerOptions<User = null> {
  /** An `http` or `https` server to attach to; only upgrade requests on `path` are taken. */
  server?: HttpServer | HttpsServer;
  /** Without `server`: the port to listen on (0 for any free one; `address()` says which). */
  port?: number;
  /** With `port`: the interface to listen on; Node's default (every interface) when absent. */
  host?: string;
  /** The WebSocket endpoint: a path, or a test of the request URL. Default `'/ws'`. */
  path?: PathOption;
  /** Pages allowed to connect (`Origin` values), or `'*'`. Default: pages of the host connected to. */
  origins?: OriginsOption;
  /**
   * Decides who connects, on every connection and reconnect: called with the upgrade request and
   * the first subprotocol offered other than resume's `bricks.resume.1` (the element's session),
   * or null. Its value is `client.user`; a throw or rejection refuses with
   * close code 1008, the reason being the message of a `ReplyError` and empty otherwise.
   */
  authenticate?: (request: IncomingMessage, session: string | null) => User | PromiseLike<User>;
  /** Largest frame a client may send, in bytes; a larger one closes its connection with 1009. Default 1 MiB. */
  maxPayload?: number;
  /** Bytes a client may have waiting unsent before it is closed with 1013 as slow. Default 4 MiB. */
  sendLimit?: number;
  /**
   * Handler calls of one client that may be running at once (a handler is running until its
   * promise settles); at that many the server reads nothing more from that client until one
   * finishes, so a client that sends faster than its handlers finish is slowed, not buffered. Default 100.
   */
  handlerLimit?: number;
  /** The element's heartbeat frame type, answered with `{"type":"pong","data":<its data>}`; null turns it off. Default `'ping'`. */
  heartbeatType?: string | null;
  /** Milliseconds between protocol-level pings; a connection silent for two is dropped. 0 turns it off. Default 30000. */
  pingInterval?: number;
  /** Deliver binary frames to `handle('*')` with type `null`, instead of dropping them. Default false. */
  binary?: boolean;
  /** Where rooms live and how broadcasts travel. Default: in this process's memory. */
  adapter?: Adapter;
  /**
   * For pages with `resume`: how many frames each stream keeps to give back after a reconnect
   * (`size`, per client and per room, default 1000) and for how long (`ttl` ms after the frame was
   * sent, and after the page was last connected, default 120000).
   */
  history?: { size?: number; ttl?: number };
}

/** The options in force, checked and with their defaults. */
export interface Settings<User> {
  server: HttpServer | HttpsServer | undefined;
  port: number | undefined;
  host: string | undefined;
  path: PathOption;
  origins: '*' | ReadonlySet<string> | undefined;
  authenticate: ((request: IncomingMessage, session: string | null) => User | PromiseLike<User>) | undefined;
  maxPayload: number;
  sendLimit: number;
  handlerLimit: number;
  heartbeatType: string | null;
  pingInterval: number;
  binary: boolean;
  adapter: Adapter;
  history: HistoryLimits;
}

const MIB = 1024 * 1024;
const KNOWN = new Set(['server', 'port', 'host', 'path', 'origins', 'authenticate', 'maxPayload', 'sendLimit', 'handlerLimit', 'heartbeatType', 'pingInterval', 'binary', 'adapter', 'history']);

function fail(message: string): never {
  throw new TypeError(`createServer(options): ${message}`);
}

function positive(name: string, value: unknown, fallback: number, zero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < (zero ? 0 : 1)) {
    const unit = name === 'pingInterval' || name === 'history.ttl' ? 'milliseconds' : name === 'history.size' ? 'frames' : name === 'handlerLimit' ? 'handler calls' : 'bytes';
    fail(`${name} must be a whole number of ${unit}, ${zero ? '0' : '1'} or more.`);
  }
  return value;
}

/** Timers wait at most this long; Node runs a longer one at once. */
const MAX_DELAY = 2 ** 31 - 1;

function historyTtl(value: unknown): number {
  const ttl = positive('history.ttl', value, DEFAULT_HISTORY.ttl);
  // The streams' timers wait `ttl`: a longer one would fire at once, ending their requests and forgetting nothing.
  if (ttl > MAX_DELAY) fail(`history.ttl must be at most ${MAX_DELAY} milliseconds (about 24 days).`);
  return ttl;
}

export function readOptions<User>(options: ServerOptions<User>): Settings<User> {
  if (options === null || typeof options !== 'object') fail('pass an object, such as { server } or { port }.');
  for (const key of Object.keys(options)) if (!KNOWN.has(key)) fail(`unknown option "${key}" (known: ${[...KNOWN].join(', ')}).`);
  const { server, port, host, path = '/ws', origins, authenticate, binary = false, adapter } = options;
  if ((server === undefined) === (port === undefined)) fail('pass either server (an http or https server to attach to) or port (to listen on), not both nor neither.');
  if (server !== undefined && (server === null || typeof (server as HttpServer).on !== 'function' || typeof (server as HttpServer).address !== 'function')) fail('server must be an http or https server.');
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)) fail('port must be a whole number from 0 to 65535.');
  if (host !== undefined && (typeof host !== 'string' || port === undefined)) fail('host is a string, and goes with port.');
  if (typeof path === 'string' ? !path.startsWith('/') : typeof path !== 'function') fail('path must be a string starting with "/" or a function of the request URL.');
  let allowed: Settings<User>['origins'];
  if (origins === '*') allowed = '*';
  else if (origins !== undefined) {
    if (!Array.isArray(origins)) fail('origins must be "*" or an array of origins such as "https://example.com".');
    allowed = new Set(
      origins.map((origin: unknown) => (typeof origin === 'string' && normalizeOrigin(origin)) || fail(`origins: ${JSON.stringify(origin)} is not an origin such as "https://example.com".`)),
    );
  }
  if (authenticate !== undefined && typeof authenticate !== 'function') fail('authenticate must be a function.');
  const heartbeatType = options.heartbeatType === undefined ? 'ping' : options.heartbeatType;
  if (heartbeatType !== null) {
    const problem = typeProblem(heartbeatType);
    if (problem !== null) fail(`heartbeatType: ${problem}.`);
  }
  if (typeof binary !== 'boolean') fail('binary must be true or false.');
  if (adapter !== undefined && (adapter === null || typeof adapter !== 'object' || typeof adapter.broadcast !== 'function')) fail('adapter must be an adapter object.');
  const { history = {} } = options;
  if (history === null || typeof history !== 'object') fail('history must be an object such as { size: 1000, ttl: 120000 }.');
  for (const key of Object.keys(history)) if (key !== 'size' && key !== 'ttl') fail(`unknown history option "${key}" (known: size, ttl).`);
  return {
    server,
    port,
    host,
    path,
    origins: allowed,
    authenticate,
    maxPayload: positive('maxPayload', options.maxPayload, MIB),
    sendLimit: positive('sendLimit', options.sendLimit, 4 * MIB),
    handlerLimit: positive('handlerLimit', options.handlerLimit, 100),
    heartbeatType,
    pingInterval: positive('pingInterval', options.pingInterval, 30_000, true),
    binary,
    adapter: adapter ?? memoryAdapter(),
    history: { size: positive('history.size', history.size, DEFAULT_HISTORY.size), ttl: historyTtl(history.ttl) },
  };
}
