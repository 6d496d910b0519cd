/**
 * The frame codec: JSON envelopes `{"type": T, "data": D}` in both directions.
 * Pure functions, so the message path can be measured and fuzzed without a socket.
 */
import type { Base64 } from './base64.js';

/** Event names the element fires for its own state; a frame may not use them as its `type`. */
export const RESERVED_TYPES: ReadonlySet<string> = new Set([
  'open',
  'message',
  'error',
  'close',
  'reconnecting',
]);

/** A decoded text frame: either an envelope to dispatch, or why it is not one. */
export type Decoded =
  | { type: string; data: unknown; problem?: undefined }
  | { problem: string; type?: undefined; data?: undefined };

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
  const { type, data } = value as { type?: unknown; data?: unknown };
  if (typeof type !== 'string' || type === '') {
    return { problem: 'has no non-empty string "type"' };
  }
  if (RESERVED_TYPES.has(type)) {
    return {
      problem: `uses the type "${type}", which is one of the element's own events`,
    };
  }
  return { type, data };
}

/**
 * Writes an envelope. Throws what `JSON.stringify` throws (a cycle, a BigInt);
 * the element turns that into an `error` event.
 */
export function encodeFrame(type: string, data: unknown): string {
  return JSON.stringify({ type, data });
}

/**
 * Writes an envelope around base64 without re-scanning it: base64 never needs JSON escaping,
 * and the payload can be tens of megabytes. Only base64.ts makes a `Base64`; any other
 * string goes through `encodeFrame`.
 */
export function encodeBase64Frame(type: string, base64: Base64): string {
  return `{"type":${JSON.stringify(type)},"data":"${base64}"}`;
}

/** A short, printable excerpt of a frame for error messages. */
export function preview(text: string, max = 60): string {
  return text.length <= max ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, max))}…`;
}
