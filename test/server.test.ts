// The raw test server itself (test/fixture/server.mjs), driven from the browser with a raw
// WebSocket: if these fail, the element's tests cannot be trusted.

import { expect } from '@open-wc/testing';
import { control, nextEvent, nextEvents, port, room, serverUntil, wsUrl } from './helpers/server.js';

const sockets: WebSocket[] = [];

/** A socket that is open, closed again after the test. */
async function connect(url: string, protocols?: string[]): Promise<WebSocket> {
  const socket = new WebSocket(url, protocols);
  socket.binaryType = 'arraybuffer';
  sockets.push(socket);
  await nextEvent(socket, 'open');
  return socket;
}

async function nextMessage(socket: WebSocket): Promise<MessageEvent> {
  return nextEvent<MessageEvent>(socket, 'message');
}

/** The next message whose JSON envelope has this `type`, skipping others (presence, clock). */
async function nextOfType(socket: WebSocket, type: string): Promise<{ type: string; data: unknown }> {
  for (;;) {
    const { data } = await nextMessage(socket);
    const envelope = JSON.parse(data as string);
    if (envelope.type === type) return envelope;
  }
}

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close();
});

describe('test server: echo mode', () => {
  it('sends a text frame back unchanged', async () => {
    const socket = await connect(wsUrl(room()));
    socket.send('{"type":"hello","data":"héllo 👋"}');
    const { data } = await nextMessage(socket);
    expect(data).to.equal('{"type":"hello","data":"héllo 👋"}');
  });

  it('sends a binary frame back as binary', async () => {
    const socket = await connect(wsUrl(room()));
    socket.send(new Uint8Array([0, 1, 254, 255]));
    const { data } = await nextMessage(socket);
    expect(data).to.be.instanceOf(ArrayBuffer);
    expect([...new Uint8Array(data as ArrayBuffer)]).to.deep.equal([0, 1, 254, 255]);
  });

  it('answers an application ping with a pong carrying the same data', async () => {
    const socket = await connect(wsUrl(room()));
    socket.send(JSON.stringify({ type: 'ping', data: { n: 7 } }));
    const { data } = await nextMessage(socket);
    expect(JSON.parse(data as string)).to.deep.equal({ type: 'pong', data: { n: 7 } });
  });

  it('is reachable as ws://localhost too', async () => {
    const socket = await connect(`ws://localhost:${port}/ws/${room()}?mode=echo`);
    socket.send('via localhost');
    expect((await nextMessage(socket)).data).to.equal('via localhost');
  });
});

describe('test server: room mode', () => {
  const join = (name: string) => connect(wsUrl(name, 'room'));

  /** Every frame `socket` receives from now on, except the clock; `until(n)` waits for n of them. */
  function frames(socket: WebSocket) {
    const seen: string[] = [];
    let wake = () => {};
    socket.addEventListener('message', ({ data }) => {
      if (typeof data === 'string' && data.startsWith('{"type":"clock"')) return;
      seen.push(data as string);
      wake();
    });
    return {
      seen,
      async until(count: number): Promise<string[]> {
        while (seen.length < count) await new Promise<void>((resolve) => (wake = resolve));
        return seen.slice(0, count);
      },
    };
  }

  it('relays every frame to the other clients only, byte for byte, in order', async () => {
    const name = room();
    const first = await join(name);
    const second = await join(name);
    const atFirst = frames(first);
    const atSecond = frames(second);
    second.send('{"type":"cursor","data":{"x":1}}');
    second.send('not json at all');
    first.send('{"type":"text","data":"from the first"}');
    expect(await atFirst.until(2)).to.deep.equal(['{"type":"cursor","data":{"x":1}}', 'not json at all']);
    // Frames keep their order, so had the second's frames come back to it they would be first.
    expect(await atSecond.until(1)).to.deep.equal(['{"type":"text","data":"from the first"}']);
  });

  it('sends a clock frame every second, and answers the application ping', async () => {
    const socket = await join(room());
    const { data } = await nextMessage(socket);
    const clock = JSON.parse(data as string);
    expect(clock.type).to.equal('clock');
    expect(clock.data).to.be.a('number');
    socket.send(JSON.stringify({ type: 'ping', data: 3 }));
    expect(await nextOfType(socket, 'pong')).to.deep.equal({ type: 'pong', data: 3 });
  });
});

describe('test server: control endpoints', () => {
  it('stats record the connection, its subprotocols and the frames received', async () => {
    const name = room();
    const socket = await connect(wsUrl(name), ['bricks.v2', 'bricks.v1']);
    expect(socket.protocol).to.equal('bricks.v2');
    const echoes = nextEvents(socket, 'message', 2);
    socket.send('one');
    socket.send(new Uint8Array([1, 2, 3]));
    await echoes;

    const stats = await control(name).stats();
    expect(stats.connections).to.equal(1);
    expect(stats.open).to.equal(1);
    expect(stats.attempts[0].protocols).to.deep.equal(['bricks.v2', 'bricks.v1']);
    expect(stats.attempts[0].protocol).to.equal('bricks.v2');
    expect(stats.attempts[0].url).to.equal(wsUrl(name));
    expect(stats.received).to.deep.equal(['one', { binary: 'AQID' }]);
  });

  it('drop cuts the connection without a close frame (code 1006)', async () => {
    const name = room();
    const socket = await connect(wsUrl(name));
    const closed = nextEvent<CloseEvent>(socket, 'close');
    expect((await control(name).drop()).dropped).to.equal(1);
    const event = await closed;
    expect(event.code).to.equal(1006);
    expect(event.wasClean).to.equal(false);
  });

  it('close closes the connection with the given code and reason', async () => {
    const name = room();
    const socket = await connect(wsUrl(name));
    const closed = nextEvent<CloseEvent>(socket, 'close');
    await control(name).close(4001, 'going away for a test');
    const event = await closed;
    expect(event.code).to.equal(4001);
    expect(event.reason).to.equal('going away for a test');
    expect(event.wasClean).to.equal(true);
  });

  it('refuse makes new connections fail until cancelled', async () => {
    const name = room();
    await control(name).refuse(60_000, 503);

    const refused = new WebSocket(wsUrl(name));
    sockets.push(refused);
    const failed = nextEvent(refused, 'error');
    const closed = nextEvent<CloseEvent>(refused, 'close');
    await failed;
    expect((await closed).code).to.equal(1006);
    expect((await control(name).stats()).refused).to.equal(1);

    await control(name).refuse(0);
    const socket = await connect(wsUrl(name));
    expect(socket.readyState).to.equal(WebSocket.OPEN);
  });

  it('stall holds handshakes unanswered until turned off, then hangs up on them', async () => {
    const name = room();
    expect((await control(name).stall()).stalling).to.equal(true);
    const held = new WebSocket(wsUrl(name));
    sockets.push(held);
    const closed = nextEvent<CloseEvent>(held, 'close');
    const stats = await serverUntil(name, (s) => s.attempts.length === 1, 'the held handshake');
    expect(stats.attempts[0].stalled).to.equal(true);
    expect(stats.connections).to.equal(0);
    expect(held.readyState).to.equal(WebSocket.CONNECTING);

    expect(await control(name).stall(false)).to.deep.equal({ stalling: false, held: 0 });
    expect((await closed).code).to.equal(1006);
    const socket = await connect(wsUrl(name));
    expect(socket.readyState).to.equal(WebSocket.OPEN);
  });

  it('send delivers text and binary frames to every client', async () => {
    const name = room();
    const socket = await connect(wsUrl(name));
    const messages = nextEvents<MessageEvent>(socket, 'message', 2);
    expect((await control(name).send('{"type":"news","data":1}', { binary: 'AAEC' })).clients).to.equal(1);
    const [text, binary] = await messages;
    expect(text.data).to.equal('{"type":"news","data":1}');
    expect([...new Uint8Array(binary.data as ArrayBuffer)]).to.deep.equal([0, 1, 2]);
  });

  it('silence stops the server reading until it is lifted', async () => {
    const name = room();
    const socket = await connect(wsUrl(name));
    await control(name).silence(true);
    socket.send('held back');
    expect((await control(name).stats()).received).to.deep.equal([]);

    const echoed = nextMessage(socket);
    await control(name).silence(false);
    expect((await echoed).data).to.equal('held back');
  });

  it('pause stops the server reading while it goes on sending, until it is lifted', async () => {
    const name = room();
    const socket = await connect(wsUrl(name));
    await control(name).pause(true);
    socket.send('held back');
    const sent = nextMessage(socket);
    await control(name).send('still talking');
    expect((await sent).data).to.equal('still talking');
    expect((await control(name).stats()).received).to.deep.equal([]);

    const echoed = nextMessage(socket);
    await control(name).pause(false);
    expect((await echoed).data).to.equal('held back');
  });

  it('digest lists each received frame by its start and length', async () => {
    const name = room();
    const socket = await connect(wsUrl(name));
    const long = `7:${'x'.repeat(100)}`;
    socket.send(long);
    await nextMessage(socket);
    const { received } = await control(name).digest();
    expect(received).to.deep.equal([{ head: long.slice(0, 48), length: 102 }]);
  });

  it('flood sends a frame the requested number of times', async () => {
    const name = room();
    const socket = await connect(wsUrl(name));
    let count = 0;
    const ended = new Promise<void>((resolve) =>
      socket.addEventListener('message', ({ data }) => {
        count++;
        if (data === 'end') resolve();
      }),
    );
    const result = await control(name).flood(500, 'x'.repeat(100));
    expect(result.sent).to.deep.equal([500]);
    // Frames on one socket arrive in order, so 'end' comes after the flood.
    await control(name).send('end');
    await ended;
    expect(count).to.equal(501);
  });

  it('reset forgets the records and rejects bad input with a clear error', async () => {
    const name = room();
    const socket = await connect(wsUrl(name));
    socket.send('x');
    await nextMessage(socket);
    await control(name).reset();
    const stats = await control(name).stats();
    expect(stats.received).to.deep.equal([]);
    expect(stats.connections).to.equal(0);

    let error: unknown;
    await control(name).close(1006).catch((e: unknown) => (error = e));
    expect(String(error)).to.contain('400');
  });
});
