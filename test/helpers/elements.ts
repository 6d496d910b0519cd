// Elements for a test file, removed and closed after each test.
//
//   const { make, openElement } = useElements('req');   // at the top of a test file
//   const el = make({ 'ws-url': wsUrl(room()) });        // not in the document yet
//   const { element, name, server } = await openElement(); // in the document, after `open`

import '../../src/bricks-websocket.js';
import type { BricksWebSocketElement } from '../../src/bricks-websocket-element.js';
import { control, nextEvent, room, wsUrl } from './server.js';

export function useElements(prefix = 't') {
  const mounted: BricksWebSocketElement[] = [];

  afterEach(() => {
    for (const element of mounted.splice(0)) {
      element.remove();
      element.close();
    }
  });

  /** A new element of `doc` (an iframe's, for a second tab) with these attributes, not in it yet. */
  function make(attributes: Record<string, string> = {}, doc: Document = document): BricksWebSocketElement {
    const element = doc.createElement('bricks-websocket') as BricksWebSocketElement;
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    mounted.push(element);
    return element;
  }

  /** An element in the document on a fresh echo room, after its `open` event. */
  async function openElement(attributes: Record<string, string> = {}) {
    const name = room(prefix);
    const element = make({ 'ws-url': wsUrl(name), ...attributes });
    const opened = nextEvent(element, 'open');
    document.body.append(element);
    await opened;
    return { element, name, server: control(name) };
  }

  return { make, openElement };
}
