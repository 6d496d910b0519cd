// Same-origin iframes where <bricks-websocket> is not defined yet, and the definition loaded
// into them later, as a page's module script does. Each frame is removed after its test.
//
//   const { blankFrame, define } = useBlankFrames();
//   const { doc, win } = await blankFrame();
//   ... set properties on doc's elements ...
//   await define(doc, win);

import { expect } from '@open-wc/testing';
import { nextEvent } from './server.js';

const definition = new URL('../../src/bricks-websocket.ts', import.meta.url).href;

export type FrameWindow = Window & typeof globalThis;

export function useBlankFrames() {
  const frames: HTMLIFrameElement[] = [];

  afterEach(() => {
    for (const iframe of frames.splice(0)) iframe.remove();
  });

  /** A blank same-origin document where <bricks-websocket> is not defined yet. */
  async function blankFrame(): Promise<{ doc: Document; win: FrameWindow }> {
    const iframe = document.createElement('iframe');
    const loaded = nextEvent(iframe, 'load');
    iframe.srcdoc = '<!doctype html><body></body>';
    document.body.append(iframe);
    frames.push(iframe);
    await loaded;
    const win = iframe.contentWindow as FrameWindow;
    expect(win.customElements.get('bricks-websocket'), 'not defined yet').to.equal(undefined);
    return { doc: iframe.contentDocument!, win };
  }

  /**
   * Loads the definition in the frame the way a page does, with a module script; `after` is
   * module code that runs right after the import, before the element's first update.
   */
  async function define(doc: Document, win: FrameWindow, after = '') {
    const script = doc.createElement('script');
    script.type = 'module';
    script.textContent = `import ${JSON.stringify(definition)};\n${after}`;
    doc.body.append(script);
    await win.customElements.whenDefined('bricks-websocket');
  }

  return { blankFrame, define };
}
