// Heartbeat: pings while open, any inbound frame as proof of life, and a silent
// server detected by timestamps. Real browsers against the real server.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import { control, room, serverUntil, wsUrl } from '../helpers/server.js';
import { mount, quiet, receivedEnvelopes } from './support.js';

const pingsIn = (envelopes: { type: unknown; data: unknown }[], type = 'ping') => envelopes.filter((envelope) => envelope.type === type);

describe('heartbeat', function () {
  this.timeout(60_000);

  it('sends {"type": "ping", "data": Date.now()} every interval while open, and pongs keep the socket open', async () => {
    const name = room('ping');
    // A generous timeout: a pong may be slow on a loaded machine, and this test is about pings.
    const { el, log } = await mount({ 'ws-url': wsUrl(name), heartbeat: '200', 'heartbeat-timeout': '1000' }, ['open', 'close', 'error', 'reconnecting', 'message', 'pong']);
    await log.nth('open', 1);
    const before = Date.now();
    // Eight pings take at least 1.6 s: longer than heartbeat + heartbeatTimeout (1.2 s).
    const stats = await serverUntil(name, (s) => pingsIn(receivedEnvelopes(s)).length >= 8, 'eight pings', 15_000);
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

  it('detects a silent server within heartbeat + heartbeatTimeout plus 20%, closes with 4000 "heartbeat timeout" and reconnects', async () => {
    const heartbeat = 500;
    const heartbeatTimeout = 500;
    const name = room('silent');
    const { el, log } = await mount(
      { 'ws-url': wsUrl(name), heartbeat: String(heartbeat), 'heartbeat-timeout': String(heartbeatTimeout), 'reconnect-delay': '100' },
      ['open', 'close', 'error', 'reconnecting', 'message', 'pong'],
    );
    await log.nth('open', 1);
    await log.nth('pong', 1); // the heartbeat is running and answered

    await control(name).silence(true);
    const silencedAt = performance.now();
    const close = await log.nth('close', 1, 5000);
    expect(close.at - silencedAt).to.be.at.most((heartbeat + heartbeatTimeout) * 1.2);
    expect(close.detail).to.deep.equal({ code: 4000, reason: 'heartbeat timeout', wasClean: false });
    const wait = await log.nth('reconnecting', 1);
    expect(wait.detail.code).to.equal(4000);
    expect(wait.detail.attempt).to.equal(1);

    // Speaking again: the element ends up on a live connection (the server may still hold the
    // old TCP connection, and a socket opened while it was silent may be judged dead first).
    await control(name).silence(false);
    const pongs = log.count('pong');
    await log.until(() => el.state === 'open' && log.count('pong') > pongs, 'an open socket that answers pings', 10_000);
    expect(log.count('open')).to.be.at.least(2);
  });

  it('counts any inbound frame as proof of life, and pings with a custom heartbeat-type', async () => {
    // Room mode answers no "beat" frames: only the frames this test sends keep the socket alive
    // (its clock frame, once a second, comes too seldom for heartbeat + heartbeatTimeout = 900 ms).
    const name = room('life');
    const { el, log } = await mount({ 'ws-url': wsUrl(name, 'room'), heartbeat: '400', 'heartbeat-timeout': '500', 'heartbeat-type': 'beat', 'reconnect-delay': '100' }, ['open', 'close', 'error', 'reconnecting', 'message', 'news']);
    await log.nth('open', 1);
    const started = performance.now();
    let sent = 0;
    while (performance.now() - started < 2500) {
      await control(name).send(JSON.stringify({ type: 'news', data: ++sent }));
      await log.nth('news', sent);
      await quiet(50);
    }
    // 2.5 s without a single answer to a ping, far more than heartbeat + heartbeatTimeout.
    expect(log.count('close')).to.equal(0);
    const envelopes = receivedEnvelopes(await control(name).stats());
    const beats = pingsIn(envelopes, 'beat');
    expect(beats.length).to.be.at.least(3);
    for (const beat of beats) expect(beat.data).to.be.a('number');
    expect(pingsIn(envelopes, 'ping')).to.deep.equal([]);

    // The control: once the frames stop, the same socket is judged dead.
    const close = await log.nth('close', 1, 10_000);
    expect(close.detail.code).to.equal(4000);
    expect(close.detail.reason).to.equal('heartbeat timeout');
    expect(el.state).to.be.oneOf(['reconnecting', 'connecting', 'open']);
  });
});
