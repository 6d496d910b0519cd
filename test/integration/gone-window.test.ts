// An element whose own window has gone: the iframe that defined it was removed, and a page
// script in the parent still holds it. No timer, socket or event of that window runs any more,
// and engines take globals from its code (Chromium: Blob, TextEncoder, DOMException; Firefox
// refuses its timers). Every call must still return as documented, and none may throw.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { useContexts } from '../helpers/contexts.js';
import { control, nextEvent, room, serverUntil, wsUrl } from '../helpers/server.js';

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

describe('an element whose window has gone (its iframe removed)', function () {
  this.timeout(20_000);

  it('does nothing when called, says so in what it returns, and never throws', async () => {
    const doc = await context();
    const name = room('gone');
    const element = doc.createElement('bricks-websocket') as BricksWebSocketElement;
    element.setAttribute('ws-url', wsUrl(name));
    const opened = nextEvent(element, 'open', 5000);
    doc.body.append(element);
    await opened;
    const DeadPromise = (doc.defaultView as Window & typeof globalThis).Promise;
    (doc.defaultView!.frameElement as HTMLIFrameElement).remove();
    await serverUntil(name, (stats) => stats.open === 0);

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
    if ((await settled(DeadPromise.resolve(true))) === 'pending') {
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
});
