export * from './bricks-websocket.js';
export { retryDelay } from './connection/backoff.js';
