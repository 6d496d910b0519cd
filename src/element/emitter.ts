/**
 * What the element fires. The events are made here, outside the class, so the manifest analyzer
 * lists only the events the class documents. The raw `message` is made only while a listener may
 * take it.
 *
 * The `error` event is cancelable: a listener that calls `preventDefault()` has handled it. One
 * nobody handled is printed with `console.error`, so a page that stays blank says why: a page
 * with no `error` listener, and also one whose listener comes too late, as when the element is
 * upgraded by a script before the page's own script runs and an unusable `ws-url` fails at once.
 * The report is made right after the dispatch, not deferred: a listener added later can never
 * receive an event that has already fired, so waiting would change nothing but the order of
 * the console lines.
 */
import { BricksWebSocketFrameEvent, type ReplySender } from '../frames/frame-event.js';
import type { BricksWebSocketErrorKind } from './events.js';

/** Distinct causes one element prints at most, so a server sending bad frames cannot flood the console. */
const MAX_REPORTS = 10;

export class Emitter {
  #element: HTMLElement;
  /** Causes already printed: kind and message, so a retry that fails the same way is not printed again. */
  #printed = new Set<string>();
  /**
   * Whether a `message` listener may be on the element. One added before the element was defined
   * (an upgrade) went through HTMLElement's own `addEventListener`, out of sight, so an upgraded
   * element always fires `message`; a new one does from its first `message` listener on.
   */
  heard = true;

  /** Made with the element, before its first update, whose hooks (a subclass's firstUpdated()) may listen. */
  constructor(element: HTMLElement) {
    this.#element = element;
    // During an upgrade the element is not yet :defined; constructed anew (createElement, the
    // parser after the definition, `new`), it already is, and nothing can have listened to it.
    try {
      this.heard = !element.matches(':defined');
    } catch {
      // An engine without :defined: keep firing.
    }
  }

  /** A listener was added for `type`. */
  listening(type: unknown): void {
    if (type === 'message') this.heard = true;
  }

  fire(type: string, detail: unknown, cancelable = false): CustomEvent {
    const event = new CustomEvent(type, { detail, cancelable });
    this.#element.dispatchEvent(event);
    return event;
  }

  /** Every frame, raw, while a `message` listener may take it. */
  message(data: unknown): void {
    if (this.heard) this.fire('message', { data });
  }

  /** A `{"type", "data"}` frame; `id` when the server asked for a reply, which `reply` sends. */
  frame(type: string, data: unknown, id: string | undefined, reply: ReplySender): void {
    this.#element.dispatchEvent(new BricksWebSocketFrameEvent(type, data, id, reply));
  }

  /** An `error` event; printed, once per distinct cause, when no listener called `preventDefault()`. */
  fail(kind: BricksWebSocketErrorKind, message: string, error?: unknown): void {
    const detail = error === undefined ? { kind, message } : { kind, message, error };
    if (this.fire('error', detail, true).defaultPrevented) return;
    // Nobody handled it: say so on the console rather than leave a blank page without a word.
    const element = this.#element;
    const cause = `${kind}\n${message}`;
    if (this.#printed.has(cause) || this.#printed.size >= MAX_REPORTS) return;
    this.#printed.add(cause);
    const last = this.#printed.size === MAX_REPORTS ? '; no more are printed' : '';
    const line = `<${element.localName}> ${kind} error: ${message} (unhandled: an "error" listener calling preventDefault() handles it${last})`;
    // The element is logged with it, so devtools can reveal it.
    if (error === undefined) console.error(line, element);
    else console.error(line, element, error);
  }
}
