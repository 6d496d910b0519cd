// React 19: attributes and properties from props, `ontext`/`onopen` props bound
// by React itself, a URL from state, unmount, and StrictMode's double effects.
// And the form the README gives for React 18, which sets every prop on a custom element as
// an attribute and binds no `on<type>` prop: attributes only, a listener added in an effect.
// (Only React 19 is installed here, so that form runs under React 19.)

import { expect } from '@open-wc/testing';
import { StrictMode, useEffect, useRef, useState } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { flushSync } from 'react-dom';
import type {} from 'bricks-websocket/react';
import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket.js';
import { control } from '../helpers/server.js';
import { elementIn, lines, rooms, serverSaysText, serverUntil, until } from './support.js';

function Chat({ firstUrl, secondUrl }: { firstUrl: string; secondUrl: string }) {
  const [url, setUrl] = useState(firstUrl);
  const [openedUrl, setOpenedUrl] = useState('');
  const [messages, setMessages] = useState<string[]>([]);
  return (
    <>
      <bricks-websocket
        ws-url={url}
        protocols="bricks.test"
        queueLimit={7}
        onopen={(event) => setOpenedUrl(event.detail.url)}
        ontext={(event) => setMessages((all) => [...all, event.detail])}
      >
        <output>{openedUrl}</output>
        <ul>
          {messages.map((message, i) => (
            <li key={i}>{message}</li>
          ))}
        </ul>
      </bricks-websocket>
      <button onClick={() => setUrl(secondUrl)}>Switch</button>
    </>
  );
}

/** The README's React 18 form. */
function ChatWithRef({ url }: { url: string }) {
  const socket = useRef<BricksWebSocketElement>(null);
  const [messages, setMessages] = useState<string[]>([]);
  useEffect(() => {
    const element = socket.current!;
    const onText = (event: CustomEvent<string>) => setMessages((all) => [...all, event.detail]);
    element.addEventListener('text', onText);
    return () => element.removeEventListener('text', onText);
  }, []);
  return (
    <bricks-websocket ref={socket} ws-url={url} queue-limit={7}>
      <ul>
        {messages.map((message, i) => (
          <li key={i}>{message}</li>
        ))}
      </ul>
    </bricks-websocket>
  );
}

describe('React 19', () => {
  let container: HTMLElement;
  let root: Root | undefined;

  beforeEach(() => {
    container = document.body.appendChild(document.createElement('div'));
  });

  afterEach(() => {
    root?.unmount();
    root = undefined;
    container.remove();
  });

  it('passes props, binds ontext/onopen, follows the URL in state, opens one socket under StrictMode and closes it on unmount', async () => {
    const { first, second, firstUrl, secondUrl } = rooms();
    root = createRoot(container);
    flushSync(() =>
      root!.render(
        <StrictMode>
          <Chat firstUrl={firstUrl} secondUrl={secondUrl} />
        </StrictMode>,
      ),
    );
    const element = elementIn(container);
    const output = container.querySelector('output')!;

    // onopen={...}: React added the listener and re-rendered from it.
    await until('onopen to render the URL', () => output.textContent, (text) => text === firstUrl);
    expect(element.wsUrl, 'ws-url, an attribute').to.equal(firstUrl);
    expect(element.protocols, 'protocols').to.equal('bricks.test');
    expect(element.protocol, 'the subprotocol the server chose').to.equal('bricks.test');
    expect(element.queueLimit, 'queueLimit, a property').to.equal(7);
    expect(element.hasAttribute('queue-limit'), 'React set queueLimit as a property, not an attribute').to.equal(false);

    // StrictMode runs effects twice in development; the element must not open a second socket.
    const stats = await control(first).stats();
    expect(stats.connections, 'connections under StrictMode').to.equal(1);
    expect(stats.open).to.equal(1);

    await serverSaysText(first, 'hello react');
    await until('ontext to render the frame', () => lines(container), (all) => all.join() === 'hello react');

    container.querySelector('button')!.click();
    await until('onopen for the new URL', () => output.textContent, (text) => text === secondUrl);
    expect(elementIn(container), 'the same element, re-targeted').to.equal(element);
    await serverUntil(first, (s) => s.open === 0, 'the old socket closed');
    expect((await serverUntil(second, (s) => s.open === 1)).connections).to.equal(1);

    root.unmount();
    root = undefined;
    await serverUntil(second, (s) => s.open === 0, 'the socket closed after unmount');
    await until('the element to report closed', () => element.state, (state) => state === 'closed');
    expect((await control(first).stats()).connections + (await control(second).stats()).connections).to.equal(2);
  });

  it('runs the React 18 form: attributes only, the text listener added in an effect', async () => {
    const { first, firstUrl } = rooms();
    root = createRoot(container);
    flushSync(() =>
      root!.render(
        <StrictMode>
          <ChatWithRef url={firstUrl} />
        </StrictMode>,
      ),
    );
    const element = elementIn(container);
    await serverUntil(first, (s) => s.open === 1, 'the socket open');
    expect(element.getAttribute('queue-limit'), 'queue-limit, an attribute').to.equal('7');
    expect(element.queueLimit, 'read as a number').to.equal(7);

    await serverSaysText(first, 'hello react 18');
    await until('the effect listener to render the frame', () => lines(container), (all) => all.join() === 'hello react 18');

    root.unmount();
    root = undefined;
    await serverUntil(first, (s) => s.open === 0, 'the socket closed after unmount');
    expect((await control(first).stats()).connections, 'one socket under StrictMode').to.equal(1);
  });
});
