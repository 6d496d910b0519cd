/**
 * The frame codec: JSON envelopes `{"type": T, "data": D}` in both directions.
 * Pure functions, so the message path can be measured and fuzzed without a socket.
 */
import type { ReplyErrorBody, ReplyFrame } from '../protocol/frames.js';
import type { Base64 } from './base64.js';

// The reply shapes are the wire's, written once in protocol/ for both halves.
export type { ReplyErrorBody, ReplyFrame };

/** Event names the element fires for its own state; a frame may not use them as its `type`. */
export const RESERVED_TYPES: ReadonlySet<string> = new Set([
  'open',
  'message',
  'error',
  'close',
  'reconnecting',
  'drain',
  'reply',
  'resumed',
]);

/**
 * A decoded text frame: an envelope to dispatch (`id` when the server asks for a reply),
 * a reply to one of ours, or why it is neither.
 */
export type Decoded =
  | { type: string; data: unknown; id: string | undefined; problem?: undefined; reply?: undefined }
  | { reply: ReplyFrame; type?: undefined; data?: undefined; id?: undefined; problem?: undefined }
  | { problem: string; type?: undefined; data?: undefined; id?: undefined; reply?: undefined };

/** Reads one text frame. Never throws. */
export function decodeFrame(text: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'is not JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { problem: 'is JSON but not an object' };
  }
  // A plain property read: an own "__proto__" key from JSON.parse is just data here.
  const { type, data, id } = value as { type?: unknown; data?: unknown; id?: unknown };
  if (typeof type !== 'string' || type === '') {
    return { problem: 'has no non-empty string "type"' };
  }
  if (RESERVED_TYPES.has(type)) {
    if (type === 'reply') return decodeReply(value as Record<string, unknown>);
    return {
      problem: `uses the type "${type}", which is one of the element's own events`,
    };
  }
  return { type, data, id: typeof id === 'string' ? id : undefined };
}

function decodeReply(value: Record<string, unknown>): Decoded {
  const { id, error } = value;
  if (typeof id !== 'string') return { problem: 'is a reply without a string "id"' };
  const hasData = Object.hasOwn(value, 'data');
  const hasError = Object.hasOwn(value, 'error');
  if (hasData === hasError) return { problem: 'is a reply with both or neither of "data" and "error"' };
  if (hasData) return { reply: { id, data: value.data } };
  if (error === null || typeof error !== 'object' || typeof (error as ReplyErrorBody).message !== 'string') {
    return { problem: 'is a reply whose "error" is not {"message": string, ...}' };
  }
  const { message, code, data } = error as ReplyErrorBody;
  const body: ReplyErrorBody = { message };
  if (typeof code === 'string') body.code = code;
  if (Object.hasOwn(error, 'data')) body.data = data;
  return { reply: { id, error: body } };
}

/**
 * Writes an envelope. Throws what `JSON.stringify` throws (a cycle, a BigInt);
 * the element turns that into an `error` event.
 */
export function encodeFrame(type: string, data: unknown, id?: string): string {
  return JSON.stringify(id === undefined ? { type, data } : { type, data, id });
}

/** Writes the answer to a server's request: `{"type":"reply","id":..,"data":..}` or the `error` form. */
export function encodeReply(id: string, answer: { data: unknown } | { error: ReplyErrorBody }): string {
  // A value JSON leaves out (undefined, a function, a symbol) is null: a reply always has its data.
  const [key, value] = 'error' in answer ? ['error', answer.error] : ['data', answer.data];
  return `{"type":"reply","id":${JSON.stringify(id)},"${key}":${JSON.stringify(value) ?? 'null'}}`;
}

/**
 * The envelope `send(type, data)` sends; null when `data` is not JSON, which `fail` reports.
 * Throws send()'s `TypeError` for a type it refuses.
 */
export function envelopeOf(type: unknown, data: unknown, fail: (message: string, error: unknown) => void): string | null {
  if (typeof type !== 'string' || type === '') {
    throw new TypeError('send(type, data): type must be a non-empty string.');
  }
  try {
    return encodeFrame(type, data);
  } catch (error) {
    fail(`send(${JSON.stringify(type)}): data is not JSON (a cycle? a BigInt?), so nothing was sent.`, error);
    return null;
  }
}

/**
 * Writes an envelope around base64 without re-scanning it: base64 never needs JSON escaping,
 * and the payload can be tens of megabytes. Only base64.ts makes a `Base64`; any other
 * string goes through `encodeFrame`.
 */
export function encodeBase64Frame(type: string, base64: Base64): string {
  return `{"type":${JSON.stringify(type)},"data":"${base64}"}`;
}
