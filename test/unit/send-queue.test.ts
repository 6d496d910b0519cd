// The send queue: frames leave in call order, also when some are still being prepared; the limit
// bounds only frames waiting for the connection; what waits is a copy; a frame the socket
// refuses is reported and the rest go on.

import { expect } from '@open-wc/testing';
import type { Payload } from '../../src/frames/payload.js';
import { SendQueue, type Outlet } from '../../src/connection/send-queue.js';

/** A queue on a fake connection that records what it takes; `refuse` picks frames its send() throws for. */
function queueOn(options: { ready?: boolean; limit?: number; refuse?: (payload: Payload) => boolean } = {}) {
  const state = {
    ready: options.ready ?? true,
    limit: options.limit ?? 10,
    sent: [] as Payload[],
    full: [] as number[],
    refused: [] as { payload: Payload; error: unknown }[],
    /** Called after each frame the socket takes, to change the state mid-flush. */
    onSend: (_payload: Payload) => {},
    /** Called after each refusal is recorded, as an `error` listener would be. */
    onRefused: () => {},
  };
  const outlet: Outlet = {
    ready: () => state.ready,
    limit: () => state.limit,
    send: (payload) => {
      if (options.refuse?.(payload)) throw new TypeError('refused by the socket');
      state.sent.push(payload);
      state.onSend(payload);
    },
    full: (limit) => state.full.push(limit),
    refused: (payload, error) => {
      state.refused.push({ payload, error });
      state.onRefused();
    },
  };
  return { state, queue: new SendQueue(outlet) };
}

const bytes = (payload: Payload) => Array.from(new Uint8Array(payload as ArrayBuffer));

describe('send-queue: order', () => {
  it('sends at once when nothing is ahead and the connection takes frames', () => {
    const { state, queue } = queueOn();
    expect(queue.push('a')).to.equal(true);
    expect(state.sent).to.deep.equal(['a']);
    expect(queue.size).to.equal(0);
  });

  it('holds frames while the connection does not take them and sends them in call order once it does', () => {
    const { state, queue } = queueOn({ ready: false });
    for (const payload of ['a', 'b', 'c']) expect(queue.push(payload)).to.equal(true);
    expect(state.sent).to.deep.equal([]);
    expect(queue.size).to.equal(3);
    state.ready = true;
    queue.flush();
    expect(state.sent).to.deep.equal(['a', 'b', 'c']);
    expect(queue.size).to.equal(0);
  });

  it('keeps call order when reserved places are filled out of order', () => {
    const { state, queue } = queueOn();
    const first = queue.reserve()!;
    const second = queue.reserve()!;
    queue.push('third');
    queue.fill(second, 'second');
    expect(state.sent).to.deep.equal([]);
    queue.fill(first, 'first');
    expect(state.sent).to.deep.equal(['first', 'second', 'third']);
  });

  it('stops at a place still being prepared and sends what is before it', () => {
    const { state, queue } = queueOn({ ready: false });
    queue.push('a');
    const pending = queue.reserve()!;
    queue.push('c');
    state.ready = true;
    queue.flush();
    expect(state.sent).to.deep.equal(['a']);
    expect(queue.size).to.equal(2);
    queue.fill(pending, 'b');
    expect(state.sent).to.deep.equal(['a', 'b', 'c']);
  });

  it('stops when the connection stops taking frames, and keeps the rest in order', () => {
    const { state, queue } = queueOn({ ready: false });
    for (const payload of ['a', 'b', 'c']) queue.push(payload);
    state.ready = true;
    state.onSend = () => (state.ready = false);
    queue.flush();
    expect(state.sent).to.deep.equal(['a']);
    expect(queue.size).to.equal(2);
    state.onSend = () => {};
    state.ready = true;
    queue.flush();
    expect(state.sent).to.deep.equal(['a', 'b', 'c']);
  });

  it('release gives up one place and sends what waited behind it', () => {
    const { state, queue } = queueOn();
    const failed = queue.reserve()!;
    queue.push('b');
    queue.push('c');
    expect(state.sent).to.deep.equal([]);
    queue.release(failed);
    expect(state.sent).to.deep.equal(['b', 'c']);
    expect(queue.size).to.equal(0);
  });

  it('release of a place that already left changes nothing', () => {
    const { state, queue } = queueOn({ ready: false });
    const gone = queue.reserve()!;
    queue.fill(gone, 'a');
    state.ready = true;
    queue.flush();
    state.ready = false;
    queue.push('b');
    queue.release(gone);
    expect(queue.size).to.equal(1);
    expect(state.sent).to.deep.equal(['a']);
  });
});

describe('send-queue: the limit bounds frames waiting for the connection', () => {
  it('never refuses while the connection takes frames, also behind a frame being prepared, with a limit of 0', () => {
    const { state, queue } = queueOn({ limit: 0 });
    const clip = queue.reserve();
    expect(clip).to.not.equal(null);
    expect(queue.push('a')).to.equal(true);
    expect(queue.reserve()).to.not.equal(null);
    expect(queue.size).to.equal(3);
    expect(state.full).to.deep.equal([]);
  });

  it('refuses past the limit while the connection does not take frames, counting places being prepared', () => {
    const { state, queue } = queueOn({ ready: false, limit: 2 });
    expect(queue.reserve()).to.not.equal(null);
    expect(queue.push('b')).to.equal(true);
    expect(queue.push('c')).to.equal(false);
    expect(queue.reserve()).to.equal(null);
    expect(state.full).to.deep.equal([2, 2]);
    expect(queue.size).to.equal(2);
  });

  it('refuses everything with a limit of 0 while the connection does not take frames', () => {
    const { state, queue } = queueOn({ ready: false, limit: 0 });
    expect(queue.push('a')).to.equal(false);
    expect(queue.reserve()).to.equal(null);
    expect(state.full).to.deep.equal([0, 0]);
  });

  it('keeps frames accepted while the connection took them when it stops, and counts them from then on', () => {
    const { state, queue } = queueOn({ limit: 1 });
    const clip = queue.reserve()!;
    queue.push('a');
    queue.push('b');
    state.ready = false;
    expect(queue.push('c')).to.equal(false);
    queue.fill(clip, 'clip');
    expect(queue.size).to.equal(3);
    state.ready = true;
    queue.flush();
    expect(state.sent).to.deep.equal(['clip', 'a', 'b']);
  });

  it('takes frames again once a flush frees places', () => {
    const { state, queue } = queueOn({ ready: false, limit: 1 });
    queue.push('a');
    expect(queue.push('b')).to.equal(false);
    state.ready = true;
    queue.flush();
    state.ready = false;
    expect(queue.push('c')).to.equal(true);
  });
});

describe('send-queue: what waits is a copy', () => {
  it('sends binary frames that waited with the bytes they had when pushed', () => {
    const { state, queue } = queueOn({ ready: false });
    const buffer = new Uint8Array([1, 2, 3]).buffer;
    const view = new Uint8Array([9, 4, 5, 6, 9]).subarray(1, 4);
    const dataView = new DataView(new Uint8Array([7, 8]).buffer);
    queue.push(buffer);
    queue.push(view);
    queue.push(dataView);
    new Uint8Array(buffer).fill(0);
    view.fill(0);
    dataView.setUint8(0, 0);
    state.ready = true;
    queue.flush();
    expect(state.sent.map(bytes)).to.deep.equal([[1, 2, 3], [4, 5, 6], [7, 8]]);
  });

  it('hands a frame sent at once over as the same object: the socket copies it itself', () => {
    const { state, queue } = queueOn();
    const view = new Uint8Array([1]);
    queue.push(view);
    expect(state.sent[0]).to.equal(view);
  });

  it('hands strings and Blobs that waited over as the same objects: they cannot change', () => {
    const { state, queue } = queueOn({ ready: false });
    const blob = new Blob(['x']);
    queue.push('text');
    queue.push(blob);
    state.ready = true;
    queue.flush();
    expect(state.sent[0]).to.equal('text');
    expect(state.sent[1]).to.equal(blob);
  });
});

describe('send-queue: frames the socket refuses', () => {
  it('reports a refused frame during a flush, marks its place, and sends the frames after it', () => {
    const { state, queue } = queueOn({ ready: false, refuse: (payload) => payload === 'bad' });
    queue.push('a');
    const bad = queue.reserve()!;
    queue.push('c');
    state.ready = true;
    expect(() => queue.fill(bad, 'bad')).to.not.throw();
    expect(state.sent).to.deep.equal(['a', 'c']);
    expect(state.refused.map((r) => r.payload)).to.deep.equal(['bad']);
    expect(state.refused[0].error).to.be.instanceOf(TypeError);
    expect(bad.refused).to.equal(true);
    expect(queue.size).to.equal(0);
  });

  it('returns false from push when the socket throws for a frame sent at once', () => {
    const { state, queue } = queueOn({ refuse: (payload) => payload === 'bad' });
    expect(queue.push('bad')).to.equal(false);
    expect(state.refused.map((r) => r.payload)).to.deep.equal(['bad']);
    expect(queue.push('good')).to.equal(true);
    expect(state.sent).to.deep.equal(['good']);
  });

  it('sends a frame pushed from the refusal report after the frames that were already waiting', () => {
    const { state, queue } = queueOn({ ready: false, refuse: (payload) => payload === 'bad' });
    queue.push('bad');
    queue.push('b');
    state.onRefused = () => queue.push('from the listener');
    state.ready = true;
    queue.flush();
    expect(state.sent).to.deep.equal(['b', 'from the listener']);
  });
});
