/**
 * Defines `<bricks-websocket>` (once: a second copy of the package on the page is harmless)
 * and registers the tag with TypeScript.
 */
import { BricksWebSocketElement } from './bricks-websocket-element.js';

export { BricksWebSocketElement };
export { BricksWebSocketFrameEvent } from './frames/frame-event.js';
export { ReplyError } from './requests/requests.js';
export type * from './element/events.js';
export type { BricksWebSocketRequestOptions } from './requests/requests.js';
export type { BricksWebSocketSession, BricksWebSocketState } from './bricks-websocket-element.js';

/** The properties a page or framework sets, for framework typings (React, Vue). */
export type BricksWebSocketProperties = Partial<
  Pick<
    BricksWebSocketElement,
    | 'wsUrl'
    | 'withSession'
    | 'sessionOrigins'
    | 'protocols'
    | 'binaryType'
    | 'queueLimit'
    | 'reconnectDelay'
    | 'reconnectMaxDelay'
    | 'maxRetries'
    | 'connectTimeout'
    | 'stopCodes'
    | 'heartbeat'
    | 'heartbeatTimeout'
    | 'heartbeatType'
    | 'requestTimeout'
    | 'bufferLimit'
    | 'resume'
    | 'share'
    | 'session'
  >
>;

/** The tag this module defines. */
export const tagName = 'bricks-websocket';

// Servers that render pages (Next.js, Nuxt, SvelteKit) import this without a DOM.
if (typeof customElements !== 'undefined' && !customElements.get(tagName)) {
  customElements.define(tagName, BricksWebSocketElement);
}

declare global {
  interface HTMLElementTagNameMap {
    'bricks-websocket': BricksWebSocketElement;
  }
}
