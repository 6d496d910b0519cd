/**
 * The declarative layer on demand. Most pages never use its `data-*` attributes, so its code
 * (declarative.ts, declarative-rules.ts) is imported only once a descendant of an element uses
 * one: found by one query on arrival, or else by a MutationObserver that stops at the first use.
 *
 * While the import is in flight (a fetch of a chunk on a CDN page), the frames for the layer and
 * the submissions and clicks it would handle are kept in order and handed to it once it has
 * started; a submission is cancelled at once, so the page never navigates. Once the module has
 * loaded in a document, later elements there start the layer at once, as a static import would.
 *
 * The layer imports what it shares with the loader from here: which descendants are watched,
 * and which are an element's own. The loader knows the layer only by the shape below, and is
 * given the import that loads it, so it never imports the layer itself.
 */
import type { ConnectionState } from '../connection/connection.js';
import type { Place } from '../requests/requests.js';

/** What the layer needs from its element. */
export interface DeclarativeHost extends HTMLElement {
  readonly state: ConnectionState;
  send(type: string, data?: unknown): boolean;
}

/** Reports what the layer could not do, as an `error` event of the element. */
export type DeclarativeFail = (kind: 'frame' | 'send', message: string, error?: unknown) => void;

/** Descendants the layer keeps current. */
export const WATCHED = ['data-receive', 'data-reply', 'data-reply-error', 'data-state', 'data-send-when'];
export const BINDINGS = WATCHED.map((name) => `[${name}]`).join();
/** Buttons whose clicks the layer handles; forms are told by their submit event. */
export const SENDERS = 'button[data-send],button[data-request]';

/**
 * Every element the layer works for, from its arrival on, so a nested one of a subclass (another
 * tag) is a boundary to the layer of an outer one even before (or without) a layer of its own.
 */
export const hosts = new WeakSet<Element>();

/**
 * True when `node`'s nearest element ancestor of the layer is `host`: not another element of the
 * class (a subclass under another tag included), nor one of this tag not upgraded yet.
 */
export function owns(host: Element, node: Element): boolean {
  if (node === host) return false;
  for (let parent = node.parentElement; parent; parent = parent.parentElement) {
    if (parent === host) return true;
    if (hosts.has(parent) || parent.localName === host.localName) return false;
  }
  return false;
}

/** The layer as the loader drives it (declarative.ts). */
export interface Layer {
  receive(type: string, data: unknown): void;
  stateChanged(state: ConnectionState): void;
  /** A submission or click kept while the layer loaded, with what its form held then and its place in the queue. */
  handle(event: Event, entries?: FormData, place?: Place | null): void;
  dispose(): void;
}

/** The layer's module. */
export interface DeclarativeModule {
  Declarative: new (host: DeclarativeHost, fail: DeclarativeFail) => Layer;
}
export type LoadDeclarative = () => Promise<DeclarativeModule>;

/** Forms whose submissions the layer handles. */
const FORMS = 'form[data-send],form[data-request]';
/** Any descendant that needs the layer. */
const USES = `${BINDINGS},${FORMS},${SENDERS}`;
const USE_ATTRIBUTES = [...WATCHED, 'data-send', 'data-request'];

/** Takes a place; null when the queue is full (the element has said so); undefined: no queue, send when handled. */
export type Reserve = () => Place | null | undefined;

/** Modules each loader has given, so the elements that come after the first start at once. */
const loaded = new WeakMap<LoadDeclarative, DeclarativeModule>();

/**
 * A submission or click kept with what its form held then (the page may change or reset the form
 * meanwhile) and its place in the queue (null: the queue was full).
 */
type Kept = { type: string; data: unknown } | { event: Event; entries?: FormData; place?: Place | null };

/** Where frames go: nowhere until a descendant uses the layer, kept while it loads, then the layer. */
interface FrameSink {
  receive(type: string, data: unknown): void;
}

const isElement = (node: Node): node is Element => node.nodeType === Node.ELEMENT_NODE;
const usesLayer = (node: Element) => node.matches(USES) || node.querySelector(USES) !== null;

/** The declarative layer of one element while it is in a document, loaded on first use. */
export class DeclarativeLoader {
  readonly #host: DeclarativeHost;
  readonly #fail: DeclarativeFail;
  readonly #load: LoadDeclarative;
  readonly #reserve: Reserve;
  #observer: MutationObserver | null = null;
  #sink: FrameSink | null = null;
  #layer: Layer | null = null;
  /** Frames and events that came while the layer loads, in order; null when not loading. */
  #kept: Kept[] | null = null;
  /** The import failed: the layer's submissions are still cancelled, and reported. */
  #failed = false;
  #disposed = false;

  /** `load` imports the layer's module (the element's is `import()` of declarative.ts): the same function for every element, which its module is kept by. */
  constructor(host: DeclarativeHost, fail: DeclarativeFail, load: LoadDeclarative, reserve: Reserve = () => undefined) {
    this.#host = host;
    this.#fail = fail;
    this.#load = load;
    this.#reserve = reserve;
    hosts.add(host);
    if (host.querySelector(USES)) {
      this.#start();
      return;
    }
    // Only what changed is looked at: an attribute's element, or the nodes added.
    const uses = (record: MutationRecord) =>
      record.type === 'attributes'
        ? record.target !== host && usesLayer(record.target as Element)
        : [...record.addedNodes].some((node) => isElement(node) && usesLayer(node));
    this.#observer = new MutationObserver((records) => {
      if (records.some(uses)) this.#start();
    });
    this.#observer.observe(host, { childList: true, subtree: true, attributes: true, attributeFilter: USE_ATTRIBUTES });
  }

  /** A frame arrived. The hot path: one check while no descendant uses the layer. */
  receive(type: string, data: unknown): void {
    this.#sink?.receive(type, data);
  }

  stateChanged(state: ConnectionState): void {
    // While loading, nothing: the layer reads the host's state when it starts.
    this.#layer?.stateChanged(state);
  }

  dispose(): void {
    this.#disposed = true;
    this.#observer?.disconnect();
    this.#observer = null;
    this.#stopKeeping();
    this.#sink = null;
    this.#layer?.dispose();
    this.#layer = null;
  }

  #start(): void {
    this.#observer?.disconnect();
    this.#observer = null;
    const module = loaded.get(this.#load);
    if (module) {
      this.#begin(module);
      return;
    }
    const kept: Kept[] = (this.#kept = []);
    this.#sink = { receive: (type, data) => kept.push({ type, data }) };
    this.#host.addEventListener('submit', this.#keep);
    this.#host.addEventListener('click', this.#keep);
    this.#load().then(
      (module) => {
        loaded.set(this.#load, module);
        // Removed meanwhile: what was kept still happens, as it did before the removal with the
        // layer loaded (frames shown, submissions queued), on a layer that lets go at once.
        const layer = this.#disposed ? new module.Declarative(this.#host, this.#fail) : this.#begin(module);
        this.#stopKeeping();
        for (const item of kept) {
          if ('event' in item) layer.handle(item.event, item.entries, item.place);
          else layer.receive(item.type, item.data);
        }
        if (this.#disposed) layer.dispose();
      },
      (error: unknown) => {
        for (const item of kept) if ('event' in item) item.place?.release();
        // Said even when removed meanwhile: what was kept is lost, and the page should know.
        if (this.#disposed && kept.length === 0) return;
        this.#failed = !this.#disposed;
        this.#sink = null;
        this.#kept = null;
        this.#fail('frame', `The declarative layer (the data-* attributes) did not load, so they do nothing in this element${this.#dropped(kept)}: serve the bricks-websocket-declarative-*.js file from beside bricks-websocket.js, or check the network.`, error);
      },
    );
  }

  #begin(module: DeclarativeModule): Layer {
    this.#layer = new module.Declarative(this.#host, this.#fail);
    this.#sink = this.#layer;
    return this.#layer;
  }

  #stopKeeping(): void {
    // Listening only while loading, or after a failed import.
    if (this.#kept === null && !this.#failed) return;
    this.#kept = null;
    this.#host.removeEventListener('submit', this.#keep);
    this.#host.removeEventListener('click', this.#keep);
  }

  /** Keeps, or after a failed import reports, a submission or click the layer would handle. */
  #keep = (event: Event): void => {
    // Whose it is, is judged now, as the layer would: the page may move or remove it meanwhile.
    let sender = event.target as Element;
    let entries: FormData | undefined;
    if (event.type === 'submit') {
      // A page listener that cancelled the submission has the last word, as with the layer.
      if (!sender.matches(FORMS) || event.defaultPrevented || !owns(this.#host, sender)) return;
      event.preventDefault();
      if (!this.#failed) entries = new FormData(sender as HTMLFormElement);
    } else {
      // A disabled button's content still gets clicks; the layer ignores them, and a form's
      // submit button, whose form's submission is what counts.
      const button = sender.closest?.(SENDERS) as HTMLButtonElement | null | undefined;
      if (!button || !owns(this.#host, button) || button.matches(':disabled') || (button.form !== null && button.type !== 'button')) return;
      sender = button;
    }
    if (this.#failed) {
      this.#fail('send', `The declarative layer (the data-* attributes) did not load, so this ${event.type === 'submit' ? 'form' : 'button'} sent nothing: serve the bricks-websocket-declarative-*.js file from beside bricks-websocket.js, or check the network.`);
      return;
    }
    // Its frame or request takes its place in the queue now, as it would with the layer loaded.
    this.#kept?.push({ event, entries, place: this.#reserve() });
  };

  #dropped(kept: Kept[]): string {
    const frames = kept.filter((item) => !('event' in item)).length;
    const events = kept.length - frames;
    if (frames + events === 0) return '';
    const parts = [frames ? `${frames} frame${frames === 1 ? '' : 's'} not shown` : '', events ? `${events} submission${events === 1 ? '' : 's'} or click${events === 1 ? '' : 's'} not sent` : ''];
    return ` (${parts.filter(Boolean).join(', ')})`;
  }
}
