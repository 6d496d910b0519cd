/**
 * The page lifecycle: the back/forward cache and frozen pages. A page going into the cache
 * (`pagehide` with `persisted`) must not keep its socket, and one coming back (`pageshow` with
 * `persisted`) wants it again at once. A page the browser froze (Chromium's `freeze` / `resume`)
 * ran no timer meanwhile, so on `resume` the connection is checked at once. Nothing is needed
 * at `freeze` itself: timers stop by themselves and are judged on `resume`.
 *
 * `pagehide` without `persisted` is the page unloading: the browser closes the socket itself,
 * but no timer of the page runs afterwards, so requests still awaiting a reply are ended then.
 * The listeners sit on the element's own window and document, only while it is in that document.
 */

/** What the element does at each step. */
export interface PageLifecycleHost {
  /** The page is going into the back/forward cache. */
  hidden(): void;
  /** The page came back from the back/forward cache. */
  shown(): void;
  /** The page was frozen and runs again. */
  resumed(): void;
  /** The page is unloading (a removed iframe's too): nothing of it runs afterwards. */
  unloading(): void;
}

export class PageLifecycle {
  #host: PageLifecycleHost;
  #document: Document | null = null;
  /** Kept: a document can lose its window (an iframe removed) before the listeners are. */
  #view: Window | null = null;

  constructor(host: PageLifecycleHost) {
    this.#host = host;
  }

  /** Starts listening to the page of `document`; once, however often it is called. */
  attach(document: Document): void {
    const view = document.defaultView;
    if (this.#document || !view) return;
    this.#document = document;
    this.#view = view;
    view.addEventListener('pagehide', this.#onPageHide);
    view.addEventListener('pageshow', this.#onPageShow);
    document.addEventListener('resume', this.#onResume);
  }

  /** Removes every listener `attach` added. */
  detach(): void {
    const document = this.#document;
    const view = this.#view;
    if (!document || !view) return;
    this.#document = this.#view = null;
    view.removeEventListener('pagehide', this.#onPageHide);
    view.removeEventListener('pageshow', this.#onPageShow);
    document.removeEventListener('resume', this.#onResume);
  }

  #onPageHide = (event: PageTransitionEvent): void => {
    if (event.persisted) this.#host.hidden();
    else this.#host.unloading();
  };

  #onPageShow = (event: PageTransitionEvent): void => {
    if (event.persisted) this.#host.shown();
  };

  #onResume = (): void => {
    this.#host.resumed();
  };
}
