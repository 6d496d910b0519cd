// htmx 2: the server renders <bricks-websocket> (plugins.mjs, /__htmx/socket),
// `hx-on:open` and `hx-trigger="text from:closest bricks-websocket"` react to
// its events, and swaps change its URL and remove it.
//
// `settle:0ms`: htmx binds hx-on and hx-trigger in its settle step, 20 ms after
// the swap by default, while the element connects the moment it is inserted; a
// socket to a nearby server can open within those 20 ms, before hx-on:open exists.

import { expect } from '@open-wc/testing';
import htmx from 'htmx.org';
import '../../src/bricks-websocket.js';
import { control } from '../helpers/server.js';
import { lines, rooms, serverSaysText, serverUntil, until } from './support.js';

const socketFragment = (url: string) => `/__htmx/socket?ws-url=${encodeURIComponent(url)}`;

describe('htmx 2', () => {
  let container: HTMLElement;

  beforeEach(() => {
    container = document.body.appendChild(document.createElement('div'));
  });

  afterEach(() => container.remove());

  it('loads the element from the server, triggers requests from its text events, swaps it to a new URL and away', async () => {
    const { first, second, firstUrl, secondUrl } = rooms();
    container.innerHTML = `
      <div class="region" hx-get="${socketFragment(firstUrl)}" hx-trigger="load" hx-swap="innerHTML settle:0ms"></div>
      <button class="switch" hx-get="${socketFragment(secondUrl)}" hx-target="previous .region" hx-swap="innerHTML settle:0ms">Switch</button>
      <button class="leave" hx-get="/__htmx/empty" hx-target="previous .region">Leave</button>`;
    htmx.process(container);

    const element = await until('the region to load', () => container.querySelector('bricks-websocket'), Boolean);
    // hx-on:open
    await until('hx-on:open to run', () => element!.dataset.opened, (url) => url === firstUrl);
    expect(element!.wsUrl, 'ws-url from the server').to.equal(firstUrl);
    expect(element!.queueLimit, 'queue-limit from the server').to.equal(7);
    expect((await control(first).stats()).connections).to.equal(1);

    // hx-trigger="text from:closest bricks-websocket" + hx-vals: a request per frame, its answer swapped in.
    await serverSaysText(first, 'hello htmx');
    await until('the text event to trigger a request', () => lines(container), (all) => all.join() === 'hello htmx');

    container.querySelector<HTMLButtonElement>('.switch')!.click();
    const replacement = await until('the new element', () => container.querySelector('bricks-websocket'), (e) => e !== element);
    await until('hx-on:open for the new URL', () => replacement!.dataset.opened, (url) => url === secondUrl);
    await serverUntil(first, (s) => s.open === 0, 'the old socket closed');
    await serverUntil(second, (s) => s.open === 1 && s.connections === 1);

    container.querySelector<HTMLButtonElement>('.leave')!.click();
    await until('the element to be swapped away', () => container.querySelector('bricks-websocket'), (e) => e === null);
    await serverUntil(second, (s) => s.open === 0, 'the socket closed after the swap');
    await until('the element to report closed', () => replacement!.state, (state) => state === 'closed');
  });
});
