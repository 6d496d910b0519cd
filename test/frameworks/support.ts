// What every framework test checks, in one place, so each test file only says
// how its framework mounts the component.

// Plain chai, not @open-wc/testing: that one loads Lit from node_modules, a second Lit beside
// the CDN bundle's on the plain-page tests.
import { expect } from '@esm-bundle/chai';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { WAIT_MS, control, room, wsUrl } from '../helpers/server.js';

export { serverUntil } from '../helpers/server.js';

/** Two fresh echo rooms: the component starts on `first` and is switched to `second`. */
export function rooms() {
  const first = room('fw');
  const second = room('fw');
  return { first, second, firstUrl: wsUrl(first), secondUrl: wsUrl(second) };
}

/** Polls `read` until `check` holds, so no test sleeps; fails with the last value seen. */
export async function until<T>(what: string, read: () => T | Promise<T>, check: (value: T) => boolean, timeoutMs = WAIT_MS): Promise<T> {
  const end = performance.now() + timeoutMs;
  let value = await read();
  while (!check(value)) {
    if (performance.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await read();
  }
  return value;
}


/** The one `<bricks-websocket>` inside `container`. */
export function elementIn(container: ParentNode): BricksWebSocketElement {
  const element = container.querySelector('bricks-websocket');
  expect(element, 'a <bricks-websocket> was rendered').to.exist;
  return element!;
}

/** Sends a `text` frame from the server to every client of the room. */
export const serverSaysText = (name: string, text: string) => control(name).send(JSON.stringify({ type: 'text', data: text }));

/** The text of each `li` in `container`, in order. */
export const lines = (container: ParentNode) => [...container.querySelectorAll('li')].map((li) => li.textContent);
