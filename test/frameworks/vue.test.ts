// Vue 3: a single-file component (Chat.vue) compiled ahead of time with isCustomElement, on the
// runtime-only build; `:ws-url` and `:queue-limit` bind from state, `@text`/`@open` bind the
// element's events.

import { expect } from '@open-wc/testing';
import { createApp, type App } from 'vue';
import '../../src/bricks-websocket.js';
import { control } from '../helpers/server.js';
import Chat from './Chat.vue';
import { elementIn, lines, rooms, serverSaysText, serverUntil, until } from './support.js';

describe('Vue 3', () => {
  let container: HTMLElement;
  let app: App | undefined;

  beforeEach(() => {
    container = document.body.appendChild(document.createElement('div'));
  });

  afterEach(() => {
    app?.unmount();
    app = undefined;
    container.remove();
  });

  it('binds :ws-url and :queue-limit, receives @open and @text, follows the URL in state and closes on unmount', async () => {
    const { first, second, firstUrl, secondUrl } = rooms();
    app = createApp(Chat, { firstUrl, secondUrl });
    let warnings = 0;
    app.config.warnHandler = () => void warnings++;
    app.mount(container);
    const element = elementIn(container);
    const output = container.querySelector('output')!;

    await until('@open to render the URL', () => output.textContent, (text) => text === firstUrl);
    expect(warnings, 'Vue warnings (an unknown component?)').to.equal(0);
    expect(element.wsUrl, ':ws-url').to.equal(firstUrl);
    expect(element.protocol, 'the subprotocol the server chose from protocols="bricks.test"').to.equal('bricks.test');
    expect(element.queueLimit, ':queue-limit, a number').to.equal(7);
    expect((await control(first).stats()).connections).to.equal(1);

    await serverSaysText(first, 'hello vue');
    await until('@text to render the frame', () => lines(container), (all) => all.join() === 'hello vue');

    container.querySelector('button')!.click();
    await until('@open for the new URL', () => output.textContent, (text) => text === secondUrl);
    expect(elementIn(container)).to.equal(element);
    await serverUntil(first, (s) => s.open === 0, 'the old socket closed');
    await serverUntil(second, (s) => s.open === 1 && s.connections === 1);

    app.unmount();
    app = undefined;
    await serverUntil(second, (s) => s.open === 0, 'the socket closed after unmount');
    await until('the element to report closed', () => element.state, (state) => state === 'closed');
  });
});
