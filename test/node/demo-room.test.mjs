// The demo's rooms (demo/server/room.mjs, on bricks-websocket/server), with `ws` clients playing
// the pages: chat and clips to everyone, other frames to the others, presence, the `whoami`,
// `history` and `rename` requests, and the tabs behind each connection (share="tabs" puts several
// on one), counted from the tabs' own `tab-hello` and `tab-bye` frames and told with `you`. The
// tab ids are the client's word: checked, capped per connection, forgotten with it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { startServer } from '../../demo/server.mjs';

describe('demo server: rooms', () => {
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
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/ws/${room}${name === undefined ? '' : `?name=${name}`}`);
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
      /** The first frame of `type` (after `skip` of them) and what passes `test`, once it has come. */
      async next(type, test = () => true, skip = 0) {
        const matching = () => frames.filter((frame) => frame.type === type && test(frame));
        await waitFor(() => matching().length > skip);
        return matching()[skip];
      },
      /** Sends a request; resolves with its reply frame. */
      async ask(type, data, id) {
        socket.send(JSON.stringify({ type, data, id }));
        return this.next('reply', (frame) => frame.id === id);
      },
      /** Frames of the room's talk: not presence, clock, whoami or the heartbeat. */
      talk: () => frames.filter((frame) => !['presence', 'clock', 'whoami', 'pong'].includes(frame.type)),
    };
  }

  test('asks each new member whoami, and takes the name and colour of the answer', async () => {
    const ana = await join('who', 'ana');
    const asked = await ana.next('whoami');
    assert.equal(typeof asked.id, 'string');
    ana.socket.send(JSON.stringify({ type: 'reply', id: asked.id, data: { name: 'anna', colour: '#123abc' } }));
    const { data } = await ana.next('presence', (frame) => frame.data.event === 'update');
    assert.deepEqual(data.people.map(({ name, colour }) => ({ name, colour })), [{ name: 'anna', colour: '#123abc' }]);
    const stats = await (await fetch(`http://127.0.0.1:${server.port}/control/who/stats`)).json();
    assert.deepEqual(stats.whoami, [{ name: 'anna', colour: '#123abc' }]);
  });

  test('answers history with the last messages, and rename with the name or an error when it is taken', async () => {
    const ana = await join('requests', 'ana');
    const bo = await join('requests', 'bo');
    ana.say('text', 'first');
    await bo.next('text');
    const history = await bo.ask('history', null, 'h1');
    assert.deepEqual(history.data.map(({ from, text }) => [from, text]), [['ana', 'first']]);
    const taken = await bo.ask('rename', 'ANA', 'r1');
    assert.equal(taken.error.code, 'taken');
    assert.match(taken.error.message, /taken/);
    assert.deepEqual(await bo.ask('rename', ' bob ', 'r2'), { type: 'reply', id: 'r2', data: { name: 'bob' } });
    assert.equal((await bo.ask('rename', '   ', 'r3')).error.code, 'invalid');
    assert.equal((await bo.ask('nope', null, 'n1')).error.code, 'unknown-type');
  });

  test('announces presence to everyone on a join and a leave', async () => {
    const first = await join('presence');
    await first.next('presence');
    const bo = await join('presence', 'bo');
    const joined = await first.next('presence', (frame) => frame.data.event === 'join', 1);
    assert.equal(joined.data.count, 2);
    assert.deepEqual(joined.data.people.map((person) => person.name), [null, 'bo']);
    bo.socket.close();
    const left = await first.next('presence', (frame) => frame.data.event === 'leave');
    assert.deepEqual([left.data.name, left.data.count], ['bo', 1]);
  });

  test('sends text to everyone, the sender included, each time after a chat frame naming the sender', async () => {
    const ana = await join('chat', 'ana');
    const other = await join('chat');
    const before = Date.now();
    ana.say('text', 'hi 👋');
    for (const member of [ana, other]) {
      await member.next('text');
      const [chat, text] = member.talk();
      assert.deepEqual(text, { type: 'text', data: 'hi 👋' });
      assert.equal(chat.type, 'chat');
      assert.deepEqual([chat.data.from, chat.data.text], ['ana', 'hi 👋']);
      assert.ok(chat.data.at >= before - 60_000 && chat.data.at <= Date.now() + 60_000);
    }
    // Without a name, a sender is its id in the room.
    other.say('text', 'who am I');
    const chat = await ana.next('chat', (frame) => frame.data.text === 'who am I');
    assert.match(chat.data.from, /^c\d+$/);
  });

  test('sends a clip to everyone after a clip frame with its sender and kind', async () => {
    const ana = await join('clips', 'ana');
    const bo = await join('clips', 'bo');
    ana.say('base64video', 'AAEC');
    for (const member of [bo, ana]) {
      await member.next('base64video');
      const [clip, relayed] = member.talk();
      assert.deepEqual(relayed, { type: 'base64video', data: 'AAEC' });
      assert.equal(clip.type, 'clip');
      assert.deepEqual([clip.data.from, clip.data.kind], ['ana', 'base64video']);
    }
  });

  test('relays any other frame to the other clients only', async () => {
    const ana = await join('relay', 'ana');
    const bo = await join('relay', 'bo');
    bo.say('cursor', { x: 1 });
    bo.say('text', 'after the cursor');
    await ana.next('text');
    assert.deepEqual(ana.talk().map((frame) => frame.type), ['cursor', 'chat', 'text']);
    assert.deepEqual(ana.talk()[0], { type: 'cursor', data: { x: 1 } });
    // Frames keep their order, so had the cursor come back to its sender it would be first.
    await bo.next('text');
    assert.deepEqual(bo.talk().map((frame) => frame.type), ['chat', 'text']);
  });

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
