/**
 * Errors: what a client is told, and what the operator is told. A handler's exception never
 * reaches the client (its text or stack could leak secrets); it is reported to the server's
 * `error` event, or, with no listener, printed once per cause instead of crashing the process.
 */
import type { ReplyErrorBody } from '../protocol/frames.js';
import { ReplyError } from '../protocol/reply-error.js';

export { ReplyError };

/** The error form every exception other than a `ReplyError` becomes. */
export const INTERNAL_ERROR: ReplyErrorBody = Object.freeze({ message: 'Internal error', code: 'internal' });

/** The error form of a `ReplyError`, with only the fields it has. */
export function replyErrorBody(error: ReplyError): ReplyErrorBody {
  const body: ReplyErrorBody = { message: String(error.message) };
  if (error.code !== undefined) body.code = String(error.code);
  if ('data' in error) body.data = error.data;
  return body;
}

/**
 * What tells one cause from another: the error's name and message, or the value thrown. A wait
 * in the message (`Trying again in 4210 ms`) is no new cause: each try of the Redis adapter at
 * reaching Redis says how long until the next.
 */
function causeOf(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message.replace(/\b\d+ ms\b/g, 'N ms')}` : String(error);
  } catch {
    // A value that cannot become a string (Object.create(null), a throwing toString).
    return 'a value that cannot be converted to a string';
  }
}

/** Distinct causes printed before the console report falls silent. */
const MAX_PRINTED = 100;

/**
 * The console report of errors nobody listens to: each cause (its name and message) once, so a
 * handler that fails for every frame gives one line, not a flood.
 */
export class ConsoleReport {
  #printed = new Set<string>();

  print(error: unknown): void {
    if (this.#printed.size > MAX_PRINTED) return;
    const cause = causeOf(error);
    if (this.#printed.has(cause)) return;
    this.#printed.add(cause);
    if (this.#printed.size > MAX_PRINTED) {
      console.error(`bricks-websocket/server: more than ${MAX_PRINTED} kinds of error, so no more are printed. Listen to the server's "error" event to see them all.`);
      return;
    }
    console.error('bricks-websocket/server: an error nobody listened to (add an "error" listener to handle it):', error);
  }
}
