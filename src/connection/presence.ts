/**
 * Whether the element is in a live document, which is when it keeps a connection open.
 *
 * A move by remove-then-insert gives a custom element `disconnectedCallback` and then
 * `connectedCallback`, so a removal counts only if the element is still out when the task
 * that removed it is over: `el.remove(); await null; other.append(el)` is a move.
 *
 * An element moved into an iframe's document stays `isConnected` when that iframe is removed
 * or navigates: its document is gone, but nothing tells the element. So while it is in a
 * document of another window than its own, that window's `pagehide` counts as a removal.
 *
 * While the element is present, the page lifecycle of its document is followed too
 * (page-lifecycle.ts): the back/forward cache, frozen pages, unloading.
 */
import { PageLifecycle, type PageLifecycleHost } from './page-lifecycle.js';

/** What the owner does when the element comes and goes, and when its page is cached, restored, resumed or unloaded. */
export interface PresenceHost extends PageLifecycleHost {
  /** The element entered a live document (not a move within a task). */
  arrived(): void;
  /** The element was inserted again before its removal took effect: a move. */
  moved(): void;
  /** The element left its document for longer than a task. */
  left(): void;
  /** The element's document is going away (its iframe removed or navigated); nothing it fires later reaches a listener. */
  documentGone(): void;
}

export class Presence {
  #element: Element;
  #host: PresenceHost;
  #present = false;
  /** The foreign window watched for `pagehide`, if any. */
  #watched: Window | null = null;
  #lifecycle: PageLifecycle;

  constructor(element: Element, host: PresenceHost) {
    this.#element = element;
    this.#host = host;
    this.#lifecycle = new PageLifecycle(host);
  }

  /** From the first insertion until the end of the task that removed the element. */
  get present(): boolean {
    return this.#present;
  }

  /** Call from `connectedCallback`. */
  connected(): void {
    const view = this.#element.ownerDocument.defaultView;
    this.#watch(view);
    // Re-inserted before the removal took effect: a move. A document without a window
    // (one whose iframe is gone, or one made by script) is not a live document.
    if (!view) return;
    if (this.#present) {
      this.#host.moved();
      return;
    }
    this.#present = true;
    this.#lifecycle.attach(this.#element.ownerDocument);
    this.#host.arrived();
  }

  /** Call from `disconnectedCallback`. */
  disconnected(): void {
    afterTask(() => {
      if (this.#present && !this.#element.isConnected) this.#leave();
    });
  }

  #leave(gone = false): void {
    this.#present = false;
    this.#watch(null);
    this.#lifecycle.detach();
    if (gone) this.#host.documentGone();
    else this.#host.left();
  }

  #watch(view: Window | null): void {
    // The element's own window needs no watching: when it goes, the socket goes with it.
    const next = view === window ? null : view;
    if (next === this.#watched) return;
    this.#watched?.removeEventListener('pagehide', this.#onPageHide);
    next?.addEventListener('pagehide', this.#onPageHide);
    this.#watched = next;
  }

  #onPageHide = (event: PageTransitionEvent): void => {
    // Persisted: the frame goes into the back/forward cache with its page, which the page
    // lifecycle handles; it has not gone away.
    if (event.persisted) return;
    if (this.#present) this.#leave(true);
    else this.#watch(null);
  };
}

let due: (() => void)[] = [];
let channel: MessageChannel | undefined;

/**
 * Runs `callback` in a later task, after the current task and all its microtasks. A message
 * to a MessageChannel rather than `setTimeout(0)`: timers are clamped to 4 ms when nested and
 * to once a second or rarer in background tabs, which would keep a removed element's socket
 * open that long; a posted message is neither, in Chromium, Gecko and WebKit alike. The
 * channel is made on first use, so importing this module (in Node, for SSR) holds nothing open.
 */
function afterTask(callback: () => void): void {
  if (!channel) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => {
      const now = due;
      due = [];
      for (const run of now) run();
    };
  }
  if (due.push(callback) === 1) channel.port2.postMessage(null);
}
