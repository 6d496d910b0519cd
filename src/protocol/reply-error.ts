/**
 * The error of a request the other side answered with the `error` form of a reply. The element
 * rejects `request()` with it; a server handler throws it to send that form.
 */
export class ReplyError extends Error {
  override name = 'ReplyError';
  // `declare`: no field unless the constructor sets it, whichever way a project emits class fields.
  /** The reply's `error.code`, when there is one. */
  declare code?: string;
  /** The reply's `error.data`, when there is one. */
  declare data?: unknown;

  constructor(message: string, options: { code?: string; data?: unknown } = {}) {
    super(message);
    if (options.code !== undefined) this.code = options.code;
    if ('data' in options) this.data = options.data;
  }
}
