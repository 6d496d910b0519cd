// Same-origin iframes with <bricks-websocket> defined: each is a second tab to Web Locks and
// BroadcastChannel, with its own module instance. Each frame is removed after its test.
//
//   const { context, removeContexts } = useContexts();   // before useElements(): frames go first
//   const doc = await context();
//   removeContexts();                                     // the holding "tab" goes away

import { nextEvent } from './server.js';

const contextUrl = new URL('./context.html', import.meta.url).href;

export function useContexts() {
  const frames: HTMLIFrameElement[] = [];

  /** Removes every context of this test: its document ends, and with it its lock, channel and socket. */
  function removeContexts(): void {
    for (const frame of frames.splice(0)) frame.remove();
  }

  afterEach(removeContexts);

  /** A same-origin iframe with the element defined in it; resolves with its document. */
  async function context(): Promise<Document> {
    const frame = document.createElement('iframe');
    frame.src = contextUrl;
    frames.push(frame);
    const loaded = nextEvent(frame, 'load');
    document.body.append(frame);
    await loaded;
    const win = frame.contentWindow as Window & typeof globalThis;
    await win.customElements.whenDefined('bricks-websocket');
    return frame.contentDocument!;
  }

  return { context, removeContexts };
}
