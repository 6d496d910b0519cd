// Network and visibility awareness. A page cannot take its browser offline or hide
// itself, so these tests override the two readings the element consults
// (`navigator.onLine`, `document.visibilityState`) and dispatch the events the
// browser would; the server's records show what the element really did.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import { control, room, wsUrl } from '../helpers/server.js';
import { dropIntoWait, mount, quiet } from './support.js';

function pretendOnline(online: boolean): void {
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => online });
}

function pretendVisibility(state: DocumentVisibilityState): void {
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
}

/** Removes the overrides: the prototypes' own getters show through again. */
function restoreReadings(): void {
  delete (navigator as { onLine?: boolean }).onLine;
  delete (document as { visibilityState?: DocumentVisibilityState }).visibilityState;
}

describe('offline and online', function () {
  this.timeout(60_000);
  afterEach(restoreReadings);

  it('makes no attempt while offline, and tries at once on "online"', async () => {
    const name = room('offline');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '100', 'reconnect-max-delay': '200' });
    await log.nth('open', 1);

    pretendOnline(false);
    await control(name).drop();
    await log.nth('reconnecting', 1);
    // Several delays of at most 200 ms pass: no handshake reaches the server.
    await quiet(1500);
    expect((await control(name).stats()).attempts.length).to.equal(1);
    expect(el.state).to.equal('reconnecting');
    expect(el.matches(':state(reconnecting)')).to.equal(true);

    restoreReadings();
    expect(navigator.onLine).to.equal(true);
    window.dispatchEvent(new Event('online'));
    expect(el.state).to.equal('connecting'); // at once, not after a delay
    await log.nth('open', 2);
    expect((await control(name).stats()).attempts.length).to.equal(2);
  });

  it('starts counting attempts from 1 again on "online"', async () => {
    const name = room('online-reset');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '100', 'reconnect-max-delay': '100000' });
    await log.nth('open', 1);

    await control(name).refuse(60_000);
    // Two failed retries: the next one would be attempt 3. Offline from the task of its wait on.
    await dropIntoWait(log, name, 3);
    expect(log.of('reconnecting').map((entry) => entry.detail.attempt)).to.deep.equal([1, 2, 3]);
    pretendOnline(false);
    // The pending retry finds the browser offline and makes no attempt.
    const attemptsOffline = (await control(name).stats()).attempts.length;
    await quiet(1500);
    expect((await control(name).stats()).attempts.length).to.equal(attemptsOffline);

    restoreReadings();
    window.dispatchEvent(new Event('online'));
    expect(el.state).to.equal('connecting');
    // That attempt is refused too; the wait after it is attempt 1 again, with the first delay.
    const wait = await log.nth('reconnecting', 4, 10_000);
    expect(wait.detail.attempt).to.equal(1);
    expect(wait.detail.delay).to.be.within(50, 100);

    await control(name).refuse(0);
    await log.nth('open', 2, 10_000);
  });
});

describe('page visibility', function () {
  this.timeout(60_000);
  afterEach(restoreReadings);

  it('tries at once when the page becomes visible during a long wait', async () => {
    const name = room('visible');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '60000', 'reconnect-max-delay': '60000' });
    await log.nth('open', 1);

    // Becoming visible while open changes nothing.
    pretendVisibility('visible');
    document.dispatchEvent(new Event('visibilitychange'));
    expect(el.state).to.equal('open');

    await control(name).drop();
    const wait = await log.nth('reconnecting', 1);
    expect(wait.detail.delay).to.be.at.least(30_000);

    // Being hidden does not hurry the retry.
    pretendVisibility('hidden');
    document.dispatchEvent(new Event('visibilitychange'));
    expect(el.state).to.equal('reconnecting');
    await quiet(500);
    expect((await control(name).stats()).attempts.length).to.equal(1);

    pretendVisibility('visible');
    document.dispatchEvent(new Event('visibilitychange'));
    expect(el.state).to.equal('connecting');
    const open = await log.nth('open', 2, 10_000);
    expect(open.at - wait.at).to.be.below(wait.detail.delay);
    expect((await control(name).stats()).attempts.length).to.equal(2);
  });
});
