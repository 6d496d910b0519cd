// The virtual module served by web-test-runner.config.mjs (wsServerPlugin),
// imported by test/helpers/server.ts:
// where the test run's raw WebSocket server (test/fixture/server.mjs) listens.
declare module 'virtual:test-server' {
  /** The server's TCP port on 127.0.0.1. */
  export const port: number;
  /** `ws://127.0.0.1:<port>/ws`; append `/<room>?mode=echo|room`. */
  export const wsBase: string;
  /** `http://127.0.0.1:<port>/control`; append `/<room>/<action>`. */
  export const controlBase: string;
}
