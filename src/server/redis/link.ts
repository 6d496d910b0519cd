/**
 * One link to Redis: two connections, one for commands and one for pub/sub (a subscribed
 * connection takes no other command). A link is made whole or not at all, and lost at most
 * once: the first failure of either connection ends both and is reported. The adapter makes a
 * new link to reconnect, on its own schedule (backoff.ts), so no timer of the Redis client
 * outlives `close()`; the Redis client's own reconnecting is off.
 */
import { createHash } from 'node:crypto';
import { createClient } from 'redis';
import { PUBLISH_SCRIPT, type Numbering } from './streams.js';
import { Tails } from './tails.js';

/** The part of a node-redis client the adapter uses. */
export interface RedisConnection {
  connect(): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  sendCommand(args: string[]): Promise<unknown>;
  subscribe(channels: string | string[], listener: (message: string, channel: string) => void): Promise<void>;
  unsubscribe(channels: string | string[], listener: (message: string, channel: string) => void): Promise<void>;
}

/** A client the application passed in: the adapter only duplicates it. */
export interface RedisClientLike {
  duplicate(overrides?: object): unknown;
  readonly options?: { url?: string; socket?: object };
}

/** Makes one new connection, not yet connected. */
export type ConnectionFactory = () => RedisConnection;

/** Where the adapter's connections come from: `url`, or duplicates of the application's client. */
export function connectionFactory(url: string | undefined, client: RedisClientLike | undefined): ConnectionFactory {
  // Reconnecting is the adapter's (a new link), commands never wait in an offline queue (a
  // frame goes to local clients at once instead), and the application's key prefix, reply
  // types and own settings for its commands stay with its client. No command timeout (node-redis
  // gives up after 5 s by default): on a busy instance a frame waits to be written rather than
  // being dropped for the other instances; a lost link still ends every command at once.
  const ours = { disableOfflineQueue: true, keyPrefix: undefined, commandOptions: { timeout: 0 } };
  if (client) {
    const socket = { ...client.options?.socket, reconnectStrategy: false };
    return () => client.duplicate({ ...ours, socket }) as RedisConnection;
  }
  return () => createClient({ ...ours, ...(url === undefined ? {} : { url }), socket: { reconnectStrategy: false } }) as unknown as RedisConnection;
}

/** Where a factory connects, for messages: no password. */
export function describeTarget(url: string | undefined, client: RedisClientLike | undefined): string {
  const raw = url ?? client?.options?.url;
  if (raw !== undefined) {
    try {
      const parsed = new URL(raw);
      parsed.username = '';
      parsed.password = '';
      return parsed.href;
    } catch {
      return 'the Redis URL given';
    }
  }
  if (client) {
    const socket = client.options?.socket as { host?: string; port?: number; path?: string } | undefined;
    if (socket?.path) return socket.path;
    return `${socket?.host ?? 'localhost'}:${socket?.port ?? 6379} (the application's client)`;
  }
  return 'localhost:6379';
}

export interface LinkEvents {
  /** A message on a subscribed channel. */
  message(raw: string, channel: string): void;
  /** The link broke (either connection); called at most once, never after `close()`. */
  lost(cause: Error): void;
}

const SHA = createHash('sha1').update(PUBLISH_SCRIPT).digest('hex');

/** How long `close()` lets commands in flight finish before cutting the connections. */
const CLOSE_GRACE_MS = 1000;

export class Link {
  #commands: RedisConnection;
  #subscriber: RedisConnection;
  #events: LinkEvents;
  #ended = false;
  /** The last subscribe or unsubscribe of each channel still waiting for its answer. */
  #changes = new Tails();
  #onMessage = (message: string, channel: string): void => this.#events.message(message, channel);

  private constructor(commands: RedisConnection, subscriber: RedisConnection, events: LinkEvents) {
    this.#commands = commands;
    this.#subscriber = subscriber;
    this.#events = events;
    for (const connection of [commands, subscriber]) {
      // Without a listener, an 'error' would crash the process.
      connection.on('error', (error) => this.#lose(error));
      connection.on('end', () => this.#lose(new Error('the connection closed')));
    }
  }

  /** Connects both connections, loads the script, subscribes to `channels`; rejects with the first failure, leaving nothing open. */
  static async open(make: ConnectionFactory, channels: readonly string[], events: LinkEvents): Promise<Link> {
    let failed: Error | undefined;
    let opened = false;
    const link = new Link(make(), make(), {
      message: (raw, channel) => events.message(raw, channel),
      lost: (cause) => {
        if (opened) events.lost(cause);
        else failed ??= cause;
      },
    });
    try {
      await Promise.all([link.#commands.connect(), link.#subscriber.connect()]);
      await link.#commands.sendCommand(['SCRIPT', 'LOAD', PUBLISH_SCRIPT]);
      if (channels.length > 0) await link.#subscriber.subscribe([...channels], link.#onMessage);
    } catch (error) {
      link.#end();
      throw failed ?? error;
    }
    if (failed) {
      link.#end();
      throw failed;
    }
    opened = true;
    return link;
  }

  /** Neither connection has failed or been closed. */
  get open(): boolean {
    return !this.#ended;
  }

  /** Runs the publish script (PUBLISH_SCRIPT's KEYS and ARGV); resolves with the frame's number. */
  async publish(keys: readonly [string, string], args: readonly string[]): Promise<string> {
    try {
      return String(await this.#commands.sendCommand(['EVALSHA', SHA, '2', ...keys, ...args]));
    } catch (error) {
      // Redis forgot the script (SCRIPT FLUSH, or a restart between loading and now).
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return String(await this.#commands.sendCommand(['EVAL', PUBLISH_SCRIPT, '2', ...keys, ...args]));
    }
  }

  /** A stream's numbering and history (entries, oldest first); null numbering when Redis has no such stream. */
  async read(numbering: string, history: string): Promise<{ numbering: Numbering | null; history: string[] }> {
    const [n, start] = (await this.#commands.sendCommand(['HMGET', numbering, 'n', 'start'])) as [string | null, string | null];
    const entries = (await this.#commands.sendCommand(['LRANGE', history, '0', '-1'])) as string[];
    return { numbering: n === null || start === null ? null : { n: Number(n), start: Number(start) }, history: entries };
  }

  /** Runs a Lua script (sent whole: the resume scripts are small and run once per hello or frame). */
  run(script: string, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return this.#commands.sendCommand(['EVAL', script, String(keys.length), ...keys, ...args]);
  }

  /** Any command, on the commands connection. */
  command(args: readonly string[]): Promise<unknown> {
    return this.#commands.sendCommand([...args]);
  }

  subscribe(channel: string): Promise<void> {
    return this.#inTurn(channel, () => this.#subscriber.subscribe(channel, this.#onMessage));
  }

  unsubscribe(channel: string): Promise<void> {
    return this.#inTurn(channel, () => this.#subscriber.unsubscribe(channel, this.#onMessage));
  }

  /**
   * Runs `change` once the previous subscribe or unsubscribe of `channel` has its answer. node-redis
   * records a subscription when Redis confirms it: an unsubscribe sent before that confirmation,
   * then a subscribe sent after it, leaves the channel unsubscribed while the subscribe resolves.
   */
  #inTurn(channel: string, change: () => Promise<void>): Promise<void> {
    const previous = this.#changes.get(channel);
    const done = previous ? previous.then(change) : change();
    this.#changes.track(channel, done);
    return done;
  }

  /** Lets commands in flight finish (for a moment at most), then closes both connections. */
  async close(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)));
    const closing = [this.#commands, this.#subscriber].map((connection) => connection.close().catch(() => {}));
    await Promise.race([Promise.all(closing), grace]);
    clearTimeout(timer);
    this.#destroy();
  }

  #lose(cause: Error): void {
    if (this.#ended) return;
    this.#end();
    this.#events.lost(cause);
  }

  #end(): void {
    this.#ended = true;
    this.#destroy();
  }

  #destroy(): void {
    for (const connection of [this.#commands, this.#subscriber]) {
      try {
        connection.destroy();
      } catch {
        // Already closed.
      }
    }
  }
}
