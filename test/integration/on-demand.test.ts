// Parts loaded on demand (issue 17): sharing and the declarative layer are chunks beside
// dist/cdn/bricks-websocket.js that the element imports when an element first uses them. Each test
// loads the built CDN bundle in a fresh same-origin iframe, so the chunk is fetched anew, as on a
// first page view; heldPage() holds a chunk back until the test lets it load.

import { expect } from '@open-wc/testing';
import type { BricksWebSocketErrorDetail } from '../../src/events.js';
import { nextEvent, room, serverUntil, wsUrl } from '../helpers/server.js';

const CDN = '/dist/cdn/bricks-websocket.js';
const frames: HTMLIFrameElement[] = [];
afterEach(() => {
  for (const frame of frames.splice(0)) frame.remove();
});

/** The URL of the chunk `part` of the ES module CDN bundle, read from the bundle as a browser would find it. */
async function chunkUrl(part: string): Promise<string> {
  const bundle = await (await fetch(CDN)).text();
  const name = new RegExp(`bricks-websocket-${part}-[\\w-]+\\.js`).exec(bundle)?.[0];
  expect(name, `${CDN} imports a ${part} chunk`).to.be.a('string');
  return new URL(`/dist/cdn/${name}`, location.href).href;
}

/** A page with the CDN bundle; `imports` is its import map (e.g. a chunk sent where nothing is served). */
async function cdnPage(imports: Record<string, string> = {}): Promise<Document> {
  const frame = document.createElement('iframe');
  frame.srcdoc = `<!doctype html><script type="importmap">${JSON.stringify({ imports })}</script><script type="module" src="${CDN}"></script>`;
  frames.push(frame);
  const loaded = nextEvent(frame, 'load', 5000);
  document.body.append(frame);
  await loaded;
  await frame.contentWindow!.customElements.whenDefined('bricks-websocket');
  return frame.contentDocument!;
}

type Element_ = HTMLElement & { state: string; connect(): void; close(): void; send(type: string, data?: unknown): boolean; sendText(text: string): boolean };

/**
 * A CDN page whose chunk `part` finishes loading only when `release()` is called: the import map
 * sends the chunk's URL to a module that waits for the test, then re-exports the real chunk
 * (under another URL, which the map leaves alone; its own imports still reach this page's bundle).
 */
async function heldPage(part: string) {
  const url = await chunkUrl(part);
  const gate = `data:text/javascript,${encodeURIComponent(`await window.__gate; export * from ${JSON.stringify(`${url}?held`)};`)}`;
  let release!: () => void;
  const gate_ = new Promise<void>((resolve) => (release = resolve));
  const doc = await cdnPage({ [url]: gate });
  (doc.defaultView as Window & { __gate?: Promise<void> }).__gate = gate_;
  return { doc, release };
}

/** An element of `doc` on `name`'s echo room, with `html` inside; not inserted. */
function element(doc: Document, name: string, html = '', share = ''): Element_ {
  const el = doc.createElement('bricks-websocket') as Element_;
  el.setAttribute('ws-url', wsUrl(name));
  if (share) el.setAttribute('share', share);
  el.innerHTML = html;
  return el;
}

/** Inserts `el` and waits for its `open`. */
async function opened(doc: Document, el: Element_): Promise<void> {
  const open = nextEvent(el, 'open');
  doc.body.append(el);
  await open;
}

const text = (data: string, type = 'text') => JSON.stringify({ type, data });

describe('parts loaded on demand', () => {
  it('share="tabs" and share="page" work from the CDN bundle, their chunk fetched when the first element joins', async () => {
    const doc = await cdnPage();
    const name = room('od');
    const win = doc.defaultView!;
    expect(win.performance.getEntriesByType('resource').some((entry) => entry.name.includes('shared-connection')), 'not fetched before an element shares').to.equal(false);
    const elements = ['tabs', 'page', 'page'].map((share) => {
      const element = doc.createElement('bricks-websocket');
      element.setAttribute('share', share);
      element.setAttribute('ws-url', wsUrl(name));
      return element;
    });
    const opened = elements.map((element) => nextEvent(element, 'open', 5000));
    doc.body.append(...elements);
    await Promise.all(opened);
    expect(win.performance.getEntriesByType('resource').some((entry) => entry.name.includes('shared-connection'))).to.equal(true);
    const stats = await serverUntil(name, (s) => s.open === 1);
    expect(stats.connections, 'one socket for all three').to.equal(1);
  });

  it('a chunk that cannot be loaded is an error of kind "connection" that says what to serve, and connect() tries again', async () => {
    const missing = new URL('/no-such-chunk.js', location.href).href;
    const doc = await cdnPage({ [await chunkUrl('shared-connection')]: missing });
    const element = doc.createElement('bricks-websocket');
    element.setAttribute('share', 'tabs');
    element.setAttribute('ws-url', wsUrl(room('od')));
    const failed = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(element, 'error', 5000);
    doc.body.append(element);
    const { detail } = await failed;
    expect(detail.kind).to.equal('connection');
    expect(detail.message).to.match(/^share="tabs" could not load its part of the element .*serve every file of the build beside bricks-websocket\.js\.$/);
    expect((element as HTMLElement & { state: string }).state).to.equal('closed');

    const again = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(element, 'error', 5000);
    (element as HTMLElement & { connect(): void }).connect();
    expect((await again).detail.kind, 'tried again, failed again').to.equal('connection');
  });
});

describe('the declarative layer while its chunk loads', () => {
  it('a submission the page removes its form after is still sent, before a frame sent from script after it', async () => {
    const { doc, release } = await heldPage('declarative');
    const name = room('od');
    const el = element(doc, name, '<form data-send="text"><input name="text" value="first"></form>');
    await opened(doc, el);
    // A page that replaces a one-shot form once it is submitted; the layer sees the submission first.
    doc.addEventListener('submit', (event) => (event.target as Element).remove());
    el.querySelector('form')!.requestSubmit();
    el.sendText('second');
    release();
    const { received } = await serverUntil(name, (stats) => stats.received.length >= 2);
    expect(received).to.deep.equal([text('first'), text('second')]);
  });

  it('a click on a data-send button the page removes is still sent, in order with script sends', async () => {
    const { doc, release } = await heldPage('declarative');
    const name = room('od');
    const el = element(doc, name, '<button type="button" data-send="hello" value="x">hi</button>');
    await opened(doc, el);
    doc.addEventListener('click', (event) => (event.target as Element).remove());
    el.sendText('before');
    el.querySelector('button')!.click();
    el.sendText('after');
    release();
    const { received } = await serverUntil(name, (stats) => stats.received.length >= 3);
    expect(received).to.deep.equal([text('before'), text('x', 'hello'), text('after')]);
  });

  it('a submission kept when the element is removed is sent when it is back, as a queued frame is', async () => {
    const { doc, release } = await heldPage('declarative');
    const name = room('od');
    const el = element(doc, name, '<p data-receive="text"></p><form data-send="text"><input name="text" value="kept"></form>');
    await opened(doc, el);
    el.querySelector('form')!.requestSubmit();
    const closed = nextEvent(el, 'close');
    el.remove();
    await closed;
    release();
    await opened(doc, el);
    el.sendText('after');
    const { received } = await serverUntil(name, (stats) => stats.received.length >= 2);
    expect(received).to.deep.equal([text('kept'), text('after')]);
  });
});

describe('sharing while its chunk loads', () => {
  it('elements that join meanwhile get one socket, and open in the order they were inserted', async () => {
    const { doc, release } = await heldPage('shared-connection');
    const name = room('od');
    const order: number[] = [];
    const elements = [0, 1, 2, 3, 4].map((i) => {
      const el = element(doc, name, '', i % 2 ? 'page' : 'tabs');
      el.addEventListener('open', () => order.push(i));
      return el;
    });
    const opens = elements.map((el) => nextEvent(el, 'open'));
    doc.body.append(...elements);
    elements[3]!.send('early', 3);
    release();
    await Promise.all(opens);
    expect(order).to.deep.equal([0, 1, 2, 3, 4]);
    const stats = await serverUntil(name, (s) => s.received.length >= 1);
    expect([stats.connections, stats.received]).to.deep.equal([1, [JSON.stringify({ type: 'early', data: 3 })]]);
  });

  it('close() meanwhile stays closed once it has loaded, keeps what was sent, and connect() opens', async () => {
    const { doc, release } = await heldPage('shared-connection');
    const name = room('od');
    const el = element(doc, name, '', 'page');
    doc.body.append(el);
    el.close();
    el.send('queued', 1);
    release();
    // Loaded: a later element joins at once, and opens the one socket of the room.
    await opened(doc, element(doc, room('od'), '', 'page'));
    expect(el.state).to.equal('closed');
    expect((await serverUntil(name, () => true)).connections).to.equal(0);
    const open = nextEvent(el, 'open');
    el.connect();
    await open;
    const stats = await serverUntil(name, (s) => s.received.length >= 1);
    expect([stats.connections, stats.received]).to.deep.equal([1, [JSON.stringify({ type: 'queued', data: 1 })]]);
  });
});

describe('the classic build', () => {
  it('has sharing and the data-* attributes inlined, and fetches nothing more', async () => {
    const frame = document.createElement('iframe');
    frame.srcdoc = '<!doctype html><script src="/dist/cdn/bricks-websocket.iife.js"></script>';
    frames.push(frame);
    const loaded = nextEvent(frame, 'load', 5000);
    document.body.append(frame);
    await loaded;
    const doc = frame.contentDocument!;
    const el = element(doc, room('od'), '<p data-receive="text"></p><form data-send="text"><input name="text" value="classic"></form>', 'tabs');
    doc.body.append(el);
    el.querySelector('form')!.requestSubmit();
    const echoed = await nextEvent<CustomEvent<string>>(el, 'text');
    expect([echoed.detail, el.querySelector('p')!.textContent]).to.deep.equal(['classic', 'classic']);
    const fetched = doc.defaultView!.performance.getEntriesByType('resource').map((entry) => new URL(entry.name).pathname);
    expect(fetched).to.deep.equal(['/dist/cdn/bricks-websocket.iife.js']);
  });
});
