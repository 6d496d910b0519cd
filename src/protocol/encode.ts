/**
 * Writing frames. Each throws what `JSON.stringify` throws (a cycle, a BigInt); the caller
 * decides whether that is an exception, a `false` or an `error` event.
 */
import type { Answer } from './frames.js';

/** `{"type":..,"data":..}`, or a request `{"type":..,"data":..,"id":..}` when `id` is given. */
export function encodeFrame(type: string, data: unknown, id?: string): string {
  // `data: undefined` would vanish from the JSON; the receiver reads a missing `data` as null anyway.
  return JSON.stringify(id === undefined ? { type, data } : { type, data, id });
}

/** The answer to request `id`: `{"type":"reply","id":..,"data":..}` or its `error` form. */
export function encodeReply(id: string, answer: Answer): string {
  // A value JSON leaves out (undefined, a function, a symbol) is null: a reply always has its key.
  const [key, value] = 'error' in answer ? ['error', answer.error] : ['data', answer.data];
  return `{"type":"reply","id":${JSON.stringify(id)},"${key}":${JSON.stringify(value) ?? 'null'}}`;
}
