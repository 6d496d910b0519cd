// Svelte 5, compiled by svelte/compiler in the test server (plugins.mjs):
// attributes from state, `ontext`/`onopen` attributes, a URL from $state, unmount.

import { expect } from '@open-wc/testing';
import { flushSync, mount, unmount } from 'svelte';
import '../../src/bricks-websocket.js';
import { control } from '../helpers/server.js';
import Chat from './Chat.svelte';
import { elementIn, lines, rooms, serverSaysText, serverUntil, until } from './support.js';

describe('Svelte 5', () => {
  let container: HTMLElement;
  let component: ReturnType<typeof mount> | undefined;

  beforeEach(() => {
    container = document.body.appendChild(document.createElement('div'));
  });

  afterEach(async () => {
    if (component) await unmount(component);
    component = undefined;
    container.remove();
  });

  it('sets ws-url and queue-limit, receives onopen and ontext, follows the URL in $state and closes on unmount', async () => {
    const { first, second, firstUrl, secondUrl } = rooms();
    component = mount(Chat, { target: container, props: { firstUrl, secondUrl } });
    flushSync();
    const element = elementIn(container);
    const output = container.querySelector('output')!;

    await until('onopen to render the URL', () => output.textContent, (text) => text === firstUrl);
    expect(element.wsUrl, 'ws-url').to.equal(firstUrl);
    expect(element.protocol, 'the subprotocol the server chose from protocols="bricks.test"').to.equal('bricks.test');
    expect(element.queueLimit, 'queue-limit').to.equal(7);
    expect((await control(first).stats()).connections).to.equal(1);

    await serverSaysText(first, 'hello svelte');
    await until('ontext to render the frame', () => lines(container), (all) => all.join() === 'hello svelte');

    container.querySelector('button')!.click();
    await until('onopen for the new URL', () => output.textContent, (text) => text === secondUrl);
    expect(elementIn(container)).to.equal(element);
    await serverUntil(first, (s) => s.open === 0, 'the old socket closed');
    await serverUntil(second, (s) => s.open === 1 && s.connections === 1);

    await unmount(component);
    component = undefined;
    await serverUntil(second, (s) => s.open === 0, 'the socket closed after unmount');
    expect(element.isConnected).to.equal(false);
    await until('the element to report closed', () => element.state, (state) => state === 'closed');
  });
});
