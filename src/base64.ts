/**
 * Standard padded base64 (no `data:` prefix) for audio and video payloads.
 * Large inputs are encoded in slices with a yield to the page between them,
 * so a 16 MiB clip neither blocks input for long nor builds a huge argument list.
 */

/** What `sendBase64Audio` / `sendBase64Video` accept besides a ready base64 string. */
export type BinaryInput = Blob | ArrayBuffer | ArrayBufferView;

// A multiple of 3 bytes, so the slices' encodings concatenate without inner padding.
const SLICE = 3 * 256 * 1024;
// String.fromCharCode.apply takes its arguments on the stack; keep each call small.
const APPLY_CHUNK = 3 * 8 * 1024;

type NativeToBase64 = (this: Uint8Array) => string;
const nativeToBase64 = (Uint8Array.prototype as { toBase64?: NativeToBase64 }).toBase64;

const tagOf = (value: unknown) => Object.prototype.toString.call(value);

/** True for a Blob or File, also one made in another frame. */
export function isBlob(value: unknown): value is Blob {
  return value instanceof Blob || tagOf(value) === '[object Blob]' || tagOf(value) === '[object File]';
}

/** True for an ArrayBuffer (also from another frame) or any typed array or DataView. */
export function isBinary(value: unknown): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value) || tagOf(value) === '[object ArrayBuffer]';
}

function bytesOf(input: ArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(input)
    ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength)
    : new Uint8Array(input);
}

/** Lets the page handle input and render; not throttled in background tabs like setTimeout. */
function yieldToPage(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  if (scheduler?.yield) return scheduler.yield();
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

function encodeSlice(bytes: Uint8Array): string {
  if (nativeToBase64) return nativeToBase64.call(bytes);
  let binary = '';
  for (let i = 0; i < bytes.length; i += APPLY_CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + APPLY_CHUNK) as unknown as number[]);
  }
  return btoa(binary);
}

/** Encodes bytes in slices, yielding between them. */
export async function bytesToBase64(input: ArrayBuffer | ArrayBufferView): Promise<string> {
  const bytes = bytesOf(input);
  if (bytes.length <= SLICE) return encodeSlice(bytes);
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += SLICE) {
    if (i > 0) await yieldToPage();
    parts.push(encodeSlice(bytes.subarray(i, i + SLICE)));
  }
  return parts.join('');
}

/** Reads a Blob as base64; the browser encodes it off the main thread. */
export function blobToBase64(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = reader.result as string;
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('FileReader failed'));
    reader.readAsDataURL(blob);
  });
}

/** Base64 of any binary input. */
export function toBase64(input: BinaryInput): Promise<string> {
  return isBlob(input) ? blobToBase64(input) : bytesToBase64(input);
}

type NativeFromBase64 = (text: string) => Uint8Array<ArrayBuffer>;
const nativeFromBase64 = (Uint8Array as { fromBase64?: NativeFromBase64 }).fromBase64;

/** The bytes of a base64 string (padding optional, whitespace ignored); throws when it is not base64. */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  if (nativeFromBase64) return nativeFromBase64(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
