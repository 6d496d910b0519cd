// JSX typings for <bricks-websocket> in React 19: `import type {} from 'bricks-websocket/react';`
// once in the app (or list it in tsconfig `types`). React 19 sets a prop as a property when the
// element has one (`queueLimit`, `session`), as an attribute otherwise (`ws-url`), and binds
// `on<type>` props to the event `<type>`: `ontext`, `onopen`, `onreconnecting`, ...
// React 18 does neither (every prop becomes a string attribute, `on<type>` is not bound): the
// README shows the form for it, with attributes and a listener added in an effect.

import type { HTMLAttributes, RefAttributes } from 'react';
import type { BricksWebSocketElement, BricksWebSocketEventMap, BricksWebSocketProperties } from 'bricks-websocket';

/** `on<type>` for every event of the element, with its typed `detail`. */
export type BricksWebSocketReactEvents = {
  [K in keyof BricksWebSocketEventMap as `on${K}`]?: (event: BricksWebSocketEventMap[K]) => void;
};

/** Attributes, as written in HTML. */
export interface BricksWebSocketReactAttributes {
  'ws-url'?: string;
  'with-session'?: boolean;
  'session-origins'?: string;
  protocols?: string;
  'binary-type'?: BinaryType;
  'queue-limit'?: number;
  'reconnect-delay'?: number;
  'reconnect-max-delay'?: number;
  'max-retries'?: number;
  'connect-timeout'?: number;
  'stop-codes'?: string;
  heartbeat?: number;
  'heartbeat-timeout'?: number;
  'heartbeat-type'?: string;
  'request-timeout'?: number;
  'buffer-limit'?: number;
  resume?: boolean;
  share?: string;
}

/** Properties, set as properties by React 19 (`session` has no attribute). */
export type BricksWebSocketReactProperties = BricksWebSocketProperties;

/** Everything `<bricks-websocket>` accepts in JSX. */
export interface BricksWebSocketReactProps
  extends Omit<HTMLAttributes<BricksWebSocketElement>, keyof BricksWebSocketReactAttributes>,
    BricksWebSocketReactAttributes,
    BricksWebSocketReactProperties,
    BricksWebSocketReactEvents,
    RefAttributes<BricksWebSocketElement> {}

declare module 'react' {
  namespace JSX {
    interface IntrinsicElements {
      'bricks-websocket': BricksWebSocketReactProps;
    }
  }
}
