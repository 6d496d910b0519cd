/**
 * Standard padded base64 (no `data:` prefix) for audio and video payloads.
 * Large inputs are encoded in slices with a yield to the page between them,
 * so a 16 MiB clip neither blocks input for long nor builds a huge argument list.
 */
import { bytesOf, isBlob } from './payload.js';

/** What `sendBase64Audio` / `sendBase64Video` accept besides a ready base64 string. */
export type BinaryInput = Blob | ArrayBuffer | ArrayBufferView;

declare const encoded: unique symbol;
/**
 * A string this module encoded: only `A-Z a-z 0-9 + / =`, so it can stand between JSON quotes
 * as it is. Nothing else can be typed as one, so no other string can reach a frame unescaped.
 */
export type Base64 = string & { readonly [encoded]: true };

// A multiple of 3 bytes, so the slices' encodings concatenate without inner padding.
const SLICE = 3 * 256 * 1024;
// String.fromCharCode.apply takes its arguments on the stack; keep each call small.
const APPLY_CHUNK = 3 * 8 * 1024;

type NativeToBase64 = (this: Uint8Array) => string;
const nativeToBase64 = (Uint8Array.prototype as { toBase64?: NativeToBase64 }).toBase64;

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

/** Encodes bytes nobody else writes to, in slices, yielding between them. */
async function encode(bytes: Uint8Array): Promise<Base64> {
  if (bytes.length <= SLICE) return encodeSlice(bytes) as Base64;
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += SLICE) {
    if (i > 0) await yieldToPage();
    parts.push(encodeSlice(bytes.subarray(i, i + SLICE)));
  }
  return parts.join('') as Base64;
}

/**
 * Base64 of the bytes as they are at the call: input that fits one slice is encoded at once,
 * larger input is copied first, since the caller may write to it while the slices are encoded.
 */
export async function bytesToBase64(input: ArrayBuffer | ArrayBufferView): Promise<Base64> {
  const bytes = bytesOf(input);
  return encode(bytes.length > SLICE ? bytes.slice() : bytes);
}

/**
 * Base64 of a Blob's bytes. Read as bytes, not as a data URL: the URL's header carries the
 * Blob's `type`, which may hold commas and quotes (`video/webm; codecs="vp8, opus"`).
 */
export async function blobToBase64(blob: Blob): Promise<Base64> {
  return encode(new Uint8Array(await blob.arrayBuffer()));
}

/** Base64 of any binary input. */
export function toBase64(input: BinaryInput): Promise<Base64> {
  return isBlob(input) ? blobToBase64(input) : bytesToBase64(input);
}

/**
 * Why `input` could not be sent, for the error sentence. A Blob fails to read when it is a File
 * changed or removed on disk since it was picked; a RangeError is a base64 or frame longer than
 * the engine's longest string (hundreds of MiB).
 */
export function failure(input: BinaryInput, error: unknown): string {
  return isBlob(input) && (error as { name?: unknown } | null)?.name !== 'RangeError'
    ? `the Blob could not be read (${String(error)}), so nothing was sent: if it is a File changed since it was picked, pick it again.`
    : `the clip could not be encoded (${String(error)}), so nothing was sent: send it in smaller parts.`;
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
