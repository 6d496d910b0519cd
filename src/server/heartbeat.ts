/**
 * The protocol-level ping sweep: one timer for all connections. Every `interval` each
 * connection that sent nothing since the previous sweep is dropped, and the others are pinged
 * (a browser answers pings by itself). A dead TCP connection, which no close ever reports, is so
 * gone within two intervals: a minute with the default 30 s. While the server itself does not
 * read a connection (its handlers are at `handlerLimit`), the sweep leaves it alone.
 */
import type { Connection } from './connection.js';

export class PingSweep {
  #timer: ReturnType<typeof setInterval> | undefined;
  #judging: ReturnType<typeof setImmediate> | undefined;

  constructor(interval: number, connections: Iterable<Connection<any>>) {
    if (interval === 0) return;
    this.#timer = setInterval(() => {
      const silent: Connection<any>[] = [];
      for (const connection of connections) {
        // A socket the server stopped reading (handlerLimit) cannot show its pongs.
        if (connection.state !== 'open' || !connection.reading) continue;
        if (connection.alive) {
          connection.alive = false;
          connection.ping();
        } else {
          silent.push(connection);
        }
      }
      if (silent.length === 0) return;
      // Timers run before the event loop reads sockets: a pong that came while the server was
      // busy longer than an interval is read before the verdict, so only silence drops a peer.
      this.#judging = setImmediate(() => {
        this.#judging = undefined;
        for (const connection of silent) if (!connection.alive && connection.state === 'open' && connection.reading) connection.terminate();
      });
    }, interval);
    // The sweep alone is no reason for the process to stay up: the sockets are.
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    clearImmediate(this.#judging);
    this.#timer = undefined;
    this.#judging = undefined;
  }
}
