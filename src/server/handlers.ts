/**
 * The handler table and what running a handler means: a request's answer is the handler's
 * return value (or its promise's), a `ReplyError` becomes the error form, and any other
 * exception becomes `{"message": "Internal error", "code": "internal"}` for the client and an
 * `error` event for the operator. Only well-formed frames get here: the server has checked them.
 */
import { encodeReply } from '../protocol/encode.js';
import { typeProblem, type Answer } from '../protocol/frames.js';
import type { BricksClient } from './client.js';
import { INTERNAL_ERROR, ReplyError, replyErrorBody } from './errors.js';

/** What a handler gets besides the frame's data. */
export interface HandlerContext<User = unknown> {
  client: BricksClient<User>;
  /** The frame's type. */
  type: string;
  /** Set when the frame is a request: the return value is sent as its reply. */
  id: string | undefined;
}

/** The context `handle('*')` gets: any type, or `null` for a binary frame (only with `binary: true`). */
export interface AnyHandlerContext<User = unknown> extends Omit<HandlerContext<User>, 'type'> {
  type: string | null;
}

export type Handler<User = unknown> = (data: any, context: HandlerContext<User>) => unknown;
export type AnyHandler<User = unknown> = (data: any, context: AnyHandlerContext<User>) => unknown;

/** Where a request's reply goes: the connection it came on. */
export interface ReplyChannel {
  /** Sends `text`; false when the client is gone or slow. */
  write(text: string): boolean;
}

/** Reports an exception of a handler (the server's `error` event). */
export type Fail = (error: unknown, client: BricksClient<any>) => void;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

export class Handlers {
  #table = new Map<string, AnyHandler<any>>();
  #any: AnyHandler<any> | undefined;
  #fail: Fail;
  /** The type the server answers itself (the heartbeat); no handler may take it. */
  #heartbeatType: string | null;

  constructor(fail: Fail, heartbeatType: string | null) {
    this.#fail = fail;
    this.#heartbeatType = heartbeatType;
  }

  add(type: string, handler: AnyHandler<any>): void {
    if (typeof handler !== 'function') throw new TypeError('handle(type, handler): handler must be a function.');
    if (type === '*') {
      if (this.#any) throw new TypeError('handle("*", handler): there is a "*" handler already.');
      this.#any = handler;
      return;
    }
    const problem = typeProblem(type);
    if (problem !== null) throw new TypeError(`handle(type, handler): ${problem}.`);
    if (type === this.#heartbeatType) throw new TypeError(`handle(${JSON.stringify(type)}, handler): that is the heartbeatType, which the server answers itself.`);
    if (this.#table.has(type)) throw new TypeError(`handle(${JSON.stringify(type)}, handler): that type has a handler already.`);
    this.#table.set(type, handler);
  }

  /** The handler for `type` (or the `*` one); undefined when there is none. */
  find(type: string | null): AnyHandler<any> | undefined {
    return (type === null ? undefined : this.#table.get(type)) ?? this.#any;
  }

  /**
   * Runs `handler` for one frame; for a request (`context.id` set), sends its reply. `done`, when
   * given, is called once the handler has finished (returned, or its promise settled) and the
   * reply is sent: resume acknowledges the frame then.
   */
  run(handler: AnyHandler<any>, data: unknown, context: AnyHandlerContext<any>, channel: ReplyChannel, done?: () => void): void {
    let result: unknown;
    try {
      result = handler(data, context);
    } catch (error) {
      this.#failed(error, context, channel);
      done?.();
      return;
    }
    if (isThenable(result)) {
      result.then(
        (value) => {
          this.#answer(context, channel, { data: value });
          done?.();
        },
        (error: unknown) => {
          this.#failed(error, context, channel);
          done?.();
        },
      );
    } else {
      this.#answer(context, channel, { data: result });
      done?.();
    }
  }

  /** Answers a request without a handler. */
  unknownType(channel: ReplyChannel, type: string, id: string): void {
    const message = typeProblem(type) === null ? `No handler for requests of type "${type}".` : `"${type}" is a reserved type, which no handler can take.`;
    channel.write(encodeReply(id, { error: { message, code: 'unknown-type' } }));
  }

  #answer(context: AnyHandlerContext<any>, channel: ReplyChannel, answer: Answer): void {
    if (context.id === undefined) return;
    let text: string;
    try {
      text = encodeReply(context.id, answer);
    } catch (error) {
      // The handler's value (or its ReplyError's data) is not JSON: a bug on the server's side.
      this.#fail(error, context.client);
      text = encodeReply(context.id, { error: INTERNAL_ERROR });
    }
    channel.write(text);
  }

  #failed(error: unknown, context: AnyHandlerContext<any>, channel: ReplyChannel): void {
    if (error instanceof ReplyError) {
      // A "no" to a frame that expected no answer has nobody to reach.
      this.#answer(context, channel, { error: replyErrorBody(error) });
      return;
    }
    this.#fail(error, context.client);
    this.#answer(context, channel, { error: INTERNAL_ERROR });
  }
}
