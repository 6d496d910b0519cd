// The demo server counts the tabs behind each connection (share="tabs" puts several on one)
// from the tabs' own `tab-hello` and `tab-bye` frames, and tells the connection with `you`.
// The ids are the client's word: checked, capped per connection, forgotten with it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { startServer } from '../../demo/server.mjs';

describe('demo server: tabs behind a connection', () => {
  let server;
  const sockets = [];

  before(async () => {
    server = await startServer({ port: 0, clock: false });
  });

  after(async () => {
    for (const socket of sockets) socket.terminate();
    await server?.close();
  });

  /** An open room socket and every frame it gets, parsed; `sync()` resolves once the server has read all sent so far. */
  async function join(room, name) {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws/${room}?name=${name}`);
    sockets.push(socket);
    const frames = [];
    let wake = () => {};
    socket.on('message', (data) => {
      frames.push(JSON.parse(data.toString()));
      wake();
    });
    await once(socket, 'open');
    const waitFor = async (found) => {
      while (!found()) await new Promise((resolve) => (wake = resolve));
    };
    let pings = 0;
    return {
      socket,
      frames,
      waitFor,
      say: (type, data) => socket.send(JSON.stringify({ type, data })),
      /** The server reads a socket's frames in order: its pong says it has read everything before the ping. */
      async sync() {
        const n = ++pings;
        socket.send(JSON.stringify({ type: 'ping', data: n }));
        await waitFor(() => frames.some((frame) => frame.type === 'pong' && frame.data === n));
      },
      tabCounts: () => frames.filter((frame) => frame.type === 'you').map((frame) => frame.data.tabs),
    };
  }

  test('counts each tab id once, says so with `you`, and relays neither frame', async () => {
    const room = 'tabs-count';
    const ana = await join(room, 'ana');
    const bo = await join(room, 'bo');
    ana.say('tab-hello', 'tab-a');
    ana.say('tab-hello', 'tab-a'); // the same tab again: no change, no frame
    ana.say('tab-hello', 'tab-b');
    ana.say('tab-bye', 'tab-a');
    ana.say('tab-bye', 'tab-unknown');
    await ana.sync();
    assert.deepEqual(ana.tabCounts(), [1, 2, 1]);
    const you = ana.frames.find((frame) => frame.type === 'you');
    assert.equal(you.data.name, 'ana');
    assert.match(you.data.id, /^c\d+$/);

    // Relayed frames keep their order, so once this is in, a relayed tab frame would be too.
    ana.say('text', 'marker');
    await bo.waitFor(() => bo.frames.some((frame) => frame.type === 'text'));
    assert.deepEqual(bo.frames.filter((frame) => frame.type.startsWith('tab-') || frame.type === 'you'), []);
  });

  test('ignores ids that are not short tokens', async () => {
    const ana = await join('tabs-bad', 'ana');
    for (const id of [42, null, '', 'x'.repeat(65), 'a b', '../x', { id: 'a' }]) ana.say('tab-hello', id);
    ana.say('tab-hello', 'x'.repeat(64));
    await ana.sync();
    assert.deepEqual(ana.tabCounts(), [1]);
  });

  test('keeps at most 32 tabs per connection, and a new connection starts from none', async () => {
    const ana = await join('tabs-cap', 'ana');
    for (let i = 0; i < 100; i++) ana.say('tab-hello', `tab-${i}`);
    await ana.sync();
    assert.equal(Math.max(...ana.tabCounts()), 32);
    assert.equal(ana.tabCounts().length, 32, 'hellos past the cap change nothing');

    ana.socket.close();
    await once(ana.socket, 'close');
    const again = await join('tabs-cap', 'ana');
    again.say('tab-hello', 'tab-0');
    await again.sync();
    assert.deepEqual(again.tabCounts(), [1]);
  });
});
