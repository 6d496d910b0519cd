// The send queue: frames leave in call order, also when some are still being prepared.

import { expect } from '@open-wc/testing';
import { SendQueue, type Payload } from '../../src/send-queue.js';

/** A `send` for drain() that records what it took; it refuses from the `refuseAt`-th frame on. */
function sink(refuseAt = Infinity) {
  const sent: Payload[] = [];
  const send = (payload: Payload) => {
    if (sent.length >= refuseAt) return false;
    sent.push(payload);
    return true;
  };
  return { sent, send };
}

describe('send-queue: order', () => {
  it('drains prepared frames in the order they were reserved', () => {
    const queue = new SendQueue();
    queue.reserve(10, 'a');
    queue.reserve(10, 'b');
    queue.reserve(10, 'c');
    const { sent, send } = sink();
    queue.drain(send);
    expect(sent).to.deep.equal(['a', 'b', 'c']);
    expect(queue.size).to.equal(0);
  });

  it('keeps call order when reserved slots are filled out of order', () => {
    const queue = new SendQueue();
    const first = queue.reserve(10)!;
    const second = queue.reserve(10)!;
    queue.reserve(10, 'third');
    const { sent, send } = sink();

    second.payload = 'second';
    queue.drain(send);
    expect(sent).to.deep.equal([]);

    first.payload = 'first';
    queue.drain(send);
    expect(sent).to.deep.equal(['first', 'second', 'third']);
  });

  it('stops at a slot still being prepared and sends what is before it', () => {
    const queue = new SendQueue();
    queue.reserve(10, 'a');
    const pending = queue.reserve(10)!;
    queue.reserve(10, 'c');
    const { sent, send } = sink();
    queue.drain(send);
    expect(sent).to.deep.equal(['a']);
    expect(queue.size).to.equal(2);
    pending.payload = 'b';
    queue.drain(send);
    expect(sent).to.deep.equal(['a', 'b', 'c']);
  });

  it('stops when send refuses and keeps the refused frame at the front', () => {
    const queue = new SendQueue();
    for (const p of ['a', 'b', 'c']) queue.reserve(10, p);
    const refusing = sink(1);
    queue.drain(refusing.send);
    expect(refusing.sent).to.deep.equal(['a']);
    expect(queue.size).to.equal(2);
    const accepting = sink();
    queue.drain(accepting.send);
    expect(accepting.sent).to.deep.equal(['b', 'c']);
  });

  it('hands binary payloads over as the same objects', () => {
    const queue = new SendQueue();
    const buffer = new ArrayBuffer(4);
    const blob = new Blob(['x']);
    queue.reserve(10, buffer);
    queue.reserve(10, blob);
    const { sent, send } = sink();
    queue.drain(send);
    expect(sent[0]).to.equal(buffer);
    expect(sent[1]).to.equal(blob);
  });
});

describe('send-queue: limit and release', () => {
  it('refuses a reservation once limit places are taken, prepared or not', () => {
    const queue = new SendQueue();
    expect(queue.reserve(2, 'a')).to.not.equal(null);
    expect(queue.reserve(2)).to.not.equal(null);
    expect(queue.reserve(2, 'c')).to.equal(null);
    expect(queue.size).to.equal(2);
  });

  it('refuses everything with a limit of 0', () => {
    expect(new SendQueue().reserve(0, 'a')).to.equal(null);
  });

  it('takes reservations again after a drain frees places', () => {
    const queue = new SendQueue();
    queue.reserve(1, 'a');
    queue.drain(sink().send);
    expect(queue.reserve(1, 'b')).to.not.equal(null);
  });

  it('release gives up one slot and lets the frames behind it leave', () => {
    const queue = new SendQueue();
    queue.reserve(10, 'a');
    const failed = queue.reserve(10)!;
    queue.reserve(10, 'c');
    queue.release(failed);
    expect(queue.size).to.equal(2);
    const { sent, send } = sink();
    queue.drain(send);
    expect(sent).to.deep.equal(['a', 'c']);
  });

  it('release of a slot that already left changes nothing', () => {
    const queue = new SendQueue();
    const gone = queue.reserve(10, 'a')!;
    queue.drain(sink().send);
    queue.reserve(10, 'b');
    queue.release(gone);
    expect(queue.size).to.equal(1);
  });
});
