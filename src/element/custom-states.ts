/**
 * The element's custom states (`:state(open)`, `:state(backpressure)`...), so CSS can show the
 * connection without script. Without ElementInternals, or in an engine that knows only the
 * older dashed-ident syntax, state styling is unavailable and everything else works.
 */
import type { ConnectionState } from '../connection/connection.js';

export class CustomStates {
  #states: CustomStateSet | undefined;
  #shown: ConnectionState | undefined;

  constructor(element: HTMLElement) {
    try {
      this.#states = element.attachInternals().states;
    } catch {
      // No ElementInternals.
    }
  }

  /** Shows `state` in place of the previous connection state; returns that one. */
  show(state: ConnectionState): ConnectionState | undefined {
    const previous = this.#shown;
    this.#shown = state;
    if (previous) this.toggle(previous, false);
    this.toggle(state, true);
    return previous;
  }

  /** Adds or removes one state: `backpressure` sits beside the connection state. */
  toggle(name: string, on: boolean): void {
    try {
      if (on) this.#states?.add(name);
      else this.#states?.delete(name);
    } catch {
      // The older dashed-ident syntax only.
    }
  }
}
