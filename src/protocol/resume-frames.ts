/**
 * Resume on the wire (PROTOCOL.md, "Resume"): the subprotocol that asks for it, the `resumed`
 * frames (the page's hello, the server's answer and acknowledgements), and the numbers `n` and
 * `r` frames carry. The delivery rules themselves are in resume.ts. Pure, never throws.
 */
import { readFrame, type Decoded } from './decode.js';
import { OWN_STREAM } from './resume.js';

/** The subprotocol an element with `resume` offers after its own; never the session. */
export const RESUME_PROTOCOL = 'bricks.resume.1';

/** The type of resume's own frames, in both directions (a reserved type). */
export const RESUMED = 'resumed';

/** The page's first frame on a resume socket. */
export interface ResumeHello {
  /** The token of the page's stream, null on its first socket. */
  token: string | null;
  /** The page's own name for its stream, the same on every socket; null when the hello has none. */
  stream: string | null;
  /** The last number the page has of each server stream ('' its own, a room, '*' everyone). */
  seen: Record<string, number>;
  /** The number of the first frame the page sends on this socket. */
  next: number;
}

/** The server's answer to the hello, its first frame on the socket. */
export interface ResumeAnswer {
  token: string;
  recovered: boolean;
  missed: number;
  acked: number;
  /**
   * The number the server hands on next (one more than the last it handed on, which may be above
   * `acked` while handlers run). A page that numbers from below it would be dropped as a repeat.
   */
  next: number;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A frame number: a whole number from 1. */
export function isFrameNumber(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 1;
}

/** Reads the hello from a frame's text; a string says what is wrong with it. */
export function readHello(text: string): ResumeHello | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the first frame is not JSON';
  }
  if (!isObject(value) || value.type !== RESUMED || !isObject(value.data)) return 'the first frame of a resume socket must be its hello, {"type":"resumed","data":{"token","seen","next"}}';
  const { token, stream = null, seen, next } = value.data;
  if (token !== null && (typeof token !== 'string' || token.length === 0 || token.length > 200)) return 'the hello\'s "token" must be null or the string the server gave';
  if (stream !== null && (typeof stream !== 'string' || stream.length === 0 || stream.length > 200)) return 'the hello\'s "stream", when present, must be the page\'s name for its stream, a string';
  if (!isObject(seen)) return 'the hello\'s "seen" must be an object of stream names and numbers';
  const positions: Record<string, number> = Object.create(null);
  for (const [name, n] of Object.entries(seen)) {
    if (!Number.isSafeInteger(n) || (n as number) < 0) return `the hello's "seen" has ${JSON.stringify(name)} at ${JSON.stringify(n)}, which is not a whole number from 0`;
    positions[name] = n as number;
  }
  if (!isFrameNumber(next)) return 'the hello\'s "next" must be a whole number from 1';
  return { token, stream, seen: positions, next };
}

/** `{"type":"resumed","data":{...}}`: the answer to a hello, or an acknowledgement `{ acked }`. */
export function encodeResumed(data: ResumeAnswer | { acked: number }): string {
  return JSON.stringify({ type: RESUMED, data });
}

/**
 * `text` (an encoded frame, a JSON object) with the number `n` of its stream, and `r` for a room
 * or everyone: `{"type":...,"data":...,"n":231,"r":"lobby"}`. The frame is encoded once; this adds
 * the two members at its end.
 */
export function withNumber(text: string, n: number, stream: string): string {
  return stream === OWN_STREAM ? `${text.slice(0, -1)},"n":${n}}` : `${text.slice(0, -1)},"n":${n},"r":${JSON.stringify(stream)}}`;
}

/** A text frame read with its number: `n` is undefined when it carries none. */
export interface NumberedDecoded {
  frame: Decoded;
  n: unknown;
}

/** Reads a text frame of a resume socket: the frame as `decodeFrame` reads it, and its `n`. */
export function decodeNumbered(text: string): NumberedDecoded {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { frame: { kind: 'invalid', problem: 'is not JSON' }, n: undefined };
  }
  return { frame: readFrame(value), n: isObject(value) ? value.n : undefined };
}
