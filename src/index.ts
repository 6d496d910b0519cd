export * from './bricks-websocket.js';
export { retryDelay } from './backoff.js';
