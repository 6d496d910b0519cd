/**
 * The shapes of the frames `<bricks-websocket>` and its server exchange, and the types no frame
 * may use. PROTOCOL.md at the repository root is the same contract in prose; change both together.
 */

/** The version of the wire protocol these modules speak (PROTOCOL.md's title). */
export const PROTOCOL_VERSION = 1;

/**
 * Types no application frame may use. The first six are the element's own events: a frame named
 * after one would fake the element's state. `reply` is the type of answers to requests, and
 * `resumed` of resume's own frames (resume.ts) and the element's event after a resume.
 */
export const RESERVED_TYPES: ReadonlySet<string> = new Set(['open', 'message', 'error', 'close', 'reconnecting', 'drain', 'reply', 'resumed']);

/** An application frame `{"type", "data"}`, a request when it carries an `id`. */
export interface Envelope {
  type: string;
  /** `null` when the frame had none. */
  data: unknown;
  /** Set on a request: the reply must carry the same id. */
  id: string | undefined;
}

/** The error form of a reply: `{"message": ..., "code"?: ..., "data"?: ...}`. */
export interface ReplyErrorBody {
  message: string;
  code?: string;
  data?: unknown;
}

/** A well-formed `reply` frame: its request's `id` and exactly one of `data` or `error`. */
export interface ReplyFrame {
  id: string;
  data?: unknown;
  error?: ReplyErrorBody;
}

/** What an answer to a request carries: the reply's `data`, or its `error`. */
export type Answer = { data: unknown } | { error: ReplyErrorBody };

/**
 * Why `type` cannot be sent as an application frame's type, or `null` when it can: it must be a
 * non-empty string and not reserved.
 */
export function typeProblem(type: unknown): string | null {
  if (typeof type !== 'string' || type === '') return 'a type must be a non-empty string';
  if (RESERVED_TYPES.has(type)) {
    return type === 'reply'
      ? '"reply" is the type of answers to requests'
      : `"${type}" is one of the element's own events, so the element would not dispatch it`;
  }
  return null;
}
