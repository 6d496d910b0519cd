/**
 * Reading a text frame: what it is (an application frame or request, a reply, a frame using a
 * reserved type) or why it is none of them. Pure, never throws: a receiver decides what to do
 * with each outcome (the server drops and counts bad frames, the element reports them).
 */
import { RESERVED_TYPES, type Envelope, type ReplyErrorBody, type ReplyFrame } from './frames.js';

export type Decoded =
  /** An application frame; a request when `id` is set. */
  | ({ kind: 'frame' } & Envelope)
  /** A well-formed reply (whether its id is awaited is the receiver's business). */
  | { kind: 'reply'; reply: ReplyFrame }
  /** A well-formed envelope whose type is one of the element's own events. */
  | ({ kind: 'reserved' } & Envelope)
  /** Not a frame of this protocol; `problem` completes the sentence "The frame ...". */
  | { kind: 'invalid'; problem: string };

/** Reads one text frame. */
export function decodeFrame(text: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', problem: 'is not JSON' };
  }
  return readFrame(value);
}

/** Checks a value already parsed from JSON (or built in code) against the frame rules. */
export function readFrame(value: unknown): Decoded {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'invalid', problem: 'is JSON but not an object' };
  }
  // Plain property reads: an own "__proto__" key from JSON.parse is just data here.
  const { type, data = null, id } = value as { type?: unknown; data?: unknown; id?: unknown };
  if (typeof type !== 'string' || type === '') return { kind: 'invalid', problem: 'has no non-empty string "type"' };
  if (type === 'reply') return readReply(value as Record<string, unknown>);
  if (id !== undefined && typeof id !== 'string') return { kind: 'invalid', problem: 'has an "id" that is not a string' };
  return { kind: RESERVED_TYPES.has(type) ? 'reserved' : 'frame', type, data, id };
}

function readReply(value: Record<string, unknown>): Decoded {
  const { id, error } = value;
  if (typeof id !== 'string') return { kind: 'invalid', problem: 'is a reply without a string "id"' };
  const hasData = Object.hasOwn(value, 'data');
  if (hasData === Object.hasOwn(value, 'error')) return { kind: 'invalid', problem: 'is a reply with both or neither of "data" and "error"' };
  if (hasData) return { kind: 'reply', reply: { id, data: value.data } };
  if (error === null || typeof error !== 'object' || typeof (error as ReplyErrorBody).message !== 'string') {
    return { kind: 'invalid', problem: 'is a reply whose "error" is not {"message": string, ...}' };
  }
  const { message, code } = error as ReplyErrorBody;
  const body: ReplyErrorBody = { message };
  // A code that is not a string is left out rather than refusing the whole answer.
  if (typeof code === 'string') body.code = code;
  if (Object.hasOwn(error, 'data')) body.data = (error as ReplyErrorBody).data;
  return { kind: 'reply', reply: { id, error: body } };
}
