/**
 * The element's shadow root: its one `<slot>`, and its styles in another document than the one
 * its class was made in. A constructed style sheet applies only in the document whose window
 * made it, and a browser drops the others from a shadow root moved to another document (an
 * iframe, a picture-in-picture window), so the element adopts copies made by that document's window.
 */
import { supportsAdoptingStyleSheets, type CSSResultOrNative } from '@lit/reactive-element';

/** Adopts copies of `styles` made by the window of `root`'s document. */
export function adoptStylesIn(root: ShadowRoot, styles: CSSResultOrNative[]): void {
  const view = root.ownerDocument.defaultView;
  // Without constructed sheets Lit wrote <style> elements, which move with the root.
  if (!supportsAdoptingStyleSheets || !view) return;
  root.adoptedStyleSheets = styles.map((style) => {
    const sheet = new view.CSSStyleSheet();
    sheet.replaceSync('cssText' in style ? style.cssText : Array.from(style.cssRules, (rule) => rule.cssText).join(''));
    return sheet;
  });
}

/**
 * The root Lit made, with its one `<slot>` (a declarative shadow root that came with the page may
 * have it already), and with copies of `styles` when it is in another document than the class.
 */
export function boxRoot(root: ShadowRoot, styles: CSSResultOrNative[]): ShadowRoot {
  if (root.ownerDocument !== document) adoptStylesIn(root, styles);
  if (!root.querySelector('slot:not([name])')) root.append(root.ownerDocument.createElement('slot'));
  return root;
}
