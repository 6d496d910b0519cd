/**
 * The declarative layer: descendants of a `<bricks-websocket>` send and show frames through
 * `data-*` attributes, with no script. Text only: nothing from the wire is parsed as HTML.
 *
 * Loaded on demand: the element's `DeclarativeLoader` (declarative-loader.ts) makes one
 * `Declarative` once a descendant uses the layer, and disposes of it when the element is
 * removed; `dispose()` takes back everything it added (two listeners, the observer, object
 * URLs, `aria-busy`, the controls it disabled). Receivers are kept in a registry by frame type,
 * updated by a MutationObserver, so a frame costs one size check when none is left.
 */
import { base64ToBytes } from '../frames/base64.js';
import type { ConnectionState } from '../connection/connection.js';
import type { Place } from '../requests/requests.js';
import { attributeNameProblem, attributeValueProblem, errorView, formFields, formPayload, parseFieldAttrs, pickField, serializeForm, textOf } from './declarative-rules.js';
import { BINDINGS, hosts, owns, SENDERS, WATCHED, type DeclarativeFail, type DeclarativeHost } from './declarative-loader.js';

/** The element's `request()` (the requests-and-replies issue), when this build has it. */
type RequestMethod = (this: HTMLElement, type: string, data?: unknown) => Promise<unknown>;

type Registry = Map<string, Set<Element>>;

/** Where a registered node is listed, so it can be taken out without re-reading its attributes. */
interface Binding {
  lists: Array<[Registry, string]>;
  state: boolean;
  whenOpen: boolean;
}

const describe = (node: Element) => `<${node.localName}>`;
const clip = (text: string) => (text.length > 40 ? `${JSON.stringify(text.slice(0, 40))}…` : JSON.stringify(text));
const isElement = (node: Node): node is Element => node.nodeType === Node.ELEMENT_NODE;
const isMedia = (node: Element): node is HTMLMediaElement => node.localName === 'audio' || node.localName === 'video';

/** Controls disabled by `data-send-when`, with the layer that did it, so a moved control is handed over. */
const disabledBy = new WeakMap<Element, Declarative>();

const XLINK = 'http://www.w3.org/1999/xlink';

/** The clones each receiver has shown, oldest first, as groups of the nodes one clone added. */
const cloneGroups = new WeakMap<Element, ChildNode[][]>();
/** Without data-limit, how many clones are recorded before those the page removed are forgotten. */
const UNLIMITED_RECORD = 1000;

/** Elements whose text is code: a script would run frame data, a style sheet would apply it. */
const isCode = (node: Element) => node.localName === 'script' || node.localName === 'style';

export class Declarative {
  readonly #host: DeclarativeHost;
  readonly #fail: DeclarativeFail;
  readonly #observer: MutationObserver;
  readonly #bindings = new Map<Element, Binding>();
  readonly #receivers: Registry = new Map();
  readonly #replies: Registry = new Map();
  readonly #replyErrors: Registry = new Map();
  readonly #states = new Set<Element>();
  readonly #whenOpen = new Set<Element>();
  /** Controls disabled by `data-send-when`, by the node that asked, so only those are enabled again. */
  readonly #disabled = new Map<Element, Element[]>();
  /** The object URL each media receiver plays. */
  readonly #urls = new Map<HTMLMediaElement, string>();
  /** The clones of a receiver with `data-limit`, oldest first; a clone may be several nodes. */
  /** Requests in flight per form or button, for `aria-busy`. */
  readonly #busy = new Map<Element, number>();
  /** While a kept submission or click is handled: its place in the queue (null: the queue was full). */
  #place: Place | null | undefined;
  #disposed = false;

  constructor(host: DeclarativeHost, fail: DeclarativeFail) {
    this.#host = host;
    this.#fail = fail;
    hosts.add(host);
    this.#observer = new MutationObserver((records) => this.#sync(records));
    this.#observer.observe(host, { childList: true, subtree: true, attributes: true, attributeOldValue: true, attributeFilter: WATCHED });
    host.addEventListener('submit', this.#onSubmit);
    host.addEventListener('click', this.#onClick);
    this.#scan(host);
  }

  /** A frame arrived. The hot path: one size check when no descendant receives. */
  receive(type: string, data: unknown): void {
    if (this.#receivers.size === 0) return;
    const receivers = this.#receivers.get(type);
    if (receivers) for (const node of receivers) this.#render(node, type, data);
  }

  stateChanged(state: ConnectionState): void {
    for (const node of this.#states) node.textContent = state;
    for (const node of this.#whenOpen) this.#applyWhen(node, state === 'open');
  }

  dispose(): void {
    this.#disposed = true;
    this.#observer.disconnect();
    this.#host.removeEventListener('submit', this.#onSubmit);
    this.#host.removeEventListener('click', this.#onClick);
    for (const node of [...this.#bindings.keys()]) this.#forget(node);
    for (const node of this.#busy.keys()) node.removeAttribute('aria-busy');
    this.#busy.clear();
  }

  // ── the registry ────────────────────────────────────────────────────────

  #owns(node: Element): boolean {
    return owns(this.#host, node);
  }

  #sync(records: MutationRecord[]): void {
    let removed = false;
    for (const record of records) {
      if (record.type === 'attributes') {
        // Set again to the same value: the binding, and a clip it plays, stay as they are.
        if (record.oldValue === (record.target as Element).getAttribute(record.attributeName!)) continue;
        this.#forget(record.target as Element);
        this.#add(record.target as Element);
        continue;
      }
      // Text nodes replaced by a receiver's new text cannot carry bindings.
      for (const node of record.removedNodes) if (isElement(node)) removed = true;
      for (const node of record.addedNodes) if (isElement(node)) this.#scan(node);
    }
    // Checked against where nodes are now, so a move inside the host keeps its binding,
    // and a node whose attributes changed after it left is still found.
    if (removed) for (const node of [...this.#bindings.keys()]) if (!this.#owns(node)) this.#forget(node);
  }

  #scan(root: Element): void {
    if (root.matches(BINDINGS)) this.#add(root);
    for (const node of root.querySelectorAll(BINDINGS)) this.#add(node);
  }

  #add(node: Element): void {
    if (this.#bindings.has(node) || !this.#owns(node)) return;
    const binding: Binding = { lists: [], state: node.hasAttribute('data-state'), whenOpen: node.getAttribute('data-send-when') === 'open' };
    for (const [attribute, registry] of [['data-receive', this.#receivers], ['data-reply', this.#replies], ['data-reply-error', this.#replyErrors]] as const) {
      const type = node.getAttribute(attribute);
      if (!type) continue;
      let list = registry.get(type);
      if (!list) registry.set(type, (list = new Set()));
      list.add(node);
      binding.lists.push([registry, type]);
    }
    if (binding.lists.length === 0 && !binding.state && !binding.whenOpen) return;
    this.#bindings.set(node, binding);
    if (binding.state) {
      this.#states.add(node);
      node.textContent = this.#host.state;
    }
    if (binding.whenOpen) {
      this.#whenOpen.add(node);
      this.#applyWhen(node, this.#host.state === 'open');
    }
  }

  #forget(node: Element): void {
    const binding = this.#bindings.get(node);
    if (!binding) return;
    this.#bindings.delete(node);
    for (const [registry, type] of binding.lists) {
      const list = registry.get(type);
      list?.delete(node);
      if (list?.size === 0) registry.delete(type);
    }
    this.#states.delete(node);
    if (this.#whenOpen.delete(node)) this.#applyWhen(node, true);
    const url = this.#urls.get(node as HTMLMediaElement);
    if (url !== undefined) {
      this.#urls.delete(node as HTMLMediaElement);
      node.removeAttribute('src');
      URL.revokeObjectURL(url);
    }
  }

  // ── receiving ───────────────────────────────────────────────────────────

  /** Shows `data` in a receiver: clones its template, plays it, or sets its text. */
  #render(node: Element, type: string, data: unknown, field = node.getAttribute('data-field')): void {
    const value = pickField(data, field);
    const template = node.querySelector(':scope > template');
    if (template) this.#clone(node, template as HTMLTemplateElement, value, type);
    else if (isMedia(node)) this.#play(node, value, type);
    else this.#write(node, value, type);
  }

  /** Sets a node's text from frame data; never the text of a script or a style sheet, which would run or apply it. */
  #write(node: Element, value: unknown, type: string): void {
    const text = textOf(value);
    if (text === undefined) return;
    if (isCode(node)) {
      this.#fail('frame', `A "${type}" frame was not written into ${describe(node)}: frame data never becomes script or CSS. Show it in another element.`);
      return;
    }
    // A lone text node is changed in place: nothing is replaced, so the subtree observer gets no record.
    const only = node.firstChild;
    if (text !== '' && only !== null && only === node.lastChild && only.nodeType === Node.TEXT_NODE) (only as Text).data = text;
    else node.textContent = text;
  }

  #clone(node: Element, template: HTMLTemplateElement, data: unknown, type: string): void {
    const fragment = node.ownerDocument.importNode(template.content, true);
    for (const target of fragment.querySelectorAll('[data-field]')) this.#write(target, pickField(data, target.getAttribute('data-field')), type);
    for (const target of fragment.querySelectorAll('[data-field-attr]')) this.#setAttributes(target, data, type);
    const nodes = [...fragment.childNodes];
    if (node.getAttribute('data-insert') === 'prepend') node.prepend(fragment);
    else node.append(fragment);

    // Every clone is recorded, limit or not, and for the receiver's life rather than its binding's:
    // a limit set later, a rebinding or a move must still count the clones already shown.
    let groups = cloneGroups.get(node) ?? [];
    groups.push(nodes);
    const limit = Number(node.getAttribute('data-limit'));
    const limited = Number.isInteger(limit) && limit > 0;
    // Only clones still in the receiver count, and only those are removed: one the page moved away stays.
    if (limited || groups.length > UNLIMITED_RECORD) groups = groups.filter((group) => group.some((child) => child.parentNode === node));
    if (limited) while (groups.length > limit) for (const old of groups.shift()!) if (old.parentNode === node) old.remove();
    cloneGroups.set(node, groups);
  }

  #setAttributes(target: Element, data: unknown, type: string): void {
    const spec = target.getAttribute('data-field-attr')!;
    const pairs = parseFieldAttrs(spec);
    if (!pairs) {
      this.#fail('frame', `data-field-attr=${clip(spec)} on ${describe(target)} is not a list of attribute:path pairs (e.g. "href:url title:name"), so no attribute was set.`);
      return;
    }
    for (const [name, path] of pairs) {
      const refused = attributeNameProblem(name);
      if (refused) {
        this.#fail('frame', `A "${type}" frame did not set ${name} on ${describe(target)}: ${refused}. Remove it from data-field-attr.`);
        continue;
      }
      const value = textOf(pickField(data, path));
      if (value === undefined) continue;
      const problem = attributeValueProblem(name, value);
      if (problem) {
        this.#fail('frame', `A "${type}" frame did not set ${name}=${clip(value)} on ${describe(target)}: ${problem}.`);
        continue;
      }
      if (isCode(target)) {
        this.#fail('frame', `A "${type}" frame did not set ${name} on ${describe(target)}: frame data never reaches a script or a style sheet.`);
        continue;
      }
      try {
        // An `xlink:` name lives in the XLink namespace; SVG ignores it in no namespace.
        if (name.startsWith('xlink:')) target.setAttributeNS(XLINK, name, value);
        else target.setAttribute(name, value);
      } catch (error) {
        this.#fail('frame', `data-field-attr on ${describe(target)} names ${clip(name)}, which is not an attribute name, so it was not set.`, error);
      }
    }
  }

  /** Plays a base64 clip through an object URL; the previous one is revoked. */
  #play(media: HTMLMediaElement, value: unknown, type: string): void {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      if (typeof value !== 'string') throw new TypeError('not a string');
      bytes = base64ToBytes(value);
    } catch (error) {
      this.#fail('frame', `A "${type}" frame for ${describe(media)} did not carry a base64 clip, so the ${media.localName} was left as it was.`, error);
      return;
    }
    const kind = media.localName === 'video' ? 'video/webm' : 'audio/webm';
    const url = URL.createObjectURL(new Blob([bytes], { type: media.getAttribute('data-type') || kind }));
    const previous = this.#urls.get(media);
    this.#urls.set(media, url);
    media.src = url;
    if (previous !== undefined) URL.revokeObjectURL(previous);
  }

  // ── sending ─────────────────────────────────────────────────────────────

  /**
   * A submission or click the loader kept while this layer was loading (declarative-loader.ts),
   * with the form's entries as they were when it was submitted and the frame's place in the
   * queue. The loader has already cancelled the submission and judged whose it is and a button's
   * `disabled` at the event; the rest is decided now.
   */
  handle(event: Event, entries?: FormData, place?: Place | null): void {
    this.#place = place;
    try {
      if (event.type === 'submit') this.#submit(event.target as Element, entries, true);
      else this.#click(event, true);
    } finally {
      // Nothing was sent: the frames behind the place go on.
      this.#place?.release();
      this.#place = undefined;
    }
  }

  #onSubmit = (event: Event): void => {
    const form = event.target as Element;
    // A listener of the page that cancelled the submission has the last word.
    if (event.defaultPrevented || !this.#isSendingForm(form)) return;
    event.preventDefault();
    this.#submit(form);
  };

  #isSendingForm(form: Element, kept = false): boolean {
    return form.localName === 'form' && (form.hasAttribute('data-request') || form.hasAttribute('data-send')) && (kept || this.#owns(form));
  }

  #submit(form: Element, entries?: FormData, kept = false): void {
    if (!this.#isSendingForm(form, kept) || !this.#mayAct(form)) return;
    const requestType = form.getAttribute('data-request');
    const payload = entries ? formPayload(formFields(form as HTMLFormElement), entries) : serializeForm(form as HTMLFormElement);
    if (payload.kind === 'empty') return;
    if (payload.kind === 'file') {
      this.#fail('send', `The form's field "${payload.field}" is a file input, which data-send does not send, so nothing was sent: remove the field, or send the file from script with sendBase64Audio() or sendBase64Video().`);
      return;
    }
    const reset = () => (form as HTMLFormElement).reset();
    if (requestType !== null) this.#request(form, requestType, payload.data, reset);
    else if (this.#send(form, form.getAttribute('data-send')!, payload.data)) reset();
  }

  #onClick = (event: Event): void => {
    // A click on the content of a disabled button (or one in a disabled fieldset) still bubbles.
    if (this.#senderOf(event)?.matches(':disabled')) return;
    this.#click(event);
  };

  #senderOf(event: Event): HTMLButtonElement | null | undefined {
    return (event.target as Element).closest?.(SENDERS) as HTMLButtonElement | null | undefined;
  }

  #click(event: Event, kept = false): void {
    const button = this.#senderOf(event);
    // A submit button of a form submits it; the form's own data-send applies.
    if (!button || !(kept || this.#owns(button)) || (button.form !== null && button.type !== 'button')) return;
    if (!this.#mayAct(button)) return;
    const data = button.hasAttribute('value') ? button.value : undefined;
    const requestType = button.getAttribute('data-request');
    if (requestType !== null) this.#request(button, requestType, data, () => {});
    else this.#send(button, button.getAttribute('data-send')!, data);
  }

  /** False, with an error, when `data-send-when="open"` holds the sender back. */
  #mayAct(node: Element): boolean {
    const state = this.#host.state;
    if (node.getAttribute('data-send-when') !== 'open' || state === 'open') return true;
    this.#fail('send', `${describe(node)} has data-send-when="open" and the connection is ${state}, so nothing was sent.`);
    return false;
  }

  #send(node: Element, type: string, data: unknown): boolean {
    if (type === '') {
      this.#fail('send', `data-send on ${describe(node)} is empty, so nothing was sent: name the frame type, e.g. data-send="text".`);
      return false;
    }
    if (this.#place === undefined) return this.#host.send(type, data);
    const place = this.#place;
    this.#place = undefined;
    return place !== null && place.send(type, data);
  }

  #request(node: Element, type: string, data: unknown, done: () => void): void {
    const request = (this.#host as unknown as { request?: RequestMethod }).request;
    if (type === '' || typeof request !== 'function') {
      this.#fail('send', type === '' ? `data-request on ${describe(node)} is empty, so nothing was sent: name the request type.` : `data-request needs the element's request(), which this build does not have, so nothing was sent: use data-send.`);
      return;
    }
    // Kept while the layer loaded: in the place taken at the event (null: the queue was full then,
    // and said so). A type request() refuses goes to it, to be refused, and the place is let go.
    const place = type === 'reply' ? undefined : this.#place;
    if (place !== undefined) this.#place = undefined;
    let pending: Promise<unknown>;
    try {
      pending =
        place === undefined
          ? request.call(this.#host, type, data)
          : place === null
            ? Promise.reject(new DOMException('The send queue was full when it was submitted.', 'QuotaExceededError'))
            : place.request(type, data);
    } catch (error) {
      this.#fail('send', `data-request="${type}" could not be sent: ${errorView(error).message}`, error);
      return;
    }
    this.#setBusy(node, 1);
    pending.then(
      (reply) => {
        if (this.#disposed) return;
        this.#setBusy(node, -1);
        done();
        this.#replied(type, reply);
      },
      (error: unknown) => {
        if (this.#disposed) return;
        this.#setBusy(node, -1);
        this.#replyFailed(type, error);
      },
    );
  }

  #setBusy(node: Element, change: number): void {
    const count = (this.#busy.get(node) ?? 0) + change;
    if (count > 0) {
      this.#busy.set(node, count);
      node.setAttribute('aria-busy', 'true');
    } else {
      this.#busy.delete(node);
      node.removeAttribute('aria-busy');
    }
  }

  #replied(type: string, data: unknown): void {
    for (const node of this.#replies.get(type) ?? []) this.#render(node, type, data);
    // A success clears the last error shown as text.
    for (const node of this.#replyErrors.get(type) ?? []) {
      if (!isMedia(node) && !node.querySelector(':scope > template')) node.textContent = '';
    }
  }

  #replyFailed(type: string, error: unknown): void {
    const view = errorView(error);
    const receivers = this.#replyErrors.get(type);
    if (!receivers) {
      this.#fail('send', `data-request="${type}" failed: ${view.message}. Show such errors with an element that has data-reply-error="${type}".`, error);
      return;
    }
    // As text, without data-field, an error shows its message rather than its JSON.
    for (const node of receivers) {
      const field = node.getAttribute('data-field') ?? (node.querySelector(':scope > template') ? null : 'message');
      this.#render(node, type, view, field);
    }
  }

  // ── data-send-when ──────────────────────────────────────────────────────

  /** Disables the node (a form: its controls) unless open; enables only what it disabled. */
  #applyWhen(node: Element, open: boolean): void {
    if (open) {
      for (const control of this.#disabled.get(node) ?? []) {
        // Moved to another element that took it over: that one decides now.
        if (disabledBy.get(control) !== this) continue;
        (control as HTMLButtonElement).disabled = false;
        disabledBy.delete(control);
      }
      this.#disabled.delete(node);
      return;
    }
    const controls = node.localName === 'form' ? [...(node as HTMLFormElement).elements] : [node];
    const disabled = this.#disabled.get(node) ?? [];
    for (const control of controls) {
      // Disabled by the page: not ours to enable. Disabled by the layer for another element: taken over.
      if (!('disabled' in control) || (control.disabled && !disabledBy.has(control))) continue;
      (control as HTMLButtonElement).disabled = true;
      disabledBy.set(control, this);
      disabled.push(control);
    }
    if (disabled.length > 0) this.#disabled.set(node, disabled);
  }
}
