// share="page" and share="tabs" at their edges (issue 14): members that leave, members whose
// settings differ, server requests seen by every member, share changed at runtime.
// Connections and frames are counted on the real ws server.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { control, nextEvent, port, room, serverUntil, wsUrl } from '../helpers/server.js';

const serverOrigin = `ws://127.0.0.1:${port}`;
const mounted: BricksWebSocketElement[] = [];

function make(attributes: Record<string, string>, doc: Document = document): BricksWebSocketElement {
  const element = doc.createElement('bricks-websocket') as BricksWebSocketElement;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  mounted.push(element);
  return element;
}

/** Inserts the elements (into their own documents) and waits until each is open. */
async function opened(...elements: BricksWebSocketElement[]) {
  const all = Promise.all(elements.map((element) => nextEvent(element, 'open')));
  for (const element of elements) element.ownerDocument.body.append(element);
  await all;
}

const parsed = (frames: unknown[]) => frames.map((frame) => JSON.parse(frame as string) as { type: string; id?: string; data: unknown });

afterEach(() => {
  for (const element of mounted.splice(0)) {
    element.remove();
    element.close();
  }
});


describe('share: settings when the opener leaves', () => {
  it('takes binary-type from the oldest member left once the opener has gone', async () => {
    const name = room('edges');
    const opener = make({ 'ws-url': wsUrl(name), share: 'page' });
    const other = make({ 'ws-url': wsUrl(name), share: 'page', 'binary-type': 'blob' });
    await opened(opener);
    await opened(other);
    opener.remove();
    await nextEvent(opener, 'close');
    const got = nextEvent<CustomEvent<{ data: unknown }>>(other, 'message');
    await control(name).send({ binary: btoa('abc') });
    expect((await got).detail.data).to.be.instanceOf(Blob);
  });

  it('starts the heartbeat of the oldest member left once the opener, which had none, has gone', async () => {
    const name = room('edges');
    const opener = make({ 'ws-url': wsUrl(name), share: 'page' });
    const other = make({ 'ws-url': wsUrl(name), share: 'page', heartbeat: '50', 'heartbeat-type': 'beat' });
    await opened(opener);
    await opened(other);
    opener.remove();
    await nextEvent(opener, 'close');
    const { received } = await serverUntil(name, (s) => s.received.length >= 2, '2 pings');
    expect(new Set(parsed(received).map((frame) => frame.type))).to.deep.equal(new Set(['beat']));
  });
});

describe('share: changing share at runtime', () => {
  it('fires close for the old connection before open for the shared one', async () => {
    const name = room('edges');
    const member = make({ 'ws-url': wsUrl(name), share: 'page' });
    const mover = make({ 'ws-url': wsUrl(name) });
    await opened(member, mover);
    const seen: string[] = [];
    for (const type of ['open', 'close']) mover.addEventListener(type, () => seen.push(type));
    const reopened = nextEvent(mover, 'open');
    mover.share = 'page';
    await reopened;
    await serverUntil(name, (s) => s.open === 1, 'one open connection');
    expect(seen).to.deep.equal(['close', 'open']);
    expect(mover.socket).to.equal(member.socket);
  });
});

describe('share: a session read anew', () => {
  it('uses the new session on connect() after a shared connection was closed by the server', async () => {
    const name = room('edges');
    let token = 'old';
    const member = make({ 'ws-url': wsUrl(name), share: 'page', 'with-session': '', 'session-origins': serverOrigin });
    member.session = () => token;
    await opened(member);
    const closed = nextEvent(member, 'close');
    await control(name).close(1008, 'expired');
    await closed;
    expect(member.state).to.equal('closed');
    token = 'new';
    const reopened = nextEvent(member, 'open');
    member.connect();
    await reopened;
    expect(member.protocol).to.equal('new');
  });
});
