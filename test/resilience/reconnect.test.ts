// Reconnection: backoff with jitter, what stops it, and what cancels or hurries a wait.
// Real browsers against the real server (test/fixture/server.mjs), driven through its controls.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import { control, room, wsUrl } from '../helpers/server.js';
import { ceiling, dropIntoWait, mount, quiet, spyOnSockets } from './support.js';

describe('reconnect and backoff', function () {
  this.timeout(60_000);

  it('after an abrupt drop fires close (1006), then reconnecting {attempt: 1, delay, code: 1006}, and opens again', async () => {
    const name = room('drop');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '400' });
    await log.nth('open', 1);
    let inWait: { state: string; reconnecting: boolean; open: boolean } | undefined;
    el.addEventListener('reconnecting', () => {
      inWait = { state: el.state, reconnecting: el.matches(':state(reconnecting)'), open: el.matches(':state(open)') };
    });

    expect((await control(name).drop()).dropped).to.equal(1);
    await log.nth('open', 2);

    expect(log.sequence()).to.deep.equal(['open', 'close', 'reconnecting', 'open']);
    const close = log.of('close')[0].detail;
    expect(close.code).to.equal(1006);
    expect(close.wasClean).to.equal(false);
    const { attempt, delay, code } = log.of('reconnecting')[0].detail;
    expect({ attempt, code }).to.deep.equal({ attempt: 1, code: 1006 });
    expect(delay).to.be.within(200, 400);
    expect(inWait).to.deep.equal({ state: 'reconnecting', reconnecting: true, open: false });
    expect(el.state).to.equal('open');
    expect(el.matches(':state(open)')).to.equal(true);
    expect((await control(name).stats()).connections).to.equal(2);
  });

  it('counts attempts from 1 again after every successful open', async () => {
    const name = room('reset');
    const { log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '100', 'reconnect-max-delay': '100000' });
    await log.nth('open', 1);
    for (let round = 2; round <= 4; round++) {
      await control(name).drop();
      await log.nth('open', round);
    }
    const waits = log.of('reconnecting').map((entry) => entry.detail);
    expect(waits.map((detail) => detail.attempt)).to.deep.equal([1, 1, 1]);
    // n = 0 each time: never the doubled ceiling of a second attempt.
    for (const { delay } of waits) expect(delay).to.be.within(50, 100);
  });

  for (const [status, refusals] of [[503, 4], [401, 3]] as const) {
    it(`spaces attempts by the backoff while upgrades are refused with HTTP ${status} (${refusals} times or more), then opens once they are accepted`, async () => {
      const base = 100;
      const max = 800;
      const name = room(`refuse${status}`);
      // Refused until the element has waited after `refusals` attempts, then accepted: not for a
      // span of time, which a busy machine (or Firefox, holding a handshake back after a failed
      // one) may spend on fewer attempts.
      const { until } = await control(name).refuse(60_000, status);
      const refusingSince = until - 60_000;
      const sockets = spyOnSockets();
      try {
        const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': String(base), 'reconnect-max-delay': String(max) });
        await log.nth('reconnecting', refusals);
        await control(name).refuse(0);
        await log.nth('open', 1);
        const { attempts } = await control(name).stats();

        // Every handshake while refusing was refused, and each one was an attempt that the
        // element followed with a wait; the first accepted one opened the element.
        const refused = attempts.filter((attempt) => attempt.refused);
        expect(attempts.length).to.equal(refused.length + 1);
        expect(attempts.at(-1)!.refused).to.equal(false);
        expect(sockets.created.length).to.equal(attempts.length);
        const waits = log.of('reconnecting');
        expect(waits.length).to.equal(refused.length);
        expect(log.of('close').map((entry) => entry.detail.code)).to.deep.equal(refused.map(() => 1006));
        expect(log.of('error').filter((entry) => entry.detail.kind === 'connection').length).to.equal(refused.length);

        // The first attempt was the element's own on insertion, not a timer's.
        expect(sockets.fromTimer[0], 'the first attempt').to.equal(undefined);
        waits.forEach(({ detail, at }, n) => {
          // The announced delay follows min(max, base * 2^n) * [0.5, 1]…
          expect(detail.attempt, `attempt of wait ${n + 1}`).to.equal(n + 1);
          expect(detail.code).to.equal(1006);
          expect(detail.delay, `delay of attempt ${n + 1}`).to.be.within(0.5 * ceiling(n, base, max), ceiling(n, base, max));
          // …the element waits that long before it tries: the attempt comes from a timer set for
          // exactly that delay (however late a busy machine runs it), and never sooner…
          expect(sockets.fromTimer[n + 1], `the timer of attempt ${n + 2}`).to.equal(detail.delay);
          expect(sockets.created[n + 1] - at, `wait before attempt ${n + 2}`).to.be.at.least(detail.delay - 2);
          // …and the server never sees the next attempt sooner. (It may see it later: Firefox
          // adds its own growing delay after a failed handshake.)
          expect(attempts[n + 1].t - attempts[n].t, `gap before attempt ${n + 2}`).to.be.at.least(Math.floor(detail.delay) - 2);
        });
        // No storm: even with the smallest delays there is room for at most this many tries in the
        // time the server refused them (on its own clock, from the refusal to the last refused one).
        const refusedFor = refused.at(-1)!.t - refusingSince;
        let mostTries = 1;
        for (let earliest = 0; ; mostTries++) {
          earliest += 0.5 * ceiling(mostTries - 1, base, max) - 3; // when try mostTries + 1 could come at the soonest
          if (earliest > refusedFor) break;
        }
        expect(refused.length).to.be.at.most(mostTries);
        // And it kept trying while refused.
        expect(refused.length).to.be.at.least(refusals);
        expect(el.state).to.equal('open');
      } finally {
        sockets.restore();
      }
    });
  }
});

describe('stop codes and max-retries', function () {
  this.timeout(60_000);

  for (const code of [1000, 1008]) {
    it(`does not reconnect after the server closes with ${code} (default stop-codes)`, async () => {
      const name = room(`stop${code}`);
      const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '50' });
      await log.nth('open', 1);
      await control(name).close(code, 'go away');
      const close = await log.nth('close', 1);
      expect(close.detail).to.deep.equal({ code, reason: 'go away', wasClean: true });
      expect(close.state).to.equal('closed');
      expect(close.matchesState).to.equal(true);
      await quiet(1000);
      expect(log.count('reconnecting')).to.equal(0);
      expect(el.state).to.equal('closed');
      expect((await control(name).stats()).attempts.length).to.equal(1);
    });
  }

  it('stops on a code listed in a custom stop-codes="4001"', async () => {
    const name = room('stop4001');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '50', 'stop-codes': '4001' });
    await log.nth('open', 1);
    await control(name).close(4001, 'banned');
    expect((await log.nth('close', 1)).detail).to.include({ code: 4001, reason: 'banned' });
    await quiet(1000);
    expect(log.count('reconnecting')).to.equal(0);
    expect(el.state).to.equal('closed');
    expect((await control(name).stats()).attempts.length).to.equal(1);
  });

  it('reconnects on codes not in a custom stop-codes (the list replaces the default)', async () => {
    const name = room('go4002');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '50', 'stop-codes': '4001' });
    await log.nth('open', 1);
    await control(name).close(4002, 'restarting');
    await log.nth('open', 2);
    await control(name).close(1000, 'bye');
    await log.nth('open', 3);
    expect(log.of('reconnecting').map((entry) => entry.detail.code)).to.deep.equal([4002, 1000]);
    expect(el.state).to.equal('open');
  });

  it('max-retries="2" makes exactly 3 attempts in a row on a failing first connection, then closes for good', async () => {
    const name = room('retries2');
    await control(name).refuse(30_000);
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '50', 'max-retries': '2' });
    await log.until(() => log.of('close').some((entry) => entry.state === 'closed'), 'a final close');
    await quiet(1000);
    const { attempts } = await control(name).stats();
    expect(attempts.length).to.equal(3);
    expect(attempts.every((attempt) => attempt.refused)).to.equal(true);
    expect(log.of('reconnecting').map((entry) => entry.detail.attempt)).to.deep.equal([1, 2]);
    expect(log.sequence()).to.deep.equal(['close', 'reconnecting', 'close', 'reconnecting', 'close']);
    expect(log.of('close').at(-1)!.state).to.equal('closed');
    expect(el.state).to.equal('closed');
    expect(el.matches(':state(closed)')).to.equal(true);

    // Giving up is not final for connect().
    await control(name).refuse(0);
    el.connect();
    await log.nth('open', 1);
  });

  it('max-retries="2" makes 2 reconnection attempts after a loss, then closes for good', async () => {
    const name = room('retries2loss');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '50', 'max-retries': '2' });
    await log.nth('open', 1);
    await control(name).refuse(30_000);
    await control(name).drop();
    await log.until(() => log.of('close').some((entry) => entry.state === 'closed'), 'a final close');
    await quiet(1000);
    const { attempts } = await control(name).stats();
    expect(attempts.map((attempt) => attempt.refused)).to.deep.equal([false, true, true]);
    expect(log.sequence()).to.deep.equal(['open', 'close', 'reconnecting', 'close', 'reconnecting', 'close']);
    expect(el.state).to.equal('closed');
  });

  it('max-retries="0" turns reconnecting off', async () => {
    const name = room('retries0');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '50', 'max-retries': '0' });
    await log.nth('open', 1);
    await control(name).drop();
    const close = await log.nth('close', 1);
    expect(close.detail.code).to.equal(1006);
    expect(close.state).to.equal('closed');
    await quiet(1000);
    expect(log.count('reconnecting')).to.equal(0);
    expect(el.state).to.equal('closed');
    expect((await control(name).stats()).attempts.length).to.equal(1);
  });
});

describe('cancelling and hurrying a reconnect wait', function () {
  this.timeout(60_000);

  it('close() during a wait cancels it: the server sees no attempt for 3 s', async () => {
    const name = room('cancel-close');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '1000' });
    await log.nth('open', 1);
    await dropIntoWait(log, name);
    el.close();
    expect(el.state).to.equal('closed');
    expect(el.matches(':state(closed)')).to.equal(true);
    await quiet(3000);
    expect((await control(name).stats()).attempts.length).to.equal(1);
    expect(log.count('open')).to.equal(1);
    expect(log.count('reconnecting')).to.equal(1);
    expect(el.state).to.equal('closed');
    expect(el.socket).to.equal(null);
  });

  it('removal during a wait cancels it: the server sees no attempt for 3 s', async () => {
    const name = room('cancel-remove');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '1000' });
    await log.nth('open', 1);
    await dropIntoWait(log, name);
    el.remove();
    await quiet(3000);
    expect((await control(name).stats()).attempts.length).to.equal(1);
    expect(log.count('open')).to.equal(1);
    expect(el.state).to.equal('closed');
    expect(el.socket).to.equal(null);
  });

  it('connect() during a wait tries at once', async () => {
    const name = room('hurry');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '60000', 'reconnect-max-delay': '60000' });
    await log.nth('open', 1);
    await control(name).drop();
    const wait = await log.nth('reconnecting', 1);
    expect(wait.detail.delay).to.be.at.least(30_000);
    el.connect();
    expect(el.state).to.equal('connecting');
    const open = await log.nth('open', 2);
    // It opened long before the wait would have ended (that wait is longer than any wait of this test).
    expect(open.at - wait.at).to.be.below(wait.detail.delay);
    expect((await control(name).stats()).connections).to.equal(2);
  });
});
