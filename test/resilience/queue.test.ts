// The send queue across reconnects: what is sent during a wait leaves on the next
// open, in order, exactly once; a move keeps it; queue-limit still bounds it.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import { control, room, serverUntil, wsUrl } from '../helpers/server.js';
import { dropIntoWait, mount, receivedEnvelopes } from './support.js';

/** The `data` of the server's received `q` frames, in order. */
async function queuedArrivals(name: string, count: number) {
  const stats = await serverUntil(name, (s) => receivedEnvelopes(s).filter((e) => e.type === 'q').length >= count, `${count} "q" frames`, 10_000);
  return receivedEnvelopes(stats).filter((e) => e.type === 'q').map((e) => e.data);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('send queue across reconnects', function () {
  this.timeout(60_000);

  it('delivers frames sent while reconnecting on the next open, in order, exactly once', async () => {
    const name = room('queue');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '300' });
    await log.nth('open', 1);
    await dropIntoWait(log, name);

    const results = range(1, 50).map((n) => el.send('q', n));
    expect(results.every(Boolean)).to.equal(true);
    expect(el.queued).to.equal(50);
    await log.nth('open', 2);
    expect(el.queued).to.equal(0);
    expect(await queuedArrivals(name, 50)).to.deep.equal(range(1, 50));
    // Frames sent once open go straight out, after the queued ones.
    el.send('q', 51);
    expect(await queuedArrivals(name, 51)).to.deep.equal(range(1, 51));
  });

  it('keeps the queue through failed attempts until one succeeds', async () => {
    const name = room('queue-refused');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '50', 'reconnect-max-delay': '200' });
    await log.nth('open', 1);
    // Refused until this test lifts it, not for a span of time: on a busy machine (or in Firefox,
    // which holds back a handshake after a failed one) two attempts may take longer than any span.
    await control(name).refuse(60_000);
    await control(name).drop();
    await log.nth('reconnecting', 1);
    for (const n of range(1, 5)) el.send('q', n);
    await log.nth('reconnecting', 3, 10_000); // two refused attempts later…
    for (const n of range(6, 10)) el.send('q', n);
    expect(el.queued).to.equal(10);
    await control(name).refuse(0);
    await log.nth('open', 2, 10_000);
    expect(await queuedArrivals(name, 10)).to.deep.equal(range(1, 10));
  });

  it('keeps the queue and the pending retry when the element is moved during a wait', async () => {
    const name = room('queue-move');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '300' });
    await log.nth('open', 1);
    await dropIntoWait(log, name);
    for (const n of range(1, 10)) el.send('q', n);

    const parent = el.parentNode!;
    const other = document.createElement('div');
    parent.appendChild(other);
    // A move: removed and re-inserted in the same task, here under a new parent.
    el.remove();
    other.appendChild(el);
    await Promise.resolve();
    expect(el.state).to.equal('reconnecting');
    expect(el.queued).to.equal(10);

    await log.nth('open', 2);
    expect(await queuedArrivals(name, 10)).to.deep.equal(range(1, 10));
    const stats = await control(name).stats();
    expect(stats.connections).to.equal(2);
    expect(log.count('reconnecting')).to.equal(1);
  });

  it('still bounds the queue with queue-limit during a wait, with a queue-full error per refused frame', async () => {
    const name = room('queue-limit');
    const { el, log } = await mount({ 'ws-url': wsUrl(name), 'reconnect-delay': '300', 'queue-limit': '3' });
    await log.nth('open', 1);
    await dropIntoWait(log, name);

    const results = range(1, 5).map((n) => el.send('q', n));
    expect(results).to.deep.equal([true, true, true, false, false]);
    expect(el.queued).to.equal(3);
    const full = log.of('error').filter((entry) => entry.detail.kind === 'queue-full');
    expect(full.length).to.equal(2);
    expect(full[0].detail.message).to.be.a('string').and.not.equal('');

    await log.nth('open', 2);
    expect(await queuedArrivals(name, 3)).to.deep.equal([1, 2, 3]);
    // Frames 4 and 5 were refused, not sent later.
    el.send('q', 6);
    expect(await queuedArrivals(name, 4)).to.deep.equal([1, 2, 3, 6]);
  });
});
