// Flow control on its own, with a stand-in socket whose bufferedAmount the test sets:
// when frames wait, when they go again, when `drain` is due, and what is read meanwhile.

import { expect } from '@open-wc/testing';
import { FlowControl, DEFAULT_BUFFER_LIMIT } from '../../src/connection/flow-control.js';
import { SendQueue } from '../../src/connection/send-queue.js';

const LIMIT = 1000;

/** A socket that only buffers: `buffered` is set by the test, sends add to it, reads are counted. */
class BufferingSocket {
  buffered = 0;
  reads = 0;
  sent: string[] = [];
  #waiters: { ready: () => boolean; wake: () => void }[] = [];

  get bufferedAmount(): number {
    this.reads++;
    // Judged after the task that read it, so what it did with the value is done.
    queueMicrotask(() => {
      for (const waiter of this.#waiters.filter((w) => w.ready())) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.wake();
      }
    });
    return this.buffered;
  }

  send(frame: string): void {
    this.sent.push(frame);
    this.buffered += frame.length;
  }

  /** Resolves once `more` further reads have happened: the flow control has looked again. */
  looked(more: number): Promise<void> {
    const reads = this.reads + more;
    return this.when(() => this.reads >= reads);
  }

  /** Resolves after the first read at whose end `ready()` holds. */
  when(ready: () => boolean): Promise<void> {
    return new Promise((wake) => this.#waiters.push({ ready, wake }));
  }
}

/** FlowControl wired as the element wires it: a queue, a socket, and a record of what it reported. */
function setup(limit = LIMIT) {
  const socket = new BufferingSocket();
  // The queue as the element wires it: frames go when the socket is live and flow control admits them.
  const queue = new SendQueue({
    ready: () => live && flow.admits(socket as unknown as WebSocket),
    limit: () => Infinity,
    send: (payload) => socket.send(payload as string),
    full: () => {},
    refused: (_payload, error) => {
      throw error;
    },
  });
  const shown: boolean[] = [];
  const drains: number[] = [];
  let live = true;
  let drained: (value: number) => void = () => {};
  const flow = new FlowControl({
    socket: () => (live ? (socket as unknown as WebSocket) : null),
    waiting: () => queue.size,
    resume: () => queue.flush(),
    changed: (on) => shown.push(on),
    drained: (amount) => {
      drains.push(amount);
      drained(amount);
    },
  });
  flow.limit = limit;
  /** What the element's send() does: straight out when nothing waits, else into the queue. */
  const send = (frame: string): void => {
    queue.push(frame);
  };
  const nextDrain = () => new Promise<number>((resolve) => (drained = resolve));
  const lose = () => {
    live = false;
    flow.stop();
  };
  const reopen = () => {
    live = true;
    socket.buffered = 0;
    queue.flush();
    flow.opened();
  };
  return { flow, socket, queue, shown, drains, send, nextDrain, lose, reopen };
}

const frame = (size: number, tag = 'f') => tag.padEnd(size, '.');

describe('flow-control: holding frames', () => {
  it('defaults to 1 MiB', () => {
    expect(DEFAULT_BUFFER_LIMIT).to.equal(1024 * 1024);
  });

  it('hands frames over while bufferedAmount is at or under the limit, then holds the rest in order', () => {
    const { flow, socket, queue, shown, send } = setup();
    send(frame(400, 'a'));
    send(frame(400, 'b'));
    send(frame(200, 'c')); // buffered is 800 before this one: still under
    expect(socket.buffered).to.equal(1000);
    send(frame(10, 'd')); // 1000 is not above the limit
    expect(socket.sent.map((f) => f[0])).to.deep.equal(['a', 'b', 'c', 'd']);
    send(frame(10, 'e'));
    send(frame(10, 'f'));
    expect(socket.sent.length).to.equal(4);
    expect(queue.size).to.equal(2);
    expect(flow.backpressure).to.equal(true);
    expect(shown).to.deep.equal([true]);
    flow.stop();
  });

  it('goes again only once bufferedAmount has fallen to half the limit', async () => {
    const { flow, socket, queue, shown, send, nextDrain } = setup();
    send(frame(1001));
    send(frame(10, 'x'));
    expect(queue.size).to.equal(1);
    socket.buffered = 600; // under the limit, above half
    await socket.looked(3);
    expect(queue.size).to.equal(1);
    expect(flow.backpressure).to.equal(true);
    socket.buffered = 500;
    await socket.when(() => queue.size === 0);
    expect(socket.sent.map((f) => f[0])).to.deep.equal(['f', 'x']);
    expect(flow.backpressure).to.equal(false);
    expect(shown).to.deep.equal([true, false]);
    const drain = nextDrain();
    socket.buffered = 0;
    expect(await drain).to.equal(0);
  });

  it('sends a frame larger than the limit alone, once the buffer has drained to half, without splitting it', async () => {
    const { socket, queue, send, nextDrain } = setup();
    send(frame(900, 'a'));
    send(frame(200, 'b')); // 900 ≤ 1000: goes, and the buffer is now over
    send(frame(5000, 'B'));
    send(frame(10, 'c'));
    expect(queue.size).to.equal(2);
    socket.buffered = 501;
    await socket.looked(2);
    expect(queue.size).to.equal(2);
    socket.buffered = 500;
    await socket.when(() => socket.sent.length === 3);
    // The big frame went at half; the small one after it waits for the big one to drain.
    expect(socket.sent.map((f) => f.length)).to.deep.equal([900, 200, 5000]);
    expect(queue.size).to.equal(1);
    await socket.looked(2);
    expect(queue.size).to.equal(1);
    const drain = nextDrain();
    socket.buffered = 0;
    await drain;
    expect(socket.sent.map((f) => f.length)).to.deep.equal([900, 200, 5000, 10]);
  });

  it('keeps backpressure shown when a release fills the buffer again at once', async () => {
    const { flow, socket, queue, shown, send } = setup();
    for (let i = 0; i < 6; i++) send(frame(600, String(i)));
    expect(socket.sent.length).to.equal(2);
    socket.buffered = 0;
    await socket.when(() => socket.sent.length === 4);
    expect(queue.size).to.equal(2);
    expect(flow.backpressure).to.equal(true);
    expect(shown).to.deep.equal([true]);
    flow.stop();
  });
});

describe('flow-control: drain', () => {
  it('fires once after frames had to wait, when the queue is empty and the buffer is at half or below', async () => {
    const { socket, send, drains, nextDrain } = setup();
    send(frame(1500));
    send(frame(10));
    socket.buffered = 400;
    const drain = nextDrain();
    expect(await drain).to.equal(410);
    // Sending more under the limit afterwards owes no drain, and nothing polls.
    send(frame(10));
    const reads = socket.reads;
    await new Promise((resolve) => setTimeout(resolve, 50)); // a quiet check
    expect(socket.reads).to.equal(reads);
    expect(drains).to.deep.equal([410]);
  });

  it('waits for the buffer to reach half after the queue emptied', async () => {
    const { socket, queue, send, drains, nextDrain } = setup();
    send(frame(1500));
    send(frame(300));
    socket.buffered = 500;
    await socket.when(() => queue.size === 0); // handed over: 500 + 300
    expect(drains).to.deep.equal([]);
    await socket.looked(3);
    expect(drains).to.deep.equal([]);
    const drain = nextDrain();
    socket.buffered = 499;
    expect(await drain).to.equal(499);
  });

  it('is never owed when nothing had to wait, and nothing is read between sends', async () => {
    const { socket, send, drains } = setup();
    for (let i = 0; i < 5; i++) send(frame(100));
    const reads = socket.reads;
    expect(reads).to.equal(5); // one read per frame, on the hot path
    await new Promise((resolve) => setTimeout(resolve, 50)); // a quiet check: nothing polls
    expect(socket.reads).to.equal(reads);
    expect(drains).to.deep.equal([]);
  });
});

describe('flow-control: limit 0 and the connection', () => {
  it('with the limit at 0 never reads bufferedAmount and never holds', () => {
    const { flow, socket, queue, send } = setup(0);
    for (let i = 0; i < 10; i++) send(frame(5000));
    expect(socket.reads).to.equal(0);
    expect(queue.size).to.equal(0);
    expect(flow.backpressure).to.equal(false);
  });

  it('lets frames go when the limit is turned off while they wait', async () => {
    const { flow, socket, queue, send, nextDrain } = setup();
    send(frame(2000));
    send(frame(10));
    expect(queue.size).to.equal(1);
    const drain = nextDrain();
    flow.limit = 0;
    await drain;
    expect(queue.size).to.equal(0);
    expect(socket.buffered).to.equal(2010);
  });

  it('stops holding and reading when the socket goes, and owes the drain until the next one empties the queue', async () => {
    const { flow, socket, queue, shown, drains, send, lose, reopen, nextDrain } = setup();
    send(frame(2000));
    send(frame(10, 'q'));
    lose();
    expect(flow.backpressure).to.equal(false);
    expect(shown).to.deep.equal([true, false]);
    const reads = socket.reads;
    await new Promise((resolve) => setTimeout(resolve, 50)); // a quiet check: no timer is left
    expect(socket.reads).to.equal(reads);
    expect(queue.size).to.equal(1);
    expect(drains).to.deep.equal([]);

    const drain = nextDrain();
    reopen();
    expect(queue.size).to.equal(0);
    expect(await drain).to.equal(10);
  });
});
