/**
 * `BricksServer`: accepts connections (upgrade.ts decides which), reads every frame a client
 * sends and routes it (the heartbeat, replies to the server's requests, handlers), sends to
 * rooms and to everyone through the adapter, reports errors without ever crashing the process,
 * and closes leaving nothing behind. Each client's socket is a `Connection`; applications see
 * `BricksClient`s.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode } from '../protocol/close-codes.js';
import { decodeFrame, type Decoded } from '../protocol/decode.js';
import { encodeFrame, encodeReply } from '../protocol/encode.js';
import { typeProblem } from '../protocol/frames.js';
import { OWN_STREAM } from '../protocol/resume.js';
import { decodeNumbered, encodeResumed, isFrameNumber, readHello, RESUME_PROTOCOL } from '../protocol/resume-frames.js';
import { PASSED, type Adapter, type NumberedFrame } from './adapter.js';
import { roomProblem, type BricksClient } from './client.js';
import { closeProblem, Connection, type ConnectionHost } from './connection.js';
import { ConsoleReport, ReplyError } from './errors.js';
import { Handlers, type AnyHandler, type Handler } from './handlers.js';
import { PingSweep } from './heartbeat.js';
import { readOptions, type ServerOptions, type Settings } from './options.js';
import { newToken, ownerOf, ResumeStream } from './resume.js';
import { Counters, type ServerStats } from './stats.js';
import { offeredProtocols, originAllowed, pathMatches, refuse, requestUrl, truncateUtf8 } from './upgrade.js';

/** Options of `close()`. */
export interface CloseOptions {
  /** The close code every client gets; default 1012 (restart), after which the element reconnects. */
  code?: number;
  /** Default `'restart'`. */
  reason?: string;
  /** Most milliseconds to wait for clients to take what was sent to them and close; then they are cut. Default 5000. */
  timeout?: number;
}

/** Sends to the members of one room: `bricks.to(room)`. */
export interface RoomTarget {
  /** Sends `{"type": type, "data": data}` to every client in the room, on every instance. */
  send(type: string, data?: unknown): void;
}

/**
 * `running`: accepting connections. `closing`: `close()` was called; no new connection is
 * accepted and the clients are being closed. `closed`: nothing is left.
 */
type State = 'running' | 'closing' | 'closed';

export interface BricksServer<User> {
  on(event: 'connection', listener: (client: BricksClient<User>, request: IncomingMessage) => unknown): this;
  on(event: 'disconnect', listener: (client: BricksClient<User>, code: number, reason: string) => unknown): this;
  on(event: 'error', listener: (error: unknown, client: BricksClient<User> | undefined) => unknown): this;
  on(event: string | symbol, listener: (...args: any[]) => unknown): this;
  once(event: 'connection', listener: (client: BricksClient<User>, request: IncomingMessage) => unknown): this;
  once(event: 'disconnect', listener: (client: BricksClient<User>, code: number, reason: string) => unknown): this;
  once(event: 'error', listener: (error: unknown, client: BricksClient<User> | undefined) => unknown): this;
  once(event: string | symbol, listener: (...args: any[]) => unknown): this;
}

export class BricksServer<User = null> extends EventEmitter {
  /** Resolves once the server listens (with `port`), at once when attached to a `server`; rejects if listening fails. */
  readonly ready: Promise<void>;
  #settings: Settings<User>;
  #state: State = 'running';
  #closing: Promise<void> | undefined;
  #http: HttpServer | HttpsServer;
  /** Whether `#http` is ours to listen with and close. */
  #own: boolean;
  #wss: WebSocketServer;
  #adapter: Adapter;
  #handlers: Handlers;
  #counters = new Counters();
  #report = new ConsoleReport();
  #connections = new Set<Connection<User>>();
  #clients = new Set<BricksClient<User>>();
  /** Raw sockets whose upgrade waits for `authenticate`. */
  #upgrading = new Set<Duplex>();
  /** Sockets refused by `authenticate`, closing with 1008. */
  #refusing = new Set<WebSocket>();
  #sweep: PingSweep;
  /** Called by `#closed()` once no socket is left, while `close()` waits for that. */
  #whenEmpty: (() => void) | undefined;
  /** Makes ids unique across instances and restarts: 48 random bits. */
  #prefix = randomBytes(6).readUIntBE(0, 6).toString(36);
  /** Resume streams with a socket or a running handler here, by token. */
  #streams = new Map<string, ResumeStream>();
  /**
   * Resume sockets whose hello waits for the adapter, by the token it names: a frame of that
   * stream numbered meanwhile (after the adapter collected what the page missed, before the
   * stream is attached) reaches them too, so it does not fall between the two.
   */
  #joining = new Map<string, Set<Connection<User>>>();
  /** Joins and leaves another instance asked for while a resume socket's hello was being answered. */
  #roomChanges = new WeakMap<Connection<User>, [string, boolean][]>();
  /** Each resume socket's upgrade request, for its `connection` event after the hello. */
  #requests = new WeakMap<Connection<User>, IncomingMessage>();
  #clientCount = 0;
  #requestCount = 0;
  #host: ConnectionHost;

  constructor(options: ServerOptions<User>) {
    // An async listener's rejection becomes an `error` report instead of an unhandled rejection.
    super({ captureRejections: true });
    const settings = (this.#settings = readOptions(options));
    this.#adapter = settings.adapter;
    this.#handlers = new Handlers((error, client) => this.#fail(error, client), settings.heartbeatType);
    this.#wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: settings.maxPayload,
      // Each socket would compress every broadcast again: the frame is encoded once, sent as is.
      perMessageDeflate: false,
      // The browser fails a handshake whose answer names no protocol it offered: the element's
      // session comes first, so answering with the first one offered accepts the session.
      handleProtocols: (protocols: Set<string>) => protocols.values().next().value ?? false,
    });
    this.#host = {
      adapter: this.#adapter,
      counters: this.#counters,
      sendLimit: settings.sendLimit,
      streams: this.#streams,
      hello: (connection, data, isBinary) => void this.#hello(connection as Connection<User>, data, isBinary),
      handlerLimit: settings.handlerLimit,
      nextRequestId: () => `${this.#prefix}.${++this.#requestCount}`,
      written: (token, frame) => {
        for (const connection of this.#joining.get(token) ?? []) connection.early(token, frame);
      },
      received: (connection, data, isBinary) => this.#received(connection as Connection<User>, data, isBinary),
      closed: (connection, code, reason) => this.#closed(connection as Connection<User>, code, reason),
      fail: (error, client) => this.#fail(error, client as BricksClient<User> | undefined),
    };
    this.#adapter.attach({
      error: (error) => this.#fail(error),
      history: settings.history,
      // The page's earlier socket, which it gave up on and this side has not yet seen die.
      displaced: (member) => {
        if (member instanceof Connection) member.displace();
      },
      instance: this.#prefix,
      // What the client of an older socket of a page did on another instance, which passed it here.
      write: (token, text) => this.#writeOwn(token, text),
      sendOwn: (token, frame) => this.#sendOwn(token, frame),
      changeRoom: (member, room, join) => {
        if (!(member instanceof Connection)) return;
        const connection = member as Connection<User>;
        // A socket whose hello is being answered gets its client's rooms once it is.
        if (connection.state !== 'hello') this.#changeRoom(connection, room, join);
        else {
          let changes = this.#roomChanges.get(connection);
          if (!changes) this.#roomChanges.set(connection, (changes = []));
          changes.push([room, join]);
        }
      },
      replied: (token, text) => {
        const frame = decodeFrame(text);
        if (frame.kind !== 'reply' || !this.#streams.get(token)?.requests.settle(frame.reply)) this.#counters.dropped++;
      },
    });
    this.#sweep = new PingSweep(settings.pingInterval, this.#connections);

    if (settings.server) {
      this.#http = settings.server;
      this.#own = false;
      this.ready = Promise.resolve();
    } else {
      this.#own = true;
      const http = (this.#http = createHttpServer((_request, response) => {
        response.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' }).end('Upgrade Required');
      }));
      this.ready = new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(settings.port, settings.host, () => {
          http.off('error', reject);
          http.on('error', (error) => this.#fail(error));
          resolve();
        });
      });
      // Awaiting `ready` is optional: a failure to listen is reported either way, never unhandled.
      this.ready.catch((error: unknown) => this.#fail(error));
    }
    this.#http.on('upgrade', this.#onUpgrade);
  }

  /** The clients connected to this instance. */
  get clients(): ReadonlySet<BricksClient<User>> {
    return this.#clients;
  }

  /** The address listened on (its `port` once `ready` has resolved); the attached server's own with `server`. */
  address(): AddressInfo | string | null {
    return this.#http.address();
  }

  /**
   * Handles frames of `type`: `handler(data, { client, type, id })`. For a request (`id` set)
   * the return value, or its promise's, is the reply; a `ReplyError` thrown or rejected is sent
   * as the error form, anything else as `{"message": "Internal error", "code": "internal"}` and
   * the server's `error` event. `'*'` takes every type without a handler of its own.
   */
  handle(type: '*', handler: AnyHandler<User>): this;
  handle(type: string, handler: Handler<User>): this;
  handle(type: string, handler: Handler<User> | AnyHandler<User>): this {
    // Only `*` gets the null type of a binary frame, so either handler takes what it is given.
    this.#handlers.add(type, handler as AnyHandler<User>);
    return this;
  }

  /** The members of `room`, to send to. */
  to(room: string): RoomTarget {
    const problem = roomProblem(room);
    if (problem !== null) throw new TypeError(`to(room): ${problem}.`);
    return { send: (type, data) => this.#broadcast('to(room).send(type, data)', room, type, data) };
  }

  /** Sends `{"type": type, "data": data}` to every client, on every instance. */
  send(type: string, data?: unknown): void {
    this.#broadcast('send(type, data)', null, type, data);
  }

  stats(): ServerStats {
    const { framesIn, framesOut, dropped, slowCloses, refused } = this.#counters;
    return { clients: this.#clients.size, rooms: this.#adapter.roomCount(), streams: this.#adapter.streamCount(), framesIn, framesOut, dropped, slowCloses, refused };
  }

  /**
   * Stops accepting connections, closes every client with `code` (1012 by default: the element
   * reconnects, to another instance or to this one restarted), waits up to `timeout` ms for
   * their buffers to drain and their closes to complete, cuts the rest, closes the adapter and,
   * with `port`, the HTTP server. Resolves when no socket, timer or listener of it is left.
   */
  close(options: CloseOptions = {}): Promise<void> {
    const { code = CloseCode.restart, reason = 'restart', timeout = 5000 } = options;
    const problem = closeProblem(code, reason);
    if (problem !== null) throw new TypeError(`close({ code, reason, timeout }): ${problem}`);
    if (typeof timeout !== 'number' || !(timeout >= 0)) throw new TypeError('close({ code, reason, timeout }): timeout must be a number of milliseconds, 0 or more.');
    return (this.#closing ??= this.#shutdown(code, reason, timeout));
  }

  /** An async listener's rejection (EventEmitter's captureRejections). */
  override [EventEmitter.captureRejectionSymbol](error: unknown, event: string | symbol, ...args: unknown[]): void {
    if (event === 'error') this.#report.print(error);
    else this.#fail(error, event === 'connection' || event === 'disconnect' ? (args[0] as BricksClient<User>) : undefined);
  }

  // ── connecting ──────────────────────────────────────────────────────────

  #onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const settings = this.#settings;
    let ours = false;
    try {
      const url = requestUrl(request);
      ours = url !== null && pathMatches(settings.path, url);
    } catch (error) {
      this.#fail(error);
    }
    if (!ours) {
      // Another upgrade listener of the same server may take it; with none, nobody would answer.
      if (this.#http.listenerCount('upgrade') === 1) refuse(socket, 404);
      return;
    }
    if (this.#state !== 'running') return refuse(socket, 503);
    if (!originAllowed(request, settings.origins)) {
      this.#counters.refused++;
      return refuse(socket, 403);
    }
    const protocols = offeredProtocols(request);
    if (protocols === null) return refuse(socket, 400);
    // Resume's subprotocol is never the session: the session is the first of the others.
    const resume = protocols.includes(RESUME_PROTOCOL);
    const session = protocols.find((protocol) => protocol !== RESUME_PROTOCOL) ?? null;
    const { authenticate } = settings;
    if (!authenticate) {
      this.#wss.handleUpgrade(request, socket, head, (ws) => this.#accept(ws, request, null as User, resume));
      return;
    }
    // The socket may fail or close while `authenticate` runs; nobody else listens to it yet.
    const onError = () => socket.destroy();
    socket.on('error', onError);
    this.#upgrading.add(socket);
    const settle = (then: (ws: WebSocket) => void) => {
      this.#upgrading.delete(socket);
      socket.off('error', onError);
      // A page that left meanwhile, or a server closing: nobody to upgrade for.
      if (this.#state !== 'running' || socket.destroyed) {
        socket.destroy();
        return;
      }
      // ws answers a malformed handshake (no key, a wrong version) with 400 by itself.
      this.#wss.handleUpgrade(request, socket, head, then);
    };
    let decision: User | PromiseLike<User>;
    try {
      decision = authenticate(request, session);
    } catch (error) {
      decision = Promise.reject(error);
    }
    Promise.resolve(decision).then(
      (user) => settle((ws) => this.#accept(ws, request, user, resume)),
      (error: unknown) => {
        this.#counters.refused++;
        settle((ws) => this.#refuse(ws, error));
      },
    );
  };

  #accept(ws: WebSocket, request: IncomingMessage, user: User, resume: boolean): void {
    const connection = new Connection<User>(ws, `${this.#prefix}-${++this.#clientCount}`, user, this.#host, resume);
    this.#connections.add(connection);
    if (resume) {
      // Held until its hello: the page hears nothing before the answer.
      this.#requests.set(connection, request);
      return;
    }
    this.#adapter.add(connection);
    this.#announce(connection, request);
  }

  #announce(connection: Connection<User>, request: IncomingMessage): void {
    this.#clients.add(connection.client);
    try {
      this.emit('connection', connection.client, request);
    } catch (error) {
      this.#fail(error, connection.client);
    }
  }

  /**
   * A resume socket's first frame: its hello. Finds or begins its stream (the adapter checks the
   * token against the owner), answers, sends what the page missed, then announces the client and
   * hands on the frames the page sent after its hello.
   */
  async #hello(connection: Connection<User>, data: Buffer, isBinary: boolean): Promise<void> {
    const hello = isBinary ? 'the first frame of a resume socket must be its hello, not binary' : readHello(data.toString());
    if (typeof hello === 'string') {
      this.#counters.dropped++;
      connection.close(CloseCode.protocolError, truncateUtf8(hello, 123));
      return;
    }
    let owner = ownerOf(connection.client.user);
    if (owner === null) {
      this.#fail(new TypeError('resume: authenticate returned a value JSON cannot write faithfully (a Map, a Set, a function, a class instance whose fields are private, NaN), which could not tell users apart, so the stream cannot be bound to its user and this page cannot resume. Return plain data, such as { id: 7 }.'), connection.client);
      // A stream nobody can resume.
      owner = newToken();
    }
    let start;
    const { token } = hello;
    let joining: Set<Connection<User>> | undefined;
    if (token !== null) {
      joining = this.#joining.get(token);
      if (!joining) this.#joining.set(token, (joining = new Set()));
      joining.add(connection);
    }
    try {
      start = await this.#adapter.attachStream(connection, { token, fresh: newToken(), owner, seen: hello.seen, next: hello.next, stream: hello.stream });
    } catch (error) {
      if (this.#state === 'running') this.#fail(error, connection.client);
      connection.close(1011, 'resume failed');
      return;
    } finally {
      if (joining) {
        joining.delete(connection);
        if (joining.size === 0 && this.#joining.get(token!) === joining) this.#joining.delete(token!);
      }
    }
    if (connection.state !== 'hello') {
      // It closed while the adapter looked: it must not stay attached. Once the server is
      // closing, the adapter's own close() releases it, and nothing may reach the adapter after.
      if (this.#state === 'running') this.#adapter.remove(connection).catch((error: unknown) => this.#fail(error, connection.client));
      return;
    }
    let stream = this.#streams.get(start.token);
    if (!stream) {
      // The stream this one continues may still run handlers here: their frames are handed on.
      const before = start.continues === undefined ? undefined : this.#streams.get(start.continues);
      stream = new ResumeStream(start.token, Math.max(start.handled, (before?.expected ?? 0) - 1), this.#adapter, this.#settings.history.ttl, (idle) => {
        if (this.#streams.get(idle.token) === idle) this.#streams.delete(idle.token);
      });
      this.#streams.set(start.token, stream);
    }
    const acked = stream.attach(connection, start.recovered, hello.seen[OWN_STREAM] ?? 0);
    connection.start(stream, encodeResumed({ token: start.token, recovered: start.recovered, missed: start.missed.length, acked, next: stream.expected }), start.missed, start.rooms);
    for (const [room, join] of this.#roomChanges.get(connection) ?? []) this.#changeRoom(connection, room, join);
    this.#roomChanges.delete(connection);
    const request = this.#requests.get(connection);
    this.#requests.delete(connection);
    if (request) this.#announce(connection, request);
    connection.frames();
  }

  /**
   * A refusal the element does not retry: the upgrade is accepted, then closed with 1008 (a
   * refused handshake would look like a network failure, which it retries). The reason is a
   * `ReplyError`'s message, meant for the page; any other error's text stays here.
   */
  #refuse(ws: WebSocket, error: unknown): void {
    this.#refusing.add(ws);
    ws.on('error', () => {});
    ws.on('close', () => {
      this.#refusing.delete(ws);
      this.#checkEmpty();
    });
    let reason = '';
    try {
      if (error instanceof ReplyError) reason = truncateUtf8(String(error.message), 123);
    } catch (thrown) {
      // A message that cannot become a string: refuse without one.
      this.#fail(thrown);
    }
    ws.close(CloseCode.policy, reason);
  }

  // ── frames ──────────────────────────────────────────────────────────────

  #received(connection: Connection<User>, data: Buffer, isBinary: boolean): void {
    const counters = this.#counters;
    counters.framesIn++;
    const handlers = this.#handlers;
    if (isBinary) {
      // Binary frames are never numbered: outside resume.
      const handler = this.#settings.binary ? handlers.find(null) : undefined;
      if (handler) this.#run(connection, handlers.run(handler, data, { client: connection.client, type: null, id: undefined }, connection));
      else counters.dropped++;
      return;
    }
    const stream = connection.stream;
    if (stream === null) {
      this.#route(connection, decodeFrame(data.toString()), undefined);
      return;
    }
    const { frame, n } = decodeNumbered(data.toString());
    // A frame without a number (the heartbeat) is the socket's, outside the stream.
    if (n === undefined) return this.#route(connection, frame, undefined);
    if (!isFrameNumber(n)) {
      counters.dropped++;
      return;
    }
    // Read on a socket the page gave up on: it sends the frame again on the one that took over
    // (it keeps every frame not acknowledged), where the handler gets the client that is there.
    if (connection.displaced) return;
    switch (stream.receive(n)) {
      case 'repeat':
        // Sent again after a reconnect: handled already, or handling.
        return;
      case 'gap':
        connection.close(CloseCode.protocolError, `frame ${n} skips numbers: ${stream.expected} was next`);
        return;
      case 'new':
        this.#route(connection, frame, () => stream.finished(n));
    }
  }

  /** Hands a frame read to where it goes; `done` once it is handled (resume acknowledges it then). */
  #route(connection: Connection<User>, frame: Decoded, done: (() => void) | undefined): void {
    const counters = this.#counters;
    const handlers = this.#handlers;
    switch (frame.kind) {
      case 'invalid':
        counters.dropped++;
        break;
      case 'reply': {
        const { reply } = frame;
        if (connection.requests.settle(reply)) break;
        // A request of the instance the page was on before it moved here: passed on to it.
        const stream = connection.stream;
        const text = stream === null ? '' : encodeReply(reply.id, reply.error ? { error: reply.error } : { data: reply.data });
        if (stream === null || !this.#adapter.reply(stream.token, reply.id, text)) counters.dropped++;
        break;
      }
      case 'reserved':
        // A `resumed` frame other than the hello, or an element event's type.
        if (frame.id === undefined) counters.dropped++;
        else handlers.unknownType(connection, frame.type, frame.id);
        break;
      case 'frame': {
        if (frame.type === this.#settings.heartbeatType) {
          connection.sendControl(encodeFrame('pong', frame.data));
          break;
        }
        const handler = handlers.find(frame.type);
        if (handler) {
          this.#run(connection, handlers.run(handler, frame.data, { client: connection.client, type: frame.type, id: frame.id }, connection, done));
          return;
        }
        if (frame.id !== undefined) handlers.unknownType(connection, frame.type, frame.id);
        else counters.dropped++;
      }
    }
    done?.();
  }

  /** A handler call that did not finish at once counts toward its client's `handlerLimit`. */
  #run(connection: Connection<User>, running: Promise<void> | undefined): void {
    if (running) connection.running(running);
  }

  /** A join or leave of the client of a page's older socket on another instance, for the client of its socket here. */
  #changeRoom(connection: Connection<User>, room: string, join: boolean): void {
    const { client } = connection;
    (join ? client.join(room) : client.leave(room)).catch((error: unknown) => this.#fail(error, client));
  }

  /** A frame of stream `token`'s own stream that another instance passed on: numbered and sent here, as `client.send()` does. */
  #writeOwn(token: string, text: string): void {
    const stream = this.#streams.get(token);
    const frame = stream ? stream.write(text) : this.#adapter.appendOwn(token, text);
    if (frame !== null && frame !== PASSED && !frame.later) this.#host.written(token, frame);
  }

  /** An own frame of stream `token` the adapter kept after numbering it: sent where `write()` sends one at once. */
  #sendOwn(token: string, frame: NumberedFrame): void {
    this.#streams.get(token)?.socket?.sendNumbered(frame);
    this.#host.written(token, frame);
  }

  #broadcast(call: string, room: string | null, type: string, data: unknown): void {
    const problem = typeProblem(type);
    if (problem !== null) throw new TypeError(`${call}: ${problem}.`);
    // Encoded once, text and bytes, however many clients it reaches.
    const text = encodeFrame(type, data ?? null);
    this.#adapter.broadcast(room, { text, bytes: Buffer.from(text) });
  }

  // ── errors and the end ──────────────────────────────────────────────────

  /** Reports an error to `error` listeners; with none, prints it once per cause. Never throws. */
  #fail(error: unknown, client?: BricksClient<User>): void {
    if (this.listenerCount('error') === 0) {
      this.#report.print(error);
      return;
    }
    try {
      this.emit('error', error, client);
    } catch (thrown) {
      this.#report.print(thrown);
    }
  }

  #closed(connection: Connection<User>, code: number, reason: string): void {
    this.#connections.delete(connection);
    this.#requests.delete(connection);
    // A resume socket that closed before its hello was answered was never announced.
    if (!this.#clients.delete(connection.client)) {
      this.#checkEmpty();
      return;
    }
    try {
      this.emit('disconnect', connection.client, code, reason);
    } catch (error) {
      this.#fail(error, connection.client);
    }
    this.#checkEmpty();
  }

  #checkEmpty(): void {
    if (this.#connections.size === 0 && this.#refusing.size === 0) this.#whenEmpty?.();
  }

  async #shutdown(code: number, reason: string, timeout: number): Promise<void> {
    this.#state = 'closing';
    this.#sweep.stop();
    for (const socket of this.#upgrading) socket.destroy();
    this.#upgrading.clear();
    const http = this.#http;
    let stopped: Promise<void> = Promise.resolve();
    if (this.#own) {
      await this.ready.catch(() => {});
      stopped = new Promise((resolve) => http.close(() => resolve()));
    }
    for (const connection of this.#connections) connection.close(code, reason);
    if (this.#connections.size > 0 || this.#refusing.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const connection of this.#connections) connection.terminate();
          for (const ws of this.#refusing) ws.terminate();
        }, timeout);
        this.#whenEmpty = () => {
          clearTimeout(timer);
          this.#whenEmpty = undefined;
          resolve();
        };
      });
    }
    for (const stream of this.#streams.values()) stream.close(() => new DOMException('The server closed before the reply arrived.', 'AbortError'));
    this.#streams.clear();
    http.off('upgrade', this.#onUpgrade);
    this.#wss.close();
    try {
      await this.#adapter.close();
    } catch (error) {
      this.#fail(error);
    }
    if (this.#own) {
      (http as HttpServer).closeAllConnections();
      await stopped;
    }
    this.#state = 'closed';
  }
}
