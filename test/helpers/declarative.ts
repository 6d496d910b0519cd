// The declarative layer is loaded on first use (src/declarative/declarative-loader.ts). Test files about what
// it does, rather than when it loads, start from a page where it has loaded, as any page is after
// its first element used it: later elements then start it at once, as before it was split off.
//
//   before(layerLoaded);

import '../../src/bricks-websocket.js';

/** Resolves once an element of `doc` has started the layer (its `data-state` child shows the state). */
export function layerLoaded(doc: Document = document): Promise<void> {
  const element = doc.createElement('bricks-websocket');
  element.innerHTML = '<span data-state></span>';
  const span = element.firstElementChild!;
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error) => {
      observer.disconnect();
      clearTimeout(timer);
      element.remove();
      if (error) reject(error);
      else resolve();
    };
    const observer = new MutationObserver(() => span.textContent && done());
    const timer = setTimeout(() => done(new Error('The declarative layer did not start within 10 s.')), 10_000);
    observer.observe(span, { childList: true, characterData: true, subtree: true });
    doc.body.append(element);
    if (span.textContent) done();
  });
}
