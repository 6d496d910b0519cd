// mock-socket ships types for its package root only; the tests import its ES module build,
// which the browser can load without a bundler.
declare module 'mock-socket/dist/mock-socket.es.mjs' {
  export { Client, Server, WebSocket } from 'mock-socket';
}
