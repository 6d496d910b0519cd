/**
 * Frames for `sendBase64Audio()` and `sendBase64Video()`: a base64 string as given, or a binary
 * clip (a Blob or bytes) encoded to base64 in place in the send queue. The encoder (base64.ts)
 * is loaded at the first binary clip, since most pages send strings or nothing; a failed load
 * is tried again at the next.
 */
import type { Base64, BinaryInput } from './base64.js';
import { encodeBase64Frame, encodeFrame } from './codec.js';
import { bytesOf, isBinary, isBlob } from './payload.js';

/** A place in the send queue; `refused` once the socket has thrown for its frame. */
type Slot = { readonly refused: boolean };

/** The send queue (src/connection/send-queue.ts) as a clip uses it: a place taken now, filled or given up once encoded. */
export interface ClipQueue {
  push(frame: string): boolean;
  reserve(): Slot | null;
  fill(slot: Slot, frame: string): void;
  release(slot: Slot): void;
}

type Encoder = typeof import('./base64.js');
let encoder: Encoder | undefined;
const loadEncoder = (): Promise<Encoder> => import('./base64.js').then((module) => (encoder = module));

/**
 * Sends or queues a `type` frame of `input`: a string as given (already base64), binary input
 * encoded; resolves with whether it was sent or queued. `call` names the method in the
 * `TypeError` for other input and in the sentences given to `fail`. `queue` is null where the
 * element's window has gone: nothing there would send the frame.
 */
export function sendBase64(queue: ClipQueue | null, type: string, input: string | BinaryInput, call: string, fail: (message: string, error: unknown) => void): Promise<boolean> {
  if (typeof input === 'string') return Promise.resolve(queue !== null && queue.push(encodeFrame(type, input)));
  if (!isBlob(input) && !isBinary(input)) {
    throw new TypeError(`${call}: pass a base64 string, a Blob, an ArrayBuffer or a typed array.`);
  }
  if (!queue) return Promise.resolve(false);
  return sendClip(queue, type, input, (message, error) => fail(`${call}: ${message}`, error));
}

/**
 * Queues a `type` frame of the clip `input`, checked by the caller; resolves with whether it was
 * sent or queued. `fail` reports why not, with the sentence the element fires as a `send` error.
 */
function sendClip(queue: ClipQueue, type: string, input: BinaryInput, fail: (message: string, error: unknown) => void): Promise<boolean> {
  // Take the place in line now, so frames sent after this call leave after it.
  const slot = queue.reserve();
  if (!slot) return Promise.resolve(false);
  const done = (base64: Base64) => {
    queue.fill(slot, encodeBase64Frame(type, base64));
    return !slot.refused;
  };
  const failed = (message: string, error: unknown) => {
    queue.release(slot);
    fail(message, error);
    return false;
  };
  // Only once the encoder is loaded, which the error sentence comes from too. `done` is covered:
  // the frame around a base64 near the engine's longest string may not fit in one.
  const encode = (bytes: BinaryInput) => encoder!.toBase64(bytes).then(done).catch((error) => failed(encoder!.failure(bytes, error), error));
  // Called now, not after a yield: the encoder reads (or copies) the bytes as they are at this call.
  if (encoder) return encode(input);
  // Until the encoder is there, the bytes are copied at this call (a Blob cannot change),
  // since the caller may reuse its buffer meanwhile.
  const bytes = isBlob(input) ? input : bytesOf(input).slice();
  return loadEncoder().then(
    () => encode(bytes),
    (error) => failed('the base64 encoder did not load, so nothing was sent: serve every file of the build beside bricks-websocket.js, or check the network.', error),
  );
}
