// Flow control against the real server: frames wait behind `buffer-limit` while the socket's
// buffer is full, in call order, within `queue-limit`; `drain` says when they have all left.
//
// How engines fill `bufferedAmount` differs, and the tests are written for all of them:
// Chromium and Firefox count bytes until they reach the kernel, which on loopback takes about
// 4 MB before a server that stops reading shows at all; WebKitGTK counts bytes until its
// network process has them, which takes everything, so there a stuck server never shows and
// the buffer only fills within one task. Within one task every engine counts each send at once,
// so a burst of sends is where the limit is asserted everywhere.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { control, nextEvent, room, wsUrl, type DigestFrame } from '../helpers/server.js';
import { LIFECYCLE, mount, quiet } from '../resilience/support.js';

const LIMIT = 64 * 1024;
const EVENTS = [...LIFECYCLE, 'drain'];

const bufferedOf = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'bufferedAmount')!.get!;

/**
 * Puts a WebSocket in place of the global that records each send with `bufferedAmount` before
 * and after it, and counts how often anyone else reads `bufferedAmount`.
 */
function watchSockets() {
  const Original = globalThis.WebSocket;
  const sends: { size: number; before: number; after: number }[] = [];
  const counts = { reads: 0 };
  class WatchedWebSocket extends Original {
    override send(data: string | ArrayBuffer | Blob | ArrayBufferView<ArrayBuffer>): void {
      const before = bufferedOf.call(this) as number;
      super.send(data);
      const size = typeof data === 'string' ? new TextEncoder().encode(data).length : (data as ArrayBuffer).byteLength;
      sends.push({ size, before, after: bufferedOf.call(this) as number });
    }
  }
  Object.defineProperty(WatchedWebSocket.prototype, 'bufferedAmount', {
    get() {
      counts.reads++;
      return bufferedOf.call(this);
    },
  });
  globalThis.WebSocket = WatchedWebSocket;
  return {
    sends,
    counts,
    /** The most the socket ever buffered right after a send. */
    peak: () => Math.max(0, ...sends.map((s) => s.after)),
    largest: () => Math.max(0, ...sends.map((s) => s.size)),
    restore: () => void (globalThis.WebSocket = Original),
  };
}

/** Sends numbered frames and remembers which the element took, in call order. */
function sender(el: BricksWebSocketElement) {
  let next = 0;
  const accepted: string[] = [];
  const send = (type: 'big' | 'small', size = 0): boolean => {
    const n = next++;
    // Sizes spread over 16-32 KiB, the same every run.
    const data = type === 'big' ? `${n}:${'x'.repeat(16 * 1024 + ((n * 7919) % (16 * 1024)))}` : `${n}:`;
    const ok = el.send(type, size > 0 ? `${n}:${'x'.repeat(size)}` : data);
    if (ok) accepted.push(`${type} ${n}`);
    return ok;
  };
  return { send, accepted };
}

/** `big 12` for `{"type":"big","data":"12:xxx…`. */
const label = (frame: DigestFrame) => {
  const match = /^\{"type":"(\w+)","data":"(\d+):/.exec(frame.head);
  return match ? `${match[1]} ${match[2]}` : frame.head;
};

/** Polls the server until it has read `count` frames; they are returned labelled, in order. */
async function serverHas(name: string, count: number, timeoutMs = 30_000): Promise<{ labels: string[]; frames: DigestFrame[] }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { received } = await control(name).digest();
    if (received.length >= count) return { labels: received.map(label), frames: received };
    if (performance.now() > deadline) throw new Error(`The server read ${received.length} of ${count} frames in ${timeoutMs} ms`);
    await quiet(50);
  }
}

describe('flow control', function () {
  this.timeout(60_000);
  let sockets: ReturnType<typeof watchSockets>;
  beforeEach(() => {
    sockets = watchSockets();
  });
  afterEach(() => sockets.restore());

  it('holds frames behind buffer-limit while the server does not read, within queue-limit, and drains once when it reads again', async () => {
    const name = room('flow');
    const { el, log } = await mount({ 'ws-url': wsUrl(name, 'room'), 'buffer-limit': String(LIMIT), 'queue-limit': '40' }, EVENTS);
    await log.nth('open', 1);
    const { send, accepted } = sender(el);
    await control(name).pause(true);

    // Fill what sits between the page and the server until a burst no longer drains: the
    // server is then truly stuck (Chromium, Firefox). WebKitGTK drains every burst.
    let stuck = false;
    for (let burst = 0; burst < 60 && !stuck; burst++) {
      const drained = nextEvent(el, 'drain', 1500).then(() => true, () => false);
      for (let i = 0; i < 6; i++) {
        send('big');
        if (i % 2) send('small');
      }
      expect(el.backpressure, 'a burst over the limit').to.equal(true);
      stuck = !(await drained);
    }
    const engineSeesServer = stuck;

    // One burst of big frames with small ones in between, all in one task.
    const mainDrain = nextEvent<CustomEvent<{ bufferedAmount: number }>>(el, 'drain', 30_000);
    const drainsBefore = log.count('drain');
    const errorsBefore = log.count('error');
    const results: boolean[] = [];
    const queued: number[] = [];
    for (let i = 0; i < 60; i++) {
      results.push(send(i % 3 === 2 ? 'small' : 'big'));
      queued.push(el.queued);
    }
    expect(el.backpressure).to.equal(true);
    expect(el.matches(':state(backpressure)')).to.equal(true);
    expect(el.matches(':state(open)'), 'beside the connection state').to.equal(true);
    expect(el.state).to.equal('open');
    // queued grows to queue-limit; every frame refused after that is a queue-full error.
    expect(queued.every((n, i) => i === 0 || n >= queued[i - 1]), `queued grows: ${queued.join(' ')}`).to.equal(true);
    expect(el.queued).to.equal(40);
    const refused = results.filter((ok) => !ok).length;
    expect(refused).to.be.greaterThan(0);
    expect(results.indexOf(false)).to.equal(queued.indexOf(40) + 1);
    await log.until(() => log.count('error') === errorsBefore + refused, `${refused} queue-full errors`);
    expect(log.of('error').slice(errorsBefore).every((e) => e.detail.kind === 'queue-full')).to.equal(true);
    expect(log.of('error')[errorsBefore].detail.message, 'the advice fits the cause').to.contain('wait for drain');

    if (engineSeesServer) {
      // A server that reads nothing keeps the frames waiting.
      await quiet(300);
      expect(el.backpressure).to.equal(true);
      expect(el.queued).to.equal(40);
    }

    await control(name).pause(false);
    const drain = await mainDrain;
    expect(drain.detail.bufferedAmount).to.be.at.most(LIMIT / 2);
    expect(el.queued).to.equal(0);
    expect(el.backpressure).to.equal(false);
    expect(el.matches(':state(backpressure)')).to.equal(false);
    expect(el.matches(':state(open)')).to.equal(true);

    // Every frame the element took arrives exactly once, in call order.
    const { labels } = await serverHas(name, accepted.length);
    expect(labels).to.deep.equal(accepted);
    await quiet(100);
    expect(log.count('drain') - drainsBefore, 'drain fires once').to.equal(1);
    // Never more than the limit plus the frame that crossed it.
    expect(sockets.peak()).to.be.at.most(LIMIT + sockets.largest());
  });

  it('sends a frame larger than the limit whole and alone, once the buffer is at half', async () => {
    const name = room('flow-big');
    const { el, log } = await mount({ 'ws-url': wsUrl(name, 'room'), 'buffer-limit': String(LIMIT) }, EVENTS);
    await log.nth('open', 1);
    const { send, accepted } = sender(el);
    const drained = nextEvent(el, 'drain', 10_000);
    send('big', 40 * 1024);
    send('big', 40 * 1024); // buffered is 40 KiB before it: under the limit, so it goes
    send('big', 200 * 1024);
    send('small');
    expect(el.queued).to.equal(2);
    await drained;

    const sizes = sockets.sends.map((s) => s.size);
    expect(sizes.slice(0, 2).every((size) => size > 40 * 1024)).to.equal(true);
    expect(sizes[2]).to.be.greaterThan(200 * 1024);
    expect(sockets.sends.length).to.equal(4);
    // The big one waited for half, and the small one after it waited for half again.
    expect(sockets.sends[2].before).to.be.at.most(LIMIT / 2);
    expect(sockets.sends[3].before).to.be.at.most(LIMIT / 2);
    const { labels, frames } = await serverHas(name, 4);
    expect(labels).to.deep.equal(accepted);
    expect(frames[2].length).to.equal(sockets.sends[2].size);
  });

  it('keeps frames held behind the limit when the connection is lost, and sends them in order on the next open', async () => {
    const name = room('flow-lost');
    const { el, log } = await mount({ 'ws-url': wsUrl(name, 'room'), 'buffer-limit': String(LIMIT), 'reconnect-delay': '100' }, EVENTS);
    await log.nth('open', 1);
    const { send, accepted } = sender(el);
    for (let i = 0; i < 10; i++) send('big');
    const held = el.queued;
    expect(held).to.be.greaterThan(0);
    expect(el.backpressure).to.equal(true);
    // Lost in the same task: nothing more reaches the old socket.
    el.socket!.close(4001, 'test');
    await log.nth('reconnecting', 1);
    expect(el.backpressure).to.equal(false);
    expect(el.matches(':state(backpressure)')).to.equal(false);
    expect(el.matches(':state(reconnecting)')).to.equal(true);
    expect(el.queued).to.equal(held);

    await log.nth('open', 2);
    await log.nth('drain', 1, 10_000);
    expect(el.queued).to.equal(0);
    const { labels } = await serverHas(name, accepted.length);
    expect(labels).to.deep.equal(accepted);
    expect(log.count('drain')).to.equal(1);
  });

  it('with buffer-limit="0" hands every frame to the socket at once and never reads bufferedAmount', async () => {
    const name = room('flow-off');
    const { el, log } = await mount({ 'ws-url': wsUrl(name, 'room'), 'buffer-limit': '0' }, EVENTS);
    await log.nth('open', 1);
    const { send, accepted } = sender(el);
    const reads = sockets.counts.reads;
    for (let i = 0; i < 40; i++) {
      send('big');
      expect(el.queued).to.equal(0);
    }
    expect(el.backpressure).to.equal(false);
    expect(sockets.peak()).to.be.greaterThan(16 * LIMIT / 2); // 40 frames of 16-32 KiB, all buffered at once
    expect(sockets.counts.reads - reads).to.equal(0);
    const { labels } = await serverHas(name, accepted.length);
    expect(labels).to.deep.equal(accepted);
    expect(log.count('drain')).to.equal(0);
  });

  it('reads buffer-limit from the attribute, with 1 MiB for none or an unusable value', async () => {
    const el = document.createElement('bricks-websocket');
    expect(el.bufferLimit).to.equal(1024 * 1024);
    el.setAttribute('buffer-limit', '65536');
    expect(el.bufferLimit).to.equal(65536);
    el.setAttribute('buffer-limit', '-1');
    expect(el.bufferLimit).to.equal(1024 * 1024);
    el.bufferLimit = 0;
    expect(el.bufferLimit).to.equal(0);
    el.removeAttribute('buffer-limit');
    expect(el.bufferLimit).to.equal(1024 * 1024);
    expect(el.backpressure).to.equal(false);
  });
});
