/** What `BricksServer.stats()` reports, and the counters behind it. */

export interface ServerStats {
  /** Clients connected to this instance. */
  clients: number;
  /** Rooms with at least one member on this instance. */
  rooms: number;
  /** Resume streams kept: attached to a page, or waiting up to `history.ttl` for it to come back. */
  streams: number;
  /** Frames received, well-formed or not. */
  framesIn: number;
  /** Frames handed to sockets: each client a broadcast reached counts once. */
  framesOut: number;
  /**
   * Frames received and dropped: malformed, of a reserved type, a plain frame without a handler,
   * a reply to no pending request, a binary frame without `binary: true`, or over `maxPayload`.
   */
  dropped: number;
  /** Clients closed with 1013 because they fell `sendLimit` bytes behind. */
  slowCloses: number;
  /** Connections refused: an origin not allowed (403) or `authenticate` saying no (1008). */
  refused: number;
}

/** The running totals; the server and its connections add to them. */
export class Counters {
  framesIn = 0;
  framesOut = 0;
  dropped = 0;
  slowCloses = 0;
  refused = 0;
}
