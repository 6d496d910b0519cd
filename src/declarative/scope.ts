/**
 * The scope of the declarative layer: what it needs from its element, which descendants it
 * watches, and which of them are its own (not those of a nested element). Shared by the loader,
 * which is loaded with the element, and the layer it loads on demand (declarative.ts).
 */
import type { ConnectionState } from '../connection/connection.js';

/** What the layer needs from its element. */
export interface DeclarativeHost extends HTMLElement {
  readonly state: ConnectionState;
  send(type: string, data?: unknown): boolean;
}

/** Reports what the layer could not do, as an `error` event of the element. */
export type DeclarativeFail = (kind: 'frame' | 'send', message: string, error?: unknown) => void;

/**
 * A place in the element's send queue, taken when a submission or click is kept, so its frame
 * (`data-send`) or request (`data-request`) leaves in call order with frames sent from script meanwhile.
 */
export interface Place {
  send(type: string, data?: unknown): boolean;
  /** The element's `request()` in this place; throws its `TypeError` for a type it refuses. */
  request(type: string, data?: unknown): Promise<unknown>;
  release(): void;
}

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
