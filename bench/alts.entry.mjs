// The alternatives, bundled by bench/build.mjs into bench/out/alts.js for the bench page.
export { default as PartySocket } from 'partysocket/ws';
export { default as ReconnectingWebSocket } from 'reconnecting-websocket';
