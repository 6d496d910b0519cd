import type { BricksWebSocketFrameEvent } from '../frames/frame-event.js';

/** Event detail types of `<bricks-websocket>`, declared once and used by the typed `addEventListener`. */

/** `open`: the socket opened. */
export interface BricksWebSocketOpenDetail {
  url: string;
  protocol: string;
}

/** `message`: every frame as it arrived, before parsing. */
export interface BricksWebSocketMessageDetail {
  data: string | ArrayBuffer | Blob;
}

/** What went wrong, for `error`. */
export type BricksWebSocketErrorKind = 'connection' | 'frame' | 'url' | 'session' | 'queue-full' | 'send';

/**
 * `error`: a sentence to act on, and the underlying error where there is one. The event is
 * cancelable: `preventDefault()` marks it handled, and only unhandled ones reach the console.
 */
export interface BricksWebSocketErrorDetail {
  kind: BricksWebSocketErrorKind;
  message: string;
  error?: unknown;
}

/** `close`: the socket closed. */
export interface BricksWebSocketCloseDetail {
  code: number;
  reason: string;
  wasClean: boolean;
}

/** `reconnecting`: a retry is scheduled. */
export interface BricksWebSocketReconnectingDetail {
  /** 1 for the first retry after a loss, counting up until an open succeeds. */
  attempt: number;
  /** Milliseconds until the attempt. */
  delay: number;
  /** The close code that caused it. */
  code: number;
}

/** `drain`: what waited behind `buffer-limit` has left, and the buffer is at or below half the limit. */
export interface BricksWebSocketDrainDetail {
  /** The socket's `bufferedAmount` at that moment. */
  bufferedAmount: number;
}

/** `resumed`: with `resume`, how a reconnect went. */
export interface BricksWebSocketResumedDetail {
  /** False when the server could not give back everything the page missed: fetch the page's state again. */
  recovered: boolean;
  /** Frames the server gave back that were sent while the page was away. */
  missed: number;
  /** Frames the page sent again because the server had not acknowledged them. */
  resent: number;
}

/** Every event the element fires by name; any other frame `type` arrives as `BricksWebSocketFrameEvent<unknown>`. */
export interface BricksWebSocketEventMap {
  open: CustomEvent<BricksWebSocketOpenDetail>;
  message: CustomEvent<BricksWebSocketMessageDetail>;
  error: CustomEvent<BricksWebSocketErrorDetail>;
  close: CustomEvent<BricksWebSocketCloseDetail>;
  reconnecting: CustomEvent<BricksWebSocketReconnectingDetail>;
  drain: CustomEvent<BricksWebSocketDrainDetail>;
  resumed: CustomEvent<BricksWebSocketResumedDetail>;
  text: BricksWebSocketFrameEvent<string>;
  base64audio: BricksWebSocketFrameEvent<string>;
  base64video: BricksWebSocketFrameEvent<string>;
}
