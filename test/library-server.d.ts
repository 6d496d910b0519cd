// The virtual module served by web-test-runner.config.mjs (libraryServerPlugin in
// test/fixture/library.mjs): where the test run's `bricks-websocket/server` listens.
declare module 'virtual:library-server' {
  /** `ws://127.0.0.1:<port>/ws`, the library's endpoint; `?auth=refuse|fail` makes authenticate refuse. */
  export const libraryUrl: string;
}
