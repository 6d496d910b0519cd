// share="page" and share="tabs" at their edges (issue 14): members that leave, members whose
// settings differ, server requests seen by every member, share changed at runtime.
// Connections and frames are counted on the real ws server.

import { expect } from '@open-wc/testing';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import type { BricksWebSocketFrameEvent } from '../../src/frames/frame-event.js';
import { useContexts } from '../helpers/contexts.js';
import { useElements } from '../helpers/elements.js';
import { WAIT_MS, control, nextEvent, port, room, serverUntil, wsUrl } from '../helpers/server.js';

const serverOrigin = `ws://127.0.0.1:${port}`;
// Frames first: removing a frame ends its document, and with it its lock, channel and socket.
const { context } = useContexts();
const { make } = useElements('edges');

/** Inserts the elements (into their own documents) and waits until each is open. */
async function opened(...elements: BricksWebSocketElement[]) {
  const all = Promise.all(elements.map((element) => nextEvent(element, 'open')));
  for (const element of elements) element.ownerDocument.body.append(element);
  await all;
}

const parsed = (frames: unknown[]) => frames.map((frame) => JSON.parse(frame as string) as { type: string; id?: string; data: unknown });



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

describe('share: a server request seen by every member', () => {
  it('sends one reply when every member on the page answers it', async () => {
    const name = room('edges');
    const members = [0, 1, 2].map(() => make({ 'ws-url': wsUrl(name), share: 'page' }));
    await opened(...members);
    const answers = members.map((element) =>
      nextEvent<BricksWebSocketFrameEvent>(element, 'ask').then((event) => event.reply('yes')),
    );
    await control(name).send('{"type":"ask","id":"s1","data":null}');
    const results = await Promise.all(answers);
    expect(results.filter(Boolean)).to.have.length(1);
    // Another frame after the reply: once it is echoed, every reply sent has arrived.
    const marker = nextEvent(members[0], 'mark');
    members[0].send('mark');
    await marker;
    const replies = parsed((await control(name).stats()).received).filter((frame) => frame.type === 'reply');
    expect(replies).to.have.length(1);
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

describe('share: page and tabs on one page', () => {
  it('a page element joins a tabs connection; a tabs element after page elements opens its own (README, Sharing)', async () => {
    const [joins, beside] = [room('edges'), room('edges')];
    const tabsFirst = [make({ 'ws-url': wsUrl(joins), share: 'tabs' }), make({ 'ws-url': wsUrl(joins), share: 'page' })];
    await opened(...tabsFirst);
    expect(tabsFirst[1]!.socket).to.equal(tabsFirst[0]!.socket);
    const pageFirst = [make({ 'ws-url': wsUrl(beside), share: 'page' }), make({ 'ws-url': wsUrl(beside), share: 'tabs' })];
    await opened(pageFirst[0]!);
    await opened(pageFirst[1]!);
    expect(pageFirst[1]!.socket).to.not.equal(pageFirst[0]!.socket);
    const [one, two] = await Promise.all([serverUntil(joins, (s) => s.open === 1), serverUntil(beside, (s) => s.open === 2)]);
    expect([one.connections, two.connections]).to.deep.equal([1, 2]);
  });
});

describe('share: an element connected before insertion', () => {
  it('stays connected when its share changes, as it follows ws-url changes', async () => {
    const name = room('edges');
    const element = make({ 'ws-url': wsUrl(name) });
    const first = nextEvent(element, 'open');
    element.connect();
    await first;
    const again = nextEvent(element, 'open');
    element.share = 'page';
    await again;
    expect(element.state).to.equal('open');
    await serverUntil(name, (s) => s.open === 1 && s.connections === 2, 'the shared connection only');
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

describe('share="tabs": edges', () => {
  it('sends one reply when members in two contexts answer one server request', async () => {
    const name = room('edges');
    const here = make({ 'ws-url': wsUrl(name), share: 'tabs' });
    await opened(here);
    const there = make({ 'ws-url': wsUrl(name), share: 'tabs' }, await context());
    await opened(there);
    const answers = [here, there].map((element) =>
      nextEvent<BricksWebSocketFrameEvent>(element, 'ask').then((event) => event.reply('yes')),
    );
    await control(name).send('{"type":"ask","id":"s1","data":null}');
    await Promise.all(answers);
    const marker = nextEvent(there, 'mark');
    there.send('mark');
    await marker;
    const replies = parsed((await control(name).stats()).received).filter((frame) => frame.type === 'reply');
    expect(replies).to.have.length(1);
  });

  it('settles a request from the context that does not hold the socket, and only there', async () => {
    const name = room('edges');
    const here = make({ 'ws-url': wsUrl(name), share: 'tabs' });
    await opened(here);
    const there = make({ 'ws-url': wsUrl(name), share: 'tabs' }, await context());
    await opened(there);
    expect(there.socket).to.equal(null);
    // The echo server sends the request back; answer it as the server would.
    const asked = nextEvent<BricksWebSocketFrameEvent>(there, 'q');
    const reply = there.request('q', 1, { timeout: WAIT_MS });
    const { id } = await asked;
    await control(name).send(JSON.stringify({ type: 'reply', id, data: 'answer' }));
    expect(await reply).to.equal('answer');
    expect([here.pending, there.pending]).to.deep.equal([0, 0]);
  });
});
