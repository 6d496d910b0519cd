/**
 * Unhandled errors. The element's `error` event is cancelable: a listener that calls
 * `preventDefault()` has handled it. One nobody handled is printed with `console.error`, so a
 * page that stays blank says why: a page with no `error` listener, and also one whose listener
 * comes too late, as when the element is upgraded by a script before the page's own script runs
 * and an unusable `ws-url` fails at once.
 *
 * The report is made right after the dispatch, not deferred: a listener added later can never
 * receive an event that has already fired, so waiting would change nothing but the order of
 * the console lines.
 */
import type { BricksWebSocketErrorDetail } from './events.js';

/** Distinct causes one element prints at most, so a server sending bad frames cannot flood the console. */
const MAX_REPORTS = 10;

export class UnhandledErrors {
  /** Causes already printed: kind and message, so a retry that fails the same way is not printed again. */
  #printed = new Set<string>();

  /** Prints `detail` once per distinct cause; `element` is logged with it so devtools can reveal it. */
  report(element: Element, detail: BricksWebSocketErrorDetail): void {
    const { kind, message, error } = detail;
    const cause = `${kind}\n${message}`;
    if (this.#printed.has(cause) || this.#printed.size >= MAX_REPORTS) return;
    this.#printed.add(cause);
    const last = this.#printed.size === MAX_REPORTS ? '; no more are printed' : '';
    const line = `<${element.localName}> ${kind} error: ${message} (unhandled: an "error" listener calling preventDefault() handles it${last})`;
    if (error === undefined) console.error(line, element);
    else console.error(line, element, error);
  }
}
