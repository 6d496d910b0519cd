// An element whose own window has gone: the iframe that defined it was removed, and a page
// script in the parent still holds it. No timer, socket or event of that window runs any more,
// and engines take globals from its code (Chromium: Blob, TextEncoder, DOMException; Firefox
// refuses its timers). Every call must still return as documented, and none may throw.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { useContexts } from '../helpers/contexts.js';
import { WAIT_MS, control, nextEvent, room, serverUntil, wsUrl } from '../helpers/server.js';

const { context } = useContexts();

/** Resolves after the current task: a promise that has settled has run its reactions by then. */
const nextTask = () => new Promise<void>((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => resolve();
  channel.port2.postMessage(null);
});

/** What `promise` has settled to by the next task, or 'pending'. */
async function settled(promise: Promise<unknown>): Promise<unknown> {
  let outcome: unknown = 'pending';
  promise.then((value) => (outcome = { value }), (error: unknown) => (outcome = { error }));
  await nextTask();
  return outcome;
}

/** An element of a fresh iframe, open on a room of its own, and the means to remove that iframe. */
async function openInFrame(prefix: string) {
  const doc = await context();
  const name = room(prefix);
  const element = doc.createElement('bricks-websocket') as BricksWebSocketElement;
  element.setAttribute('ws-url', wsUrl(name));
  const opened = nextEvent(element, 'open');
  doc.body.append(element);
  await opened;
  const view = doc.defaultView as Window & typeof globalThis;
  /** Removes the iframe; once its socket is gone, says whether that window's promises still settle (not in Firefox). */
  const removeFrame = async () => {
    const DeadPromise = view.Promise;
    (view.frameElement as HTMLIFrameElement).remove();
    await serverUntil(name, (stats) => stats.open === 0);
    // The browser may finish its side of the close after the server has (Firefox under load left
    // the socket CLOSING for a moment): a socket whose window has gone fires no event, so poll.
    const deadline = performance.now() + WAIT_MS;
    while (element.readyState !== 3) {
      if (performance.now() > deadline) throw new Error(`The socket of the removed iframe is still in readyState ${element.readyState} after ${WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return (await settled(DeadPromise.resolve(true))) !== 'pending';
  };
  return { view, name, element, removeFrame };
}

describe('an element whose window has gone (its iframe removed)', function () {
  this.timeout(20_000);

  it('does nothing when called, says so in what it returns, and never throws', async () => {
    const { name, element, removeFrame } = await openInFrame('gone');
    const settles = await removeFrame();

    expect(element.send('text', 'a')).to.equal(false);
    expect(element.sendText('b')).to.equal(false);
    expect(element.sendRaw('c')).to.equal(false);
    expect(element.sendRaw(new Uint8Array(3))).to.equal(false);
    const audio = element.sendBase64Audio('AAAA');
    const video = element.sendBase64Video(new Uint8Array(3));
    const request = element.request('ask', 1);
    expect(() => element.close()).not.to.throw();
    expect(() => element.close(4000, 'bye')).not.to.throw();
    expect(() => element.connect()).not.to.throw();
    expect(() => (element.wsUrl = wsUrl(name))).not.to.throw();
    expect(() => (element.share = 'page')).not.to.throw();
    // A wrong argument is still a TypeError (that window's), thrown at the call.
    expect(() => element.sendRaw(1 as unknown as string)).to.throw().with.property('name', 'TypeError');

    // Firefox runs no promise job of a window that has gone, even for a listener elsewhere:
    // the element's promises settle where the engine settles any promise of that window.
    if (!settles) {
      expect([await settled(audio), await settled(video), await settled(request)]).to.deep.equal(['pending', 'pending', 'pending']);
    } else {
      expect(await settled(audio)).to.deep.equal({ value: false });
      expect(await settled(video)).to.deep.equal({ value: false });
      const { error } = (await settled(request)) as { error: DOMException };
      expect([error.name, error.message]).to.deep.equal(['AbortError', "The element's window has gone, so nothing was sent."]);
    }
    await nextTask();
    const stats = await control(name).stats();
    expect([stats.attempts.length, stats.open, stats.received.length]).to.deep.equal([1, 0, 0]);
  });

  it('rejects the requests still awaiting a reply when the window goes, which no timeout would end', async () => {
    const { name, element, removeFrame } = await openInFrame('gone-asked');
    // The echo server never replies: each waits for its timeout, a timer of the window that goes.
    const asked = element.request('ask', 1);
    await serverUntil(name, (stats) => stats.received.length === 1);
    const queued = element.request('ask', 2, { timeout: 0 });
    const settles = await removeFrame();
    const outcomes = [await settled(asked), await settled(queued)];
    // Firefox settles no promise of a window that has gone (see above); the others reject both.
    if (!settles) {
      expect(outcomes).to.deep.equal(['pending', 'pending']);
    } else {
      expect(outcomes.map((outcome) => (outcome as { error: DOMException }).error.name)).to.deep.equal(['AbortError', 'AbortError']);
      expect((outcomes[0] as { error: DOMException }).error.message).to.equal('The element was closed before the reply arrived.');
    }
    expect(element.pending).to.equal(0);
  });

  it('opens no socket and sends nothing when put back into the live parent page, its settings and attributes changed', async () => {
    const { name, element, removeFrame } = await openInFrame('gone-back');
    await removeFrame();

    const reads = () => [element.state, element.readyState, element.protocol, element.bufferedAmount, element.queued, element.pending, element.backpressure];
    expect(reads()).to.deep.equal(['open', 3, '', 0, 0, 0, false]);
    expect(() => {
      element.queueLimit = 5;
      element.heartbeat = 50;
      element.bufferLimit = 10;
      element.session = 'token';
      element.withSession = true;
      element.protocols = 'p';
      element.binaryType = 'blob';
      for (const [attribute, value] of [['heartbeat', '40'], ['buffer-limit', '8'], ['queue-limit', '3'], ['share', 'page'], ['share', ''], ['ws-url', wsUrl(name) + '&again']]) {
        element.setAttribute(attribute, value);
      }
      element.addEventListener('message', () => {});
      element.remove();
      document.body.append(element);
      element.connect();
    }).not.to.throw();
    expect(element.send('after', 1)).to.equal(false);
    expect(reads()).to.deep.equal(['open', 3, '', 0, 0, 0, false]);
    // An element of this page, opened after, shows the server has had time to see any attempt.
    const witness = document.createElement('bricks-websocket') as BricksWebSocketElement;
    witness.wsUrl = wsUrl(name);
    const witnessOpened = nextEvent(witness, 'open');
    document.body.append(witness);
    await witnessOpened;
    element.remove();
    witness.remove();
    const stats = await control(name).stats();
    expect([stats.attempts.length, stats.received.length]).to.deep.equal([2, 0]);
  });

  it('sends from its pagehide listener, and a connect() from its close listener opens nothing that outlives the window', async () => {
    const { view, name, element, removeFrame } = await openInFrame('gone-leaving');
    const returned: unknown[] = [];
    view.addEventListener('pagehide', () => returned.push(element.send('bye', 1)));
    element.addEventListener('close', () => returned.push(element.connect()));
    view.addEventListener('unload', () => returned.push(element.close()));
    await removeFrame();
    const stats = await serverUntil(name, (s) => s.received.length === 1);
    expect(stats.received).to.deep.equal([JSON.stringify({ type: 'bye', data: 1 })]);
    expect(returned[0]).to.equal(true);
    expect(() => element.connect()).not.to.throw();
    // Whatever the listeners started went with the window: no socket is left on the server.
    const later = await control(name).stats();
    expect(later.open).to.equal(0);
  });
});
