// Vue 3: `isCustomElement` leaves the tag to the browser, `:ws-url` and
// `:queue-limit` bind from state, `@text`/`@open` bind the element's events.

import { expect } from '@open-wc/testing';
import { createApp, ref, type App } from 'vue';
import '../../src/bricks-websocket.js';
import { control } from '../helpers/server.js';
import { elementIn, lines, rooms, serverSaysText, serverUntil, until } from './support.js';

const template = `
  <bricks-websocket :ws-url="url" protocols="bricks.test" :queue-limit="7"
      @open="openedUrl = $event.detail.url" @text="messages.push($event.detail)">
    <output>{{ openedUrl }}</output>
    <ul><li v-for="message in messages">{{ message }}</li></ul>
  </bricks-websocket>
  <button @click="url = secondUrl">Switch</button>
`;

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
    app = createApp({
      setup: () => ({ url: ref(firstUrl), secondUrl, openedUrl: ref(''), messages: ref<string[]>([]) }),
      template,
    });
    app.config.compilerOptions.isCustomElement = (tag) => tag === 'bricks-websocket';
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
