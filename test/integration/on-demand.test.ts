// Parts loaded on demand (issue 17): sharing and the declarative layer are chunks beside
// dist/cdn/bricks-websocket.js that the element imports when an element first uses them. Each test
// loads the built CDN bundle in a fresh same-origin iframe, so the chunk is fetched anew, as on a
// first page view; heldPage() holds a chunk back until the test lets it load.

import { expect } from '@open-wc/testing';
import type { BricksWebSocketErrorDetail } from '../../src/element/events.js';
import { control, nextEvent, nextEvents, port, room, serverUntil, wsUrl } from '../helpers/server.js';

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

/**
 * A page with the CDN bundle; `imports` is its import map (e.g. a chunk sent where nothing is
 * served), `head` runs before the bundle, and `body` is markup the bundle's definition upgrades.
 */
async function cdnPage(imports: Record<string, string> = {}, body = '', head = ''): Promise<Document> {
  const frame = document.createElement('iframe');
  frame.srcdoc = `<!doctype html><script type="importmap">${JSON.stringify({ imports })}</script>${head}<script type="module" src="${CDN}"></script>${body}`;
  frames.push(frame);
  const loaded = nextEvent(frame, 'load');
  document.body.append(frame);
  await loaded;
  await frame.contentWindow!.customElements.whenDefined('bricks-websocket');
  return frame.contentDocument!;
}

type Element_ = HTMLElement & { state: string; queued: number; connect(): void; close(): void; send(type: string, data?: unknown): boolean; sendText(text: string): boolean };

/**
 * A CDN page whose chunk `part` finishes loading only when `release()` is called: the import map
 * sends the chunk's URL to a module that waits for the test, then re-exports the real chunk
 * (under another URL, which the map leaves alone; its own imports still reach this page's bundle).
 * The gate is set before the bundle runs, so elements of `body`, upgraded by the definition, wait too.
 */
async function heldPage(part: string, body = '') {
  const url = await chunkUrl(part);
  const gate = `data:text/javascript,${encodeURIComponent(`await window.__gate; export * from ${JSON.stringify(`${url}?held`)};`)}`;
  const head = '<script>window.__gate = new Promise((resolve) => (window.__release = resolve));</script>';
  const doc = await cdnPage({ [url]: gate }, body, head);
  const release = () => (doc.defaultView as unknown as { __release: () => void }).__release();
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

/** A synthetic page transition of `doc`'s window, as page-lifecycle.test.ts makes them. */
const transition = (doc: Document, type: 'pagehide' | 'pageshow', persisted = true) =>
  doc.defaultView!.dispatchEvent(new PageTransitionEvent(type, { persisted }));

const serverOrigin = `ws://127.0.0.1:${port}`;

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
    const opened = elements.map((element) => nextEvent(element, 'open'));
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
    const failed = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(element, 'error');
    doc.body.append(element);
    const { detail } = await failed;
    expect(detail.kind).to.equal('connection');
    expect(detail.message).to.match(/^share="tabs" could not load its part of the element .*serve every file of the build beside bricks-websocket\.js\.$/);
    expect((element as HTMLElement & { state: string }).state).to.equal('closed');

    const again = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(element, 'error');
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

  it('a data-request submitted meanwhile leaves before a frame sent from script after it, as with the layer loaded', async () => {
    const { doc, release } = await heldPage('declarative');
    const name = room('od');
    const el = element(doc, name, '<form data-request="ask"><input name="q" value="first"></form>');
    await opened(doc, el);
    el.querySelector('form')!.requestSubmit();
    el.sendText('second');
    release();
    const { received } = await serverUntil(name, (stats) => stats.received.length >= 2);
    const [request, after] = received.map((frame) => JSON.parse(frame as string) as { type: string; data: unknown; id?: string });
    expect([request!.type, request!.data, typeof request!.id, after]).to.deep.equal(['ask', 'first', 'string', { type: 'text', data: 'second' }]);
  });

  it('a kept data-request of a type request() refuses lets its place go: an error, and the frames behind it leave', async () => {
    const { doc, release } = await heldPage('declarative');
    const name = room('od');
    const el = element(doc, name, '<button type="button" data-request="reply">ask</button>');
    await opened(doc, el);
    el.querySelector('button')!.click();
    el.sendText('behind');
    const failed = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(el, 'error');
    release();
    const { detail } = await failed;
    expect([detail.kind, detail.message]).to.deep.equal(['send', 'data-request="reply" could not be sent: request(type, data, options): "reply" is the type of answers, so the server would never answer it; pick another type.']);
    const { received } = await serverUntil(name, (stats) => stats.received.length >= 1);
    expect([received, el.queued]).to.deep.equal([[text('behind')], 0]);
  });

  it('a submission kept across pagehide and pageshow (persisted) is sent once, in order, on the new socket', async () => {
    const { doc, release } = await heldPage('declarative');
    const name = room('od');
    const el = element(doc, name, '<form data-send="text"><input name="text" value="kept"></form>');
    await opened(doc, el);
    el.querySelector('form')!.requestSubmit();
    const closed = nextEvent<CustomEvent>(el, 'close');
    transition(doc, 'pagehide');
    expect((await closed).detail.reason).to.equal('pagehide');
    el.sendText('cached');
    const open = nextEvent(el, 'open');
    transition(doc, 'pageshow');
    await open;
    release();
    el.sendText('back');
    const stats = await serverUntil(name, (s) => s.received.length >= 3);
    expect([stats.connections, stats.received]).to.deep.equal([2, [text('kept'), text('cached'), text('back')]]);
  });

  it('a server request meanwhile is answered once from script, shown by data-receive, and not by data-reply', async () => {
    const { doc, release } = await heldPage('declarative');
    const name = room('od');
    const el = element(doc, name, '<p data-receive="ask">none</p><p data-reply="ask">none</p>');
    await opened(doc, el);
    const asked = nextEvent<CustomEvent & { id?: string; reply(data?: unknown): boolean }>(el, 'ask');
    await control(name).send(JSON.stringify({ type: 'ask', data: 'who?', id: 'srv-1' }));
    const event = await asked;
    expect([event.id, event.reply('me')]).to.deep.equal(['srv-1', true]);
    release();
    el.sendText('done');
    const shown = doc.createElement('p');
    shown.setAttribute('data-receive', 'text');
    el.append(shown);
    // The echo may come before the chunk does: the layer has started once it shows that frame.
    const { received } = await serverUntil(name, (s) => s.received.length >= 2 && shown.textContent === 'done', 'the layer to show "done"');
    expect([...el.querySelectorAll('p')].map((p) => p.textContent)).to.deep.equal(['who?', 'none', 'done']);
    expect(received).to.deep.equal([JSON.stringify({ type: 'reply', id: 'srv-1', data: 'me' }), text('done')]);
  });

  it('nested elements meanwhile: each keeps its own submissions and frames', async () => {
    const { doc, release } = await heldPage('declarative');
    const [outerRoom, innerRoom] = [room('od'), room('od')];
    const outer = element(doc, outerRoom, '<p data-receive="text"></p>');
    const inner = element(doc, innerRoom, '<p data-receive="text"></p><form data-send="text"><input name="text" value="inner"></form><button type="button" data-send="hit" value="1">hit</button>');
    outer.append(inner);
    const opens = [nextEvent(outer, 'open'), nextEvent(inner, 'open')];
    doc.body.append(outer);
    await Promise.all(opens);
    inner.querySelector('form')!.requestSubmit();
    inner.querySelector('button')!.click();
    outer.sendText('outer');
    const echoes = [nextEvent(outer, 'text'), nextEvent(inner, 'text')];
    release();
    await Promise.all(echoes);
    const [outerStats, innerStats] = await Promise.all([serverUntil(outerRoom, (s) => s.received.length >= 1), serverUntil(innerRoom, (s) => s.received.length >= 2)]);
    expect([outerStats.received, innerStats.received]).to.deep.equal([[text('outer')], [text('inner'), text('1', 'hit')]]);
    // Shown once the layer has started: each receiver its own element's frames.
    await serverUntil(innerRoom, () => inner.querySelector('p')!.textContent === 'inner' && outer.querySelector(':scope > p')!.textContent === 'outer');
  });

  it('elements the definition upgrades, with data-* descendants and share, keep what comes meanwhile', async () => {
    const name = room('od');
    const markup = `<bricks-websocket share="page" ws-url="${wsUrl(name)}"><p data-receive="text"></p><form data-send="text"><input name="text" value="a"></form></bricks-websocket>`;
    const { doc, release } = await heldPage('declarative', markup + markup);
    const [first, second] = [...doc.querySelectorAll('bricks-websocket')] as Element_[];
    // Upgraded before the test could listen: the server counts the socket before the page's open event.
    const joined = await serverUntil(name, (s) => s.open === 1 && first!.state === 'open' && second!.state === 'open', 'both elements open');
    expect(joined.connections).to.equal(1);
    first!.querySelector('form')!.requestSubmit();
    const echoes = [nextEvent(first!, 'text'), nextEvent(second!, 'text')];
    release();
    await Promise.all(echoes);
    await serverUntil(name, () => [first!, second!].every((el) => el.querySelector('p')!.textContent === 'a'));
    const stats = await control(name).stats();
    expect([stats.connections, stats.received]).to.deep.equal([1, [text('a')]]);
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

  it('pagehide (persisted) meanwhile: no socket while the page is cached, one when it is back', async () => {
    const { doc, release } = await heldPage('shared-connection');
    const name = room('od');
    const el = element(doc, name, '', 'page');
    doc.body.append(el);
    transition(doc, 'pagehide');
    el.send('queued', 1);
    release();
    // Loaded: a later element joins at once; the cached one would have joined before it.
    await opened(doc, element(doc, room('od'), '', 'page'));
    expect(el.state).to.equal('closed');
    expect((await control(name).stats()).attempts).to.have.length(0);
    const open = nextEvent(el, 'open');
    transition(doc, 'pageshow');
    await open;
    const stats = await serverUntil(name, (s) => s.received.length >= 1);
    expect([stats.connections, stats.received]).to.deep.equal([1, [JSON.stringify({ type: 'queued', data: 1 })]]);
  });

  it('pagehide and pageshow (persisted) both meanwhile: one socket once it has loaded', async () => {
    const { doc, release } = await heldPage('shared-connection');
    const name = room('od');
    const el = element(doc, name, '', 'tabs');
    const open = nextEvent(el, 'open');
    doc.body.append(el);
    transition(doc, 'pagehide');
    transition(doc, 'pageshow');
    release();
    await open;
    await opened(doc, element(doc, room('od'), '', 'page'));
    expect((await control(name).stats()).connections).to.equal(1);
  });

  it('a new ws-url meanwhile: one socket, for the new URL', async () => {
    const { doc, release } = await heldPage('shared-connection');
    const [before, after] = [room('od'), room('od')];
    const el = element(doc, before, '', 'page');
    doc.body.append(el);
    el.setAttribute('ws-url', wsUrl(after));
    const open = nextEvent<CustomEvent<{ url: string }>>(el, 'open');
    release();
    expect((await open).detail.url).to.equal(wsUrl(after));
    await opened(doc, element(doc, room('od'), '', 'page'));
    const [old, current] = await Promise.all([control(before).stats(), control(after).stats()]);
    expect([old.attempts.length, current.connections]).to.deep.equal([0, 1]);
  });

  for (const [from, to] of [['page', 'tabs'], ['tabs', 'page'], ['page', '']] as const) {
    it(`share="${from}" changed to "${to}" meanwhile: one socket, one open`, async () => {
      const { doc, release } = await heldPage('shared-connection');
      const name = room('od');
      const el = element(doc, name, '', from);
      let opens = 0;
      el.addEventListener('open', () => opens++);
      doc.body.append(el);
      const open = nextEvent(el, 'open');
      if (to) el.setAttribute('share', to);
      else el.removeAttribute('share');
      release();
      await open;
      await opened(doc, element(doc, room('od'), '', 'page'));
      expect([opens, (await control(name).stats()).connections]).to.deep.equal([1, 1]);
    });
  }

  it('a session or with-session changed meanwhile: one socket, with the session read when the element asked to connect', async () => {
    const { doc, release } = await heldPage('shared-connection');
    const name = room('od');
    const el = element(doc, name, '', 'page') as Element_ & { session: string | null; withSession: boolean };
    el.setAttribute('session-origins', serverOrigin);
    el.withSession = true;
    el.session = 'token-a';
    doc.body.append(el);
    el.session = 'token-b';
    el.withSession = false;
    const open = nextEvent(el, 'open');
    release();
    await open;
    await opened(doc, element(doc, room('od'), '', 'page'));
    const { attempts } = await control(name).stats();
    expect(attempts.map((a) => a.protocols)).to.deep.equal([['token-a']]);
  });

  it('elements the definition upgrades with share meanwhile: one socket, each opens', async () => {
    const name = room('od');
    // `tabs` first: a `page` element joins a `tabs` connection, not the other way round (README, Sharing).
    const markup = `<bricks-websocket share="tabs" ws-url="${wsUrl(name)}"></bricks-websocket><bricks-websocket share="page" ws-url="${wsUrl(name)}"></bricks-websocket>`;
    const { doc, release } = await heldPage('shared-connection', markup);
    const elements = [...doc.querySelectorAll('bricks-websocket')] as Element_[];
    expect(elements.map((el) => el.state)).to.deep.equal(['connecting', 'connecting']);
    const opens = elements.map((el) => nextEvent(el, 'open'));
    release();
    await Promise.all(opens);
    expect((await serverUntil(name, (s) => s.open === 1)).connections).to.equal(1);
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

/** An element that sends clips and requests. */
type Sender = Element_ & {
  queueLimit: number;
  pending: number;
  sendBase64Audio(input: unknown): Promise<boolean>;
  sendBase64Video(input: unknown): Promise<boolean>;
  request(type: string, data?: unknown): Promise<unknown>;
};

/** An element of `doc` on an echo room of its own, inserted and open. */
async function openSender(doc: Document): Promise<{ name: string; el: Sender }> {
  const name = room('od');
  const el = element(doc, name) as Sender;
  await opened(doc, el);
  return { name, el };
}

describe('the base64 encoder', () => {
  const fetchedEncoder = (doc: Document) => doc.defaultView!.performance.getEntriesByType('resource').some((entry) => /bricks-websocket-base64-/.test(entry.name));

  it('is fetched at the first binary input, not for a base64 string', async () => {
    const doc = await cdnPage();
    const { name, el } = await openSender(doc);
    expect(await el.sendBase64Audio('QUJD')).to.equal(true);
    expect(fetchedEncoder(doc), 'not fetched for a string').to.equal(false);
    expect(await el.sendBase64Video(new Uint8Array([1, 2, 3]))).to.equal(true);
    expect(fetchedEncoder(doc), 'fetched for bytes').to.equal(true);
    const { received } = await serverUntil(name, (stats) => stats.received.length >= 2);
    expect(received).to.deep.equal([text('QUJD', 'base64audio'), text('AQID', 'base64video')]);
  });

  it('while it loads, the frame keeps its place before later sends, with the bytes as they were at the call', async () => {
    const { doc, release } = await heldPage('base64');
    const { name, el } = await openSender(doc);
    const bytes = new Uint8Array([1, 2, 3]);
    const sent = el.sendBase64Audio(bytes);
    const blob = el.sendBase64Video(new Blob([new Uint8Array([4, 5, 6])]));
    bytes.fill(0);
    el.sendText('after');
    expect(el.queued, 'all three wait').to.equal(3);
    release();
    expect(await Promise.all([sent, blob])).to.deep.equal([true, true]);
    const { received } = await serverUntil(name, (stats) => stats.received.length >= 3);
    expect(received).to.deep.equal([text('AQID', 'base64audio'), text('BAUG', 'base64video'), text('after')]);
  });

  it('that cannot be loaded is an error of kind "send" that says what to serve, and the frames after it leave', async () => {
    const doc = await cdnPage({ [await chunkUrl('base64')]: new URL('/no-such-chunk.js', location.href).href });
    const { name, el } = await openSender(doc);
    const failed = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(el, 'error');
    const sent = el.sendBase64Video(new Uint8Array([1]));
    el.sendText('after');
    expect(await sent).to.equal(false);
    const { detail } = await failed;
    expect(detail.kind).to.equal('send');
    expect(detail.message).to.equal('sendBase64Video(video): the base64 encoder did not load, so nothing was sent: serve every file of the build beside bricks-websocket.js, or check the network.');
    const { received } = await serverUntil(name, (stats) => stats.received.length >= 1);
    expect(received).to.deep.equal([text('after')]);

    const again = nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(el, 'error');
    expect(await el.sendBase64Audio(new Uint8Array([2])), 'asked for again, failed again').to.equal(false);
    expect((await again).detail.kind).to.equal('send');
    expect(el.queued).to.equal(0);
  });
});

describe('the classic build', () => {
  it('has sharing, the data-* attributes and the base64 encoder inlined, and fetches nothing more', async () => {
    const frame = document.createElement('iframe');
    frame.srcdoc = '<!doctype html><script src="/dist/cdn/bricks-websocket.iife.js"></script>';
    frames.push(frame);
    const loaded = nextEvent(frame, 'load');
    document.body.append(frame);
    await loaded;
    const doc = frame.contentDocument!;
    const el = element(doc, room('od'), '<p data-receive="text"></p><form data-send="text"><input name="text" value="classic"></form>', 'tabs');
    doc.body.append(el);
    el.querySelector('form')!.requestSubmit();
    const echoed = await nextEvent<CustomEvent<string>>(el, 'text');
    expect([echoed.detail, el.querySelector('p')!.textContent]).to.deep.equal(['classic', 'classic']);
    const audio = nextEvent<CustomEvent<string>>(el, 'base64audio');
    expect(await (el as Element_ & { sendBase64Audio(input: unknown): Promise<boolean> }).sendBase64Audio(new Uint8Array([1, 2, 3]))).to.equal(true);
    expect((await audio).detail).to.equal('AQID');
    const fetched = doc.defaultView!.performance.getEntriesByType('resource').map((entry) => new URL(entry.name).pathname);
    expect(fetched).to.deep.equal(['/dist/cdn/bricks-websocket.iife.js']);
  });
});

describe('the base64 encoder while it loads: what the README promises of a queued frame', () => {
  const clip = (data: string) => text(data, 'base64audio');
  const errorOf = (el: EventTarget) => nextEvent<CustomEvent<BricksWebSocketErrorDetail>>(el, 'error');
  /** A Blob of `doc`'s realm whose read fails, as a File changed on disk after it was picked does. */
  const unreadableBlob = (doc: Document) => {
    const win = doc.defaultView as unknown as { Blob: typeof Blob };
    return new (class extends win.Blob {
      override arrayBuffer(): Promise<ArrayBuffer> {
        return Promise.reject(new DOMException('The requested file could not be read.', 'NotReadableError'));
      }
    })([new Uint8Array([1, 2, 3])]);
  };

  it('close() meanwhile: the clip keeps its place, the promise says queued, and connect() sends it once, first', async () => {
    const { doc, release } = await heldPage('base64');
    const { name, el } = await openSender(doc);
    const sent = el.sendBase64Audio(new Uint8Array([1, 2, 3]));
    el.sendText('after');
    const closed = nextEvent(el, 'close');
    el.close();
    await closed;
    release();
    expect(await sent).to.equal(true);
    expect(el.queued, 'both wait for connect()').to.equal(2);
    const open = nextEvent(el, 'open');
    el.connect();
    await open;
    const { received } = await serverUntil(name, (s) => s.received.length >= 2);
    expect([received, el.queued]).to.deep.equal([[clip('AQID'), text('after')], 0]);
  });

  it('removed and re-inserted, a new ws-url, or pagehide/pageshow (persisted) meanwhile: sent once, in its place, on the next socket only', async () => {
    for (const change of ['removed', 'ws-url', 'pagehide'] as const) {
      const { doc, release } = await heldPage('base64');
      const { name: first, el } = await openSender(doc);
      const second = room('od');
      const sent = el.sendBase64Audio(new Uint8Array([1, 2, 3]));
      el.sendText('after');
      // A new ws-url replaces the socket without a close event (README, Events).
      const closed = change === 'ws-url' ? Promise.resolve() : nextEvent(el, 'close');
      const open = nextEvent(el, 'open');
      if (change === 'removed') el.remove();
      else if (change === 'ws-url') el.setAttribute('ws-url', wsUrl(second));
      else transition(doc, 'pagehide');
      await closed;
      release();
      expect(await sent, change).to.equal(true);
      if (change === 'removed') doc.body.append(el);
      else if (change === 'pagehide') transition(doc, 'pageshow');
      await open;
      const target = change === 'ws-url' ? second : first;
      const stats = await serverUntil(target, (s) => s.received.length >= 2);
      expect(stats.received, change).to.deep.equal([clip('AQID'), text('after')]);
      if (change === 'ws-url') expect((await control(first).stats()).received, 'nothing on the old URL').to.deep.equal([]);
      else expect(stats.connections, change).to.equal(2);
      expect(el.queued, change).to.equal(0);
    }
  });

  it('queue-limit reached meanwhile: the clip counts in queued, and queue-full fires at the call past the limit', async () => {
    const { doc, release } = await heldPage('base64');
    const name = room('od');
    const el = element(doc, name) as Sender;
    el.setAttribute('queue-limit', '2');
    // Not in the document: every frame waits for the connection.
    const sent = el.sendBase64Audio(new Uint8Array([1, 2, 3]));
    expect([el.send('second', 2), el.queued]).to.deep.equal([true, 2]);
    const full = errorOf(el);
    expect(el.send('third', 3), 'the third call is refused').to.equal(false);
    const { detail } = await full;
    expect([detail.kind, detail.message]).to.deep.equal(['queue-full', 'Queue full (2 frames), so this one was not queued: raise queue-limit or wait for open.']);
    expect(await el.sendBase64Audio(new Uint8Array([4])), 'nor a clip past it').to.equal(false);
    release();
    expect(await sent).to.equal(true);
    await opened(doc, el);
    const { received } = await serverUntil(name, (s) => s.received.length >= 2);
    expect([received, el.queued]).to.deep.equal([[clip('AQID'), JSON.stringify({ type: 'second', data: 2 })], 0]);
  });

  it('several elements and two iframes send their first clip at once: each sent once, before the request() and send() after it', async () => {
    const pages = [await heldPage('base64'), await heldPage('base64')];
    const senders: { name: string; el: Sender }[] = [];
    for (const { doc } of pages) senders.push(await openSender(doc), await openSender(doc));
    const calls = senders.map(({ el }, i) => {
      const sent = el.sendBase64Audio(new Uint8Array([i, i, i]));
      const answer = el.request('echo', i);
      el.sendText(`after ${i}`);
      return Promise.all([sent, answer]);
    });
    expect(senders.map(({ el }) => [el.queued, el.pending])).to.deep.equal(senders.map(() => [3, 1]));
    for (const { release } of pages) release();
    expect(await Promise.all(calls)).to.deep.equal(senders.map((_, i) => [true, i]));
    for (const [i, { name }] of senders.entries()) {
      const { received } = await serverUntil(name, (s) => s.received.length >= 3);
      const [audio, asked, after] = received.map((frame) => JSON.parse(frame as string) as { type: string; data: unknown });
      expect([audio, asked!.type, asked!.data, after]).to.deep.equal([{ type: 'base64audio', data: btoa(String.fromCharCode(i, i, i)) }, 'echo', i, { type: 'text', data: `after ${i}` }]);
    }
  });

  it('a Blob that cannot be read, meanwhile and once loaded: false, an error that says what happened and what to do, and the frames after it leave', async () => {
    const { doc, release } = await heldPage('base64');
    const { name, el } = await openSender(doc);
    const failed = errorOf(el);
    const sent = el.sendBase64Audio(unreadableBlob(doc));
    el.sendText('after');
    release();
    expect(await sent).to.equal(false);
    const { detail } = await failed;
    expect(detail.kind).to.equal('send');
    expect((detail.error as DOMException).name).to.equal('NotReadableError');
    expect(detail.message).to.equal('sendBase64Audio(audio): the Blob could not be read (NotReadableError: The requested file could not be read.), so nothing was sent: if it is a File changed since it was picked, pick it again.');
    await serverUntil(name, (s) => s.received.length >= 1);

    const again = errorOf(el);
    const loaded = el.sendBase64Audio(unreadableBlob(doc));
    el.sendText('later');
    expect(await loaded, 'with the encoder loaded').to.equal(false);
    expect((await again).detail.message).to.match(/^sendBase64Audio\(audio\): the Blob could not be read .*pick it again\.$/);
    const { received } = await serverUntil(name, (s) => s.received.length >= 2);
    expect([received, el.queued]).to.deep.equal([[text('after'), text('later')], 0]);
  });

  it('a buffer detached or a 16 MiB buffer written to right after the call meanwhile: the bytes as they were at the call go out', async () => {
    const { doc, release } = await heldPage('base64');
    const { el } = await openSender(doc);
    const small = new Uint8Array([1, 2, 3]);
    const big = new Uint8Array(16 * 1024 * 1024).map((_, i) => i * 7);
    const expected = await new Promise<string>((resolve) => {
      const reader = new FileReader();
      reader.onload = () => resolve((reader.result as string).slice((reader.result as string).indexOf(',') + 1));
      reader.readAsDataURL(new Blob([big]));
    });
    const echoes = nextEvents<CustomEvent<string>>(el, 'base64audio', 2, 20_000);
    const sent = [el.sendBase64Audio(small), el.sendBase64Audio(big)];
    structuredClone(small.buffer, { transfer: [small.buffer] });
    big.fill(0);
    expect(small.byteLength, 'detached').to.equal(0);
    release();
    expect(await Promise.all(sent)).to.deep.equal([true, true]);
    const [first, second] = await echoes;
    expect(first!.detail).to.equal('AQID');
    expect(second!.detail.length).to.equal(expected.length);
    expect(second!.detail === expected, 'the 16 MiB clip as it was at the call').to.equal(true);
  });

  it('a clip too large for the engine\'s longest string: false, an error that says so, and the frames after it leave', async () => {
    // The encoder makes the base64, but the frame around it passes the longest string the engine
    // allows (hundreds of MiB): shown by a base64 whose use throws as such a concatenation does.
    const head = `<script>Uint8Array.prototype.toBase64 = () => ({ toString() { throw new RangeError('Invalid string length'); } });</script>`;
    const doc = await cdnPage({}, '', head);
    const { name, el } = await openSender(doc);
    const failed = errorOf(el);
    const sent = el.sendBase64Audio(new Uint8Array([1, 2, 3]));
    el.sendText('after');
    expect(await sent).to.equal(false);
    const { detail } = await failed;
    expect([detail.kind, detail.message]).to.deep.equal(['send', 'sendBase64Audio(audio): the clip could not be encoded (RangeError: Invalid string length), so nothing was sent: send it in smaller parts.']);
    const { received } = await serverUntil(name, (s) => s.received.length >= 1);
    expect([received, el.queued]).to.deep.equal([[text('after')], 0]);
  });
});
