// The tag and its events, typed for plain TypeScript.
import 'bricks-websocket';
import { BricksWebSocketElement } from 'bricks-websocket/element';
import { BricksWebSocketFrameEvent, ReplyError, type BricksWebSocketRequestOptions } from 'bricks-websocket';

const socket = document.querySelector('bricks-websocket')!;
const same: BricksWebSocketElement = socket;
const created: BricksWebSocketElement = document.createElement('bricks-websocket');

socket.addEventListener('text', (event) => event.detail.toUpperCase());
socket.addEventListener('open', (event) => event.detail.url.length + event.detail.protocol.length);
socket.addEventListener('close', (event) => event.detail.code.toFixed());
socket.addEventListener('error', (event) => {
  const kind: 'connection' | 'frame' | 'url' | 'session' | 'queue-full' | 'send' = event.detail.kind;
  return kind;
});
socket.addEventListener('reconnecting', (event) => event.detail.delay * event.detail.attempt);
socket.addEventListener('drain', (event) => event.detail.bufferedAmount.toFixed());
socket.addEventListener('resumed', (event) => (event.detail.recovered ? event.detail.missed : event.detail.resent).toFixed());
socket.addEventListener('presence', (event) => event); // any other frame type: an Event
// Every frame type is a BricksWebSocketFrameEvent that can answer the server's request.
socket.addEventListener('text', (event) => event.reply(event.detail.length) && event.id?.length);
socket.addEventListener('whoami', (event: BricksWebSocketFrameEvent<unknown>) => event.replyError('no', { code: 'x' }));
// @ts-expect-error text's detail is a string
socket.addEventListener('text', (event) => event.detail.toFixed());

socket.wsUrl = 'wss://example.com/ws';
socket.session = async () => 'token';
socket.connectTimeout = 5000;
const sent: boolean = socket.send('cursor', { x: 1 });
const encoded: Promise<boolean> = socket.sendBase64Audio(new Uint8Array(3));
const options: BricksWebSocketRequestOptions = { timeout: 100, signal: AbortSignal.timeout(50) };
const answer: Promise<{ items: string[] }> = socket.request<{ items: string[] }>('history', { limit: 5 }, options);
const pending: number = socket.pending;
const failed = new ReplyError('no', { code: 'x' });
const code: string | undefined = failed.code;
// @ts-expect-error pending is read-only
socket.pending = 1;
// @ts-expect-error queueLimit is a number
socket.queueLimit = '10';
socket.bufferLimit = 64 * 1024;
socket.resume = true;
const waiting: boolean = socket.backpressure;
// @ts-expect-error backpressure is read-only
socket.backpressure = false;

export { same, created, sent, encoded, answer, pending, code, waiting };
