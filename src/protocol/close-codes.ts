/**
 * Close codes with a meaning in this protocol (RFC 6455 section 7.4 for the 1xxx ones). What the
 * element does after each is its `stop-codes` attribute's business; these are the defaults.
 */
export const CloseCode = {
  /** Closed on purpose; the element does not reconnect. */
  normal: 1000,
  /** The other side broke the protocol (under resume: a frame number that skips, a missing hello); the element reconnects. */
  protocolError: 1002,
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

/**
 * Whether a close frame may carry `code` (RFC 6455 section 7.4): 1000-1003, 1007-1014 and
 * 3000-4999. A page may send only 1000 and 3000-4999; a server any of these.
 */
export function isSendableCloseCode(code: unknown): code is number {
  return Number.isInteger(code) && (((code as number) >= 1000 && (code as number) <= 1014 && ((code as number) < 1004 || (code as number) > 1006)) || ((code as number) >= 3000 && (code as number) <= 4999));
}
