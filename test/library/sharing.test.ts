// Shared connections on `bricks-websocket/server`: with share="page" the elements of a page, and
// with share="tabs" the elements of every context (a same-origin iframe is a second browsing
// context, as a second tab is), are one client of the library: one connection in its rooms, and
// a broadcast reaches each member once.

import { expect } from '@open-wc/testing';
import { libraryUrl } from 'virtual:library-server';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import type { BricksWebSocketFrameEvent } from '../../src/frames/frame-event.js';
import { useContexts } from '../helpers/contexts.js';
import { useElements } from '../helpers/elements.js';
import { nextEvent, room } from '../helpers/server.js';

// Frames first: removing a frame ends its document, and with it its lock, channel and socket.
const { context } = useContexts();
const { make } = useElements('lib-share');

/** A member of `doc` sharing the library's connection, in the document and open. */
async function member(share: 'page' | 'tabs', doc: Document = document): Promise<BricksWebSocketElement> {
  const element = make({ 'ws-url': libraryUrl, share }, doc);
  const opened = nextEvent(element, 'open');
  doc.body.append(element);
  await opened;
  return element;
}

/**
 * Joins `members` (one connection) to a fresh room through the first, broadcasts a headline and
 * then a marker to it, and resolves with how many headlines each member got once each has the
 * marker: the socket's frames come in order, so a second headline would have come before it.
 */
async function broadcastOnce(members: BricksWebSocketElement[]): Promise<{ connections: unknown; headlines: number[]; data: unknown[] }> {
  const news = room('shared');
  const [first] = members;
  await first!.request('join', news);
  const connections = await first!.request('members', news);
  const headlines = members.map(() => 0);
  const data: unknown[] = [];
  members.forEach((element, i) =>
    element.addEventListener('headline', (event) => {
      headlines[i]!++;
      data.push((event as CustomEvent).detail);
    }),
  );
  const markers = members.map((element) => nextEvent(element, 'marker'));
  first!.send('shout', { room: news, type: 'headline', data: 'to the room' });
  first!.send('shout', { room: news, type: 'marker' });
  await Promise.all(markers);
  return { connections, headlines, data };
}

describe('the library and share="page"', () => {
  it('sees the members of a page as one client, and each member gets a broadcast once', async () => {
    const members = [await member('page'), await member('page'), await member('page')];
    const { connections, headlines, data } = await broadcastOnce(members);
    expect(connections).to.equal(1);
    expect(headlines).to.deep.equal([1, 1, 1]);
    expect(data).to.deep.equal(['to the room', 'to the room', 'to the room']);
  });

  it("sends the server's request to every member, and the server gets the first member's reply", async () => {
    const [first, second] = [await member('page'), await member('page')];
    const replied: boolean[] = [];
    for (const [element, name] of [
      [first, 'first'],
      [second, 'second'],
    ] as const) {
      element.addEventListener('whoami', (event) => replied.push((event as BricksWebSocketFrameEvent).reply({ name })));
    }
    expect(await second.request('ask', { type: 'whoami' })).to.deep.equal({ data: { name: 'first' } });
    expect(replied).to.deep.equal([true, false]);
  });
});

describe('the library and share="tabs"', () => {
  it('sees the members of two contexts as one client, and each member gets a broadcast once', async () => {
    const here = await member('tabs');
    const there = await member('tabs', await context());
    expect(here.socket).to.be.instanceOf(WebSocket);
    expect(there.socket).to.equal(null);
    // Through the context that does not hold the socket: its request goes through the holder.
    const { connections, headlines, data } = await broadcastOnce([there, here]);
    expect(connections).to.equal(1);
    expect(headlines).to.deep.equal([1, 1]);
    expect(data).to.deep.equal(['to the room', 'to the room']);
  });

  it("answers the server's request from the context that does not hold the socket", async () => {
    const here = await member('tabs');
    const there = await member('tabs', await context());
    // Only the other context answers: its reply travels through the holding tab to the server.
    there.addEventListener('whoami', (event) => (event as BricksWebSocketFrameEvent).reply({ from: 'the iframe' }));
    expect(await here.request('ask', { type: 'whoami' })).to.deep.equal({ data: { from: 'the iframe' } });
  });
});
