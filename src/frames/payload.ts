/**
 * What a WebSocket can send: which values it takes, the bytes of binary input, and a copy of
 * a payload as it is now. A frame that waits must not change when the caller reuses its buffer,
 * because `WebSocket.send` itself copies at the call. Also how a payload is named in an error.
 */

/** What a WebSocket can send. */
export type Payload = string | ArrayBuffer | ArrayBufferView | Blob;

const tagOf = (value: unknown) => Object.prototype.toString.call(value);

/**
 * True for a Blob or File, also one made in another frame. By tag, not `instanceof Blob`: in a
 * window that has gone (a removed iframe), Chromium has removed `Blob` from
 * the module's globals.
 */
export function isBlob(value: unknown): value is Blob {
  const tag = tagOf(value);
  return tag === '[object Blob]' || tag === '[object File]';
}

/** True for an ArrayBuffer (also from another frame) or any typed array or DataView. */
export function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value) || tagOf(value) === '[object ArrayBuffer]';
}

const bufferOf = (input: ArrayBuffer | ArrayBufferView): ArrayBufferLike => (ArrayBuffer.isView(input) ? input.buffer : input);

/** The bytes of binary input, on the same memory; none for a detached buffer, as `WebSocket.send` sees it. */
export function bytesOf(input: ArrayBuffer | ArrayBufferView): Uint8Array {
  const buffer = bufferOf(input);
  // Checked on the buffer: a DataView on a detached buffer throws on every read of its own.
  if (buffer.byteLength === 0) return new Uint8Array(0);
  return ArrayBuffer.isView(input) ? new Uint8Array(buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
}

/**
 * Why `WebSocket.send` would throw for `value`, as a sentence for a `TypeError`, or null when it
 * takes it. It takes strings, Blobs, and bytes in memory that is neither shared nor resizable.
 */
export function sendProblem(value: unknown): string | null {
  if (typeof value === 'string' || isBlob(value)) return null;
  const isShared = (buffer: unknown) => tagOf(buffer) === '[object SharedArrayBuffer]';
  if (isShared(value) || (ArrayBuffer.isView(value) && isShared(value.buffer))) {
    return 'a WebSocket cannot send shared memory (a SharedArrayBuffer or a view on one): send a copy in an ordinary ArrayBuffer.';
  }
  if (!isBinary(value)) return 'pass a string, an ArrayBuffer, a typed array or a Blob.';
  const buffer = bufferOf(value) as { resizable?: boolean };
  if (buffer.resizable) {
    return 'a WebSocket cannot send a resizable ArrayBuffer or a view on one: send a copy, e.g. buffer.slice(0).';
  }
  return null;
}

/** `payload` as it is now: binary input copied into a buffer of its own; strings and Blobs cannot change. */
export function copyOf(payload: Payload): Payload {
  return isBinary(payload) ? bytesOf(payload).slice().buffer : payload;
}

/** A short description of a frame for error messages. */
export function describePayload(payload: Payload): string {
  if (typeof payload === 'string') return `the text frame ${preview(payload)}`;
  if (isBlob(payload)) return `a ${payload.size}-byte Blob`;
  return `a ${bytesOf(payload).length}-byte binary frame`;
}

/** A short, printable excerpt of a frame for error messages. */
export function preview(text: string, max = 60): string {
  return text.length <= max ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, max))}…`;
}
