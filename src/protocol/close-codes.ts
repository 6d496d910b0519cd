/**
 * Close codes with a meaning in this protocol (RFC 6455 section 7.4 for the 1xxx ones). What the
 * element does after each is its `stop-codes` attribute's business; these are the defaults.
 */
export const CloseCode = {
  /** Closed on purpose; the element does not reconnect. */
  normal: 1000,
  /** Refused for good (a rejected session); the element does not reconnect. */
  policy: 1008,
  /** A frame over the receiver's size limit; the element reconnects. */
  tooBig: 1009,
  /** The server is restarting; the element reconnects. */
  restart: 1012,
  /** The client read too slowly for the server to keep its frames; the element reconnects. */
  tryAgainLater: 1013,
  /** The element's heartbeat saw no frame in time; it reconnects. */
  heartbeatTimeout: 4000,
} as const;
