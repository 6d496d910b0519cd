// The declarative layer loaded on first use (issue 17), with the real element, the real server
// and a real fetch of its code: a fresh iframe has its own module map, so the layer's module is
// fetched anew there, and a submission right after insertion comes before it can have loaded.

import { expect } from '@open-wc/testing';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { useContexts } from '../helpers/contexts.js';
import { domUntil } from '../helpers/dom.js';
import { nextEvent, room, serverUntil, wsUrl } from '../helpers/server.js';

// The element lives and ends with its frame, which useContexts() removes after each test.
const { context } = useContexts();

/** The layer's module among what the document has fetched. */
const fetchedLayer = (doc: Document) =>
  doc.defaultView!.performance.getEntriesByType('resource').some((entry) => /\/declarative\.[jt]s(\?|$)/.test(entry.name));

describe('declarative layer on demand, in a page that has not loaded it yet', () => {
  it('sends a submission made right after insertion, without navigating, and shows the frames that follow', async () => {
    const doc = await context();
    const frameElement = doc.defaultView!.frameElement as HTMLIFrameElement;
    const page = doc.location.href;
    expect(fetchedLayer(doc), 'not fetched before an element uses it').to.equal(false);

    const name = room('lazy');
    const element = doc.createElement('bricks-websocket') as BricksWebSocketElement;
    element.setAttribute('ws-url', wsUrl(name));
    element.innerHTML = '<p data-receive="text"></p><span data-state></span><form data-send="text"><input name="text"></form>';
    let prevented: boolean | undefined;
    doc.addEventListener('submit', (event) => (prevented = event.defaultPrevented));
    let navigated = false;
    frameElement.addEventListener('load', () => (navigated = true));
    const opened = nextEvent(element, 'open');
    doc.body.append(element);
    doc.querySelector('input')!.value = 'before the layer loaded';
    doc.querySelector('form')!.requestSubmit();
    expect(prevented, 'the submission was cancelled at once').to.equal(true);
    await opened;

    // The echo server sends the frame back as a `text` frame, which the receiver shows.
    const { received } = await serverUntil(name, (stats) => stats.received.length >= 1, 'the submitted frame');
    expect(received).to.deep.equal([JSON.stringify({ type: 'text', data: 'before the layer loaded' })]);
    const p = element.querySelector('p')!;
    await domUntil(p, () => p.textContent === 'before the layer loaded', 'the echoed frame in the receiver');
    expect(element.querySelector('span')!.textContent).to.equal('open');
    expect(doc.querySelector('input')!.value, 'reset once sent').to.equal('');
    expect(fetchedLayer(doc), 'fetched in this document').to.equal(true);

    element.sendText('and after');
    await domUntil(p, () => p.textContent === 'and after', 'a later frame in the receiver');
    expect([navigated, doc.location.href, frameElement.contentDocument === doc], 'the frame never navigated').to.deep.equal([false, page, true]);
  });
});
