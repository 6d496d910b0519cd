// Heartbeat: pings while open, any inbound frame as proof of life, and a silent
// server detected by timestamps. Real browsers against the real server.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import { WAIT_MS, control, room, serverUntil, wsUrl } from '../helpers/server.js';
import { mount, quiet, receivedEnvelopes } from './support.js';

const pingsIn = (envelopes: { type: unknown; data: unknown }[], type = 'ping') => envelopes.filter((envelope) => envelope.type === type);

/**
 * A heartbeat-timeout no answer reaches on a busy machine (the suite's wait budget), for tests
 * that show what keeps a connection open: the answers must not race against it. They let more
 * than heartbeat + this pass, counted in pings, which go out at least `heartbeat` apart.
 */
const PATIENT = WAIT_MS;

/** How many pings `heartbeat` apart span more than heartbeat + `timeout`. */
const pingsSpanning = (heartbeat: number, timeout: number) => Math.floor((heartbeat + timeout) / heartbeat) + 2;

/** Records the heartbeat frames the element hands to its current socket, with performance.now(). */
function recordPings(socket: WebSocket, type = 'ping'): number[] {
  const sent: number[] = [];
  const send = socket.send.bind(socket);
  socket.send = (data) => {
    if (typeof data === 'string' && JSON.parse(data).type === type) sent.push(performance.now());
    send(data);
  };
  return sent;
}

describe('heartbeat', function () {
  this.timeout(60_000);

  it('sends {"type": "ping", "data": Date.now()} every interval while open, and pongs keep the socket open', async () => {
    const name = room('ping');
    const heartbeat = 200;
    const { el, log } = await mount({ 'ws-url': wsUrl(name), heartbeat: String(heartbeat), 'heartbeat-timeout': String(PATIENT) }, ['open', 'close', 'error', 'reconnecting', 'message', 'pong']);
    await log.nth('open', 1);
    const before = Date.now();
    // These pings take longer than heartbeat + heartbeatTimeout, answered by nothing but pongs.
    const count = pingsSpanning(heartbeat, PATIENT);
    const stats = await serverUntil(name, (s) => pingsIn(receivedEnvelopes(s)).length >= count, `${count} pings`, count * heartbeat + WAIT_MS);
    const pings = pingsIn(receivedEnvelopes(stats));
    for (const ping of pings) {
      expect(ping.data).to.be.a('number');
      expect(ping.data as number).to.be.within(before - 60_000, Date.now());
    }
    expect(stats.received.every((frame) => typeof frame === 'string' && JSON.parse(frame).type === 'ping')).to.equal(true);
    expect(log.count('pong')).to.be.at.least(1);
    expect(log.count('close')).to.equal(0);
    expect(stats.connections).to.equal(1);
    expect(el.state).to.equal('open');
  });

  it('with heartbeat-timeout 0 keeps pinging a silent server and never calls the connection dead', async () => {
    const name = room('keepalive');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), heartbeat: '50', 'heartbeat-timeout': '0' }, ['open', 'close', 'error', 'reconnecting']);
    await log.nth('open', 1);
    expect(el.heartbeatTimeout).to.equal(0);
    await control(name).silence(true);
    // A silenced server reads nothing, so the pings are counted as they leave the page.
    const socket = el.socket!;
    const send = socket.send.bind(socket);
    const eightPings = new Promise<void>((resolve) => {
      let pings = 0;
      socket.send = (data) => {
        if (typeof data === 'string' && JSON.parse(data).type === 'ping' && ++pings === 8) resolve();
        send(data);
      };
    });
    // Eight pings unanswered take at least 400 ms: eight times what a timeout following heartbeat would allow.
    await eightPings;
    await control(name).silence(false);
    expect([log.count('close'), log.count('reconnecting'), (await control(name).stats()).connections, el.state]).to.deep.equal([0, 0, 1, 'open']);
  });

  it('sends no pings when heartbeat is 0, and starts when heartbeat is set while open', async () => {
    const name = room('noping');
    // A long timeout: a pong delayed by a busy machine must not end the connection this test counts.
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'heartbeat-timeout': '10000' });
    await log.nth('open', 1);
    await quiet(600);
    expect((await control(name).stats()).received).to.deep.equal([]);
    el.heartbeat = 100;
    const stats = await serverUntil(name, (s) => pingsIn(receivedEnvelopes(s)).length >= 2, 'two pings', 10_000);
    expect(stats.connections).to.equal(1);
  });

  it('detects a silent server by the first ping it leaves unanswered for heartbeatTimeout, closes with 4000 "heartbeat timeout" and reconnects', async () => {
    const heartbeat = 500;
    const heartbeatTimeout = 500;
    const name = room('silent');
    // Patient while the server speaks, so no pong late on a busy machine ends it before the silence.
    const { el, log } = await mount(
      { 'ws-url': wsUrl(name), heartbeat: String(heartbeat), 'heartbeat-timeout': String(PATIENT), 'reconnect-delay': '100' },
      ['open', 'close', 'error', 'reconnecting', 'message', 'pong'],
    );
    await log.nth('open', 1);
    await log.nth('pong', 1); // the heartbeat is running and answered
    const pings = recordPings(el.socket!);

    await control(name).silence(true);
    const silencedAt = performance.now();
    el.heartbeatTimeout = heartbeatTimeout;
    const close = await log.nth('close', 1);
    // Within heartbeat + heartbeatTimeout of the silence on the element's own schedule, however late
    // a busy machine ran its timers: it sent at most one ping into the silence…
    expect(pings.filter((at) => at > silencedAt).length, 'pings sent into the silence').to.be.at.most(1);
    // …and closed once the first ping after the last frame had gone heartbeatTimeout unanswered, not sooner.
    const lastFrame = log.of('message').at(-1)!.at;
    const judged = pings.find((at) => at > lastFrame)!;
    expect(close.at - judged, 'from the first unanswered ping to the close').to.be.at.least(heartbeatTimeout - 2);
    expect(close.detail).to.deep.equal({ code: 4000, reason: 'heartbeat timeout', wasClean: false });
    const wait = await log.nth('reconnecting', 1);
    expect(wait.detail.code).to.equal(4000);
    expect(wait.detail.attempt).to.equal(1);

    // Speaking again: the element ends up on a live connection (the server may still hold the
    // old TCP connection, and a socket opened while it was silent may be judged dead first).
    el.heartbeatTimeout = PATIENT;
    await control(name).silence(false);
    const pongs = log.count('pong');
    await log.until(() => el.state === 'open' && log.count('pong') > pongs, 'an open socket that answers pings', 10_000);
    expect(log.count('open')).to.be.at.least(2);
  });

  it('counts any inbound frame as proof of life, and pings with a custom heartbeat-type', async () => {
    // Room mode answers no "beat" frames: what keeps the socket alive is the room's clock frame,
    // sent by the server once a second whatever the element does, and nothing once it is silenced.
    const heartbeat = 200;
    const name = room('life');
    const { el, log } = await mount(
      { 'ws-url': wsUrl(name, 'room'), heartbeat: String(heartbeat), 'heartbeat-timeout': String(PATIENT), 'heartbeat-type': 'beat', 'reconnect-delay': '100' },
      ['open', 'close', 'error', 'reconnecting', 'message', 'clock'],
    );
    await log.nth('open', 1);
    const count = pingsSpanning(heartbeat, PATIENT);
    const stats = await serverUntil(name, (s) => pingsIn(receivedEnvelopes(s), 'beat').length >= count, `${count} beats`, count * heartbeat + WAIT_MS);
    // Longer than heartbeat + heartbeatTimeout without a single answer to a ping: frames came, none of them an answer.
    expect(log.count('close')).to.equal(0);
    expect(log.count('clock')).to.be.at.least(1);
    const answers = log.of('message').map((entry) => JSON.parse(entry.detail.data as string).type).filter((type) => type === 'beat' || type === 'pong');
    expect(answers).to.deep.equal([]);
    const envelopes = receivedEnvelopes(stats);
    const beats = pingsIn(envelopes, 'beat');
    expect(beats.length).to.be.at.least(count);
    for (const beat of beats) expect(beat.data).to.be.a('number');
    expect(pingsIn(envelopes, 'ping')).to.deep.equal([]);

    // The control: once the frames stop, the same socket is judged dead.
    await control(name).silence(true);
    const close = await log.nth('close', 1, heartbeat + PATIENT + WAIT_MS);
    expect(close.detail.code).to.equal(4000);
    expect(close.detail.reason).to.equal('heartbeat timeout');
    expect(el.state).to.be.oneOf(['reconnecting', 'connecting', 'open']);
  });
});
