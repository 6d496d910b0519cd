// React 19 JSX: attributes, properties and on<type> handlers of <bricks-websocket>.
import type {} from 'bricks-websocket/react';
import { useRef } from 'react';
import type { BricksWebSocketElement } from 'bricks-websocket';

export function Ok() {
  const ref = useRef<BricksWebSocketElement>(null);
  return (
    <bricks-websocket
      ref={ref}
      ws-url="/ws"
      with-session
      session-origins="wss://api.example.com"
      protocols="chat.v1"
      binary-type="blob"
      queue-limit={10}
      queueLimit={10}
      connect-timeout={5000}
      connectTimeout={5000}
      buffer-limit={65536}
      bufferLimit={65536}
      resume
      session={() => 'token'}
      className="socket"
      ontext={(event) => event.detail.toUpperCase()}
      onopen={(event) => event.detail.url}
      onclose={(event) => event.detail.wasClean}
      onerror={(event) => event.detail.kind}
      onreconnecting={(event) => event.detail.attempt}
      ondrain={(event) => event.detail.bufferedAmount}
      onresumed={(event) => event.detail.recovered && event.detail.missed + event.detail.resent}
      onmessage={(event) => event.detail.data}
    >
      <p>child</p>
    </bricks-websocket>
  );
}

// @ts-expect-error binary-type is 'arraybuffer' or 'blob'
export const badBinaryType = <bricks-websocket binary-type="text" />;
// @ts-expect-error text's detail is a string
export const badHandler = <bricks-websocket ontext={(event: CustomEvent<number>) => event.detail.toFixed()} />;
// @ts-expect-error queueLimit is a number
export const badProperty = <bricks-websocket queueLimit="ten" />;
