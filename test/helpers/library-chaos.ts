// The browser side of test/fixture/library-chaos.mjs: instances of `bricks-websocket/server`
// behind a proxy that cuts connections, and elements on them that record what they get.
//
//   const { instance, element } = useChaos('chaos');      // at the top of a test file
//   const { id, url } = await instance({ size: 10 });     // closed after each test
//   const { element: el, ticks, resumed } = await element(`${url}?user=ana`, { resume: '' });
//   await chaos('cut', { id });

import type { BricksWebSocketResumedDetail } from '../../src/element/events.js';
import type { BricksWebSocketFrameEvent } from '../../src/frames/frame-event.js';
import { useElements } from './elements.js';
import { WAIT_MS, nextEvent } from './server.js';

/** One control endpoint of test/fixture/library-chaos.mjs. */
export async function chaos<T = Record<string, never>>(action: string, params: Record<string, string | number> = {}): Promise<T> {
  const query = new URLSearchParams(Object.entries(params).map(([key, value]) => [key, String(value)]));
  const response = await fetch(`/__library-chaos/${action}?${query}`, { cache: 'no-store' });
  const body = await response.json();
  if (!response.ok) throw new Error(`${action}: ${body.error}`);
  return body as T;
}

/** Resolves when `predicate()` holds, checked at each `type` event of `target`. */
export function until(target: EventTarget, type: string, predicate: () => boolean, what: string): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      target.removeEventListener(type, check);
      reject(new Error(`Timed out waiting for ${what}`));
    }, WAIT_MS * 3);
    function check() {
      if (!predicate()) return;
      clearTimeout(timer);
      target.removeEventListener(type, check);
      resolve();
    }
    target.addEventListener(type, check);
  });
}

export const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** The errors other than the failed connections a cut makes, which some engines report. */
export const unexpected = (errors: string[]) => errors.filter((error) => !/^connection: The connection to .* failed\.$/.test(error));

/** Instances and elements for a test file; both are closed after each test. */
export function useChaos(prefix: string) {
  const { make } = useElements(prefix);
  const instances: string[] = [];

  afterEach(async () => {
    for (const id of instances.splice(0)) await chaos('close', { id });
  });

  /** A fresh library instance, with these history limits, behind its own proxy. */
  async function instance(history: { size?: number; ttl?: number } = {}) {
    const made = await chaos<{ id: string; url: string }>('new', history);
    instances.push(made.id);
    return made;
  }

  /** An element on `url` in `doc`, open; records its ticks, questions, resumed details and errors. */
  async function element(url: string, attributes: Record<string, string> = {}, doc: Document = document) {
    const el = make({ 'ws-url': url, 'reconnect-delay': '1', 'reconnect-max-delay': '20', ...attributes }, doc);
    const ticks: number[] = [];
    const questions: BricksWebSocketFrameEvent<unknown>[] = [];
    const resumed: BricksWebSocketResumedDetail[] = [];
    // Expected ones (a handshake during a restart fails) are asserted by the tests that expect them.
    const errors: string[] = [];
    el.addEventListener('error', (event) => {
      event.preventDefault();
      const { kind, message } = (event as CustomEvent<{ kind: string; message: string }>).detail;
      errors.push(`${kind}: ${message}`);
    });
    el.addEventListener('tick', (event) => ticks.push((event as CustomEvent<number>).detail));
    el.addEventListener('question', (event) => questions.push(event as BricksWebSocketFrameEvent<unknown>));
    el.addEventListener('resumed', (event) => resumed.push((event as CustomEvent<BricksWebSocketResumedDetail>).detail));
    const opened = nextEvent(el, 'open');
    doc.body.append(el);
    await opened;
    return { element: el, ticks, questions, resumed, errors };
  }

  return { instance, element, make };
}
