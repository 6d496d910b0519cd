// Parts loaded on demand (issue 17): sharing is a chunk beside dist/cdn/bricks-websocket.js that
// the element imports when an element with `share` first joins. Each test loads the built CDN
// bundle in a fresh same-origin iframe, so the chunk is fetched anew, as on a first page view.

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
