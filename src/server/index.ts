/**
 * `bricks-websocket/server`: the Node half of `<bricks-websocket>`, on the `ws` package. It
 * speaks the element's whole protocol (PROTOCOL.md): typed frames, requests and replies both
 * ways, the heartbeat, the session in the subprotocol, rooms, slow and hostile clients.
 */
import { BricksServer } from './server.js';
import type { ServerOptions } from './options.js';

/** Creates a server attached to `options.server`, or listening on `options.port`. */
export function createServer<User = null>(options: ServerOptions<User>): BricksServer<User> {
  return new BricksServer<User>(options);
}

export { BricksServer } from './server.js';
export type { CloseOptions, RoomTarget } from './server.js';
export { ReplyError } from './errors.js';
export type { BricksClient } from './client.js';
export type { ServerOptions } from './options.js';
export type { Handler, AnyHandler, HandlerContext, AnyHandlerContext } from './handlers.js';
export type { RequestOptions } from './requests.js';
export type { ServerStats } from './stats.js';
export type { Adapter, AdapterHost, HistoryLimits, Member, NumberedFrame, OutgoingFrame, StreamRequest, StreamStart } from './adapter.js';
export type { OriginsOption, PathOption } from './upgrade.js';
